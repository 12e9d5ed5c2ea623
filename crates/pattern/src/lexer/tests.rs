//! Unit tests for the lexer: longest match, rule priority, literals, comments.

use super::*;

fn check(input: &str, expect: &[(Tok, &str)]) {
    let got: Vec<(Tok, &str)> = tokenize(input)
        .into_iter()
        .filter(|t| t.tok != Tok::Eof)
        .map(|t| (t.tok, t.text))
        .collect();
    assert_eq!(got, expect, "{input:?}");
}

#[test]
fn simple_comparison() {
    check(
        "[file:size = 1280]",
        &[
            (Tok::LBrack, "["),
            (Tok::IdentNoHyphen, "file"),
            (Tok::Colon, ":"),
            (Tok::IdentNoHyphen, "size"),
            (Tok::Eq, "="),
            (Tok::IntPos, "1280"),
            (Tok::RBrack, "]"),
        ],
    );
}

#[test]
fn identifiers_with_hyphens_and_keywords() {
    check("network-traffic", &[(Tok::IdentHyphen, "network-traffic")]);
    check(
        "AND ANDY and",
        &[
            (Tok::And, "AND"),
            (Tok::IdentNoHyphen, "ANDY"),
            (Tok::IdentNoHyphen, "and"),
        ],
    );
    check(
        "true truex false",
        &[
            (Tok::Bool, "true"),
            (Tok::IdentNoHyphen, "truex"),
            (Tok::Bool, "false"),
        ],
    );
    check("within", &[(Tok::IdentNoHyphen, "within")]);
}

#[test]
fn numbers() {
    check(
        "-5 +5 0 007",
        &[
            (Tok::IntNeg, "-5"),
            (Tok::IntPos, "+5"),
            (Tok::IntPos, "0"),
            (Tok::IntPos, "0"),
            (Tok::IntPos, "0"),
            (Tok::IntPos, "7"),
        ],
    );
    check(
        "1.5 .5 -.5 1.",
        &[
            (Tok::FloatPos, "1.5"),
            (Tok::FloatPos, ".5"),
            (Tok::FloatNeg, "-.5"),
            (Tok::IntPos, "1"),
            (Tok::Dot, "."),
        ],
    );
}

#[test]
fn operators() {
    check(
        "= == != <> < <= > >=",
        &[
            (Tok::Eq, "="),
            (Tok::Eq, "=="),
            (Tok::Neq, "!="),
            (Tok::Neq, "<>"),
            (Tok::Lt, "<"),
            (Tok::Le, "<="),
            (Tok::Gt, ">"),
            (Tok::Ge, ">="),
        ],
    );
    check("=?", &[(Tok::Eq, "="), (Tok::Invalid, "?")]);
}

#[test]
fn strings() {
    check(r"'a\'b\\c'", &[(Tok::Str, r"'a\'b\\c'")]);
    assert_eq!(unescape_string(r"'a\'b\\c'"), r"a'b\c");
    // A bad escape or a missing quote leaves a lone quote token.
    assert_eq!(tokenize(r"'a\d'")[0].tok, Tok::Quote);
    assert_eq!(tokenize("'abc")[0].tok, Tok::Quote);
}

#[test]
fn binary_hex_timestamp() {
    check(
        "b'AQIDBA==' h'ff00'",
        &[(Tok::Binary, "b'AQIDBA=='"), (Tok::Hex, "h'ff00'")],
    );
    check(
        "b'===='",
        &[(Tok::IdentNoHyphen, "b"), (Tok::Str, "'===='")],
    );
    assert_eq!(tokenize("b''")[0].tok, Tok::IdentNoHyphen);
    assert_eq!(tokenize("h'f'")[0].tok, Tok::IdentNoHyphen);
    check(
        "t'2016-06-01T01:30:00.123Z'",
        &[(Tok::Timestamp, "t'2016-06-01T01:30:00.123Z'")],
    );
    check(
        "t'2016-06-01T01:30:60Z'",
        &[(Tok::Timestamp, "t'2016-06-01T01:30:60Z'")],
    );
    for bad in [
        "t'2024-13-01T00:00:00Z'",
        "t'2024-01-00T00:00:00Z'",
        "t'2024-01-01T24:00:00Z'",
        "t'2024-01-01T00:00:00'",
    ] {
        assert_eq!(tokenize(bad)[0].tok, Tok::IdentNoHyphen, "{bad}");
    }
}

#[test]
fn comments_and_whitespace() {
    check(
        "/* x */ [ // y\n ]\u{3000}",
        &[(Tok::LBrack, "["), (Tok::RBrack, "]")],
    );
    check(
        "/* open",
        &[
            (Tok::Divide, "/"),
            (Tok::Asterisk, "*"),
            (Tok::IdentNoHyphen, "open"),
        ],
    );
}

#[test]
fn spans_are_byte_offsets() {
    let toks = tokenize("é [a");
    assert_eq!(toks[0].tok, Tok::Invalid);
    assert_eq!(toks[0].span, Span::new(0, 2));
    assert_eq!(toks[1].span, Span::new(3, 4));
    assert!(tokenize_strict("[a").is_ok());
    assert_eq!(tokenize_strict("a ?").unwrap_err().span, Span::new(2, 3));
}

#[test]
fn lexing_is_linear_on_hostile_input() {
    let start = std::time::Instant::now();
    for piece in ["/* ", "'\\d", "b'AAAA", "// x\n", "t'2020-", "-.", "h'0"] {
        let src = piece.repeat(200_000);
        let toks = tokenize(&src);
        assert!(!toks.is_empty());
    }
    assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
}
