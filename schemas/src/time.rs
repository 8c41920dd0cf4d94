//! The contract's timestamp form: ISO-8601 / RFC 3339 UTC with milliseconds
//! (`2026-01-01T00:00:00.000Z`), used for event times and the raw record's `received-at`.

/// Latest second we accept: 9999-12-31T23:59:59Z, so the year keeps four digits.
const MAX_SECONDS: i64 = 253_402_300_799;

/// Formats `seconds` since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.000Z` into `buf`.
///
/// Returns `None` for instants before 1970 or after 9999, which no webhook carries.
pub fn iso_from_epoch_seconds(seconds: i64, buf: &mut [u8; 24]) -> Option<&str> {
    iso_from_epoch_millis(seconds.checked_mul(1000)?, buf)
}

/// Formats `millis` since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` into `buf`.
///
/// Returns `None` for instants before 1970 or after 9999.
pub fn iso_from_epoch_millis(millis: i64, buf: &mut [u8; 24]) -> Option<&str> {
    let seconds = millis.div_euclid(1000);
    if !(0..=MAX_SECONDS).contains(&seconds) {
        return None;
    }
    let ms = millis.rem_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let secs_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60,
    );
    // Each field's digits end where its separator stands: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    let fields = [
        (year, 4, b'-'),
        (month, 7, b'-'),
        (day, 10, b'T'),
        (h, 13, b':'),
        (m, 16, b':'),
        (s, 19, b'.'),
        (ms, 23, b'Z'),
    ];
    let mut start = 0;
    for (mut value, end, separator) in fields {
        for slot in buf[start..end].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
        buf[end] = separator;
        start = end + 1;
    }
    std::str::from_utf8(&buf[..]).ok()
}

/// Parses Meta's `timestamp` (decimal seconds, as a string or number) into seconds.
pub fn parse_epoch_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses an RFC 3339 UTC time as this project writes them (`2026-11-25T10:02:00Z`,
/// optionally with `.mmm` milliseconds) into epoch milliseconds.
pub fn parse_rfc3339_millis(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let shape = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if b.len() < 20 || b[b.len() - 1] != b'Z' || shape.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let millis = match &text[19..text.len() - 1] {
        "" => 0,
        fraction if fraction.len() == 4 && fraction.starts_with('.') => number(20..23)?,
        _ => return None,
    };
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    let y = if month <= 2 { year - 1 } else { year };
    let (era, yoe) = (y.div_euclid(400), y.rem_euclid(400));
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    valid.then_some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn iso(s: i64) -> Option<String> {
        let mut buf = [0u8; 24];
        iso_from_epoch_seconds(s, &mut buf).map(str::to_owned)
    }

    #[test]
    fn known_instants() {
        assert_eq!(iso(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_767_225_600).unwrap(), "2026-01-01T00:00:00.000Z");
        assert_eq!(iso(951_782_400).unwrap(), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso(1_709_251_199).unwrap(), "2024-02-29T23:59:59.000Z");
        assert_eq!(iso(MAX_SECONDS).unwrap(), "9999-12-31T23:59:59.000Z");
        assert_eq!(iso(-1), None);
        assert_eq!(iso(MAX_SECONDS + 1), None);
    }

    #[test]
    fn milliseconds() {
        let mut buf = [0u8; 24];
        assert_eq!(
            iso_from_epoch_millis(1_767_225_600_123, &mut buf),
            Some("2026-01-01T00:00:00.123Z")
        );
        assert_eq!(iso_from_epoch_millis(-1, &mut buf), None);
    }

    #[test]
    fn parse_accepts_only_plain_seconds() {
        assert_eq!(parse_epoch_seconds("1767225600"), Some(1_767_225_600));
        assert_eq!(parse_epoch_seconds(" 17 "), Some(17));
        for bad in ["", "-5", "1.5", "1e9", "abc", "9999999999999"] {
            assert_eq!(parse_epoch_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_round_trips_what_we_write() {
        let mut buf = [0u8; 24];
        for millis in [0, 1_767_225_600_123, 951_782_400_000, 4_102_444_799_999] {
            let text = iso_from_epoch_millis(millis, &mut buf).unwrap().to_owned();
            assert_eq!(parse_rfc3339_millis(&text), Some(millis), "{text}");
        }
        assert_eq!(
            parse_rfc3339_millis("2026-01-01T00:00:00Z"),
            Some(1_767_225_600_000)
        );
        for bad in [
            "2026-13-01T00:00:00Z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00",
            "x",
        ] {
            assert_eq!(parse_rfc3339_millis(bad), None, "{bad}");
        }
    }

    /// Inverse of `civil_from_days`, written independently from the textbook formula.
    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    proptest! {
        #[test]
        fn formatted_instants_round_trip(s in 0i64..=MAX_SECONDS) {
            let text = iso(s).unwrap();
            let y: i64 = text[0..4].parse().unwrap();
            let mo: i64 = text[5..7].parse().unwrap();
            let d: i64 = text[8..10].parse().unwrap();
            let h: i64 = text[11..13].parse().unwrap();
            let mi: i64 = text[14..16].parse().unwrap();
            let se: i64 = text[17..19].parse().unwrap();
            prop_assert!((1..=12).contains(&mo) && (1..=31).contains(&d));
            prop_assert!(h < 24 && mi < 60 && se < 60);
            prop_assert_eq!(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se, s);
        }
    }
}
