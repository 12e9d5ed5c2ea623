//! The node's one error: what a service call can fail with, named so that
//! each transport (REST, TAXII, pages, command line) maps it once.

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such object, agreement or module, or one the caller may not see
    /// (the two answer alike).
    #[error("{0}")]
    NotFound(String),
    /// The caller's role or partner may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The caller's input is at fault: the message names the object and
    /// the property.
    #[error("{0}")]
    Invalid(String),
    /// The store kept another version under the same id and time, or the
    /// object has another author.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The release log could not record a release: nothing is released.
    #[error("release log: {0}")]
    Log(String),
    /// Something the node holds is damaged (a stored value it cannot read).
    #[error("{0}")]
    Internal(String),
}

/// A service call's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
