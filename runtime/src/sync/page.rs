//! One answer of the API, parsed once: the body and a DOM of it whose strings borrow
//! from the body, so a page of records costs little more than its text. The fetch
//! task parses it (the body is checked where a retry can follow), the writing thread
//! reads its records by reference.

use serde_json_borrow::{OwnedValue, Value as Borrowed};

use crate::record::borrowed_get;

/// The records of one answer.
pub struct Page {
    /// The whole answer; `None` when the records are `null` (none).
    body: Option<OwnedValue>,
    /// Where the records are in the answer (`results`, `conversations`).
    path: Vec<String>,
}

impl Page {
    /// Parses `body`, whose records are at `path`; `Err` says what is wrong with it.
    pub fn parse(body: Vec<u8>, path: &[String]) -> Result<Page, String> {
        let text = String::from_utf8(body)
            .map_err(|e| format!("the body is not JSON: it is not UTF-8 ({e})"))?;
        let body =
            OwnedValue::from_string(text).map_err(|e| format!("the body is not JSON: {e}"))?;
        let records = match locate(&body, path) {
            Some(Borrowed::Array(_)) => true,
            Some(Borrowed::Null) => false,
            Some(_) => return Err(format!("`{}` is not an array", path.join("."))),
            None => return Err(format!("the answer has no `{}`", path.join("."))),
        };
        Ok(Page {
            body: records.then_some(body),
            path: path.to_vec(),
        })
    }

    /// The records, in the order the API sent them.
    pub fn records(&self) -> &[Borrowed<'_>] {
        match self.body.as_ref().and_then(|body| locate(body, &self.path)) {
            Some(Borrowed::Array(items)) => items,
            _ => &[],
        }
    }
}

/// The value at `path` in `body` (`None` where a key is missing).
fn locate<'v>(body: &'v Borrowed<'v>, path: &[String]) -> Option<&'v Borrowed<'v>> {
    path.iter()
        .try_fold(body, |node, key| borrowed_get(node, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> Vec<String> {
        vec!["results".into(), "conversations".into()]
    }

    #[test]
    fn records_are_found_at_their_path() {
        let body = br#"{"results":{"conversations":[{"id":"a"},{"id":"b"}]}}"#.to_vec();
        let page = Page::parse(body, &path()).expect("parses");
        assert_eq!(page.records().len(), 2);
        let null = br#"{"results":{"conversations":null}}"#.to_vec();
        assert!(Page::parse(null, &path())
            .expect("parses")
            .records()
            .is_empty());
    }

    #[test]
    fn a_bad_answer_says_what_is_wrong() {
        let error = |body: &[u8]| Page::parse(body.to_vec(), &path()).err().expect("refused");
        assert!(error(b"{\"results\":").starts_with("the body is not JSON"));
        assert!(error(b"\xff").contains("UTF-8"));
        assert_eq!(
            error(br#"{"results":{}}"#),
            "the answer has no `results.conversations`"
        );
        assert_eq!(
            error(br#"{"results":{"conversations":{}}}"#),
            "`results.conversations` is not an array"
        );
    }
}
