//! Exported files into the loader: whole responses as the API sends them, arrays of
//! records, or one record per line (NDJSON), in any mix. Each file is read and
//! checked whole before one transaction writes it, so a bad file leaves nothing.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::{LoadError, Store};

/// Why a file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON or NDJSON, or holds something that is not a record.
    #[error("{}:{line}: {message}", path.display())]
    Bad {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A record the tables cannot take; nothing of the file was written.
    #[error("{}:{line}: {place}: {source}", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// The 1-based line where the record's top-level value starts.
        line: usize,
        /// Which record of that value (`the record`, `record 3 of the array`).
        place: String,
        /// Why (boxed: a load error is large, and this one is rare).
        source: Box<LoadError>,
    },
    /// The database refused; nothing of the file was written.
    #[error("{}: {source}", path.display())]
    Load {
        /// The file.
        path: PathBuf,
        /// Why (boxed: a load error is large, and this one is rare).
        source: Box<LoadError>,
    },
}

impl FileError {
    /// The process exit code: 2 for a bad file or record, 3 when the database refused.
    pub fn exit_code(&self) -> u8 {
        match self {
            FileError::Load { .. } => 3,
            _ => 2,
        }
    }
}

/// One record of a file and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// The line where its top-level value starts.
    pub line: usize,
    /// Its position in that value (0 for a record that is the value itself).
    pub index: usize,
    /// The record.
    pub record: Json,
}

impl Located {
    fn place(&self) -> String {
        match self.index {
            0 => "the record".to_owned(),
            n => format!("record {n} of the array"),
        }
    }
}

/// The records of the JSON or NDJSON text of `path`. Each top-level value is an
/// array of records, a response holding them at `records` (the model's record path),
/// or one record.
pub fn read_records(
    path: &Path,
    text: &str,
    records: &[String],
) -> Result<Vec<Located>, FileError> {
    let bad = |offset: usize, message: String| FileError::Bad {
        path: path.to_path_buf(),
        line: line_at(text, offset),
        message,
    };
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Json>();
    loop {
        let before = stream.byte_offset();
        // The value starts after the whitespace that separates it from the last one.
        let start = before + text[before..].len() - text[before..].trim_start().len();
        let value = match stream.next() {
            None => break,
            Some(Ok(value)) => value,
            Some(Err(e)) => {
                return Err(FileError::Bad {
                    path: path.to_path_buf(),
                    line: e.line().max(1),
                    message: format!("not JSON or NDJSON: {e}"),
                })
            }
        };
        match value {
            Json::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let record = record(item).map_err(|m| bad(start, m))?;
                    out.push(Located {
                        line: line_at(text, start),
                        index: i + 1,
                        record,
                    });
                }
            }
            Json::Object(ref object)
                if records
                    .first()
                    .is_some_and(|first| object.contains_key(first)) =>
            {
                let mut node = &value;
                for key in records {
                    node = node.get(key).unwrap_or(&Json::Null);
                }
                match node {
                    Json::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let record = record(item.clone()).map_err(|m| bad(start, m))?;
                            out.push(Located {
                                line: line_at(text, start),
                                index: i + 1,
                                record,
                            });
                        }
                    }
                    Json::Null => {}
                    _ => {
                        return Err(bad(
                            start,
                            format!("`{}` is not an array of records", records.join(".")),
                        ))
                    }
                }
            }
            other => {
                let record = record(other).map_err(|m| bad(start, m))?;
                out.push(Located {
                    line: line_at(text, start),
                    index: 0,
                    record,
                });
            }
        }
    }
    Ok(out)
}

fn record(value: Json) -> Result<Json, String> {
    match value {
        Json::Object(_) => Ok(value),
        other => Err(format!(
            "a record must be a JSON object, not {}",
            match other {
                Json::Null => "null",
                Json::Bool(_) => "a Boolean",
                Json::Number(_) => "a number",
                Json::String(_) => "a string",
                Json::Array(_) => "an array",
                Json::Object(_) => "an object",
            }
        )),
    }
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Loads the records of the file at `path` in one transaction; returns how many.
pub fn load_file(store: &mut Store<'_>, path: &Path) -> Result<usize, FileError> {
    let text = std::fs::read_to_string(path).map_err(|source| FileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let records = read_records(path, &text, &store.model().source.records)?;
    let refused = |source: LoadError| FileError::Load {
        path: path.to_path_buf(),
        source: Box::new(source),
    };
    // Record by record, as the loader writes a batch, so a refusal names its line.
    let mut writing = store.begin().map_err(refused)?;
    for located in &records {
        writing
            .load(std::slice::from_ref(&located.record))
            .map_err(|source| match source {
                LoadError::Record { .. } => FileError::Record {
                    path: path.to_path_buf(),
                    line: located.line,
                    place: located.place(),
                    source: Box::new(source),
                },
                other => refused(other),
            })?;
    }
    writing.commit().map_err(refused)?;
    Ok(records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Json>, FileError> {
        read_records(
            Path::new("x.json"),
            text,
            &["results".into(), "conversations".into()],
        )
        .map(|found| found.into_iter().map(|l| l.record).collect())
    }

    #[test]
    fn responses_arrays_and_lines_give_the_same_records() {
        let response = r#"{"results": {"conversations": [{"id": "a"}, {"id": "b"}]}}"#;
        let array = r#"[{"id": "a"}, {"id": "b"}]"#;
        let lines = "{\"id\": \"a\"}\n\n{\"id\": \"b\"}\n";
        let want = read(array).unwrap();
        assert_eq!(want.len(), 2);
        assert_eq!(read(response).unwrap(), want);
        assert_eq!(read(lines).unwrap(), want);
        assert!(read("").unwrap().is_empty());
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = read("{\"id\": \"a\"}\n{\"id\": \n").unwrap_err();
        assert!(
            matches!(err, FileError::Bad { line: 3, .. })
                || matches!(err, FileError::Bad { line: 2, .. }),
            "{err}"
        );
        let err = read("{\"id\": \"a\"}\n42\n").unwrap_err();
        assert!(matches!(err, FileError::Bad { line: 2, .. }), "{err}");
        assert!(err.to_string().starts_with("x.json:2: "), "{err}");
        assert_eq!(err.exit_code(), 2);
    }
}
