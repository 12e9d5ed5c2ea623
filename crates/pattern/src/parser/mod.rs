//! Recursive-descent parser for the STIX 2.1 pattern grammar. Never panics;
//! nesting is bounded by [`crate::MAX_DEPTH`] and input length by
//! [`crate::MAX_PATTERN_LEN`].

#[cfg(test)]
mod tests;

use base64::Engine as _;

use crate::ast::*;
use crate::error::{Error, ErrorKind, Result, Span};
use crate::lexer::{invalid_char, tokenize, unescape_string, Tok, Token};
use crate::{MAX_DEPTH, MAX_PATTERN_LEN};

/// Parses a STIX 2.1 pattern (grammar only; see [`crate::validate`] for the strict checks).
pub fn parse(src: &str) -> Result<Pattern> {
    parse_dialect(src, false)
}

/// Parses with STIX 2.0 leniency: `START`/`STOP` also take plain string
/// literals (`START '2016-01-01T00:00:00Z'`), as in the 2.0 grammar.
pub fn parse_v20(src: &str) -> Result<Pattern> {
    parse_dialect(src, true)
}

fn parse_dialect(src: &str, v20: bool) -> Result<Pattern> {
    if src.len() > MAX_PATTERN_LEN {
        return Err(Error::new(
            ErrorKind::TooLong,
            Span::new(MAX_PATTERN_LEN, src.len()),
        ));
    }
    let toks = tokenize(src);
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        v20,
    };
    let root = p.obs_exprs()?;
    p.expect(Tok::Eof, "end of pattern")?;
    Ok(Pattern { root })
}

struct Parser<'a> {
    toks: Vec<Token<'a>>,
    pos: usize,
    depth: usize,
    v20: bool,
}

