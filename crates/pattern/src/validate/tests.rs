//! Unit tests for strict validation: qualifier duplication, hashes, brackets.

use super::*;

/// `expect` is `Ok(())` for valid, or the error kind.
fn check(input: &str, expect: std::result::Result<(), ErrorKind>) {
    let got = validate(input).map(|_| ()).map_err(|e| e.kind);
    match (&got, &expect) {
        (Ok(()), Ok(())) => {}
        (Err(_), Err(ErrorKind::UnexpectedToken { .. })) => {
            assert!(
                matches!(
                    got,
                    Err(ErrorKind::UnexpectedToken { .. }
                        | ErrorKind::UnexpectedEnd { .. }
                        | ErrorKind::InvalidCharacter(_))
                ),
                "{input}: {got:?}"
            )
        }
        _ => assert_eq!(got, expect, "{input}"),
    }
}

fn syntax() -> std::result::Result<(), ErrorKind> {
    Err(ErrorKind::UnexpectedToken {
        found: String::new(),
        expected: String::new(),
    })
}

#[test]
fn valid_patterns() {
    check("[ipv4-addr:value = '203.0.113.5']", Ok(()));
    check("  (( [a:b = 1] ))", Ok(()));
    check(
        "[file:hashes.'SHA-1' = 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709']",
        Ok(()),
    );
    check(
        "[file:hashes.md5 = 'd41d8cd98f00b204e9800998ecf8427e']",
        Ok(()),
    );
    check("[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']", Ok(()));
    check(
        "[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']",
        Ok(()),
    );
    check("[file:hashes.'x-custom' = 'anything']", Ok(()));
    check("[file:hashes[*] = 'whatever']", Ok(()));
    check(
        "[file:hashes.MD6 = '0123456789abcdef0123456789abcdef-and-more']",
        Ok(()),
    );
    check("([a:b = 1]) WITHIN 5 SECONDS WITHIN 6 SECONDS", Ok(()));
    check("([a:b = 1] REPEATS 2 TIMES) REPEATS 3 TIMES", Ok(()));
    check("[a:b = 1] REPEATS 2 TIMES WITHIN 5 SECONDS", Ok(()));
    check(
        "[a:b = 1] WITHIN 5 SECONDS AND [a:c = 1] WITHIN 5 SECONDS",
        Ok(()),
    );
    check("[x:created = t'2023-02-30T00:00:00Z']", Ok(()));
}

#[test]
fn duplicate_qualifiers() {
    check(
        "[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS",
        Err(ErrorKind::DuplicateQualifier("WITHIN")),
    );
    check(
        "([a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES)",
        Err(ErrorKind::DuplicateQualifier("REPEATS")),
    );
    check(
        "[a:b = 1] START t'2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00Z' \
         START t'2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00Z'",
        Err(ErrorKind::DuplicateQualifier("STARTSTOP")),
    );
}

#[test]
fn malformed_hashes() {
    let bad = |v: &str, alg: &str| {
        Err(ErrorKind::InvalidHash {
            value: v.into(),
            algorithm: alg.into(),
        })
    };
    check("[file:hashes.'SHA-256' = 'abc']", bad("abc", "SHA-256"));
    check(
        "[file:hashes.MD5 = 'zz1d8cd98f00b204e9800998ecf8427e']",
        bad("zz1d8cd98f00b204e9800998ecf8427e", "MD5"),
    );
    check("[file:hashes.'SHA-1' = 1]", bad("1", "SHA-1"));
    check(
        "[a:b = 1 AND file:hashes.'SHA-512' != 'ab']",
        bad("ab", "SHA-512"),
    );
    check("[file:hashes.MD6 = 'abc']", bad("abc", "MD6"));
}

#[test]
fn syntax_errors() {
    check("a:b = 1", syntax());
    check("/* c */ [a:b = 1]", syntax());
    check("[a:b = 1] WITHIN 0.5 HOURS", syntax());
    check("[x:created = t'2024-01-15T12:30:45']", syntax());
    check("", syntax());
    assert!(is_valid("[a:b = 1]"));
    assert!(!is_valid("[a:b = 1"));
}

#[test]
fn stix20_rules() {
    assert!(validate_v20("[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS").is_ok());
    assert!(validate_v20("[EXISTS a:b]").is_err());
    assert!(validate_v20("[file:hashes.MD5 = 'x']").is_err());
    assert!(validate_v20("a:b = 1").is_err());
    assert!(validate_v20("[a:b NOT = 1]").is_ok());
}
