//! The crate's error type: every failure carries a kind and a byte span.

use std::fmt;

/// A half-open byte range `[start, end)` into the pattern text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte of the offending text.
    pub start: usize,
    /// One past the last byte of the offending text.
    pub end: usize,
}

impl Span {
    /// Builds a span from its two ends.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorKind {
    /// A character that no lexer rule accepts (or an unterminated literal).
    InvalidCharacter(char),
    /// The parser met a token it did not expect.
    UnexpectedToken {
        /// The text of the token found.
        found: String,
        /// What the grammar allowed at this point.
        expected: String,
    },
    /// The input ended where more was needed.
    UnexpectedEnd {
        /// What the grammar allowed at this point.
        expected: String,
    },
    /// Parentheses / brackets nested deeper than [`crate::MAX_DEPTH`].
    TooDeep,
    /// The pattern text is longer than [`crate::MAX_PATTERN_LEN`].
    TooLong,
    /// Strict validation: the same qualifier type applied twice to one observation expression.
    DuplicateQualifier(&'static str),
    /// Strict validation: a hash literal that is malformed for its algorithm.
    InvalidHash {
        /// The literal value (as written, quotes removed).
        value: String,
        /// The hash algorithm name as written in the path.
        algorithm: String,
    },
    /// A literal that is syntactically fine but semantically invalid (e.g. 30 February).
    InvalidLiteral(String),
    /// The pattern could not be evaluated against the data.
    Evaluation(String),
    /// The observed data is malformed.
    Data(String),
    /// Evaluation exceeded a resource bound.
    Limit(String),
    /// Evaluation ran out of its [`crate::matcher::Budget`].
    Budget(Exceeded),
}

/// Which part of a [`crate::matcher::Budget`] a match ran out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// More matching steps than the budget allowed (the number allowed).
    Steps(u64),
    /// The budget's deadline passed.
    Deadline,
    /// The budget's cancel flag was set (the caller went away).
    Cancelled,
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exceeded::Steps(n) => write!(f, "more than {n} matching steps"),
            Exceeded::Deadline => write!(f, "out of time"),
            Exceeded::Cancelled => write!(f, "cancelled"),
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::InvalidCharacter(c) => write!(f, "invalid character {c:?}"),
            ErrorKind::UnexpectedToken { found, expected } => {
                write!(f, "unexpected {found:?}, expected {expected}")
            }
            ErrorKind::UnexpectedEnd { expected } => {
                write!(f, "unexpected end of pattern, expected {expected}")
            }
            ErrorKind::TooDeep => write!(f, "pattern nested too deeply"),
            ErrorKind::TooLong => write!(f, "pattern too long"),
            ErrorKind::DuplicateQualifier(q) => {
                write!(f, "duplicate qualifier type encountered: {q}")
            }
            ErrorKind::InvalidHash { value, algorithm } => {
                write!(f, "'{value}' is not a valid {algorithm} hash")
            }
            ErrorKind::InvalidLiteral(m) => write!(f, "invalid literal: {m}"),
            ErrorKind::Evaluation(m) => write!(f, "cannot evaluate pattern: {m}"),
            ErrorKind::Data(m) => write!(f, "invalid observed data: {m}"),
            ErrorKind::Limit(m) => write!(f, "resource limit exceeded: {m}"),
            ErrorKind::Budget(e) => write!(f, "budget exceeded: {e}"),
        }
    }
}

/// The crate's error: a kind plus the byte span of the pattern text it concerns
/// (an empty span at 0 for errors about the observed data).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind} (at byte {})", span.start)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Where in the pattern.
    pub span: Span,
}

impl Error {
    /// Builds an error.
    pub fn new(kind: ErrorKind, span: Span) -> Self {
        Error { kind, span }
    }

    /// An error about evaluation, not tied to a place in the pattern.
    pub fn eval(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Evaluation(msg.into()), Span::default())
    }

    /// An error about the observed data.
    pub fn data(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Data(msg.into()), Span::default())
    }

    /// A resource-limit error.
    pub fn limit(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Limit(msg.into()), Span::default())
    }

    /// A budget error.
    pub fn budget(e: Exceeded) -> Self {
        Error::new(ErrorKind::Budget(e), Span::default())
    }

    /// The part of the budget this error ran out of, if it is a budget error.
    pub fn exceeded(&self) -> Option<Exceeded> {
        match self.kind {
            ErrorKind::Budget(e) => Some(e),
            _ => None,
        }
    }
}

/// Shorthand result type.
pub type Result<T> = std::result::Result<T, Error>;
