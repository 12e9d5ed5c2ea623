//! Lexer for STIX 2.1 patterns: longest match wins, ties go to the earlier
//! rule, as in the OASIS ANTLR grammar (keywords are case-sensitive).

#[cfg(test)]
mod tests;

use crate::error::{Error, ErrorKind, Result, Span};

/// Token kinds. Literal payloads are kept as the raw source text in [`Token::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // one variant per token of the grammar, named as STIXPattern.g4 names them
pub enum Tok {
    IntNeg,
    IntPos,
    FloatNeg,
    FloatPos,
    Hex,
    Binary,
    Str,
    Bool,
    Timestamp,
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
    IdentNoHyphen,
    IdentHyphen,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Quote,
    Colon,
    Dot,
    Comma,
    RParen,
    LParen,
    RBrack,
    LBrack,
    Plus,
    Minus,
    Power,
    Divide,
    Asterisk,
    Invalid,
    Eof,
}

/// One token: its kind, its source text and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// Kind of token.
    pub tok: Tok,
    /// Exact source text.
    pub text: &'a str,
    /// Byte span in the source.
    pub span: Span,
}

const KEYWORDS: &[(&str, Tok)] = &[
    ("AND", Tok::And),
    ("OR", Tok::Or),
    ("NOT", Tok::Not),
    ("FOLLOWEDBY", Tok::FollowedBy),
    ("LIKE", Tok::Like),
    ("MATCHES", Tok::Matches),
    ("ISSUPERSET", Tok::IsSuperset),
    ("ISSUBSET", Tok::IsSubset),
    ("EXISTS", Tok::Exists),
    ("LAST", Tok::Last),
    ("IN", Tok::In),
    ("START", Tok::Start),
    ("STOP", Tok::Stop),
    ("SECONDS", Tok::Seconds),
    ("WITHIN", Tok::Within),
    ("REPEATS", Tok::Repeats),
    ("TIMES", Tok::Times),
];

/// Is `word` (a whole identifier) a reserved word of the 2.1 grammar?
pub fn is_keyword(word: &str) -> bool {
    word == "true" || word == "false" || KEYWORDS.iter().any(|(k, _)| *k == word)
}

fn is_ws(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\r'
            | '\n'
            | '\u{000B}'
            | '\u{000C}'
            | '\u{0085}'
            | '\u{00a0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

fn digits(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Length of an integer body `'0' | [1-9][0-9]*` starting at `i`, if any.
fn int_body(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i) {
        Some(b'0') => Some(1),
        Some(c) if c.is_ascii_digit() => Some(digits(b, i) - i),
        _ => None,
    }
}

/// Length of a float body `[0-9]* '.' [0-9]+` starting at `i`, if any.
fn float_body(b: &[u8], i: usize) -> Option<usize> {
    let j = digits(b, i);
    if b.get(j) != Some(&b'.') {
        return None;
    }
    let k = digits(b, j + 1);
    if k == j + 1 {
        return None;
    }
    Some(k - i)
}

fn string_len(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'\'') {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\'' => return Some(j + 1 - i),
            b'\\' => match b.get(j + 1) {
                Some(b'\'') | Some(b'\\') => j += 2,
                _ => return None,
            },
            _ => j += 1,
        }
    }
    None
}

fn hex_len(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'h') || b.get(i + 1) != Some(&b'\'') {
        return None;
    }
    let mut j = i + 2;
    while j + 1 < b.len() && b[j].is_ascii_hexdigit() && b[j + 1].is_ascii_hexdigit() {
        j += 2;
    }
    (b.get(j) == Some(&b'\'')).then(|| j + 1 - i)
}

fn b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

fn binary_len(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'b') || b.get(i + 1) != Some(&b'\'') {
        return None;
    }
    let start = i + 2;
    let mut j = start;
    while j < b.len() && b64(b[j]) {
        j += 1;
    }
    let n = j - start;
    let mut pad = 0;
    while j < b.len() && b[j] == b'=' && pad < 2 {
        j += 1;
        pad += 1;
    }
    let ok = n > 0 && (n + pad) & 3 == 0 && (pad == 0 || n & 3 == 4 - pad);
    (ok && b.get(j) == Some(&b'\'')).then(|| j + 1 - i)
}

fn timestamp_len(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b't') || b.get(i + 1) != Some(&b'\'') {
        return None;
    }
    let s = i + 2;
    let d = |k: usize| b.get(s + k).copied().filter(u8::is_ascii_digit);
    let at = |k: usize, c: u8| b.get(s + k) == Some(&c);
    for k in [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18] {
        d(k)?;
    }
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return None;
    }
    let two = |k: usize| (b[s + k] - b'0') * 10 + (b[s + k + 1] - b'0');
    let (mo, da, h, mi, se) = (two(5), two(8), two(11), two(14), two(17));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut j = s + 19;
    if b.get(j) == Some(&b'.') {
        let k = digits(b, j + 1);
        if k == j + 1 {
            return None;
        }
        j = k;
    }
    if b.get(j) != Some(&b'Z') || b.get(j + 1) != Some(&b'\'') {
        return None;
    }
    Some(j + 2 - i)
}

fn ident_lens(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let c = *b.get(i)?;
    if !(c.is_ascii_alphabetic() || c == b'_') {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    let without = j - i;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-') {
        j += 1;
    }
    Some((without, j - i))
}

