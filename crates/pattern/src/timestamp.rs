//! RFC 3339 UTC timestamps (`YYYY-MM-DDTHH:MM:SS[.frac]Z`) as microseconds
//! since the Unix epoch, parsed with the same leniency as the OASIS matcher
//! (one- or two-digit month/day/time fields, fraction truncated to microseconds,
//! upper-case `T`/`Z` required, calendar-checked).

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Field alternatives, mirroring `strptime`'s directive expressions.
#[derive(Clone, Copy)]
enum Field {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

fn field_ok(f: Field, s: &[u8]) -> bool {
    let n = s.iter().fold(0u32, |a, b| a * 10 + u32::from(b - b'0'));
    match (f, s.len()) {
        (Field::Year, 4) => true,
        (Field::Year, _) => false,
        (Field::Month, 2) => (1..=12).contains(&n) && !(s[0] == b'1' && n < 10),
        (Field::Day, 2) => (1..=31).contains(&n),
        (Field::Hour, 2) => n <= 23,
        (Field::Minute, 2) => n <= 59,
        (Field::Second, 2) => n <= 61,
        (Field::Month | Field::Day, 1) => n >= 1,
        (_, 1) => true,
        _ => false,
    }
}

/// Tries to read `fields` separated by `seps` from `s`, with backtracking over field widths.
fn read_fields(s: &[u8], fields: &[(Field, u8)], out: &mut Vec<u32>) -> Option<usize> {
    let Some(&(f, sep)) = fields.first() else {
        return Some(0);
    };
    let max = if matches!(f, Field::Year) { 4 } else { 2 };
    for w in (1..=max).rev() {
        if s.len() < w || !s[..w].iter().all(u8::is_ascii_digit) || !field_ok(f, &s[..w]) {
            continue;
        }
        if s.get(w) != Some(&sep) {
            continue;
        }
        let n = s[..w]
            .iter()
            .fold(0u32, |a, b| a * 10 + u32::from(b - b'0'));
        out.push(n);
        if let Some(used) = read_fields(&s[w + 1..], &fields[1..], out) {
            return Some(w + 1 + used);
        }
        out.pop();
    }
    None
}

/// The usual spelling, `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with every field at
/// full width, read without the general parser's backtracking; `None` for
/// anything else (valid or not), which [`parse`] then reads the general way.
fn parse_canonical(ts: &str) -> Option<Micros> {
    let b = ts.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |a, c| c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0')))
    };
    if [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')].iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y < 1 || !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let micros = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            // Truncated to microseconds, as the reference does.
            let six = &digits[..digits.len().min(6)];
            let n = six.iter().fold(0i64, |a, c| a * 10 + i64::from(c - b'0'));
            n * 10i64.pow(6 - six.len() as u32)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h) * 60 + mi) * 60 * 1_000_000 + se * 1_000_000 + micros)
}

/// Parses a timestamp the way the OASIS matcher does; `None` if invalid.
pub fn parse(ts: &str) -> Option<Micros> {
    parse_canonical(ts).or_else(|| parse_general(ts))
}

/// [`parse`] for any spelling: fields of one or two digits, backtracking.
fn parse_general(ts: &str) -> Option<Micros> {
    if ts.chars().any(char::is_lowercase) || !ts.is_ascii() {
        return None;
    }
    // Truncate long fractions to six digits, as the reference does.
    let mut owned;
    let mut s = ts;
    if let Some((head, frac)) = ts.split_once('.') {
        if frac.len() > 7 && frac.ends_with('Z') {
            owned = head.to_string();
            owned.push('.');
            owned.push_str(&frac[..6]);
            owned.push('Z');
            s = &owned;
        }
    }
    let has_frac = s.contains('.');
    let b = s.as_bytes();
    let last_sep = if has_frac { b'.' } else { b'Z' };
    let fields = [
        (Field::Year, b'-'),
        (Field::Month, b'-'),
        (Field::Day, b'T'),
        (Field::Hour, b':'),
        (Field::Minute, b':'),
        (Field::Second, last_sep),
    ];
    let mut v = Vec::with_capacity(6);
    let used = read_fields(b, &fields, &mut v)?;
    let rest = &b[used..];
    let micros = if has_frac {
        let (digits, z) = rest.split_at(rest.len().checked_sub(1)?);
        if z != b"Z"
            || digits.is_empty()
            || digits.len() > 6
            || !digits.iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        let mut n = digits
            .iter()
            .fold(0i64, |a, b| a * 10 + i64::from(b - b'0'));
        for _ in digits.len()..6 {
            n *= 10;
        }
        n
    } else {
        if !rest.is_empty() {
            return None;
        }
        0
    };
    let (y, mo, d, h, mi, se) = (
        i64::from(v[0]),
        i64::from(v[1]),
        i64::from(v[2]),
        i64::from(v[3]),
        i64::from(v[4]),
        i64::from(v[5]),
    );
    if y < 1 || d > days_in_month(y, mo) || se > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h) * 60 + mi) * 60 * 1_000_000 + se * 1_000_000 + micros)
}

