//! Exported files into the loader: whole responses as the API sends them, arrays of
//! records, or one record per line (NDJSON), in any mix. Each file is read and
//! checked whole before one transaction writes it, so a bad file leaves nothing.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::{LoadError, Loader};

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
    /// The database refused the file's records; nothing of the file was written.
    #[error("{}: {source}", path.display())]
    Load {
        /// The file.
        path: PathBuf,
        /// Why.
        source: LoadError,
    },
}

impl FileError {
    /// The process exit code: 2 for a bad file or record, 3 when the database refused.
    pub fn exit_code(&self) -> u8 {
        match self {
            FileError::Load {
                source: LoadError::Schema(_) | LoadError::Sqlite(_),
                ..
            } => 3,
            _ => 2,
        }
    }
}

/// The records of the JSON or NDJSON text of `path`. Each top-level value is an
/// array of records, a response holding them at `records` (the model's record path),
/// or one record.
pub fn read_records(path: &Path, text: &str, records: &[String]) -> Result<Vec<Json>, FileError> {
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
                for item in items {
                    out.push(record(item).map_err(|m| bad(start, m))?);
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
                        for item in items {
                            out.push(record(item.clone()).map_err(|m| bad(start, m))?);
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
            other => out.push(record(other).map_err(|m| bad(start, m))?),
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
pub fn load_file(loader: &mut Loader<'_>, path: &Path) -> Result<usize, FileError> {
    let text = std::fs::read_to_string(path).map_err(|source| FileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let records = read_records(path, &text, &loader.model.source.records)?;
    loader
        .load_with(&records, |_| Ok(()))
        .map_err(|source| FileError::Load {
            path: path.to_path_buf(),
            source,
        })?;
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
