//! Unit tests for the parser: structure, precedence, errors with positions,
//! round-tripping through `Display`, depth bounds and random-input robustness.

use super::*;

/// Parses `input`; `expect` is the canonical text, or `Err(byte)` for an error at that byte.
fn check(input: &str, expect: std::result::Result<&str, usize>) {
    match (parse(input), expect) {
        (Ok(p), Ok(text)) => {
            assert_eq!(p.to_string(), text, "{input}");
            let again = parse(&p.to_string()).unwrap_or_else(|e| panic!("reparse {p}: {e}"));
            assert_eq!(again, p, "round trip of {input}");
        }
        (Err(e), Err(at)) => assert_eq!(e.span.start, at, "{input}: {e}"),
        (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn comparisons_and_literals() {
    check("[file:size = 1280]", Ok("[file:size = 1280]"));
    check("[file:size==+12]", Ok("[file:size = 12]"));
    check("[a:b <> -3]", Ok("[a:b != -3]"));
    check("[a:b NOT < 1.50]", Ok("[a:b NOT < 1.5]"));
    check("[a:b >= .5]", Ok("[a:b >= 0.5]"));
    check("[a:b = true]", Ok("[a:b = true]"));
    check("[a:b = 'it\\'s \\\\ ok']", Ok("[a:b = 'it\\'s \\\\ ok']"));
    check("[a:b = b'AQIDBA==']", Ok("[a:b = b'AQIDBA==']"));
    check("[a:b = h'FF00']", Ok("[a:b = h'ff00']"));
    check(
        "[a:b = t'2016-06-01T01:30:00.123Z']",
        Ok("[a:b = t'2016-06-01T01:30:00.123Z']"),
    );
    check("[a:b IN ()]", Ok("[a:b IN ()]"));
    check("[a:b NOT IN(1,2 , 3)]", Ok("[a:b NOT IN (1, 2, 3)]"));
    check("[a:b LIKE 'x%']", Ok("[a:b LIKE 'x%']"));
    check("[a:b MATCHES'^x$']", Ok("[a:b MATCHES '^x$']"));
    check(
        "[a:b NOT ISSUBSET '10.0.0.0/8']",
        Ok("[a:b NOT ISSUBSET '10.0.0.0/8']"),
    );
    check(
        "[a:b ISSUPERSET '10.0.0.1']",
        Ok("[a:b ISSUPERSET '10.0.0.1']"),
    );
    check("[EXISTS a:b]", Ok("[EXISTS a:b]"));
    check(
        "[a:b = 123456789012345678901234567890]",
        Ok("[a:b = 123456789012345678901234567890]"),
    );
}

#[test]
fn object_paths() {
    check(
        "[file:hashes.'SHA-256' = 'x']",
        Ok("[file:hashes.'SHA-256' = 'x']"),
    );
    check(
        "[x-usb-device:usbdrive.serial_number = 'x']",
        Ok("[x-usb-device:usbdrive.serial_number = 'x']"),
    );
    check(
        "[a:'b c'[0].d[*].'e'[-1] = 1]",
        Ok("[a:'b c'[0].d[*].e[-1] = 1]"),
    );
    check("[a:'AND' = 1]", Ok("[a:'AND' = 1]"));
    check("[a:'' = 1]", Ok("[a:'' = 1]"));
    check("[a:b.c-d = 1]", Err(5));
    check("[file.size = 1280]", Err(5));
    check("[a:b[x] = 1]", Err(5));
}

#[test]
fn comparison_precedence() {
    let p = parse("[a:b = 1 OR a:c = 2 AND a:d = 3]").unwrap();
    let ObsExpr::Simple(CompExpr::Or(items)) = &p.root else {
        panic!("{p:?}")
    };
    assert!(matches!(items[1], CompExpr::And(_)));
    check(
        "[(a:b = 1 OR a:c = 2) AND a:d = 3]",
        Ok("[(a:b = 1 OR a:c = 2) AND a:d = 3]"),
    );
    check(
        "[a:b = 1 OR (a:c = 2 OR a:d = 3)]",
        Ok("[a:b = 1 OR (a:c = 2 OR a:d = 3)]"),
    );
    check("[(a:b = 1)]", Ok("[a:b = 1]"));
    check(
        "[((a:b = 1 AND a:c = 1)) AND a:d = 1]",
        Ok("[(a:b = 1 AND a:c = 1) AND a:d = 1]"),
    );
}

#[test]
fn observation_precedence_and_qualifiers() {
    let p = parse("[a:b=1] OR [a:b=2] AND [a:b=3] FOLLOWEDBY [a:b=4]").unwrap();
    let ObsExpr::FollowedBy(items) = &p.root else {
        panic!("{p:?}")
    };
    let ObsExpr::Or(or_items) = &items[0] else {
        panic!("{p:?}")
    };
    assert!(matches!(or_items[1], ObsExpr::And(_)));
    check(
        "([a:b=1] AND [a:b=2]) WITHIN 5 SECONDS REPEATS 2 TIMES",
        Ok("([a:b = 1] AND [a:b = 2]) WITHIN 5 SECONDS REPEATS 2 TIMES"),
    );
    check(
        "[a:b=1] WITHIN 10.3 SECONDS",
        Ok("[a:b = 1] WITHIN 10.3 SECONDS"),
    );
    check(
        "[a:b=1] START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:30:00Z'",
        Ok("[a:b = 1] START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:30:00Z'"),
    );
    check(
        "( [ (a:b IN(1) AND a:c != 0) ])",
        Ok("([a:b IN (1) AND a:c != 0])"),
    );
}

#[test]
fn errors_carry_positions() {
    check("file:size = 1280", Err(0));
    check("[file:size = ]", Err(13));
    check("[file:hashes.MD5 = cead3f77]", Err(19));
    check("[file:name MATCHES /.*\\.dll/]", Err(19));
    check("[a:b = 1] WITHIN ]", Err(17));
    check("[a:b = 1] WITHIN 5 HOURS", Err(19));
    check("[a:b = 1] WITHIN -5 SECONDS", Err(17));
    check("[a:b ISSUBSET ]", Err(14));
    check("[a:b =? 'x']", Err(6));
    check("[a:b == t'2457-73-22T32:81:84.1Z']", Err(8));
    check("[a:b = b'====']", Err(7));
    check("[a:b=1] within 2 seconds", Err(8));
    check("[a:b = 1", Err(8));
    check("", Err(0));
    check("[a:b < true]", Err(7));
    check("[a:b LIKE 1]", Err(10));
    check("[a:b = 1] START t'2016-06-01T01:30:00Z'", Err(39));
    check("[null_test:name = null]", Err(18));
}

#[test]
fn error_messages_are_clear() {
    let e = parse("[a:b = ]").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unexpected \"]\", expected a literal (at byte 7)"
    );
    let e = parse("[a:b = 1").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unexpected end of pattern, expected ']' or a comparison operator (at byte 8)"
    );
    let e = parse("[a:b = 1] ?").unwrap_err();
    assert_eq!(e.to_string(), "invalid character '?' (at byte 10)");
}

#[test]
fn v20_start_stop_strings() {
    let src = "[a:b = 1] START '2016-06-01T01:30:00Z' STOP '2016-06-01T02:30:00Z'";
    assert!(parse(src).is_err());
    let p = parse_v20(src).unwrap();
    assert_eq!(
        p.to_string(),
        "[a:b = 1] START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:30:00Z'"
    );
}

#[test]
fn depth_is_bounded() {
    let ok = format!(
        "{}[a:b = 1]{}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(parse(&ok).is_ok());
    let deep = format!("{}[a:b = 1]{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(parse(&deep).unwrap_err().kind, ErrorKind::TooDeep);
    let deep = format!("[{}a:b = 1{}]", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(parse(&deep).unwrap_err().kind, ErrorKind::TooDeep);
    let long_chain = vec!["[a:b = 1]"; 20_000].join(" AND ");
    assert!(parse(&long_chain).is_ok());
    let too_long = "x".repeat(MAX_PATTERN_LEN + 1);
    assert_eq!(parse(&too_long).unwrap_err().kind, ErrorKind::TooLong);
}

/// Small deterministic generator (xorshift) so the test needs no extra crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = (rng.next() % 64) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let s = String::from_utf8_lossy(&bytes);
        let _ = parse(&s);
        let _ = crate::validate(&s);
    }
}

fn gen_comp(rng: &mut Rng, depth: u32) -> String {
    let paths = [
        "a:b",
        "x-y:'q r'",
        "file:hashes.MD5",
        "a:c[0]",
        "a:d[*].e",
        "a:'AND'.f[-2]",
    ];
    let lits = [
        "1",
        "-2.5",
        "'s\\'x'",
        "true",
        "b'AQ=='",
        "h'0a'",
        "t'2020-02-29T00:00:00Z'",
        "0.125",
    ];
    match rng.next() % if depth > 3 { 3 } else { 6 } {
        0 => format!(
            "{} {} {}",
            rng.pick(&paths),
            rng.pick(&["=", "!=", "NOT ="]),
            rng.pick(&lits)
        ),
        1 => format!(
            "{} {} 'v%'",
            rng.pick(&paths),
            rng.pick(&["LIKE", "MATCHES", "NOT ISSUBSET", "ISSUPERSET"])
        ),
        2 => format!(
            "{} IN ({}, {})",
            rng.pick(&paths),
            rng.pick(&lits),
            rng.pick(&lits)
        ),
        3 => format!("({})", gen_comp(rng, depth + 1)),
        4 => format!(
            "{} AND {}",
            gen_comp(rng, depth + 1),
            gen_comp(rng, depth + 1)
        ),
        _ => format!(
            "{} OR {}",
            gen_comp(rng, depth + 1),
            gen_comp(rng, depth + 1)
        ),
    }
}

fn gen_obs(rng: &mut Rng, depth: u32) -> String {
    let quals = [
        "",
        " WITHIN 5 SECONDS",
        " REPEATS 2 TIMES",
        " WITHIN 1.5 SECONDS REPEATS 3 TIMES",
        " START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'",
    ];
    let base = match rng.next() % if depth > 3 { 1 } else { 5 } {
        0 => format!("[{}]", gen_comp(rng, depth + 1)),
        1 => format!("({})", gen_obs(rng, depth + 1)),
        2 => format!(
            "{} AND {}",
            gen_obs(rng, depth + 1),
            gen_obs(rng, depth + 1)
        ),
        3 => format!("{} OR {}", gen_obs(rng, depth + 1), gen_obs(rng, depth + 1)),
        _ => format!(
            "{} FOLLOWEDBY {}",
            gen_obs(rng, depth + 1),
            gen_obs(rng, depth + 1)
        ),
    };
    if base.starts_with('[') || base.starts_with('(') {
        format!("{base}{}", rng.pick(&quals))
    } else {
        base
    }
}

#[test]
fn random_patterns_round_trip() {
    let mut rng = Rng(42);
    for _ in 0..3_000 {
        let s = gen_obs(&mut rng, 0);
        let p = parse(&s).unwrap_or_else(|e| panic!("{s}: {e}"));
        let text = p.to_string();
        assert_eq!(parse(&text).as_ref(), Ok(&p), "{s} -> {text}");
    }
}

#[test]
fn random_token_soup_never_panics() {
    let pieces = [
        "[",
        "]",
        "(",
        ")",
        "a:b",
        "x-y:'q r'",
        " = ",
        " NOT ",
        " IN ",
        " LIKE ",
        " EXISTS ",
        " AND ",
        " OR ",
        " FOLLOWEDBY ",
        " WITHIN 5 SECONDS",
        " REPEATS 2 TIMES",
        "1",
        "'s'",
        "b'AQ=='",
        ",",
        "'",
    ];
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let n = 1 + (rng.next() % 12) as usize;
        let s: String = (0..n).map(|_| rng.pick(&pieces)).collect();
        if let Ok(p) = parse(&s) {
            assert_eq!(parse(&p.to_string()).as_ref(), Ok(&p), "{s}");
        }
    }
}
