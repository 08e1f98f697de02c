//! HTTP dates (RFC 7231 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), as in a `Date` header.

use std::time::SystemTime;

use time::format_description::FormatItem;
use time::macros::format_description;
use time::PrimitiveDateTime;

const IMF_FIXDATE: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// Parses an IMF-fixdate; `None` for anything else.
pub fn parse(text: &str) -> Option<SystemTime> {
    let t = PrimitiveDateTime::parse(text.trim(), IMF_FIXDATE).ok()?;
    Some(SystemTime::from(t.assume_utc()))
}

/// Formats a time as an IMF-fixdate.
#[cfg(test)]
pub fn format(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(IMF_FIXDATE)
        .unwrap_or_else(|_| format!("{t:?}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn rfc_7231_example() {
        let t = parse("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            t.duration_since(SystemTime::UNIX_EPOCH).unwrap(),
            Duration::from_secs(784_111_777)
        );
        assert_eq!(format(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn round_trip_and_rejects() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        assert_eq!(parse(&format(t)), Some(t));
        for bad in [
            "",
            "yesterday",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
