//! STIX 2.1 patterning for Entente: lexer, parser, strict validator, matcher
//! against observed data, and a JSON Lines runner.
//!
//! ```
//! let p = pattern::parse("[ipv4-addr:value = '198.51.100.1']").unwrap();
//! assert_eq!(p.to_string(), "[ipv4-addr:value = '198.51.100.1']");
//! assert!(pattern::validate("[file:hashes.MD5 = 'x']").is_err());
//! ```
//!
//! Regular expressions (`MATCHES`) use the linear-time `regex` crate, so
//! look-around and back-references are rejected with an error; see
//! `DIFFERENCES.md` for every known departure from the OASIS reference.

pub mod ast;
pub mod detect;
pub mod error;
pub mod jsonl;
pub mod lexer;
pub mod matcher;
pub mod observables;
pub mod parser;
pub mod timestamp;
pub mod validate;

pub use ast::Pattern;
pub use detect::Detector;
pub use error::{Error, ErrorKind, Exceeded, Result, Span};
pub use jsonl::run_jsonl;
pub use matcher::{check_runnable, match_observation, match_observation_within, match_pattern, Budget, StixVersion};
pub use observables::equality_observables;
pub use parser::parse;
pub use validate::{is_valid, validate};

/// Deepest nesting of `(` / `[` accepted by the parser.
pub const MAX_DEPTH: usize = 64;

/// Longest pattern text accepted, in bytes.
pub const MAX_PATTERN_LEN: usize = 1 << 20;
