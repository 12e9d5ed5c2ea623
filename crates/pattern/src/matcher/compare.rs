//! Property tests: literal compilation and the per-value predicates with the
//! OASIS matcher's typing rules (type-strict `=`, numeric int/float mixing,
//! binary-vs-string via Latin-1, timestamps parsed from JSON strings, etc.).

use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use regex::Regex;
use serde_json::Value;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use super::net::ip_in_subnet;
use super::path::Val;
use crate::ast::{Comparison, Literal, Op};
use crate::error::{Error, Result};
use crate::timestamp::{self, Micros};

/// A literal value ready for comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Int(i128),
    Float(f64),
    Str(String),
    Bool(bool),
    Bytes(Vec<u8>),
    Time(Micros),
}

impl Lit {
    fn type_tag(&self) -> u8 {
        match self {
            Lit::Int(_) => 0,
            Lit::Float(_) => 1,
            Lit::Str(_) => 2,
            Lit::Bool(_) => 3,
            Lit::Bytes(_) => 4,
            Lit::Time(_) => 5,
        }
    }
}

/// Converts a scalar AST literal.
pub fn compile_literal(l: &Literal) -> Result<Lit> {
    Ok(match l {
        Literal::Int(s) => match s.parse::<i128>() {
            Ok(v) => Lit::Int(v),
            Err(_) => Lit::Float(s.parse().unwrap_or(f64::INFINITY)),
        },
        Literal::Float(f) => Lit::Float(*f),
        Literal::Str(s) => Lit::Str(s.clone()),
        Literal::Bool(b) => Lit::Bool(*b),
        Literal::Binary(v) | Literal::Hex(v) => Lit::Bytes(v.clone()),
        Literal::Timestamp(t) => Lit::Time(
            timestamp::parse(t)
                .ok_or_else(|| Error::eval(format!("Invalid TimestampLiteral: t'{t}'")))?,
        ),
        Literal::Set(_) => return Err(Error::eval("a set is not allowed here")),
    })
}

/// A comparison ready to run on values.
pub enum Test {
    Eq {
        lit: Lit,
        neq: bool,
    },
    Order {
        lit: Lit,
        op: Op,
    },
    In {
        items: Vec<Lit>,
        timestamps: bool,
    },
    Like(Rc<Regex>),
    Matches(Rc<MatchesRegex>),
    Subset(String),
    Superset(String),
}

/// A compiled property test (the NOT flag and the test).
pub struct Compiled {
    pub negated: bool,
    pub test: Test,
}

fn regex_error(e: regex::Error) -> Error {
    Error::eval(format!("unsupported or invalid regular expression: {e}"))
}

/// Most literals each thread's regex cache keeps, per operator; a full
/// cache is emptied.
pub(super) const REGEX_CACHE_ENTRIES: usize = 256;
/// Compiled-size limits of a cached regex (the `regex` crate's `size_limit`
/// and `dfa_size_limit`); a literal that needs more is compiled anew, with
/// the default limits, for each match.
const REGEX_CACHE_LIMIT: usize = 256 << 10;

/// The regexes of a `MATCHES` literal: on text, and on binary values read as
/// Latin-1 (when the regex is all Latin-1).
pub struct MatchesRegex {
    text: Regex,
    bytes: Option<regex::bytes::Regex>,
}

/// Compiled `LIKE` and `MATCHES` literals, kept per thread across matches:
/// compiling a regex costs tens of microseconds, far more than a typical
/// match (the reference leans on Python's `re` cache the same way). Keyed
/// by the literal as written; failures are not kept. A typical `LIKE` regex
/// takes about 20 KiB, one with Unicode classes such as `\w` about 200 KiB.
#[derive(Default)]
struct RegexCache {
    like: HashMap<String, Cached<Regex>>,
    matches: HashMap<String, Cached<MatchesRegex>>,
}

/// A literal in the cache: its compiled form, or the fact that it exceeds
/// [`REGEX_CACHE_LIMIT`] (so as not to try that limit again).
enum Cached<R> {
    Kept(Rc<R>),
    TooBig,
}

thread_local! {
    static REGEXES: RefCell<RegexCache> = RefCell::default();
}

