//! Extraction of the values a pattern tests for equality, for indexing
//! candidate observables (e.g. which indicators mention `ipv4-addr:value`).

use crate::ast::*;

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
