//! Observables: the values indicators test for and stored SCOs carry,
//! normalised so that equal values meet in one index entry.
//!
//! * [`Observable`]: a kind (the SCO type it belongs to: `ipv4-addr`,
//!   `domain-name`, `file` for file hashes, ...) and a normalised value.
//!   [`of_sco`] lists an SCO's, [`of_pattern`] the ones a pattern tests with
//!   a positive `=` or `IN` (what correlation counts).
//! * [`cover`]: keys such that any observation a pattern matches holds at
//!   least one of them, or `None` when no such set exists (then the pattern
//!   must be evaluated against every observation of its [`required_types`]).
//!   Pre-selecting candidates by these keys never loses a match: values are
//!   normalised the same way on both sides, and the matcher confirms.
//! * [`equality_observables`]: the raw `(path, literal)` pairs, for display.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value};

use crate::ast::*;

/// One observable: the kind of SCO it belongs to and its normalised value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Observable {
    /// One of [`KINDS`].
    pub kind: &'static str,
    /// The value, normalised by [`normalise`].
    pub value: String,
}

/// The SCO types whose values are indexed, each with the properties that
/// carry them (`hashes`: every value of the hashes dictionary).
const PROPERTIES: &[(&str, &[&str])] = &[
    ("ipv4-addr", &["value"]),
    ("ipv6-addr", &["value"]),
    ("domain-name", &["value"]),
    ("url", &["value"]),
    ("email-addr", &["value"]),
    ("mac-addr", &["value"]),
    ("file", &["hashes"]),
    ("artifact", &["hashes"]),
    ("x509-certificate", &["hashes", "serial_number"]),
    ("autonomous-system", &["number"]),
    ("windows-registry-key", &["key"]),
    ("mutex", &["name"]),
    ("directory", &["path"]),
    ("user-account", &["user_id"]),
    ("software", &["cpe"]),
];

/// The kinds of observable indexed (SCO types), in a fixed order.
pub const KINDS: &[&str] = &[
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "email-addr",
    "mac-addr",
    "file",
    "artifact",
    "x509-certificate",
    "autonomous-system",
    "windows-registry-key",
    "mutex",
    "directory",
    "user-account",
    "software",
];

/// The kind named `name`, if it is one of [`KINDS`].
pub fn kind(name: &str) -> Option<&'static str> {
    KINDS.iter().copied().find(|k| *k == name)
}

fn properties(sco_type: &str) -> Option<(&'static str, &'static [&'static str])> {
    PROPERTIES.iter().copied().find(|(t, _)| *t == sco_type)
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// An address with an optional `/prefix`, in the canonical form: the
/// address alone for a full-length prefix, else the network (host bits
/// cleared) and its prefix. `None` unless `s` is a plain dotted-quad IPv4
/// or an IPv6 address.
fn canonical_ip(s: &str) -> Option<String> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u32>().ok()?)),
        None => (s, None),
    };
    if let Ok(v4) = addr.parse::<Ipv4Addr>() {
        return match prefix {
            None | Some(32) => Some(v4.to_string()),
            Some(p) if p <= 32 => {
                let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
                Some(format!("{}/{p}", Ipv4Addr::from(u32::from(v4) & mask)))
            }
            Some(_) => None,
        };
    }
    let v6 = addr.parse::<Ipv6Addr>().ok()?;
    match prefix {
        None | Some(128) => Some(v6.to_string()),
        Some(p) if p <= 128 => {
            let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
            Some(format!("{}/{p}", Ipv6Addr::from(u128::from(v6) & mask)))
        }
        Some(_) => None,
    }
}

fn canonical_number(s: &str) -> Cow<'_, str> {
    if let Ok(i) = s.parse::<i128>() {
        return Cow::Owned(i.to_string());
    }
    match s.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e30 => Cow::Owned(format!("{}", f as i128)),
        _ => Cow::Borrowed(s),
    }
}

