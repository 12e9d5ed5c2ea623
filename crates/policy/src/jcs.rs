//! RFC 8785 JSON Canonicalization Scheme (JCS): the bytes a ratification signs.
//!
//! Object members are sorted by the UTF-16 code units of their names,
//! numbers are written as ECMAScript writes a double, strings are escaped
//! minimally (only `"`, `\` and control characters), and no whitespace is
//! emitted.

use serde_json::{Number, Value};

use crate::Error;

/// The canonical (RFC 8785) form of a JSON value.
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out)?;
    Ok(out)
}

/// The canonical form of JSON text.
pub fn canonicalize_bytes(json: &[u8]) -> Result<Vec<u8>, Error> {
    let value: Value =
        serde_json::from_slice(json).map_err(|e| Error::Canonical(format!("not JSON: {e}")))?;
    canonicalize(&value)
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), Error> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(number(n)?.as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(v, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// A JSON number as ECMAScript's `Number.prototype.toString` writes the
/// double it stands for (integers too are doubles in I-JSON).
fn number(n: &Number) -> Result<String, Error> {
    let f = if let Some(i) = n.as_i64() {
        i as f64
    } else if let Some(u) = n.as_u64() {
        u as f64
    } else {
        n.as_f64()
            .ok_or_else(|| Error::Canonical(format!("number {n} is not a double")))?
    };
    format_double(f)
}

/// ECMAScript Number::toString(x) for a finite double (ECMA-262 §6.1.6.1.20).
pub(crate) fn format_double(f: f64) -> Result<String, Error> {
    if !f.is_finite() {
        return Err(Error::Canonical("NaN and infinities are not JSON".into()));
    }
    if f == 0.0 {
        return Ok("0".into());
    }
    // Rust's `{:e}` writes the shortest digits that round-trip, as ECMAScript
    // requires: `d[.ddd]e<exp>`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` writes an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` writes an integer exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let digits = tie_to_even(f.abs(), digits, exp);
    let k = digits.len() as i32;
    let n = exp + 1;
    let mut s = String::with_capacity(32);
    if f < 0.0 {
        s.push('-');
    }
    if k <= n && n <= 21 {
        s.push_str(&digits);
        s.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        s.push_str(&digits[..n as usize]);
        s.push('.');
        s.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', (-n) as usize));
        s.push_str(&digits);
    } else {
        s.push_str(&digits[..1]);
        if k > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if n - 1 < 0 { '-' } else { '+' });
        s.push_str(&(n - 1).abs().to_string());
    }
    Ok(s)
}

/// Rust's shortest digits round a tie up; ECMAScript takes the even
/// neighbour when the double lies exactly midway between two shortest
/// candidates (e.g. 1424953923781206.25 is written `…206.2`).
fn tie_to_even(x: f64, digits: String, exp: i32) -> String {
    let Ok(d) = digits.parse::<u64>() else {
        return digits;
    };
    if d % 2 == 0 {
        return digits;
    }
    let k = digits.len();
    let q = exp + 1 - k as i32;
    for alt in [d - 1, d + 1] {
        let text = alt.to_string();
        if text.len() != k {
            continue;
        }
        if format!("{text}e{q}").parse::<f64>() != Ok(x) {
            continue;
        }
        if midway(x, d.min(alt), q) {
            return text;
        }
    }
    digits
}

/// Whether `x` is exactly `(lo + 1/2) × 10^q`, i.e. `2x = (2lo + 1) × 10^q`.
fn midway(x: f64, lo: u64, q: i32) -> bool {
    let bits = x.to_bits();
    let field = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (m, e) = if field == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), field - 1075)
    };
    let mut left = Big::from(m);
    let mut right = Big::from(2 * lo + 1);
    if e + 1 >= 0 {
        left.shl(e + 1);
    } else {
        right.shl(-(e + 1));
    }
    for _ in 0..q.unsigned_abs() {
        if q >= 0 {
            right.mul_small(10)
        } else {
            left.mul_small(10)
        }
    }
    left.trimmed() == right.trimmed()
}

/// Just enough of an unsigned big integer for [`midway`].
struct Big(Vec<u32>);

impl Big {
    fn from(v: u64) -> Big {
        Big(vec![v as u32, (v >> 32) as u32])
    }
    fn mul_small(&mut self, by: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(by) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }
    fn shl(&mut self, bits: i32) {
        for _ in 0..bits / 32 {
            self.0.insert(0, 0);
        }
        for _ in 0..bits % 32 {
            self.mul_small(2);
        }
    }
    fn trimmed(&self) -> &[u32] {
        let end = self.0.iter().rposition(|l| *l != 0).map_or(0, |i| i + 1);
        &self.0[..end]
    }
}

#[cfg(test)]
mod tests;
