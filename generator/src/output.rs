//! Writing outputs so that a failed run leaves the target as it was: everything is
//! rendered first, written into a temporary directory beside the target, and only
//! then renamed into place file by file; unchanged files are not touched, so their
//! timestamps (and cargo's rebuild checks) stay quiet.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::Error;

/// What a write or check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Files written (or, when checking, stale or missing).
    pub changed: Vec<PathBuf>,
    /// Files already up to date.
    pub unchanged: Vec<PathBuf>,
}

/// Writes `files` (relative path → content) under `dir`, touching only changed ones.
pub fn write(dir: &Path, files: &BTreeMap<String, String>) -> Result<Outcome, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".cai-bridge-")
        .tempdir_in(dir)
        .map_err(|e| Error::io("creating a temporary directory in", dir, e))?;
    let mut outcome = Outcome::default();
    let mut staged = Vec::new();
    for (relative, content) in files {
        let target = dir.join(relative);
        if std::fs::read(&target).is_ok_and(|old| old == content.as_bytes()) {
            outcome.unchanged.push(target);
            continue;
        }
        let temp = staging.path().join(relative);
        if let Some(parent) = temp.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
        }
        std::fs::write(&temp, content).map_err(|e| Error::io("writing", &temp, e))?;
        staged.push((temp, target));
    }
    for (temp, target) in staged {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
        }
        std::fs::rename(&temp, &target).map_err(|e| Error::io("replacing", &target, e))?;
        outcome.changed.push(target);
    }
    Ok(outcome)
}

/// Compares `files` with what is under `dir`; `changed` lists stale or missing files.
pub fn check(dir: &Path, files: &BTreeMap<String, String>) -> Outcome {
    let mut outcome = Outcome::default();
    for (relative, content) in files {
        let target = dir.join(relative);
        if std::fs::read(&target).is_ok_and(|old| old == content.as_bytes()) {
            outcome.unchanged.push(target);
        } else {
            outcome.changed.push(target);
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_changed_files_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = BTreeMap::new();
        files.insert("a/x.txt".to_owned(), "one".to_owned());
        files.insert("y.txt".to_owned(), "two".to_owned());
        assert_eq!(write(dir.path(), &files).unwrap().changed.len(), 2);
        assert!(check(dir.path(), &files).changed.is_empty());
        files.insert("y.txt".to_owned(), "three".to_owned());
        assert_eq!(
            check(dir.path(), &files).changed,
            [dir.path().join("y.txt")]
        );
        let outcome = write(dir.path(), &files).unwrap();
        assert_eq!(outcome.changed, [dir.path().join("y.txt")]);
        assert_eq!(outcome.unchanged, [dir.path().join("a/x.txt")]);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".cai-bridge-"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