/// Normalises a value of `kind`: IP addresses in canonical form (a `/32`
/// or `/128` dropped, networks with host bits cleared), domain names,
/// e-mail addresses, MAC addresses, hashes and registry keys lower-cased
/// (a domain's final dot dropped, MAC `-` as `:`), a URL's scheme and host
/// lower-cased, numbers in decimal. Other values are kept as they are.
/// The same text always gives the same result, so equal values always meet.
pub fn normalise<'a>(kind: &str, raw: &'a str) -> Cow<'a, str> {
    match kind {
        // A plain dotted quad is already canonical (the parser refuses leading zeros).
        "ipv4-addr" | "ipv6-addr" if !raw.contains('/') && raw.parse::<Ipv4Addr>().is_ok() => Cow::Borrowed(raw),
        "ipv4-addr" | "ipv6-addr" => canonical_ip(raw).map_or(Cow::Borrowed(raw), Cow::Owned),
        "domain-name" => match lower(raw) {
            Cow::Borrowed(b) => Cow::Borrowed(b.strip_suffix('.').unwrap_or(b)),
            Cow::Owned(o) => Cow::Owned(o.strip_suffix('.').unwrap_or(&o).to_owned()),
        },
        "email-addr" | "file" | "artifact" | "x509-certificate" | "windows-registry-key" => lower(raw),
        "mac-addr" => {
            let l = lower(raw);
            if l.contains('-') {
                Cow::Owned(l.replace('-', ":"))
            } else {
                l
            }
        }
        "url" => {
            let Some(at) = raw.find("://") else { return Cow::Borrowed(raw) };
            let host_end = raw[at + 3..].find(['/', '?', '#']).map_or(raw.len(), |i| at + 3 + i);
            let head = &raw[..host_end];
            if head.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(format!("{}{}", head.to_ascii_lowercase(), &raw[host_end..]))
            } else {
                Cow::Borrowed(raw)
            }
        }
        "autonomous-system" => canonical_number(raw),
        _ => Cow::Borrowed(raw),
    }
}

fn observable(kind: &'static str, raw: &str) -> Option<Observable> {
    let value = normalise(kind, raw.trim());
    (!value.is_empty()).then(|| Observable { kind, value: value.into_owned() })
}

/// The kind a bare `value` most likely belongs to, by its syntax (for paths
/// that reach a value through a reference, whose target type is unknown).
pub fn infer_kind(value: &str) -> &'static str {
    let v = value.trim();
    let addr = v.split_once('/').map_or(v, |(a, _)| a);
    if addr.parse::<Ipv4Addr>().is_ok() {
        "ipv4-addr"
    } else if addr.contains(':') && addr.parse::<Ipv6Addr>().is_ok() {
        "ipv6-addr"
    } else if is_mac(v) {
        "mac-addr"
    } else if v.contains("://") {
        "url"
    } else if v.contains('@') {
        "email-addr"
    } else {
        "domain-name"
    }
}