fn describe(t: Tok) -> &'static str {
    match t {
        Tok::LBrack => "'['",
        Tok::RBrack => "']'",
        Tok::LParen => "'('",
        Tok::RParen => "')'",
        Tok::Colon => "':'",
        Tok::Seconds => "'SECONDS'",
        Tok::Times => "'TIMES'",
        Tok::Stop => "'STOP'",
        Tok::Timestamp => "a timestamp literal",
        Tok::IntPos => "a positive integer",
        Tok::Str => "a string literal",
        Tok::Eof => "end of pattern",
        _ => "a token",
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token<'a> {
        // The token list always ends with Eof and we never advance past it.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Token<'a> {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn at(&self, t: Tok) -> bool {
        self.peek().tok == t
    }

    fn error(&self, expected: &str) -> Error {
        let t = self.peek();
        match t.tok {
            Tok::Invalid => invalid_char(t),
            Tok::Eof => Error::new(
                ErrorKind::UnexpectedEnd {
                    expected: expected.into(),
                },
                t.span,
            ),
            _ => Error::new(
                ErrorKind::UnexpectedToken {
                    found: t.text.into(),
                    expected: expected.into(),
                },
                t.span,
            ),
        }
    }

    fn expect(&mut self, t: Tok, what: &str) -> Result<Token<'a>> {
        if self.at(t) {
            Ok(self.bump())
        } else {
            Err(self.error(what))
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(ErrorKind::TooDeep, self.peek().span));
        }
        Ok(())
    }

    fn obs_exprs(&mut self) -> Result<ObsExpr> {
        let mut items = vec![self.obs_or()?];
        while self.at(Tok::FollowedBy) {
            self.bump();
            items.push(self.obs_or()?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            ObsExpr::FollowedBy(items)
        })
    }

    fn obs_or(&mut self) -> Result<ObsExpr> {
        let mut items = vec![self.obs_and()?];
        while self.at(Tok::Or) {
            self.bump();
            items.push(self.obs_and()?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            ObsExpr::Or(items)
        })
    }

    fn obs_and(&mut self) -> Result<ObsExpr> {
        let mut items = vec![self.obs_expr()?];
        while self.at(Tok::And) {
            self.bump();
            items.push(self.obs_expr()?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            ObsExpr::And(items)
        })
    }

    fn obs_expr(&mut self) -> Result<ObsExpr> {
        self.enter()?;
        let base = match self.peek().tok {
            Tok::LBrack => {
                self.bump();
                let c = self.comp_expr()?;
                self.expect(Tok::RBrack, "']' or a comparison operator")?;
                ObsExpr::Simple(c)
            }
            Tok::LParen => {
                self.bump();
                let e = self.obs_exprs()?;
                self.expect(Tok::RParen, "')'")?;
                ObsExpr::Group(Box::new(e))
            }
            _ => return Err(self.error("'[' or '('")),
        };
        self.depth -= 1;
        let mut quals = Vec::new();
        loop {
            match self.peek().tok {
                Tok::Within => {
                    self.bump();
                    let t = self.peek().clone();
                    let n = match t.tok {
                        Tok::IntPos => Number::Int(t.text.trim_start_matches('+').to_string()),
                        Tok::FloatPos => Number::Float(parse_float(t.text)),
                        _ => return Err(self.error("a positive integer or float")),
                    };
                    self.bump();
                    self.expect(Tok::Seconds, "'SECONDS'")?;
                    quals.push(Qualifier::Within(n));
                }
                Tok::Repeats => {
                    self.bump();
                    let t = self.expect(Tok::IntPos, describe(Tok::IntPos))?;
                    let n = t
                        .text
                        .trim_start_matches('+')
                        .parse::<u64>()
                        .unwrap_or(u64::MAX);
                    self.expect(Tok::Times, "'TIMES'")?;
                    quals.push(Qualifier::Repeats(n));
                }
                Tok::Start => {
                    self.bump();
                    let a = self.start_stop_time()?;
                    self.expect(Tok::Stop, "'STOP'")?;
                    let b = self.start_stop_time()?;
                    quals.push(Qualifier::StartStop(a, b));
                }
                _ => break,
            }
        }
        Ok(if quals.is_empty() {
            base
        } else {
            ObsExpr::Qualified(Box::new(base), quals)
        })
    }

    fn start_stop_time(&mut self) -> Result<String> {
        if self.v20 && self.at(Tok::Str) {
            return Ok(unescape_string(self.bump().text));
        }
        let t = self.expect(Tok::Timestamp, describe(Tok::Timestamp))?;
        Ok(ts_inner(t.text))
    }

    fn comp_expr(&mut self) -> Result<CompExpr> {
        let mut items = vec![self.comp_and()?];
        while self.at(Tok::Or) {
            self.bump();
            items.push(self.comp_and()?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            CompExpr::Or(items)
        })
    }

    fn comp_and(&mut self) -> Result<CompExpr> {
        let mut items = vec![self.prop_test()?];
        while self.at(Tok::And) {
            self.bump();
            items.push(self.prop_test()?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            CompExpr::And(items)
        })
    }

    fn prop_test(&mut self) -> Result<CompExpr> {
        match self.peek().tok {
            Tok::LParen => {
                self.enter()?;
                self.bump();
                let e = self.comp_expr()?;
                self.expect(Tok::RParen, "')'")?;
                self.depth -= 1;
                Ok(e)
            }
            Tok::Exists => {
                self.bump();
                Ok(CompExpr::Exists(self.object_path()?))
            }
            _ => {
                let path = self.object_path()?;
                let negated = if self.at(Tok::Not) {
                    self.bump();
                    true
                } else {
                    false
                };
                let op = match self.peek().tok {
                    Tok::Eq => Op::Eq,
                    Tok::Neq => Op::Neq,
                    Tok::Lt => Op::Lt,
                    Tok::Le => Op::Le,
                    Tok::Gt => Op::Gt,
                    Tok::Ge => Op::Ge,
                    Tok::In => Op::In,
                    Tok::Like => Op::Like,
                    Tok::Matches => Op::Matches,
                    Tok::IsSubset => Op::IsSubset,
                    Tok::IsSuperset => Op::IsSuperset,
                    _ => return Err(self.error("a comparison operator")),
                };
                self.bump();
                let value = match op {
                    Op::Eq | Op::Neq => self.literal(true)?,
                    Op::Lt | Op::Le | Op::Gt | Op::Ge => self.literal(false)?,
                    Op::In => self.set_literal()?,
                    _ => {
                        let t = self.expect(Tok::Str, describe(Tok::Str))?;
                        Literal::Str(unescape_string(t.text))
                    }
                };
                Ok(CompExpr::Test(Comparison {
                    path,
                    negated,
                    op,
                    value,
                }))
            }
        }
    }

    fn set_literal(&mut self) -> Result<Literal> {
        self.expect(Tok::LParen, "'('")?;
        let mut items = Vec::new();
        if self.at(Tok::RParen) {
            self.bump();
            return Ok(Literal::Set(items));
        }
        loop {
            items.push(self.literal(true)?);
            if self.at(Tok::Comma) {
                self.bump();
                continue;
            }
            self.expect(Tok::RParen, "',' or ')'")?;
            return Ok(Literal::Set(items));
        }
    }

    fn literal(&mut self, allow_bool: bool) -> Result<Literal> {
        let t = self.peek().clone();
        let lit = match t.tok {
            Tok::IntPos | Tok::IntNeg => Literal::Int(t.text.trim_start_matches('+').to_string()),
            Tok::FloatPos | Tok::FloatNeg => Literal::Float(parse_float(t.text)),
            Tok::Str => Literal::Str(unescape_string(t.text)),
            Tok::Bool if allow_bool => Literal::Bool(t.text == "true"),
            Tok::Binary => {
                let body = &t.text[2..t.text.len() - 1];
                match base64::engine::general_purpose::STANDARD.decode(body) {
                    Ok(v) => Literal::Binary(v),
                    Err(e) => {
                        return Err(Error::new(ErrorKind::InvalidLiteral(e.to_string()), t.span))
                    }
                }
            }
            Tok::Hex => Literal::Hex(decode_hex(&t.text[2..t.text.len() - 1])),
            Tok::Timestamp => Literal::Timestamp(ts_inner(t.text)),
            _ => return Err(self.error("a literal")),
        };
        self.bump();
        Ok(lit)
    }

    fn object_path(&mut self) -> Result<ObjectPath> {
        let t = self.peek().clone();
        if !matches!(t.tok, Tok::IdentNoHyphen | Tok::IdentHyphen) {
            return Err(self.error("an object type"));
        }
        self.bump();
        self.expect(Tok::Colon, "':'")?;
        let mut steps = Vec::new();
        let first = self.peek().clone();
        match first.tok {
            Tok::IdentNoHyphen => steps.push(PathStep::Key(first.text.to_string())),
            Tok::Str => steps.push(PathStep::Key(unescape_string(first.text))),
            _ => return Err(self.error("a property name")),
        }
        self.bump();
        loop {
            match self.peek().tok {
                Tok::Dot => {
                    self.bump();
                    let k = self.peek().clone();
                    match k.tok {
                        Tok::IdentNoHyphen => steps.push(PathStep::Key(k.text.to_string())),
                        Tok::Str => steps.push(PathStep::Key(unescape_string(k.text))),
                        _ => return Err(self.error("a property name")),
                    }
                    self.bump();
                }
                Tok::LBrack => {
                    self.bump();
                    let k = self.peek().clone();
                    match k.tok {
                        Tok::Asterisk => steps.push(PathStep::AnyIndex),
                        Tok::IntPos | Tok::IntNeg => {
                            let n =
                                k.text.trim_start_matches('+').parse::<i64>().map_err(|_| {
                                    Error::new(
                                        ErrorKind::InvalidLiteral("index too large".into()),
                                        k.span,
                                    )
                                })?;
                            steps.push(PathStep::Index(n))
                        }
                        _ => return Err(self.error("an integer or '*'")),
                    }
                    self.bump();
                    self.expect(Tok::RBrack, "']'")?;
                }
                _ => break,
            }
        }
        Ok(ObjectPath {
            object_type: t.text.to_string(),
            steps,
        })
    }
}

fn parse_float(text: &str) -> f64 {
    text.trim_start_matches('+').parse().unwrap_or(0.0)
}

fn ts_inner(text: &str) -> String {
    text[2..text.len() - 1].to_string()
}

fn decode_hex(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let val = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    b.chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| val(c[0]) << 4 | val(c[1]))
        .collect()
}

impl std::str::FromStr for Pattern {
    type Err = Error;

    /// Same as [`parse`].
    fn from_str(s: &str) -> Result<Pattern> {
        parse(s)
    }
}