/// Splits `src` into tokens (comments and whitespace skipped), ending with [`Tok::Eof`].
/// Never fails: characters no rule accepts become [`Tok::Invalid`] tokens.
pub fn tokenize(src: &str) -> Vec<Token<'_>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let last_close = src.rfind("*/");
    let mut i = 0;
    while i < b.len() {
        let c = src[i..].chars().next().unwrap_or('\0');
        if is_ws(c) {
            i += c.len_utf8();
            continue;
        }
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            // Only search when a terminator exists further on, so that many
            // unterminated openers cannot make lexing quadratic.
            if last_close.is_some_and(|lc| lc >= i + 2) {
                if let Some(p) = src[i + 2..].find("*/") {
                    i += p + 4;
                    continue;
                }
            }
        }
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            let p = src[i..].find(['\r', '\n']).unwrap_or(src.len() - i);
            i += p;
            continue;
        }
        let (tok, len) = next_token(b, i, c);
        out.push(Token {
            tok,
            text: &src[i..i + len],
            span: Span::new(i, i + len),
        });
        i += len;
    }
    out.push(Token {
        tok: Tok::Eof,
        text: "",
        span: Span::new(b.len(), b.len()),
    });
    out
}

fn next_token(b: &[u8], i: usize, c: char) -> (Tok, usize) {
    // Candidates in rule order; the longest wins, first on ties.
    let mut best: (Tok, usize) = (Tok::Invalid, 0);
    let mut offer = |t: Tok, l: Option<usize>| {
        if let Some(l) = l {
            if l > best.1 {
                best = (t, l);
            }
        }
    };
    let sign = |s: u8| usize::from(b.get(i) == Some(&s));
    if b[i] == b'-' {
        offer(Tok::IntNeg, int_body(b, i + 1).map(|l| l + 1));
    }
    offer(
        Tok::IntPos,
        int_body(b, i + sign(b'+')).map(|l| l + sign(b'+')),
    );
    if b[i] == b'-' {
        offer(Tok::FloatNeg, float_body(b, i + 1).map(|l| l + 1));
    }
    offer(
        Tok::FloatPos,
        float_body(b, i + sign(b'+')).map(|l| l + sign(b'+')),
    );
    offer(Tok::Hex, hex_len(b, i));
    offer(Tok::Binary, binary_len(b, i));
    offer(Tok::Str, string_len(b, i));
    if b[i..].starts_with(b"true") {
        offer(Tok::Bool, Some(4));
    }
    if b[i..].starts_with(b"false") {
        offer(Tok::Bool, Some(5));
    }
    offer(Tok::Timestamp, timestamp_len(b, i));
    for (kw, t) in KEYWORDS {
        if b[i..].starts_with(kw.as_bytes()) {
            offer(*t, Some(kw.len()));
        }
    }
    if let Some((without, with)) = ident_lens(b, i) {
        offer(Tok::IdentNoHyphen, Some(without));
        offer(Tok::IdentHyphen, Some(with));
    }
    let two = b.get(i + 1).copied();
    let punct = match (b[i], two) {
        (b'=', Some(b'=')) => Some((Tok::Eq, 2)),
        (b'=', _) => Some((Tok::Eq, 1)),
        (b'!', Some(b'=')) => Some((Tok::Neq, 2)),
        (b'<', Some(b'>')) => Some((Tok::Neq, 2)),
        (b'<', Some(b'=')) => Some((Tok::Le, 2)),
        (b'<', _) => Some((Tok::Lt, 1)),
        (b'>', Some(b'=')) => Some((Tok::Ge, 2)),
        (b'>', _) => Some((Tok::Gt, 1)),
        (b'\'', _) => Some((Tok::Quote, 1)),
        (b':', _) => Some((Tok::Colon, 1)),
        (b'.', _) => Some((Tok::Dot, 1)),
        (b',', _) => Some((Tok::Comma, 1)),
        (b')', _) => Some((Tok::RParen, 1)),
        (b'(', _) => Some((Tok::LParen, 1)),
        (b']', _) => Some((Tok::RBrack, 1)),
        (b'[', _) => Some((Tok::LBrack, 1)),
        (b'+', _) => Some((Tok::Plus, 1)),
        (b'-', _) => Some((Tok::Minus, 1)),
        (b'^', _) => Some((Tok::Power, 1)),
        (b'/', _) => Some((Tok::Divide, 1)),
        (b'*', _) => Some((Tok::Asterisk, 1)),
        _ => None,
    };
    if let Some((t, l)) = punct {
        offer(t, Some(l));
    }
    if best.1 == 0 {
        best = (Tok::Invalid, c.len_utf8());
    }
    best
}

/// Unescapes the body of a string literal token (`'...'` with `\'` and `\\`).
pub fn unescape_string(text: &str) -> String {
    let inner = &text[1..text.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Error for an invalid character token.
pub(crate) fn invalid_char(t: &Token<'_>) -> Error {
    let c = t.text.chars().next().unwrap_or('\0');
    Error::new(ErrorKind::InvalidCharacter(c), t.span)
}

/// Convenience for tests and tools: tokenize and fail on the first invalid character.
pub fn tokenize_strict(src: &str) -> Result<Vec<Token<'_>>> {
    let toks = tokenize(src);
    if let Some(t) = toks.iter().find(|t| t.tok == Tok::Invalid) {
        return Err(invalid_char(t));
    }
    Ok(toks)
}
