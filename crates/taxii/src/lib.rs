//! TAXII 2.1 as bytes and types, without an HTTP framework: media types and
//! content negotiation, the filter parameters of listings, stateless paging
//! cursors, and the JSON resources (discovery, API root, collections,
//! manifest, versions, status, errors, envelopes).
//!
//! The server crate turns HTTP requests into these types and these types
//! into responses; everything here is pure and unit-tested.

mod cursor;
mod filter;
mod media;
mod resources;

pub use cursor::{CursorCodec, CursorError};
pub use filter::{Endpoint, Filter, FilterError, VersionMatch};
pub use media::{accepts_taxii, is_taxii_content_type, MEDIA_TYPE, STIX_MEDIA_TYPE};
pub use resources::*;

/// Header carrying the `date_added` of the first item of a listing.
pub const DATE_ADDED_FIRST: &str = "X-TAXII-Date-Added-First";
/// Header carrying the `date_added` of the last item of a listing.
pub const DATE_ADDED_LAST: &str = "X-TAXII-Date-Added-Last";

#[cfg(test)]
mod tests;

/// The name of the node's one API root: its collections are at
/// `/taxii2/{API_ROOT}/collections/{id}/`.
pub const API_ROOT: &str = "root";
