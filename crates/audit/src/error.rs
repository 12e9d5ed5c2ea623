//! The one error type of the audit crate.

use std::path::PathBuf;

/// Why the release log could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened, read, written or synced.
    #[error("release log {path}: {source}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The existing file's last line is incomplete or wrong, so the chain
    /// cannot be continued; nothing was changed.
    #[error("release log {path}: line {line}: {what}; run `entente audit verify`, keep a copy, and remove the damaged tail by hand")]
    Damaged {
        /// The log file.
        path: PathBuf,
        /// The 1-based line at fault.
        line: u64,
        /// What is wrong with it.
        what: String,
    },
    /// The draft cannot be recorded as given (a deny without a reason, a
    /// reason on a release, a bad channel name).
    #[error("release log entry: {0}")]
    Invalid(String),
    /// An earlier write failed and could not be rolled back: the file may
    /// end in a partial line, so the log refuses to append after it.
    #[error("release log {path}: refusing to append after a write that could not be rolled back")]
    Broken {
        /// The log file.
        path: PathBuf,
    },
    /// A thread panicked while appending; the log is no longer trusted in
    /// this process.
    #[error("release log: a thread panicked while appending")]
    Poisoned,
}

impl Error {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io { path: path.to_path_buf(), source }
    }
}
