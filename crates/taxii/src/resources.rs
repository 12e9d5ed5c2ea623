//! The JSON resources of TAXII 2.1, as the server writes them.

use serde::{Deserialize, Serialize};

/// `GET /taxii2/`: server discovery.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Discovery {
    /// Human-readable name of the server.
    pub title: String,
    /// What the server is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who to contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The default API root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Every API root.
    pub api_roots: Vec<String>,
}

/// `GET {api-root}/`: API root information.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiRoot {
    /// Human-readable name.
    pub title: String,
    /// What it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The TAXII versions it speaks.
    pub versions: Vec<String>,
    /// The largest request body it accepts, in bytes.
    pub max_content_length: u64,
}

/// One collection as a caller sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Collection {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the caller may read its objects.
    pub can_read: bool,
    /// Whether the caller may add objects.
    pub can_write: bool,
    /// The media types of its objects.
    pub media_types: Vec<String>,
}

/// `GET {api-root}/collections/`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Collections {
    /// The collections the caller may see.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub collections: Vec<Collection>,
}

/// One entry of a manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestRecord {
    /// The object's id.
    pub id: String,
    /// When the version was added to the collection.
    pub date_added: String,
    /// The version (its `modified`, else `created`, else its date added).
    pub version: String,
    /// Its media type.
    pub media_type: String,
}

/// `GET .../manifest/`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Whether more records follow.
    pub more: bool,
    /// Where to continue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The records.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub objects: Vec<ManifestRecord>,
}

/// `GET .../objects/{id}/versions/`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Versions {
    /// Whether more versions follow.
    pub more: bool,
    /// Where to continue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The versions.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub versions: Vec<String>,
}

/// One object in a status resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusDetail {
    /// The object's id (or its position when the id is unreadable).
    pub id: String,
    /// Its version.
    pub version: String,
    /// What happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The status of an add request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Status {
    /// Its id.
    pub id: String,
    /// `pending` or `complete`.
    pub status: String,
    /// When the request arrived.
    pub request_timestamp: String,
    /// Objects in the request.
    pub total_count: u64,
    /// Objects stored (or already there).
    pub success_count: u64,
    /// Those objects.
    #[serde(default)]
    pub successes: Vec<StatusDetail>,
    /// Objects refused.
    pub failure_count: u64,
    /// Those objects, with the reason.
    #[serde(default)]
    pub failures: Vec<StatusDetail>,
    /// Objects not yet processed.
    pub pending_count: u64,
    /// Those objects.
    #[serde(default)]
    pub pendings: Vec<StatusDetail>,
}

/// A TAXII error message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    /// Short summary.
    pub title: String,
    /// What the client can do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A code for the kind of error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The HTTP status, as text.
    pub http_status: String,
}

/// Room kept in front of an envelope's objects for its opening members
/// (`{"more":…,"next":"…","objects":[`); a cursor from [`crate::CursorCodec`]
/// is well under it.
const HEADER_ROOM: usize = 256;

/// Writes an envelope as its objects come, from their stored bytes, without
/// re-serialising them. `more` and `next` are known only once the page is
/// read, but go first: the objects are written after [`HEADER_ROOM`] bytes
/// kept free, and [`EnvelopeWriter::finish`] writes the opening members
/// into the end of that room, so the page is copied once.
#[derive(Debug)]
pub struct EnvelopeWriter {
    buf: Vec<u8>,
    count: usize,
}

impl EnvelopeWriter {
    /// A writer with room for about `capacity` bytes of objects.
    pub fn with_capacity(capacity: usize) -> EnvelopeWriter {
        let mut buf = Vec::with_capacity(HEADER_ROOM + capacity + 2);
        buf.resize(HEADER_ROOM, 0);
        EnvelopeWriter { buf, count: 0 }
    }

    /// Appends one object's JSON bytes.
    pub fn push(&mut self, object: &[u8]) {
        if self.count > 0 {
            self.buf.push(b',');
        }
        self.buf.extend_from_slice(object);
        self.count += 1;
    }

    /// How many objects were pushed.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The finished envelope: `bytes[start..]` of the returned pair. An
    /// empty, final page is `{}`, as the reference server writes it.
    pub fn finish(mut self, more: bool, next: Option<&str>) -> (Vec<u8>, usize) {
        if !more && next.is_none() && self.count == 0 {
            return (b"{}".to_vec(), 0);
        }
        let mut head = Vec::with_capacity(64);
        head.extend_from_slice(if more { b"{\"more\":true" } else { b"{\"more\":false" });
        if let Some(n) = next {
            head.extend_from_slice(b",\"next\":");
            head.extend_from_slice(serde_json::to_string(n).unwrap_or_default().as_bytes());
        }
        if self.count > 0 {
            head.extend_from_slice(b",\"objects\":[");
            self.buf.push(b']');
        }
        self.buf.push(b'}');
        match HEADER_ROOM.checked_sub(head.len()) {
            Some(start) => {
                self.buf[start..HEADER_ROOM].copy_from_slice(&head);
                (self.buf, start)
            }
            None => {
                head.extend_from_slice(&self.buf[HEADER_ROOM..]);
                (head, 0)
            }
        }
    }
}
