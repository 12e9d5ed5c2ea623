//! Files a module offers from its state ([`crate::Module::files`],
//! [`crate::Module::file`]): an exercise's after-action report, a crisis's
//! review, a ledger as CSV. A file is drawn from the state the reader's
//! node derived from the records the reader may see (`node::modules::file`
//! reads it through the one read path), so it says nothing the module's
//! page would not.
//!
//! [`csv`] writes CSV (RFC 4180) that a spreadsheet opens as text: every
//! field is quoted, and a field that a spreadsheet would read as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return; OWASP's
//! "CSV injection") gets a leading `'`, so partners' text never runs.

use crate::Error;

/// A file a module offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Its name in paths and commands (`report.pdf`, `ledger.csv`).
    pub name: &'static str,
    /// One sentence: what it holds.
    pub about: &'static str,
    /// The kind of record it is about, when it is about one (an exercise,
    /// a crisis): the caller names the record (`of`).
    pub of: Option<&'static str>,
}

/// A file's bytes, its media type and a name to save it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// A file name to save it under (ASCII letters, digits, `-`, `.`).
    pub name: String,
    /// Its media type (`application/pdf`, `text/html; charset=utf-8`,
    /// `text/csv; charset=utf-8`).
    pub media_type: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The media type of HTML.
pub const HTML: &str = "text/html; charset=utf-8";
/// The media type of PDF.
pub const PDF: &str = "application/pdf";
/// The media type of CSV.
pub const CSV: &str = "text/csv; charset=utf-8";

/// "No such file" for `name` of module `module` (or not about `of`).
pub fn not_found(module: &str, name: &str) -> Error {
    Error::NotFound(format!("{module} offers no file `{name}`"))
}

/// The record a file is `of`, required: refused naming `of` when missing.
pub fn required(of: Option<&str>, what: &str) -> Result<String, Error> {
    of.filter(|o| !o.is_empty()).map(str::to_owned).ok_or_else(|| Error::input("of", format!("is required: the {what} the file is about")))
}

/// A file name from a stem and an id: the id's letters and digits only.
pub fn name_of(stem: &str, id: &str, extension: &str) -> String {
    let tail: String = id.rsplit("--").next().unwrap_or(id).chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(36).collect();
    if tail.is_empty() {
        format!("{stem}.{extension}")
    } else {
        format!("{stem}-{tail}.{extension}")
    }
}

/// CSV with a header row: every field quoted, quotes doubled, lines ended
/// by CRLF, and a field a spreadsheet would take for a formula prefixed
/// with `'` ([`cell`]).
pub fn csv(head: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut first = true;
        for c in cells {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('"');
            out.push_str(&cell(c).replace('"', "\"\""));
            out.push('"');
        }
        out.push_str("\r\n");
    };
    line(&mut head.iter().copied());
    for r in rows {
        line(&mut r.iter().map(String::as_str));
    }
    out.into_bytes()
}

/// A field as written: prefixed with `'` when a spreadsheet would read it
/// as a formula (first character `=`, `+`, `-`, `@`, tab or carriage
/// return). A number that starts with `-` (`-12.5`) stays a number.
pub fn cell(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<f64>().is_err();
    if formula {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Property `key` of a state's object as text for a file: a string as it
/// is, nothing for null or missing, a whole number without decimals (`4`,
/// never `4.0` or `-0`), anything else as JSON.
pub fn text(v: &serde_json::Value, key: &str) -> String {
    match &v[key] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}
