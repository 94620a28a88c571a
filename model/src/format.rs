//! Value formats, decided once: what counts as a UUID, a date and a timestamp, and
//! the one text form each is stored in.
//!
//! The generator infers a column's type with these tests, the loader checks and
//! normalizes values with them, and the `$filter` parser reads literals with them,
//! so a type the generator infers is exactly what the loader stores and what CAP
//! compares. CAP (9, `@cap-js/sqlite`) compares all three as stored text.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// Whether `text` is a UUID in the one form OData spells `Edm.Guid` and CAP stores:
/// 8-4-4-4-12 hexadecimal digits (either case; stored as it came, as CAP compares it).
///
/// Other spellings that UUID libraries accept (32 digits without dashes, braces,
/// `urn:uuid:`) are not: a column that holds them is a string column, so the loader
/// never refuses a value the generator typed.
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// The date in `text`, if it is an RFC 3339 full-date (`2021-02-05`), exactly ten
/// characters: CAP stores and compares dates in that form.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let digits = |range: std::ops::Range<usize>| {
        text.as_bytes()
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    let shaped = text.len() == 10
        && digits(0..4)
        && text.as_bytes()[4] == b'-'
        && digits(5..7)
        && text.as_bytes()[7] == b'-'
        && digits(8..10);
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// Whether `text` is an RFC 3339 full-date; see [`parse_date`].
pub fn is_date(text: &str) -> bool {
    parse_date(text).is_some()
}

/// The instant in `text`, if it is an RFC 3339 date-time with a zone
/// (`2021-02-05T17:45:17.044Z`, `2021-02-05T18:45:17+01:00`).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether `text` is an RFC 3339 date-time; see [`parse_timestamp`].
pub fn is_timestamp(text: &str) -> bool {
    parse_timestamp(text).is_some()
}

/// The stored form of an instant: UTC with milliseconds, `YYYY-MM-DDTHH:MM:SS.sssZ`,
/// as CAP writes timestamps itself, so that comparing the text compares the time.
pub fn timestamp_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An RFC 3339 date-time in its stored form (see [`timestamp_text`]); `None` when
/// `text` is not one.
pub fn normalize_timestamp(text: &str) -> Option<String> {
    parse_timestamp(text).map(timestamp_text)
}

/// Midnight UTC of a date, in the stored timestamp form.
pub fn midnight(date: NaiveDate) -> String {
    timestamp_text(date.and_time(chrono::NaiveTime::MIN).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_the_dashed_form_in_either_case() {
        assert!(is_uuid("67e55044-10b1-426f-9247-bb680e5fe0c8"));
        assert!(is_uuid("67E55044-10B1-426F-9247-BB680E5FE0C8"));
        for not in [
            "67e5504410b1426f9247bb680e5fe0c8",
            "{67e55044-10b1-426f-9247-bb680e5fe0c9}",
            "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
            "67e55044-10b1-426f-9247-bb680e5fe0cg",
            "67e55044-10b1-426f-9247_bb680e5fe0c8",
            "",
        ] {
            assert!(!is_uuid(not), "{not}");
        }
    }

    #[test]
    fn dates_are_ten_characters() {
        assert!(is_date("2021-02-05"));
        assert!(!is_date("2021-2-05"));
        assert!(!is_date("2021-02-30"));
        assert!(!is_date("2021-02-05T00:00:00Z"));
    }

    #[test]
    fn timestamps_become_utc_milliseconds() {
        assert_eq!(
            normalize_timestamp("2021-02-05T18:45:17+01:00").as_deref(),
            Some("2021-02-05T17:45:17.000Z")
        );
        assert_eq!(
            normalize_timestamp("2021-02-05T17:45:17.044Z").as_deref(),
            Some("2021-02-05T17:45:17.044Z")
        );
        assert_eq!(normalize_timestamp("yesterday"), None);
        assert_eq!(normalize_timestamp("2021-02-05T17:45:17"), None);
        assert_eq!(
            midnight(parse_date("2021-02-05").unwrap()),
            "2021-02-05T00:00:00.000Z"
        );
    }
}
