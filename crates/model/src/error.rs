//! The one error type of the model crate: which object, which property, what is wrong.

use std::fmt;

/// What is wrong with an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The bytes are not one well-formed JSON object (syntax, truncation, duplicate key).
    Json(String),
    /// A required property is absent.
    Missing,
    /// A property is present but its value breaks a rule; the string says which.
    Invalid(String),
    /// The object is larger than the configured limit.
    TooLarge {
        /// Size of the object in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
}

/// An object that cannot be trusted, with enough context for a person to fix it.
///
/// `object` is the object's `id` when it could be read, otherwise a position
/// such as `#17` (the 17th object of an input); `property` is a JSON path
/// such as `granular_markings[0].selectors[1]` when the fault is in one
/// property.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    /// The object's id, or its position in the input.
    pub object: Option<String>,
    /// The property at fault, if the fault is in one property.
    pub property: Option<String>,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl Error {
    pub(crate) fn json(msg: impl Into<String>) -> Self {
        Error { object: None, property: None, kind: ErrorKind::Json(msg.into()) }
    }

    pub(crate) fn missing(property: impl Into<String>) -> Self {
        Error { object: None, property: Some(property.into()), kind: ErrorKind::Missing }
    }

    pub(crate) fn invalid(property: impl Into<String>, why: impl Into<String>) -> Self {
        Error {
            object: None,
            property: Some(property.into()),
            kind: ErrorKind::Invalid(why.into()),
        }
    }

    pub(crate) fn too_large(size: usize, limit: usize) -> Self {
        Error { object: None, property: None, kind: ErrorKind::TooLarge { size, limit } }
    }

    /// Names the object the error is about, unless it is already named.
    pub fn for_object(mut self, object: impl Into<String>) -> Self {
        if self.object.is_none() {
            self.object = Some(object.into());
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.object {
            Some(o) => write!(f, "{o}")?,
            None => write!(f, "object")?,
        }
        if let Some(p) = &self.property {
            write!(f, ": property `{p}`")?;
        }
        match &self.kind {
            ErrorKind::Json(m) => write!(f, ": malformed JSON: {m}"),
            ErrorKind::Missing => write!(f, ": required but missing"),
            ErrorKind::Invalid(m) => write!(f, ": {m}"),
            ErrorKind::TooLarge { size, limit } => {
                write!(f, ": {size} bytes is over the limit of {limit} bytes")
            }
        }
    }
}
