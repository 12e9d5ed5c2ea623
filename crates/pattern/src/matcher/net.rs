//! IP address and CIDR containment for ISSUBSET / ISSUPERSET: IPv4 parsed
//! like BSD `inet_aton` (as the OASIS matcher does), plus IPv6 as an extension.

use std::net::Ipv6Addr;

use crate::error::{Error, Result};

/// Parses one `inet_aton` number part: decimal, `0x` hex or leading-`0` octal.
fn aton_part(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() {
        return (radix == 16).then_some(0);
    }
    if digits.len() > 12 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// IPv4 text to a 32-bit integer, with `inet_aton`'s one-to-four-part forms.
pub fn ipv4_to_int(s: &str) -> Option<u32> {
    // Like glibc, stop at the first ASCII whitespace and ignore the rest.
    let s = s
        .split(|c: char| c.is_ascii_whitespace() || c == '\u{b}')
        .next()
        .unwrap_or(s);
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let nums: Vec<u64> = parts.iter().map(|p| aton_part(p)).collect::<Option<_>>()?;
    let (last, init) = nums.split_last()?;
    if init.iter().any(|n| *n > 255) {
        return None;
    }
    let last_bits = 8 * (4 - init.len() as u32);
    if last_bits < 64 && *last >= 1u64 << last_bits {
        return None;
    }
    let mut v: u64 = 0;
    for (i, n) in init.iter().enumerate() {
        v |= n << (24 - 8 * i as u32);
    }
    Some((v | last) as u32)
}

/// An address or network: the address bits, the prefix length and the width (32 or 128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    bits: u128,
    prefix: u32,
    width: u32,
}

fn invalid_addr(s: &str) -> Error {
    Error::eval(format!("Invalid IPv4 address: {s}"))
}

fn invalid_cidr(s: &str) -> Error {
    Error::eval(format!("Invalid CIDR subnet: {s}"))
}

fn parse_addr(s: &str) -> Result<(u128, u32)> {
    if let Some(v4) = ipv4_to_int(s) {
        return Ok((u128::from(v4), 32));
    }
    if s.contains(':') {
        if let Ok(v6) = s.parse::<Ipv6Addr>() {
            return Ok((u128::from(v6), 128));
        }
    }
    Err(invalid_addr(s))
}

/// A CIDR subnet `addr/prefix`; the prefix must be 1..=width.
fn parse_cidr(s: &str) -> Result<Net> {
    let (addr, prefix) = s.split_once('/').ok_or_else(|| invalid_cidr(s))?;
    let (bits, width) = parse_addr(addr)?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) || prefix.len() > 3 {
        return Err(invalid_cidr(s));
    }
    let prefix: u32 = prefix.parse().map_err(|_| invalid_cidr(s))?;
    if prefix < 1 || prefix > width {
        return Err(invalid_cidr(s));
    }
    Ok(Net {
        bits,
        prefix,
        width,
    })
}

/// An address (full-length prefix) or a CIDR subnet.
fn parse_ip_or_cidr(s: &str) -> Result<Net> {
    if s.contains('/') {
        parse_cidr(s)
    } else {
        let (bits, width) = parse_addr(s)?;
        Ok(Net {
            bits,
            prefix: width,
            width,
        })
    }
}

/// An address or subnet as `ISSUBSET` reads its left operand:
/// `(bits, prefix, width)`.
pub(crate) fn net_of(s: &str) -> Option<(u128, u32, u32)> {
    parse_ip_or_cidr(s).ok().map(|n| (n.bits, n.prefix, n.width))
}

/// A subnet as `ISSUBSET` reads its right operand: `(bits, prefix, width)`.
pub(crate) fn cidr_of(s: &str) -> Option<(u128, u32, u32)> {
    parse_cidr(s).ok().map(|n| (n.bits, n.prefix, n.width))
}

/// Is `containee` (an address or subnet) inside the subnet `container`?
pub fn ip_in_subnet(containee: &str, container: &str) -> Result<bool> {
    let inner = parse_ip_or_cidr(containee)?;
    let outer = parse_cidr(container)?;
    if inner.width != outer.width || outer.prefix > inner.prefix {
        return Ok(false);
    }
    let shift = outer.width - outer.prefix;
    let mask: u128 = if shift >= 128 { 0 } else { (!0u128) << shift };
    let mask = if outer.width == 32 {
        mask & 0xffff_ffff
    } else {
        mask
    };
    Ok(inner.bits & mask == outer.bits & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aton_forms() {
        assert_eq!(ipv4_to_int("1.2.3.4"), Some(0x0102_0304));
        assert_eq!(ipv4_to_int("1.2.3"), Some(0x0102_0003));
        assert_eq!(ipv4_to_int("0x7f.1"), Some(0x7f00_0001));
        assert_eq!(ipv4_to_int("256.1.1.1"), None);
        assert_eq!(ipv4_to_int("1.2.3.4.5"), None);
        assert_eq!(ipv4_to_int("a.b.c.d"), None);
        assert_eq!(ipv4_to_int("1.2.3.4 junk"), Some(0x0102_0304));
        assert_eq!(ipv4_to_int(" 1.2.3.4"), None);
    }

    #[test]
    fn containment() {
        assert!(ip_in_subnet("11.22.33.44", "11.22.41.123/20").unwrap());
        assert!(!ip_in_subnet("11.22.33.44", "11.22.123.41/20").unwrap());
        assert!(ip_in_subnet("11.22.41.123/29", "11.22.33.44/20").unwrap());
        assert!(!ip_in_subnet("11.22.33.44/13", "11.22.33.44/20").unwrap());
        assert!(ip_in_subnet("2001:db8::1", "2001:db8::/32").unwrap());
        assert!(!ip_in_subnet("10.0.0.1", "2001:db8::/32").unwrap());
    }

    #[test]
    fn errors() {
        assert!(ip_in_subnet("hello", "1.2.3.4/8").is_err());
        assert!(ip_in_subnet("1.2.3.4", "1.2.3.4").is_err());
        assert!(ip_in_subnet("1.2.3.4", "1.2.3.4/0").is_err());
        assert!(ip_in_subnet("1.2.3.4", "1.2.3.4/33").is_err());
    }
}
