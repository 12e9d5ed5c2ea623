//! STIX timestamps: RFC 3339 in UTC (`Z`), kept as written, compared as microseconds.

use std::cmp::Ordering;
use std::fmt;

/// A STIX timestamp such as `2016-05-12T08:17:27.000Z`.
///
/// The text is kept exactly as written (so a version is echoed back as its
/// author wrote it); comparisons use microseconds since the Unix epoch.
/// Digits below the microsecond are accepted and kept in the text, but two
/// timestamps that differ only there compare equal.
#[derive(Clone)]
pub struct Timestamp {
    text: Box<str>,
    micros: i64,
}

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z`. Offsets other than `Z`,
    /// missing seconds, impossible dates and leap seconds are refused.
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        let micros = Self::micros_of(s)?;
        Ok(Timestamp { text: s.into(), micros })
    }

    /// Checks `s` as [`Timestamp::parse`] does, without building the timestamp.
    pub fn check(s: &str) -> Result<(), String> {
        Self::micros_of(s).map(drop)
    }

    fn micros_of(s: &str) -> Result<i64, String> {
        parse_micros(s).ok_or_else(|| {
            format!(
                "`{}` is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)",
                crate::id::clip(s)
            )
        })
    }

    /// The timestamp for a count of microseconds since the epoch, written with
    /// six fractional digits (the form Entente uses for `date_added`).
    pub fn from_micros(micros: i64) -> Timestamp {
        Timestamp { text: format_micros(micros).into(), micros }
    }

    /// Microseconds since 1970-01-01T00:00:00Z.
    pub fn micros(&self) -> i64 {
        self.micros
    }

    /// The timestamp as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The current time.
    pub fn now() -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp::from_micros(d.as_micros() as i64)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.micros == other.micros
    }
}
impl Eq for Timestamp {}
impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.micros.cmp(&other.micros)
    }
}
impl std::hash::Hash for Timestamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.micros.hash(state)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.text)
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    let mut v: i64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn parse_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, min, sec) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let rest = &b[19..b.len() - 1];
    let frac_micros = match rest {
        [] => 0,
        [b'.', frac @ ..] if !frac.is_empty() && frac.len() <= 9 => {
            let mut padded = [b'0'; 6];
            let n = frac.len().min(6);
            padded[..n].copy_from_slice(&frac[..n]);
            if !frac.iter().all(u8::is_ascii_digit) {
                return None;
            }
            digits(&padded)?
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + hour * 3600 + min * 60 + sec) * 1_000_000) + frac_micros)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Writes microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn format_micros(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}