fn is_mac(v: &str) -> bool {
    let parts: Vec<&str> = v.split([':', '-']).collect();
    parts.len() == 6 && parts.iter().all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn scalar_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// The observables an SCO carries (by its `type`), deduplicated.
pub fn of_sco(object: &Map<String, Value>) -> Vec<Observable> {
    let mut out = Vec::new();
    let Some((kind, props)) = object.get("type").and_then(Value::as_str).and_then(properties) else {
        return out;
    };
    for prop in props {
        match (*prop, object.get(*prop)) {
            ("hashes", Some(Value::Object(h))) => {
                out.extend(h.values().filter_map(Value::as_str).filter_map(|v| observable(kind, v)))
            }
            (_, Some(v)) => out.extend(scalar_text(v).and_then(|t| observable(kind, &t))),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The keys an observation's object offers to [`cover`]s, as `(kind,
/// normalised value)`: its own observables, plus its `value` under the kind
/// its syntax suggests (a pattern reaching it through a reference keys it
/// that way). Allocates only to normalise.
pub fn probes(object: &Map<String, Value>, mut f: impl FnMut(&'static str, &str)) {
    let Some(ty) = object.get("type").and_then(Value::as_str) else { return };
    let own = properties(ty);
    if let Some((kind, props)) = own {
        for prop in props {
            match (*prop, object.get(*prop)) {
                ("hashes", Some(Value::Object(h))) => {
                    for v in h.values().filter_map(Value::as_str) {
                        f(kind, &normalise(kind, v.trim()));
                    }
                }
                (_, Some(v)) => {
                    if let Some(t) = scalar_text(v) {
                        f(kind, &normalise(kind, t.trim()));
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(v) = object.get("value").and_then(Value::as_str) {
        let k = infer_kind(v);
        if own.is_none_or(|(kind, _)| kind != k) {
            f(k, &normalise(k, v.trim()));
        }
    }
}

/// The IP address or network an observation's object offers to
/// [`Key::Net`]s: `(bits, prefix, width)`, parsed as the matcher parses
/// `ISSUBSET` operands (IPv4 in any `inet_aton` form).
pub fn net_probe(object: &Map<String, Value>) -> Option<(u128, u32, u32)> {
    object.get("value").and_then(Value::as_str).and_then(crate::matcher::net_of)
}

/// The kind of observable a path with `literal` tests, if it is indexed:
/// a property of [`PROPERTIES`] on its own type, or a `value` reached
/// through a reference (`network-traffic:dst_ref.value`), kind by syntax.
fn path_kind(path: &ObjectPath, literal: &str) -> Option<&'static str> {
    use PathStep::Key as K;
    if let Some((kind, props)) = properties(&path.object_type) {
        match path.steps.as_slice() {
            [K(p)] if *p != "hashes" && props.contains(&p.as_str()) => return Some(kind),
            [K(h), K(_)] if h == "hashes" && props.contains(&"hashes") => return Some(kind),
            _ => {}
        }
    }
    let (last, before) = path.steps.split_last()?;
    let through_ref = before
        .iter()
        .rev()
        .find(|s| matches!(s, K(_)))
        .is_some_and(|s| matches!(s, K(k) if k.ends_with("_ref") || k.ends_with("_refs")));
    (matches!(last, K(v) if v == "value") && through_ref).then(|| infer_kind(literal))
}

fn key_literal(l: &Literal) -> Option<Cow<'_, str>> {
    match l {
        Literal::Str(s) => Some(Cow::Borrowed(s)),
        Literal::Int(s) => Some(Cow::Borrowed(s)),
        Literal::Float(f) => Some(Cow::Owned(f.to_string())),
        _ => None,
    }
}

fn exact(path: &ObjectPath, l: &Literal) -> Option<Observable> {
    let text = key_literal(l)?;
    observable(path_kind(path, &text)?, &text)
}

/// A pre-selection key: an observable, or an IP network that `ISSUBSET`
/// tests (`bits` with host bits cleared, `width` 32 or 128).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// The observation holds this observable.
    Exact(Observable),
    /// The observation holds an address or network inside this one.
    Net {
        /// Network bits, host bits cleared.
        bits: u128,
        /// Prefix length.
        prefix: u32,
        /// 32 for IPv4, 128 for IPv6.
        width: u32,
    },
}

/// `bits` of a `width`-bit address with only the first `prefix` kept.
pub fn mask(bits: u128, prefix: u32, width: u32) -> u128 {
    let all = if width >= 128 { u128::MAX } else { (1u128 << width) - 1 };
    if prefix == 0 {
        0
    } else {
        bits & (all << (width - prefix.min(width))) & all
    }
}

fn ip_path(path: &ObjectPath) -> bool {
    matches!(path.steps.last(), Some(PathStep::Key(v)) if v == "value")
        && (matches!(path.object_type.as_str(), "ipv4-addr" | "ipv6-addr") || path.steps.len() > 1)
}

fn test_cover(t: &Comparison) -> Option<Vec<Key>> {
    if t.negated {
        return None;
    }
    match (t.op, &t.value) {
        (Op::Eq, l) => exact(&t.path, l).map(|o| vec![Key::Exact(o)]),
        (Op::In, Literal::Set(items)) => {
            items.iter().map(|l| exact(&t.path, l).map(Key::Exact)).collect()
        }
        (Op::IsSubset, Literal::Str(cidr)) if ip_path(&t.path) => {
            let (bits, prefix, width) = crate::matcher::cidr_of(cidr)?;
            Some(vec![Key::Net { bits: mask(bits, prefix, width), prefix, width }])
        }
        _ => None,
    }
}

fn smallest(options: impl Iterator<Item = Option<Vec<Key>>>) -> Option<Vec<Key>> {
    options.flatten().min_by_key(Vec::len)
}

fn union(options: impl Iterator<Item = Option<Vec<Key>>>) -> Option<Vec<Key>> {
    let mut out = Vec::new();
    for o in options {
        out.extend(o?);
    }
    Some(out)
}

fn comp_cover(c: &CompExpr) -> Option<Vec<Key>> {
    match c {
        CompExpr::Test(t) => test_cover(t),
        CompExpr::Exists(_) => None,
        CompExpr::And(items) => smallest(items.iter().map(comp_cover)),
        CompExpr::Or(items) => union(items.iter().map(comp_cover)),
    }
}

fn obs_cover(e: &ObsExpr) -> Option<Vec<Key>> {
    match e {
        ObsExpr::Simple(c) => comp_cover(c),
        ObsExpr::Group(i) | ObsExpr::Qualified(i, _) => obs_cover(i),
        ObsExpr::And(items) | ObsExpr::FollowedBy(items) => smallest(items.iter().map(obs_cover)),
        ObsExpr::Or(items) => union(items.iter().map(obs_cover)),
    }
}

/// Keys such that every observation the pattern matches holds at least one
/// of them; `None` when the pattern can match without any (it tests only
/// with `LIKE`, `MATCHES`, ranges, `NOT`, `EXISTS`, ... somewhere every
/// match must pass through).
pub fn cover(p: &Pattern) -> Option<Vec<Key>> {
    let mut keys = obs_cover(&p.root)?;
    keys.sort();
    keys.dedup();
    Some(keys)
}

fn comp_types(c: &CompExpr) -> Vec<String> {
    match c {
        CompExpr::Test(t) => vec![t.path.object_type.clone()],
        CompExpr::Exists(p) => vec![p.object_type.clone()],
        CompExpr::And(items) => items.iter().map(comp_types).min_by_key(Vec::len).unwrap_or_default(),
        CompExpr::Or(items) => items.iter().flat_map(comp_types).collect(),
    }
}

fn obs_types(e: &ObsExpr) -> Vec<String> {
    match e {
        ObsExpr::Simple(c) => comp_types(c),
        ObsExpr::Group(i) | ObsExpr::Qualified(i, _) => obs_types(i),
        ObsExpr::And(items) | ObsExpr::FollowedBy(items) => {
            items.iter().map(obs_types).min_by_key(Vec::len).unwrap_or_default()
        }
        ObsExpr::Or(items) => items.iter().flat_map(obs_types).collect(),
    }
}

/// Object types of which an observation must hold at least one object for
/// the pattern to match it (a comparison only ever looks at objects of its
/// path's type).
pub fn required_types(p: &Pattern) -> Vec<String> {
    let mut t = obs_types(&p.root);
    t.sort();
    t.dedup();
    t
}

fn collect_tests(c: &CompExpr, out: &mut Vec<Observable>) {
    match c {
        CompExpr::And(items) | CompExpr::Or(items) => items.iter().for_each(|i| collect_tests(i, out)),
        CompExpr::Exists(_) => {}
        CompExpr::Test(t) if !t.negated => match (t.op, &t.value) {
            (Op::Eq, l) => out.extend(exact(&t.path, l)),
            (Op::In, Literal::Set(items)) => out.extend(items.iter().filter_map(|l| exact(&t.path, l))),
            _ => {}
        },
        CompExpr::Test(_) => {}
    }
}

fn collect_obs(e: &ObsExpr, out: &mut Vec<Observable>) {
    match e {
        ObsExpr::Simple(c) => collect_tests(c, out),
        ObsExpr::Group(i) | ObsExpr::Qualified(i, _) => collect_obs(i, out),
        ObsExpr::And(v) | ObsExpr::Or(v) | ObsExpr::FollowedBy(v) => v.iter().for_each(|i| collect_obs(i, out)),
    }
}

/// Every indexed observable the pattern tests with a positive `=` or `IN`
/// (whatever the expression around it), sorted, deduplicated: what an
/// indicator reports, for correlation.
pub fn of_pattern(p: &Pattern) -> Vec<Observable> {
    let mut out = Vec::new();
    collect_obs(&p.root, &mut out);
    out.sort();
    out.dedup();
    out
}


fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Str(s) => s.clone(),
        Literal::Timestamp(t) => t.clone(),
        other => other.to_string(),
    }
}

fn path_text(p: &ObjectPath) -> String {
    p.to_string()
}

fn walk_comp(c: &CompExpr, out: &mut Vec<(String, String)>) {
    match c {
        CompExpr::And(items) | CompExpr::Or(items) => items.iter().for_each(|i| walk_comp(i, out)),
        CompExpr::Exists(_) => {}
        CompExpr::Test(t) if !t.negated => match (t.op, &t.value) {
            (Op::Eq, v) => out.push((path_text(&t.path), literal_text(v))),
            (Op::In, Literal::Set(items)) => {
                out.extend(items.iter().map(|v| (path_text(&t.path), literal_text(v))))
            }
            _ => {}
        },
        CompExpr::Test(_) => {}
    }
}

fn walk_obs(e: &ObsExpr, out: &mut Vec<(String, String)>) {
    match e {
        ObsExpr::Simple(c) => walk_comp(c, out),
        ObsExpr::Group(i) | ObsExpr::Qualified(i, _) => walk_obs(i, out),
        ObsExpr::And(v) | ObsExpr::Or(v) | ObsExpr::FollowedBy(v) => {
            v.iter().for_each(|i| walk_obs(i, out))
        }
    }
}

/// Every `(object path, literal)` pair that the pattern tests with a positive
/// `=` or `IN` (one pair per set member), in pattern order, duplicates removed.
/// Paths print as in the pattern (`ipv4-addr:value`, `file:hashes.'SHA-256'`);
/// strings are unescaped, other literals print as pattern literals.
pub fn equality_observables(p: &Pattern) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk_obs(&p.root, &mut out);
    let mut seen = std::collections::HashSet::new();
    out.retain(|x| seen.insert(x.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &[(&str, &str)]) {
        let p = crate::parse(input).unwrap();
        let got = equality_observables(&p);
        let want: Vec<(String, String)> = expect
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want, "{input}");
    }

    #[test]
    fn equality_and_in() {
        check(
            "[ipv4-addr:value = '198.51.100.1']",
            &[("ipv4-addr:value", "198.51.100.1")],
        );
        check(
            "[file:hashes.'SHA-256' = 'ab' OR file:name IN ('a', 'b')] AND [x:y != 'z']",
            &[
                ("file:hashes.'SHA-256'", "ab"),
                ("file:name", "a"),
                ("file:name", "b"),
            ],
        );
        check("[x:n NOT = 1 AND x:m = 2 AND x:m = 2]", &[("x:m", "2")]);
        check(
            "[x:t = t'2020-01-01T00:00:00Z']",
            &[("x:t", "2020-01-01T00:00:00Z")],
        );
        check("[x:b = h'ff'] REPEATS 2 TIMES", &[("x:b", "h'ff'")]);
        check("[x:s LIKE 'a%']", &[]);
    }
}
