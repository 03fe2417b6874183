//! BigQuery's text forms of typed values: what a typed literal (`TIMESTAMP '…'`,
//! `NUMERIC '…'`), a `CAST` from STRING and a JSON field holding a date or a number
//! read, and how they print. The analyzer parses literals with these, so the plan
//! carries values; the engine and the Beam compiler use the same functions.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// `NUMERIC` values are integers scaled by this (9 digits after the point).
pub const NUMERIC_SCALE: i128 = 1_000_000_000;

/// Microseconds in a day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// NUMERIC as text without trailing zeros (`12.5`, `3`).
pub fn format_numeric(n: i128) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let abs = n.unsigned_abs();
    let whole = abs / NUMERIC_SCALE as u128;
    let frac = abs % NUMERIC_SCALE as u128;
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let digits = format!("{frac:09}");
        format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// Parses a decimal (`-12.345`, `1e3`) into a NUMERIC, rounding half away from zero
/// at 9 digits after the point.
pub fn parse_numeric(text: &str) -> Option<i128> {
    let text = text.trim();
    if text.contains(['e', 'E']) {
        let x: f64 = text.parse().ok()?;
        return numeric_from_f64(x);
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole
        .chars()
        .chain(frac.chars())
        .all(|c| c.is_ascii_digit())
        || whole.len() > 29
    {
        return None;
    }
    let mut value: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    value = value.checked_mul(NUMERIC_SCALE)?;
    let mut scale = NUMERIC_SCALE / 10;
    let mut chars = frac.chars();
    for c in chars.by_ref().take(9) {
        value += i128::from(c.to_digit(10)?) * scale;
        scale /= 10;
    }
    if chars.next().is_some_and(|c| c >= '5') {
        value += 1;
    }
    Some(if negative { -value } else { value })
}

/// A FLOAT64 as NUMERIC, if it fits.
pub fn numeric_from_f64(x: f64) -> Option<i128> {
    let scaled = (x * NUMERIC_SCALE as f64).round();
    (scaled.is_finite() && scaled.abs() < 1e38).then_some(scaled as i128)
}

/// `2021-01-01T00:00:00Z`, with microseconds only when there are some.
pub fn format_timestamp(us: i64) -> String {
    if let Some(civil) = Civil::of(us, b'T') {
        let mut text = String::with_capacity(civil.len + 1);
        text.push_str(civil.text());
        text.push('Z');
        return text;
    }
    match naive_from_micros(us) {
        Some(dt) => format!("{}Z", format_naive(dt, "T")),
        None => format!("TIMESTAMP({us})"),
    }
}

/// `YYYY-MM-DD{separator}HH:MM:SS[.ffffff]` of microseconds since the epoch, with
/// microseconds only when there are some: a DATETIME's text (`T`), or a
/// TIMESTAMP's in UTC without its zone.
pub fn format_civil(us: i64, separator: u8) -> String {
    if let Some(civil) = Civil::of(us, separator) {
        return civil.text().to_owned();
    }
    match naive_from_micros(us) {
        Some(dt) => format_naive(dt, if separator == b'T' { "T" } else { " " }),
        None => format!("DATETIME({us})"),
    }
}

/// `YYYY-MM-DD` of days since 1970-01-01.
pub fn format_days(days: i32) -> String {
    match date_from_days(days) {
        Some(d) => format_date(d),
        None => format!("DATE({days})"),
    }
}

/// `HH:MM:SS[.ffffff]` of microseconds since midnight.
pub fn format_time(us: i64) -> String {
    let secs = us / 1_000_000;
    let frac = us % 1_000_000;
    let mut text = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac != 0 {
        text.push_str(&format!(".{frac:06}"));
    }
    text
}

/// `YYYY-MM-DD?HH:MM:SS[.ffffff]` of microseconds since the epoch, made on the stack
/// digit by digit: the JSON report and the Pub/Sub messages print a timestamp or
/// two a row, hundreds of thousands of rows. Years 0 to 9999 (BigQuery's range);
/// others are left to chrono.
pub struct Civil {
    bytes: [u8; 26],
    len: usize,
}

impl Civil {
    /// The text of `us`, with `separator` between date and time; `None` outside years 0 to 9999.
    pub fn of(us: i64, separator: u8) -> Option<Self> {
        let days = us.div_euclid(MICROS_PER_DAY);
        let micros = us.rem_euclid(MICROS_PER_DAY);
        // Days to a civil date: Howard Hinnant's `civil_from_days`
        // (https://howardhinnant.github.io/date_algorithms.html).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        if !(0..=9999).contains(&year) {
            return None;
        }
        let seconds = micros / 1_000_000;
        let fraction = micros % 1_000_000;
        let mut civil = Self {
            bytes: [0; 26],
            len: 0,
        };
        civil.digits(year, 4);
        let parts = [
            (b'-', month, 2),
            (b'-', day, 2),
            (separator, seconds / 3600, 2),
            (b':', seconds / 60 % 60, 2),
            (b':', seconds % 60, 2),
        ];
        for (mark, value, digits) in parts {
            civil.push(mark);
            civil.digits(value, digits);
        }
        if fraction != 0 {
            civil.push(b'.');
            civil.digits(fraction, 6);
        }
        Some(civil)
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// `value`'s last `digits` digits, zero-padded.
    fn digits(&mut self, value: i64, digits: u32) {
        for i in (0..digits).rev() {
            self.push(b'0' + (value / 10_i64.pow(i) % 10) as u8);
        }
    }

    /// The text made.
    pub fn text(&self) -> &str {
        // Digits and ASCII marks only.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// `YYYY-MM-DD{separator}HH:MM:SS[.ffffff]` of a civil date-time.
pub fn format_naive(dt: NaiveDateTime, separator: &str) -> String {
    let micros = dt.and_utc().timestamp_subsec_micros();
    let date = format_date(dt.date());
    let base = format!(
        "{date}{separator}{:02}:{:02}:{:02}",
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if micros == 0 {
        base
    } else {
        format!("{base}.{micros:06}")
    }
}

/// `2021-01-01`: `%Y-%m-%d` without parsing a format string for each value (the
/// JSON report writes hundreds of thousands); chrono's own for years past 9999.
pub fn format_date(d: NaiveDate) -> String {
    match d.year() {
        year @ 0..=9999 => format!("{year:04}-{:02}-{:02}", d.month(), d.day()),
        _ => d.format("%Y-%m-%d").to_string(),
    }
}

/// The civil date-time of microseconds since the epoch.
pub fn naive_from_micros(us: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(us).map(|d| d.naive_utc())
}

/// The date of days since 1970-01-01.
pub fn date_from_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::TimeDelta::days(days.into()))
}

/// Days since 1970-01-01 of a date.
pub fn days_from_date(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - 719_163
}

/// Microseconds since the epoch of a civil date-time read as UTC.
pub fn micros_from_naive(dt: NaiveDateTime) -> i64 {
    dt.and_utc().timestamp_micros()
}

/// Parses BigQuery's timestamp forms: `2021-01-01 00:00:00[.ffffff][ UTC|Z|+hh:mm]`,
/// RFC 3339 (`T` separator), or a date alone (midnight UTC).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(us) = canonical_timestamp(t) {
        return Some(us);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp_micros());
    }
    let t = t
        .strip_suffix(" UTC")
        .or_else(|| t.strip_suffix("UTC"))
        .or_else(|| t.strip_suffix('Z'))
        .unwrap_or(t)
        .trim_end();
    for format in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(t, format) {
            return Some(dt.timestamp_micros());
        }
    }
    parse_datetime(t)
}