/// The cached compilation of `lit`, or `build(lit, limit)`: with the cache's
/// size limit to keep it, or, when that is too small, with the defaults.
fn cached<R>(
    lit: &str,
    map: impl Fn(&mut RegexCache) -> &mut HashMap<String, Cached<R>>,
    build: impl Fn(&str, Option<usize>) -> std::result::Result<R, regex::Error>,
) -> Result<Rc<R>> {
    let uncached = || build(lit, None).map(Rc::new).map_err(regex_error);
    let remember = |entry: Cached<R>| {
        REGEXES.with_borrow_mut(|c| {
            let m = map(c);
            if m.len() >= REGEX_CACHE_ENTRIES {
                m.clear();
            }
            m.insert(lit.to_owned(), entry);
        });
    };
    match REGEXES.with_borrow_mut(|c| match map(c).get(lit) {
        Some(Cached::Kept(re)) => Some(Cached::Kept(Rc::clone(re))),
        Some(Cached::TooBig) => Some(Cached::TooBig),
        None => None,
    }) {
        Some(Cached::Kept(re)) => return Ok(re),
        Some(Cached::TooBig) => return uncached(),
        None => {}
    }
    match build(lit, Some(REGEX_CACHE_LIMIT)) {
        Ok(re) => {
            let re = Rc::new(re);
            remember(Cached::Kept(Rc::clone(&re)));
            Ok(re)
        }
        Err(regex::Error::CompiledTooBig(_)) => {
            remember(Cached::TooBig);
            uncached()
        }
        Err(e) => Err(regex_error(e)),
    }
}

fn build_like(lit: &str, limit: Option<usize>) -> std::result::Result<Regex, regex::Error> {
    let mut b = regex::RegexBuilder::new(&like_to_regex(&nfc(lit)));
    if let Some(l) = limit {
        b.size_limit(l).dfa_size_limit(l);
    }
    b.build()
}

fn build_matches(
    lit: &str,
    limit: Option<usize>,
) -> std::result::Result<MatchesRegex, regex::Error> {
    let s = nfc(lit);
    let py = py_regex(&s);
    let mut b = regex::RegexBuilder::new(&py);
    if let Some(l) = limit {
        b.size_limit(l).dfa_size_limit(l);
    }
    let text = b.build()?;
    let bytes = if s.chars().all(|ch| (ch as u32) < 256) {
        let mut b = regex::bytes::RegexBuilder::new(&bytes_regex(&py));
        b.unicode(false);
        if let Some(l) = limit {
            b.size_limit(l).dfa_size_limit(l);
        }
        Some(b.build()?)
    } else {
        None
    };
    Ok(MatchesRegex { text, bytes })
}

/// `s` in Unicode normal form C, borrowed when it already is (the usual case).
fn nfc(s: &str) -> Cow<'_, str> {
    if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

fn like_to_regex(like: &str) -> String {
    let mut s = String::from("^(?:");
    for c in like.chars() {
        match c {
            '%' => s.push_str(".*"),
            '_' => s.push('.'),
            c => s.push_str(&regex::escape(&c.to_string())),
        }
    }
    // Python's `$` also matches before a final newline.
    s.push_str(")\n?\\z");
    s
}

/// Rewrites Python-only regex spellings for the `regex` crate.
fn py_regex(re: &str) -> String {
    let mut out = String::with_capacity(re.len());
    let mut chars = re.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Z') => out.push_str("\\z"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '$' if !in_class => out.push_str("(?:\n?\\z)"),
            c => out.push(c),
        }
    }
    out
}

