//! Loading spec files (YAML or JSON) and following `$ref`s within and between them.

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use serde_json::{Map, Number, Value};

use super::yaml;
use crate::diagnostic::{Diagnostic, Diagnostics, Location};

/// How many `$ref` hops a non-schema reference (parameter, response, ...) may take
/// before it counts as a cycle.
const MAX_HOPS: usize = 32;

/// A place in one of the loaded files: the file's index and a JSON pointer in its
/// escaped `#/a/b` form, so that it doubles as the text shown in diagnostics.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Here {
    pub file: usize,
    pub pointer: String,
}

impl Here {
    /// The whole of a file.
    pub fn root(file: usize) -> Self {
        Here {
            file,
            pointer: "#".to_owned(),
        }
    }

    /// The member `key` of the object here.
    pub fn child(&self, key: &str) -> Self {
        Here {
            file: self.file,
            pointer: format!("{}/{}", self.pointer, escape(key)),
        }
    }

    /// The element `index` of the array here.
    pub fn index(&self, index: usize) -> Self {
        Here {
            file: self.file,
            pointer: format!("{}/{index}", self.pointer),
        }
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(super) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

struct File {
    path: PathBuf,
    root: Rc<Value>,
}

/// Every file loaded so far, each parsed once.
///
/// Roots are reference-counted so a caller can hold one file's tree while loading
/// another (a `$ref` to a new file) through `&mut self`.
#[derive(Default)]
pub(super) struct Documents {
    files: Vec<File>,
    /// Canonical path → index, or `None` when the file did not parse (already reported).
    loaded: HashMap<PathBuf, Option<usize>>,
    /// Every file read from disk, parsed or not, in the order read.
    read: Vec<PathBuf>,
}

impl Documents {
    /// Loads a file once. `Err(Some(_))` when it cannot be read (the caller knows
    /// where it was referenced from and reports it), `Err(None)` when it did not
    /// parse (reported here, with line and column).
    pub fn load(
        &mut self,
        path: &Path,
        diags: &mut Diagnostics,
    ) -> Result<usize, Option<io::Error>> {
        let key = std::fs::canonicalize(path).map_err(Some)?;
        if let Some(cached) = self.loaded.get(&key) {
            return cached.ok_or(None);
        }
        let text = std::fs::read_to_string(path).map_err(Some)?;
        self.read.push(path.to_path_buf());
        match parse(path, &text) {
            Ok(root) => {
                let index = self.files.len();
                self.files.push(File {
                    path: path.to_path_buf(),
                    root: Rc::new(root),
                });
                self.loaded.insert(key, Some(index));
                Ok(index)
            }
            Err(diagnostic) => {
                diags.push(diagnostic);
                self.loaded.insert(key, None);
                Err(None)
            }
        }
    }

    /// Every file read, for `cargo:rerun-if-changed`.
    pub fn files(&self) -> Vec<PathBuf> {
        self.read.clone()
    }

    /// The path of a loaded file.
    pub fn path(&self, file: usize) -> &Path {
        self.files
            .get(file)
            .map_or(Path::new(""), |f| f.path.as_path())
    }

    /// The parsed tree of a loaded file.
    pub fn root(&self, file: usize) -> Rc<Value> {
        self.files
            .get(file)
            .map_or_else(|| Rc::new(Value::Null), |f| Rc::clone(&f.root))
    }

    /// The diagnostic location of a place.
    pub fn location(&self, here: &Here) -> Location {
        Location::path(Some(self.path(here.file)), here.pointer.clone())
    }

    /// Whether something exists at `here`.
    pub fn exists(&self, here: &Here) -> bool {
        self.files
            .get(here.file)
            .and_then(|f| lookup(&f.root, &here.pointer))
            .is_some()
    }

    /// Resolves the `$ref` string `reference`, found in the object at `from`.
    ///
    /// Reports an error at `from/$ref` and returns `None` when the target file
    /// cannot be read or the pointer leads nowhere.
    pub fn resolve(
        &mut self,
        from: &Here,
        reference: &str,
        diags: &mut Diagnostics,
    ) -> Option<Here> {
        let site = self.location(&from.child("$ref"));
        let (file_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if file_part.contains("://") {
            diags.push(
                Diagnostic::error(site, format!("$ref `{reference}` points at a remote document"))
                    .with_hint("only local and relative-file references are read; download the document next to the spec and refer to it by relative path"),
            );
            return None;
        }
        let file = if file_part.is_empty() {
            from.file
        } else {
            let base = self.path(from.file).parent().unwrap_or(Path::new(""));
            let path = normalize(&base.join(percent_decode(file_part)));
            match self.load(&path, diags) {
                Ok(file) => file,
                Err(None) => return None,
                Err(Some(err)) => {
                    diags.push(
                        Diagnostic::error(
                            site,
                            format!(
                                "cannot read {}, the file named by $ref `{reference}`: {err}",
                                path.display()
                            ),
                        )
                        .with_hint("file references are resolved relative to the file that contains the $ref"),
                    );
                    return None;
                }
            }
        };
        let fragment = percent_decode(fragment);
        if !fragment.is_empty() && !fragment.starts_with('/') {
            diags.push(
                Diagnostic::error(
                    site,
                    format!("$ref `{reference}` uses the anchor `#{fragment}`, not a JSON pointer"),
                )
                .with_hint(
                    "write the reference as a JSON pointer, e.g. `#/components/schemas/Name`",
                ),
            );
            return None;
        }
        let target = Here {
            file,
            pointer: format!("#{fragment}"),
        };
        if !self.exists(&target) {
            diags.push(
                Diagnostic::error(
                    site,
                    format!(
                        "$ref `{reference}` points at nothing: {} has no {}",
                        self.path(file).display(),
                        target.pointer
                    ),
                )
                .with_hint("check the name's spelling and case; in JSON pointers `/` inside a name is written `~1` and `~` is written `~0`"),
            );
            return None;
        }
        Some(target)
    }

    /// Follows `$ref`s from `here` until reaching an object that is not a reference
    /// (used for parameters, responses, path items and security schemes, whose
    /// `$ref` siblings carry no meaning).
    pub fn deref(&mut self, here: &Here, diags: &mut Diagnostics) -> Option<Here> {
        let mut current = here.clone();
        let mut visited = vec![current.clone()];
        loop {
            let root = self.root(current.file);
            let reference = match lookup(&root, &current.pointer).and_then(|v| v.get("$ref")) {
                Some(Value::String(reference)) => reference.clone(),
                _ => return Some(current),
            };
            let next = self.resolve(&current, &reference, diags)?;
            if visited.contains(&next) || visited.len() > MAX_HOPS {
                diags.push(
                    Diagnostic::error(
                        self.location(&current.child("$ref")),
                        format!("$ref `{reference}` leads back to itself; it never reaches a definition"),
                    )
                    .with_hint("make one reference in the chain point at the actual object"),
                );
                return None;
            }
            visited.push(next.clone());
            current = next;
        }
    }
}

/// The value at an escaped `#/a/b` pointer.
pub(super) fn lookup<'v>(root: &'v Value, pointer: &str) -> Option<&'v Value> {
    root.pointer(pointer.strip_prefix('#').unwrap_or(pointer))
}

/// Parses by extension: `.yaml`/`.yml` as YAML, anything else as JSON.
fn parse(path: &Path, text: &str) -> Result<Value, Diagnostic> {
    let yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if yaml {
        // Through serde_yaml_ng's own Value: YAML keys need not be strings (an
        // unquoted `200:` is an integer), and merge keys (`<<`) need applying.
        let position = |err: &serde_yaml_ng::Error| {
            err.location().map_or_else(
                || Location::File(path.to_path_buf()),
                |l| Location::Position {
                    file: path.to_path_buf(),
                    line: l.line(),
                    column: l.column(),
                },
            )
        };
        let syntax = |err: serde_yaml_ng::Error| {
            let location = position(&err);
            let message = format!(
                "invalid YAML: {}",
                strip_position(&err.to_string(), &location)
            );
            Diagnostic::error(location, message)
                .with_hint("fix the YAML syntax at this position (indentation, a missing `:` or an unclosed quote or bracket are the usual causes)")
        };
        let mut value = yaml::from_str(text).map_err(|error| match error {
            yaml::YamlError::Syntax(error) => syntax(error),
            yaml::YamlError::TooDeep { line, column } => Diagnostic::error(
                Location::Position {
                    file: path.to_path_buf(),
                    line,
                    column,
                },
                format!("YAML nested deeper than {} levels", yaml::MAX_DEPTH),
            )
            .with_hint("no spec nests flow collections ([ or {) this deep; the file is likely damaged or generated to attack the reader"),
        })?;
        value.apply_merge().map_err(syntax)?;
        Ok(yaml_to_json(value))
    } else {
        serde_json::from_str(text).map_err(|err| {
            let message = strip_position(
                &err.to_string(),
                &Location::Position {
                    file: PathBuf::new(),
                    line: err.line(),
                    column: err.column(),
                },
            );
            let location = Location::Position {
                file: path.to_path_buf(),
                line: err.line().max(1),
                column: err.column().max(1),
            };
            Diagnostic::error(location, format!("invalid JSON: {message}"))
            .with_hint("fix the JSON syntax at this position; files not ending in .yaml or .yml are read as JSON")
        })
    }
}

/// Drops the " at line L column C" the parsers put in their messages where it
/// repeats the reported location; other positions (where a YAML flow started) stay.
fn strip_position(message: &str, location: &Location) -> String {
    match location {
        Location::Position { line, column, .. } => {
            message.replacen(&format!(" at line {line} column {column}"), "", 1)
        }
        _ => message.to_owned(),
    }
}

fn yaml_to_json(value: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                // NaN and infinities have no JSON form; keep their YAML spelling.
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(mapping) => {
            let mut map = Map::new();
            for (key, value) in mapping {
                let key = match yaml_to_json(key) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                map.insert(key, yaml_to_json(value));
            }
            Value::Object(map)
        }
        Y::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

/// Removes `.` and resolvable `..` segments, so one file reached through two
/// spellings is reported under one tidy path.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                if matches!(last, Some(Component::Normal(_))) {
                    out.pop();
                } else if !matches!(last, Some(Component::RootDir | Component::Prefix(_))) {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Decodes `%XX` escapes, which URI references may use in file names and pointers.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_and_percent_decode() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.yaml")),
            PathBuf::from("a/c.yaml")
        );
        assert_eq!(
            normalize(Path::new("../x.yaml")),
            PathBuf::from("../x.yaml")
        );
        assert_eq!(percent_decode("/paths/~1a%7Bid%7D"), "/paths/~1a{id}");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn yaml_integer_keys_become_strings() {
        let value = parse(Path::new("x.yaml"), "200: ok\ntrue: 1\n").unwrap();
        assert_eq!(value, serde_json::json!({"200": "ok", "true": 1}));
    }
}
