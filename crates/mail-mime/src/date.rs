//! RFC 5322 §3.3 dates: formatting for the builder (UTC, `+0000`) and a
//! parser that also takes the obsolete forms of §4.3 and common variants.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A point in time read from a `Date:` field, with the zone it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    timestamp: i64,
    offset_minutes: i32,
}

impl DateTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The zone offset the date was written with, in minutes east of UTC.
    pub fn offset_minutes(&self) -> i32 {
        self.offset_minutes
    }

    /// RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn to_rfc3339(&self) -> String {
        let (y, mo, d, h, mi, s) = civil_from_timestamp(self.timestamp);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn civil_from_timestamp(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        (secs / 60 % 60) as u32,
        (secs % 60) as u32,
    )
}

/// Formats `time` as an RFC 5322 date in UTC: `Sun, 22 Nov 2026 03:57:41 +0000`.
pub(crate) fn format_rfc5322(time: SystemTime) -> String {
    let t = match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX / 2),
    };
    let (y, mo, d, h, mi, s) = civil_from_timestamp(t);
    let wd = DAYS
        .get(t.div_euclid(86_400).rem_euclid(7) as usize)
        .copied()
        .unwrap_or("Thu");
    let mon = MONTHS.get(mo as usize - 1).copied().unwrap_or("Jan");
    format!("{wd}, {d} {mon} {y:04} {h:02}:{mi:02}:{s:02} +0000")
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn month_of(token: &str) -> Option<u32> {
    let prefix = token.get(..3)?;
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(prefix))
        .map(|i| i as u32 + 1)
}

/// Zone offset in minutes: `+hhmm`/`-hhmm`, or an obsolete name (RFC 5322 §4.3).
fn zone_of(token: &str) -> Option<i32> {
    let b = token.as_bytes();
    if let (Some(&sign @ (b'+' | b'-')), Some(digits)) = (b.first(), token.get(1..)) {
        if digits.len() == 4 && digits.bytes().all(|c| c.is_ascii_digit()) {
            let n: i32 = digits.parse().ok()?;
            let minutes = n / 100 * 60 + n % 100;
            return Some(if sign == b'-' { -minutes } else { minutes });
        }
        return None;
    }
    let hours = match token.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        // Military zones are ambiguous; RFC 5322 §4.3 says treat them as -0000.
        t if t.len() == 1 && t.bytes().all(|c| c.is_ascii_alphabetic() && c != b'J') => 0,
        _ => return None,
    };
    Some(hours * 60)
}

fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    let mut escaped = false;
    for c in s.chars() {
        if depth > 0 {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            continue;
        }
        if c == '(' {
            depth = 1;
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses an RFC 5322 date, obsolete forms included (day-of-week optional,
/// two- and three-digit years, named zones, comments, seconds optional).
pub(crate) fn parse(value: &str) -> Option<DateTime> {
    let cleaned = strip_comments(value).replace(',', " ");
    let mut tokens: Vec<&str> = cleaned.split_whitespace().collect();
    if tokens
        .first()
        .is_some_and(|t| t.chars().all(|c| c.is_ascii_alphabetic()) && month_of(t).is_none())
    {
        tokens.remove(0);
    }
    let (mut month, mut time, mut zone) = (None, None, None);
    let mut numbers: Vec<&str> = Vec::new();
    for token in tokens {
        if token.contains(':') && time.is_none() {
            time = Some(token);
        } else if token.bytes().all(|c| c.is_ascii_digit()) {
            numbers.push(token);
        } else if month.is_none()
            && token.chars().all(|c| c.is_ascii_alphabetic() || c == '.')
            && month_of(token).is_some()
        {
            month = month_of(token);
        } else if zone.is_none() && time.is_some() {
            zone = zone_of(token);
            if zone.is_none() {
                // Unrecognised trailing junk; a named zone we do not know.
                zone = Some(0);
            }
        } else if let Some((d, rest)) = split_day_month(token) {
            // "5-Jan-2009" style.
            numbers.push(d);
            let mut parts = rest.split('-');
            month = parts.next().and_then(month_of);
            if let Some(y) = parts.next() {
                numbers.push(y);
            }
        }
    }
    let month = month?;
    let (day, year) = match numbers.as_slice() {
        [a, b, ..] if a.len() > 2 => (*b, *a),
        [a, b, ..] => (*a, *b),
        _ => return None,
    };
    let day: u32 = day.parse().ok()?;
    let year_digits = year.len();
    let year: i64 = year.parse().ok()?;
    // RFC 5322 §4.3: 00-49 are 2000-2049, other two- and three-digit years add 1900.
    let year = match (year, year_digits) {
        (y, 1 | 2) if y < 50 => 2000 + y,
        (y, 1..=3) => 1900 + y,
        (y, _) => y,
    };
    if !(1..=9999).contains(&year) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut hms = time?.split(':');
    let hour: i64 = hms.next()?.trim().parse().ok()?;
    let minute: i64 = hms.next()?.trim().parse().ok()?;
    let second: i64 = match hms.next() {
        Some(s) => s.trim().parse().ok()?,
        None => 0,
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset = zone.unwrap_or(0);
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(DateTime {
        timestamp: local - i64::from(offset) * 60,
        offset_minutes: offset,
    })
}

fn split_day_month(token: &str) -> Option<(&str, &str)> {
    let (d, rest) = token.split_once('-')?;
    (d.bytes().all(|c| c.is_ascii_digit()) && !d.is_empty()).then_some((d, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn p(s: &str) -> Option<String> {
        parse(s).map(|d| d.to_rfc3339())
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc5322(UNIX_EPOCH), "Thu, 1 Jan 1970 00:00:00 +0000");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_319_861);
        assert_eq!(format_rfc5322(t), "Sun, 22 Nov 2026 03:57:41 +0000");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(format_rfc5322(leap), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn format_then_parse_round_trips() {
        for secs in [0u64, 68_169_600, 951_782_400, 1_795_319_861, 4_102_444_799] {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            let parsed = parse(&format_rfc5322(t)).unwrap();
            assert_eq!(parsed.timestamp(), secs as i64);
        }
    }

    #[test]
    fn rfc5322_appendix_a_dates() {
        // A.1.1, A.1.2, A.3, A.5, A.6.2 (obsolete), A.6.3.
        assert_eq!(
            p("Fri, 21 Nov 1997 09:55:06 -0600").as_deref(),
            Some("1997-11-21T15:55:06Z")
        );
        assert_eq!(
            p("Tue, 1 Jul 2003 10:52:37 +0200").as_deref(),
            Some("2003-07-01T08:52:37Z")
        );
        assert_eq!(p("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)").as_deref(), Some("1969-02-14T03:02:00Z"));
        assert_eq!(
            p("21 Nov 97 09:55:06 GMT").as_deref(),
            Some("1997-11-21T09:55:06Z")
        );
    }

    #[test]
    fn obsolete_years_and_zones() {
        assert_eq!(
            p("1 Jan 05 00:00:00 +0000").as_deref(),
            Some("2005-01-01T00:00:00Z")
        );
        assert_eq!(
            p("1 Jan 69 00:00:00 +0000").as_deref(),
            Some("1969-01-01T00:00:00Z")
        );
        assert_eq!(
            p("1 Jan 99 00:00:00 EST").as_deref(),
            Some("1999-01-01T05:00:00Z")
        );
        assert_eq!(
            p("1 Jan 104 00:00:00 PDT").as_deref(),
            Some("2004-01-01T07:00:00Z")
        );
        assert_eq!(
            p("Mon, 5 Jan 2009 10:00:00 +0900 (KST)").as_deref(),
            Some("2009-01-05T01:00:00Z")
        );
        assert_eq!(
            p("Mon Jan  5 10:00:00 2009").as_deref(),
            Some("2009-01-05T10:00:00Z")
        );
        assert_eq!(
            p("5 Jan 2009 10:00 A").as_deref(),
            Some("2009-01-05T10:00:00Z")
        );
    }

    #[test]
    fn malformed_dates_are_none() {
        for bad in [
            "",
            "yesterday",
            "31 Feb 2009 10:00:00 +0000",
            "1 Foo 2009 10:00:00",
            "1 Jan 2009 25:00:00 +0000",
            "1 Jan 2009",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }
}