/// The regex as a Latin-1 byte pattern (non-ASCII chars become `\xHH`).
fn bytes_regex(re: &str) -> String {
    let mut out = String::with_capacity(re.len());
    for c in re.chars() {
        if (c as u32) >= 0x80 {
            out.push_str(&format!("\\x{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Compiles one comparison; fails like the reference on bad literals or sets.
pub fn compile(c: &Comparison) -> Result<Compiled> {
    let test = match c.op {
        Op::Eq | Op::Neq => Test::Eq {
            lit: compile_literal(&c.value)?,
            neq: c.op == Op::Neq,
        },
        Op::Lt | Op::Le | Op::Gt | Op::Ge => Test::Order {
            lit: compile_literal(&c.value)?,
            op: c.op,
        },
        Op::In => {
            let Literal::Set(items) = &c.value else {
                return Err(Error::eval("IN needs a set"));
            };
            let items: Vec<Lit> = items.iter().map(compile_literal).collect::<Result<_>>()?;
            let tags: HashSet<u8> = items.iter().map(Lit::type_tag).collect();
            let numeric = tags.iter().all(|t| *t <= 1);
            if tags.len() > 1 && !numeric {
                return Err(Error::eval(format!("Nonhomogenous set: {}", c.value)));
            }
            let timestamps = matches!(items.first(), Some(Lit::Time(_)));
            Test::In { items, timestamps }
        }
        Op::Like | Op::Matches | Op::IsSubset | Op::IsSuperset => {
            let Literal::Str(s) = &c.value else {
                return Err(Error::eval("operator needs a string"));
            };
            match c.op {
                Op::Like => Test::Like(cached(s, |c| &mut c.like, build_like)?),
                Op::Matches => Test::Matches(cached(s, |c| &mut c.matches, build_matches)?),
                Op::IsSubset => Test::Subset(s.clone()),
                _ => Test::Superset(s.clone()),
            }
        }
    };
    Ok(Compiled {
        negated: c.negated,
        test,
    })
}

/// A JSON (or derived) value seen as a scalar.
enum Sc<'a> {
    Int(i128),
    Float(f64),
    Str(&'a str),
    Bool(bool),
    Bytes(&'a [u8]),
    Time(Micros),
    Other,
}

fn scalar<'a>(v: &'a Val<'a>) -> Sc<'a> {
    match v {
        Val::Bytes(b) => Sc::Bytes(b),
        Val::List(_) => Sc::Other,
        Val::Json(j) => match j {
            Value::Bool(b) => Sc::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Sc::Int(i128::from(i))
                } else if let Some(u) = n.as_u64() {
                    Sc::Int(i128::from(u))
                } else {
                    Sc::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => Sc::Str(s),
            _ => Sc::Other,
        },
    }
}

fn lit_scalar(l: &Lit) -> Sc<'_> {
    match l {
        Lit::Int(i) => Sc::Int(*i),
        Lit::Float(f) => Sc::Float(*f),
        Lit::Str(s) => Sc::Str(s),
        Lit::Bool(b) => Sc::Bool(*b),
        Lit::Bytes(b) => Sc::Bytes(b),
        Lit::Time(t) => Sc::Time(*t),
    }
}

fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(c as u32).ok()).collect()
}

fn num_cmp(a: &Sc<'_>, b: &Sc<'_>) -> Option<Ordering> {
    match (a, b) {
        (Sc::Int(x), Sc::Int(y)) => Some(x.cmp(y)),
        (Sc::Int(x), Sc::Float(y)) => (*x as f64).partial_cmp(y),
        (Sc::Float(x), Sc::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Sc::Float(x), Sc::Float(y)) => x.partial_cmp(y),
        _ => None,
    }
}

/// Type-strict equality (`None` when the types are not comparable).
fn strict_eq(a: &Sc<'_>, b: &Sc<'_>) -> Option<bool> {
    if let Some(o) = num_cmp(a, b) {
        return Some(o == Ordering::Equal);
    }
    Some(match (a, b) {
        (Sc::Str(x), Sc::Str(y)) => x == y,
        (Sc::Bool(x), Sc::Bool(y)) => x == y,
        (Sc::Bytes(x), Sc::Bytes(y)) => x == y,
        (Sc::Time(x), Sc::Time(y)) => x == y,
        (Sc::Bytes(b), Sc::Str(s)) | (Sc::Str(s), Sc::Bytes(b)) => {
            latin1(s).is_some_and(|v| v == *b)
        }
        _ => return None,
    })
}

/// Ordering: `Ok(None)` when the types have no order, `Err(())` for a string
/// that cannot be compared with binary data.
fn order(a: &Sc<'_>, b: &Sc<'_>) -> std::result::Result<Option<Ordering>, ()> {
    if let Some(o) = num_cmp(a, b) {
        return Ok(Some(o));
    }
    Ok(match (a, b) {
        (Sc::Str(x), Sc::Str(y)) => Some(x.cmp(y)),
        (Sc::Bytes(x), Sc::Bytes(y)) => Some(x.cmp(y)),
        (Sc::Time(x), Sc::Time(y)) => Some(x.cmp(y)),
        (Sc::Bytes(b), Sc::Str(s)) => Some(b.cmp(&latin1(s).ok_or(())?.as_slice())),
        (Sc::Str(s), Sc::Bytes(b)) => Some(latin1(s).ok_or(())?.as_slice().cmp(b)),
        _ => None,
    })
}

/// Python `==` as used by set membership (bools count as numbers).
fn loose_eq(a: &Sc<'_>, b: &Sc<'_>) -> bool {
    let num = |s: &Sc<'_>| match s {
        Sc::Bool(b) => Some(Sc::Int(i128::from(*b))),
        Sc::Int(i) => Some(Sc::Int(*i)),
        Sc::Float(f) => Some(Sc::Float(*f)),
        _ => None,
    };
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return num_cmp(&x, &y) == Some(Ordering::Equal);
    }
    match (a, b) {
        (Sc::Str(x), Sc::Str(y)) => x == y,
        (Sc::Bytes(x), Sc::Bytes(y)) => x == y,
        (Sc::Time(x), Sc::Time(y)) => x == y,
        _ => false,
    }
}

fn json_time(s: &str) -> Result<Micros> {
    timestamp::parse(s).ok_or_else(|| Error::eval(format!("Invalid timestamp in JSON: {s}")))
}

impl Compiled {
    /// Applies the test (including NOT) to one value.
    pub fn eval(&self, v: &Val<'_>) -> Result<bool> {
        let sc = scalar(v);
        let r = match &self.test {
            Test::Eq { lit, neq } => {
                let sc = match (lit, &sc) {
                    (Lit::Time(_), Sc::Str(s)) => Sc::Time(json_time(s)?),
                    _ => sc,
                };
                strict_eq(&sc, &lit_scalar(lit)).unwrap_or(false) != *neq
            }
            Test::Order { lit, op } => {
                let sc = match (lit, &sc) {
                    (Lit::Time(_), Sc::Str(s)) => Sc::Time(json_time(s)?),
                    _ => sc,
                };
                match order(&sc, &lit_scalar(lit)) {
                    Ok(None) => return Ok(false),
                    Err(()) => false,
                    Ok(Some(o)) => match op {
                        Op::Lt => o == Ordering::Less,
                        Op::Le => o != Ordering::Greater,
                        Op::Gt => o == Ordering::Greater,
                        _ => o != Ordering::Less,
                    },
                }
            }
            Test::In { items, timestamps } => {
                let sc = match &sc {
                    Sc::Str(s) if *timestamps => Sc::Time(json_time(s)?),
                    _ => sc,
                };
                items.iter().any(|l| loose_eq(&sc, &lit_scalar(l)))
            }
            Test::Like(re) => match sc {
                Sc::Str(s) => re.is_match(&nfc(s)),
                Sc::Bytes(b) if re.as_str().chars().all(|c| (c as u32) < 256) => {
                    let s = std::str::from_utf8(b)
                        .map_err(|e| Error::eval(format!("binary value is not UTF-8: {e}")))?;
                    re.is_match(&nfc(s))
                }
                _ => false,
            },
            Test::Matches(re) => match sc {
                Sc::Str(s) => re.text.is_match(&nfc(s)),
                Sc::Bytes(b) => re.bytes.as_ref().is_some_and(|re| re.is_match(b)),
                _ => false,
            },
            Test::Subset(net) => match sc {
                Sc::Str(s) => ip_in_subnet(s, net)?,
                _ => false,
            },
            Test::Superset(addr) => match sc {
                Sc::Str(s) => ip_in_subnet(addr, s)?,
                _ => false,
            },
        };
        Ok(r != self.negated)
    }
}