/// Converts a number of seconds to microseconds, rounding half to even like
/// Python's `timedelta`; saturates on overflow.
pub fn seconds_to_micros(secs: f64) -> i64 {
    let us = secs * 1e6;
    if !us.is_finite() || us >= i64::MAX as f64 {
        return i64::MAX;
    }
    let r = us.round();
    let r = if (us - us.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - us.signum()
    } else {
        r
    };
    r as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<i64>) {
        assert_eq!(parse(input), expect, "{input}");
    }

    #[test]
    fn epoch_and_fractions() {
        check("1970-01-01T00:00:00Z", Some(0));
        check("1970-01-01T00:00:01.5Z", Some(1_500_000));
        check("1970-01-01T00:00:00.123456789Z", Some(123_456));
        check("2000-03-01T00:00:00Z", Some(951_868_800_000_000));
        check("1969-12-31T23:59:59Z", Some(-1_000_000));
    }

    #[test]
    fn lenient_widths() {
        check("1970-1-1T0:0:0Z", Some(0));
        check("1970-01-01T00:00:00.1Z", Some(100_000));
    }

    #[test]
    fn rejects() {
        for bad in [
            "2010-05-21T13:21:43",
            "2010-05-21T13:21:43z",
            "2010-05-21t13:21:43Z",
            "2010/05/21T13:21:43Z",
            "2010-05-21T13:21:99Z",
            "2010-05-21T13:21Z",
            "2023-02-29T00:00:00Z",
            "2023-02-28T00:00:60Z",
            "0000-01-01T00:00:00Z",
            "",
            "Z",
            "2010-05-21T13:21:43.Z",
        ] {
            check(bad, None);
        }
    }

    #[test]
    fn canonical_spellings_read_like_the_general_parser() {
        let mut n = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |m: u64| {
            n ^= n << 13;
            n ^= n >> 7;
            n ^= n << 17;
            n % m
        };
        let digits = |k: u64, w: usize| format!("{k:0w$}");
        for _ in 0..200_000 {
            let mut s = format!(
                "{}-{}-{}T{}:{}:{}",
                digits(next(10_000), 4),
                digits(next(14), 2),
                digits(next(33), 2),
                digits(next(25), 2),
                digits(next(61), 2),
                digits(next(63), 2)
            );
            match next(4) {
                0 => {}
                1 => s.push_str(&format!(".{}", digits(next(1000), 3))),
                2 => s.push_str(&format!(".{}", digits(next(1_000_000_000), 9))),
                _ => s.push_str(&format!(".{}x", digits(next(1_000_000_000), 9))),
            }
            s.push('Z');
            if let Some(fast) = parse_canonical(&s) {
                assert_eq!(Some(fast), parse_general(&s), "{s}");
            }
            assert_eq!(parse(&s), parse_general(&s), "{s}");
        }
    }

    #[test]
    fn seconds_rounding() {
        assert_eq!(seconds_to_micros(1.0), 1_000_000);
        assert_eq!(seconds_to_micros(0.0001), 100);
        assert_eq!(seconds_to_micros(f64::INFINITY), i64::MAX);
    }
}
