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

/// Writes an envelope from stored object bytes, without re-serialising them.
/// An empty, final page is `{}`, as the reference server writes it.
pub fn envelope<'a>(more: bool, next: Option<&str>, objects: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let objects: Vec<&[u8]> = objects.into_iter().collect();
    if !more && next.is_none() && objects.is_empty() {
        return b"{}".to_vec();
    }
    // Sized once: a page of a thousand objects is most of a megabyte, and
    // growing by doubling would copy it about twice over.
    let size = objects.iter().map(|o| o.len() + 1).sum::<usize>() + next.map_or(0, |n| n.len() * 2 + 16) + 32;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(if more { b"{\"more\":true" } else { b"{\"more\":false" });
    if let Some(n) = next {
        out.extend_from_slice(b",\"next\":");
        out.extend_from_slice(serde_json::to_string(n).unwrap_or_default().as_bytes());
    }
    let mut first = true;
    for o in objects {
        out.extend_from_slice(if first { b",\"objects\":[" } else { b"," });
        first = false;
        out.extend_from_slice(o);
    }
    if !first {
        out.push(b']');
    }
    out.push(b'}');
    out
}
