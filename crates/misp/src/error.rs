//! The crate's one error type: what was wrong, and in which event and field.

/// Why a MISP event, feed or export could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not JSON.
    #[error("{source_name}: not JSON: {message}")]
    Json {
        /// The file or event the bytes came from.
        source_name: String,
        /// serde_json's message, with line and column.
        message: String,
    },
    /// The JSON is not a MISP event: the event (its uuid, or where it came
    /// from) and the field at fault are named.
    #[error("event {event}: {field}: {message}")]
    Field {
        /// The event's uuid, or the file it came from when it has none.
        event: String,
        /// The field at fault (`Event.uuid`, `Attribute[3].value`, ...).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Reading or writing a feed's files.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn field(event: &str, field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Field { event: event.to_owned(), field: field.into(), message: message.into() }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io { path: path.display().to_string(), source }
    }
}