/// The common shape read without chrono: `YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}][Z]`, read
/// as UTC (a stream of a million events has a million of them). Anything else (a
/// zone offset, `UTC`, more digits, a leap second) is `None`, left to chrono.
pub(crate) fn canonical_timestamp(t: &str) -> Option<i64> {
    let b = t.strip_suffix('Z').unwrap_or(t).as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        let mut n = 0i64;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i64::from(d - b'0');
        }
        Some(n)
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let fraction = match b.len() {
        19 => 0,
        21..=26 if b[19] == b'.' => num(20..b.len())? * 10_i64.pow(26 - b.len() as u32),
        _ => return None,
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // A civil date to days: Howard Hinnant's `days_from_civil`
    // (https://howardhinnant.github.io/date_algorithms.html).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * MICROS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction)
}

/// Parses `2021-01-31 12:00:00[.ffffff]` (or with `T`), or a date alone.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let t = text.trim();
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, format) {
            return Some(micros_from_naive(dt));
        }
    }
    parse_date(t).map(|d| d as i64 * MICROS_PER_DAY)
}

/// Parses `2021-01-31`.
pub fn parse_date(text: &str) -> Option<i32> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .map(days_from_date)
}

/// Parses `12:30:00[.ffffff]`.
pub fn parse_time(text: &str) -> Option<i64> {
    let t = NaiveTime::parse_from_str(text.trim(), "%H:%M:%S%.f").ok()?;
    Some(i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(t.nanosecond() / 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// The digit-by-digit text is chrono's, from year 0 to 9999, and the
        /// years past are still written (by chrono).
        #[test]
        fn timestamps_print_as_chrono_prints_them(us in -62_200_000_000_000_000i64..253_500_000_000_000_000) {
            let Some(dt) = super::naive_from_micros(us) else {
                return Ok(());
            };
            let expected = super::format_naive(dt, "T");
            proptest::prop_assert_eq!(super::format_timestamp(us), format!("{expected}Z"));
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// The canonical shape read by hand reads as chrono reads it, printed
        /// either way, with any number of fraction digits up to six.
        #[test]
        fn canonical_timestamps_read_as_chrono_reads_them(
            us in -62_100_000_000_000_000i64..253_400_000_000_000_000,
            digits in 0usize..=6,
            space in proptest::bool::ANY,
            zulu in proptest::bool::ANY,
        ) {
            let Some(dt) = super::naive_from_micros(us) else {
                return Ok(());
            };
            let separator = if space { ' ' } else { 'T' };
            let mut text = dt.format(&format!("%Y-%m-%d{separator}%H:%M:%S")).to_string();
            if digits > 0 {
                text.push_str(&format!(".{:06}", us.rem_euclid(1_000_000))[..digits + 1]);
            }
            if zulu {
                text.push('Z');
            }
            let slow = DateTime::parse_from_rfc3339(&text)
                .ok()
                .map(|d| d.timestamp_micros())
                .or_else(|| super::parse_datetime(text.trim_end_matches('Z')));
            proptest::prop_assert_eq!(super::canonical_timestamp(&text), slow, "{}", text);
        }
    }

    #[test]
    fn odd_timestamps_are_left_to_chrono() {
        for text in [
            "2021-02-29 00:00:00",
            "2021-13-01 00:00:00",
            "2021-01-01 24:00:00",
            "2021-01-01 00:00:60",
            "2021-01-01 00:00:00.1234567",
            "2021-01-01 00:00:00+01:00",
            "2021-01-01 00:00:00 UTC",
            "2021-1-01 00:00:00",
            "２０２１-01-01 00:00:00",
        ] {
            assert_eq!(super::canonical_timestamp(text), None, "{text}");
        }
        assert_eq!(
            parse_timestamp("2021-01-01 01:00:00+01:00"),
            parse_timestamp("2021-01-01T00:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2024-02-29T23:59:59.5Z"),
            Some(1_709_251_199_500_000)
        );
    }

    #[test]
    fn dates_and_times_print_as_chrono_prints_them() {
        use chrono::NaiveDate;
        for (y, m, d) in [
            (1, 1, 1),
            (999, 12, 31),
            (1970, 1, 1),
            (2024, 2, 29),
            (9999, 12, 31),
        ] {
            let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else {
                panic!("{y}-{m}-{d}");
            };
            assert_eq!(
                super::format_date(date),
                date.format("%Y-%m-%d").to_string()
            );
            let Some(dt) = date.and_hms_micro_opt(7, 5, 9, 120) else {
                panic!("time");
            };
            assert_eq!(
                super::format_naive(dt, "T"),
                dt.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
            );
        }
    }

    #[test]
    fn timestamps_parse_in_bigquery_forms_and_print_as_iso_8601() {
        let t = parse_timestamp("2021-01-02 03:04:05 UTC").expect("parses");
        assert_eq!(format_timestamp(t), "2021-01-02T03:04:05Z");
        assert_eq!(parse_timestamp("2021-01-02T03:04:05Z"), Some(t));
        assert_eq!(parse_timestamp("2021-01-02 03:04:05"), Some(t));
        assert_eq!(parse_timestamp("2021-01-02 04:04:05+01:00"), Some(t));
        assert_eq!(
            format_timestamp(parse_timestamp("2021-01-02 03:04:05.25").expect("parses")),
            "2021-01-02T03:04:05.250000Z"
        );
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn numerics_round_half_away_from_zero_at_nine_digits() {
        assert_eq!(parse_numeric("1.5"), Some(1_500_000_000));
        assert_eq!(parse_numeric("-0.0000000005"), Some(-1));
        assert_eq!(format_numeric(12_500_000_000), "12.5");
        assert_eq!(format_numeric(-3_000_000_000), "-3");
        assert_eq!(parse_numeric("1.2.3"), None);
        assert_eq!(parse_numeric(""), None);
    }
}
