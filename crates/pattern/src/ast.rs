//! Abstract syntax tree of a STIX pattern and its canonical `Display`
//! (printing a pattern and parsing the text back yields the same tree).

use std::fmt;

use base64::Engine as _;

/// A whole pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The top observation expression.
    pub root: ObsExpr,
}

/// Observation expressions (outside the brackets).
#[derive(Debug, Clone, PartialEq)]
pub enum ObsExpr {
    /// `[ comparison ]`
    Simple(CompExpr),
    /// `( observation expression )`
    Group(Box<ObsExpr>),
    /// A simple or grouped expression followed by one or more qualifiers, in source order.
    Qualified(Box<ObsExpr>, Vec<Qualifier>),
    /// `a AND b AND ...` (two or more operands, left-associative).
    And(Vec<ObsExpr>),
    /// `a OR b OR ...`
    Or(Vec<ObsExpr>),
    /// `a FOLLOWEDBY b FOLLOWEDBY ...`
    FollowedBy(Vec<ObsExpr>),
}

/// Observation expression qualifiers.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`; `n` is an int or float literal.
    Within(Number),
    /// `REPEATS n TIMES`
    Repeats(u64),
    /// `START t'..' STOP t'..'` (the timestamp texts without `t'` and `'`).
    StartStop(String, String),
}

impl Qualifier {
    /// The qualifier's type name as the OASIS validator spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Qualifier::Within(_) => "WITHIN",
            Qualifier::Repeats(_) => "REPEATS",
            Qualifier::StartStop(..) => "STARTSTOP",
        }
    }
}

/// A number as written in a WITHIN qualifier.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// Integer literal (decimal digits, no sign).
    Int(String),
    /// Float literal.
    Float(f64),
}

impl Number {
    /// Numeric value.
    pub fn value(&self) -> f64 {
        match self {
            Number::Int(s) => s.parse().unwrap_or(f64::INFINITY),
            Number::Float(f) => *f,
        }
    }
}

/// Comparison expressions (inside the brackets).
#[derive(Debug, Clone, PartialEq)]
pub enum CompExpr {
    /// `a AND b AND ...`
    And(Vec<CompExpr>),
    /// `a OR b OR ...`
    Or(Vec<CompExpr>),
    /// `path [NOT] op literal`
    Test(Comparison),
    /// `EXISTS path`
    Exists(ObjectPath),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `IN`
    In,
    /// `LIKE`
    Like,
    /// `MATCHES`
    Matches,
    /// `ISSUBSET`
    IsSubset,
    /// `ISSUPERSET`
    IsSuperset,
}

impl Op {
    /// The operator as written in a pattern.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Neq => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "IN",
            Op::Like => "LIKE",
            Op::Matches => "MATCHES",
            Op::IsSubset => "ISSUBSET",
            Op::IsSuperset => "ISSUPERSET",
        }
    }
}

/// One property test.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Left-hand side.
    pub path: ObjectPath,
    /// `NOT` before the operator.
    pub negated: bool,
    /// The operator.
    pub op: Op,
    /// Right-hand side (a [`Literal::Set`] for `IN`).
    pub value: Literal,
}

/// `type:first.second[0]...`
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectPath {
    /// Object type, e.g. `ipv4-addr`.
    pub object_type: String,
    /// Path steps; the first is always a [`PathStep::Key`].
    pub steps: Vec<PathStep>,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    /// A property name (quoted or not in the source).
    Key(String),
    /// `[n]` (may be negative).
    Index(i64),
    /// `[*]`
    AnyIndex,
}

/// Literal values.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Integer, as its decimal text with an optional leading `-` (arbitrary size).
    Int(String),
    /// Float.
    Float(f64),
    /// String (unescaped).
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// `b'...'` decoded.
    Binary(Vec<u8>),
    /// `h'...'` decoded.
    Hex(Vec<u8>),
    /// `t'...'`: the timestamp text between the quotes.
    Timestamp(String),
    /// `( a, b, ... )` for IN.
    Set(Vec<Literal>),
}

impl Literal {
    /// The integer value if it fits in an `i128`.
    pub fn as_i128(&self) -> Option<i128> {
        match self {
            Literal::Int(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// Is `s` usable as an unquoted path component?
fn plain_ident(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !crate::lexer::is_keyword(s)
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("'")?;
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("'")
}

fn write_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    let s = format!("{x}");
    if s.contains('.') {
        f.write_str(&s)
    } else {
        write!(f, "{s}.0")
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(s) => f.write_str(s),
            Literal::Float(x) => write_float(f, *x),
            Literal::Str(s) => write_quoted(f, s),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Binary(v) => {
                write!(
                    f,
                    "b'{}'",
                    base64::engine::general_purpose::STANDARD.encode(v)
                )
            }
            Literal::Hex(v) => {
                f.write_str("h'")?;
                for byte in v {
                    write!(f, "{byte:02x}")?;
                }
                f.write_str("'")
            }
            Literal::Timestamp(t) => write!(f, "t'{t}'"),
            Literal::Set(items) => {
                f.write_str("(")?;
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{it}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if plain_ident(k) {
                        f.write_str(k)?;
                    } else {
                        write_quoted(f, k)?;
                    }
                }
                PathStep::Index(n) => write!(f, "[{n}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.path)?;
        if self.negated {
            f.write_str("NOT ")?;
        }
        write!(f, "{} {}", self.op.as_str(), self.value)
    }
}

impl fmt::Display for CompExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompExpr::And(items) | CompExpr::Or(items) => {
                let is_and = matches!(self, CompExpr::And(_));
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(if is_and { " AND " } else { " OR " })?;
                    }
                    // Chains are flattened while parsing, so a nested chain of the
                    // same operator, or an OR under an AND, was written with
                    // parentheses: print them so the tree round-trips.
                    let parens = match it {
                        CompExpr::Or(_) => true,
                        CompExpr::And(_) => is_and,
                        _ => false,
                    };
                    if parens {
                        write!(f, "({it})")?;
                    } else {
                        write!(f, "{it}")?;
                    }
                }
                Ok(())
            }
            CompExpr::Test(c) => write!(f, "{c}"),
            CompExpr::Exists(p) => write!(f, "EXISTS {p}"),
        }
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within(Number::Int(s)) => write!(f, "WITHIN {s} SECONDS"),
            Qualifier::Within(Number::Float(x)) => {
                f.write_str("WITHIN ")?;
                write_float(f, *x)?;
                f.write_str(" SECONDS")
            }
            Qualifier::Repeats(n) => write!(f, "REPEATS {n} TIMES"),
            Qualifier::StartStop(a, b) => write!(f, "START t'{a}' STOP t'{b}'"),
        }
    }
}

impl fmt::Display for ObsExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObsExpr::Simple(c) => write!(f, "[{c}]"),
            ObsExpr::Group(e) => write!(f, "({e})"),
            ObsExpr::Qualified(e, qs) => {
                write!(f, "{e}")?;
                for q in qs {
                    write!(f, " {q}")?;
                }
                Ok(())
            }
            ObsExpr::And(items) | ObsExpr::Or(items) | ObsExpr::FollowedBy(items) => {
                let sep = match self {
                    ObsExpr::And(_) => " AND ",
                    ObsExpr::Or(_) => " OR ",
                    _ => " FOLLOWEDBY ",
                };
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    write!(f, "{it}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.root)
    }
}
