//! Strict validation: the grammar plus the extra checks of the OASIS
//! `stix2-patterns` validator (duplicate qualifiers on one bracketed
//! observation, malformed hashes of known algorithms, missing brackets).

#[cfg(test)]
mod tests;

use crate::ast::*;
use crate::error::{Error, ErrorKind, Result, Span};

/// Parses `src` and applies the strict checks; returns the pattern if it is valid.
pub fn validate(src: &str) -> Result<Pattern> {
    if !brackets_check(src) {
        return Err(Error::new(
            ErrorKind::UnexpectedToken {
                found: src.chars().take(20).collect(),
                expected: "'[' (input is missing square brackets)".into(),
            },
            Span::new(0, 0),
        ));
    }
    let p = crate::parse(src)?;
    check_pattern(&p)?;
    Ok(p)
}

/// Strict validation as the OASIS validator does it for `stix_version` 2.0:
/// the same grammar without `EXISTS`, the hash checks, no qualifier check.
pub fn validate_v20(src: &str) -> Result<Pattern> {
    if !brackets_check(src) {
        return validate(src);
    }
    let p = crate::parse(src)?;
    if let Some(span) = find_exists(&p.root) {
        return Err(Error::new(
            ErrorKind::UnexpectedToken {
                found: "EXISTS".into(),
                expected: "an object path (STIX 2.0)".into(),
            },
            span,
        ));
    }
    check_hashes_obs(&p.root)?;
    Ok(p)
}

fn find_exists(e: &ObsExpr) -> Option<Span> {
    fn comp(c: &CompExpr) -> bool {
        match c {
            CompExpr::Exists(_) => true,
            CompExpr::And(v) | CompExpr::Or(v) => v.iter().any(comp),
            CompExpr::Test(_) => false,
        }
    }
    match e {
        ObsExpr::Simple(c) => comp(c).then(Span::default),
        ObsExpr::Group(i) | ObsExpr::Qualified(i, _) => find_exists(i),
        ObsExpr::And(v) | ObsExpr::Or(v) | ObsExpr::FollowedBy(v) => v.iter().find_map(find_exists),
    }
}

fn check_hashes_obs(e: &ObsExpr) -> Result<()> {
    match e {
        ObsExpr::Simple(c) => check_comp(c),
        ObsExpr::Group(i) | ObsExpr::Qualified(i, _) => check_hashes_obs(i),
        ObsExpr::And(v) | ObsExpr::Or(v) | ObsExpr::FollowedBy(v) => {
            v.iter().try_for_each(check_hashes_obs)
        }
    }
}

/// `true` if `src` is a strictly valid STIX 2.1 pattern.
pub fn is_valid(src: &str) -> bool {
    validate(src).is_ok()
}

/// The strict checks on an already parsed pattern.
pub fn check_pattern(p: &Pattern) -> Result<()> {
    check_obs(&p.root)
}

/// Leading `(` and whitespace may precede the first `[`; anything else fails.
fn brackets_check(src: &str) -> bool {
    src.chars().find(|c| *c != '(' && !c.is_whitespace()) == Some('[')
}

fn check_obs(e: &ObsExpr) -> Result<()> {
    match e {
        ObsExpr::Simple(c) => check_comp(c),
        ObsExpr::Group(inner) => check_obs(inner),
        ObsExpr::Qualified(inner, quals) => {
            check_obs(inner)?;
            // Only qualifiers applied directly to a bracketed expression are
            // checked; a parenthesised group may carry repeated types.
            if matches!(**inner, ObsExpr::Simple(_)) {
                for (i, q) in quals.iter().enumerate() {
                    if quals[..i].iter().any(|p| p.type_name() == q.type_name()) {
                        return Err(Error::new(
                            ErrorKind::DuplicateQualifier(q.type_name()),
                            Span::default(),
                        ));
                    }
                }
            }
            Ok(())
        }
        ObsExpr::And(items) | ObsExpr::Or(items) | ObsExpr::FollowedBy(items) => {
            items.iter().try_for_each(check_obs)
        }
    }
}

fn check_comp(c: &CompExpr) -> Result<()> {
    match c {
        CompExpr::And(items) | CompExpr::Or(items) => items.iter().try_for_each(check_comp),
        CompExpr::Exists(_) => Ok(()),
        CompExpr::Test(t) => check_hash(t),
    }
}

/// Expected shape of a hash value for a normalised algorithm name.
fn hash_ok(alg: &str, v: &str) -> Option<bool> {
    let hex_len = |n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_hexdigit());
    Some(match alg {
        "MD5" => hex_len(32),
        // The OASIS expression for MD6 is only anchored at the start of its
        // first alternative, so any value starting with 32 hex digits passes.
        "MD6" => v.len() >= 32 && v.as_bytes()[..32].iter().all(u8::is_ascii_hexdigit),
        "RIPEMD160" | "SHA1" => hex_len(40),
        "SHA224" | "SHA3224" => hex_len(56),
        "SHA256" | "SHA3256" => hex_len(64),
        "SHA384" | "SHA3384" => hex_len(96),
        "SHA512" | "SHA3512" | "WHIRLPOOL" => hex_len(128),
        "SSDEEP" => {
            (1..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/+:.".contains(&b))
        }
        _ => return None,
    })
}

fn check_hash(t: &Comparison) -> Result<()> {
    let in_hashes = t
        .path
        .steps
        .iter()
        .any(|s| matches!(s, PathStep::Key(k) if k == "hashes"));
    if !in_hashes {
        return Ok(());
    }
    let Some(PathStep::Key(selector)) = t.path.steps.last() else {
        return Ok(());
    };
    let alg: String = selector
        .to_uppercase()
        .chars()
        .filter(|c| *c != '-' && *c != '\'')
        .collect();
    let text: String = t.value.to_string().chars().filter(|c| *c != '\'').collect();
    let checked = text.strip_suffix('\n').unwrap_or(&text);
    match hash_ok(&alg, checked) {
        Some(false) => Err(Error::new(
            ErrorKind::InvalidHash {
                value: text,
                algorithm: selector.clone(),
            },
            Span::default(),
        )),
        _ => Ok(()),
    }
}
