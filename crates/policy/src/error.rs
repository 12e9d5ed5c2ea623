//! The one error type of the policy crate.

/// Why an agreement, ratification, notice, key or object could not be read.
///
/// Messages name the object and the property at fault, in the style of
/// `model::Error`: `x-entente-agreement--…: property `party_refs`: must list
/// at least two identities`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The object failed STIX validation in the model crate.
    #[error(transparent)]
    Model(#[from] model::Error),
    /// The object is not of the type the caller asked to read.
    #[error("{object}: is a `{found}`, expected `{expected}`")]
    WrongType {
        /// The object's id.
        object: String,
        /// The type that was expected.
        expected: &'static str,
        /// The type found.
        found: String,
    },
    /// A required property is absent.
    #[error("{object}: property `{property}`: required but missing")]
    Missing {
        /// The object's id.
        object: String,
        /// The property.
        property: String,
    },
    /// A property is present but its value breaks a rule.
    #[error("{object}: property `{property}`: {why}")]
    Invalid {
        /// The object's id.
        object: String,
        /// The property.
        property: String,
        /// What is wrong.
        why: String,
    },
    /// A key is not a valid Ed25519 key.
    #[error("bad key: {0}")]
    Key(String),
    /// A JSON number or value that RFC 8785 cannot canonicalise.
    #[error("cannot canonicalise: {0}")]
    Canonical(String),
}

impl Error {
    pub(crate) fn missing(object: impl ToString, property: impl Into<String>) -> Self {
        Error::Missing {
            object: object.to_string(),
            property: property.into(),
        }
    }

    pub(crate) fn invalid(
        object: impl ToString,
        property: impl Into<String>,
        why: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            object: object.to_string(),
            property: property.into(),
            why: why.into(),
        }
    }
}
