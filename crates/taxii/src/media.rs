//! TAXII media types and content negotiation.

/// The TAXII 2.1 media type, sent on every response.
pub const MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// The STIX 2.1 media type, reported in manifests.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";

/// Splits a media type into its lower-cased essence and its `version` parameter.
fn parse(media: &str) -> (String, Option<String>) {
    let mut parts = media.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let version = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("version")).then(|| v.trim().trim_matches('"').to_owned())
    });
    (essence, version)
}

/// Whether an `Accept` header admits a TAXII 2.1 response. A missing header,
/// `*/*`, `application/*` and `application/taxii+json` without a version
/// (meaning the latest) are accepted; another TAXII version or another type
/// is not.
pub fn accepts_taxii(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return true };
    if accept.trim().is_empty() {
        return true;
    }
    accept.split(',').any(|item| {
        let (essence, version) = parse(item);
        match essence.as_str() {
            "*/*" | "application/*" => true,
            "application/taxii+json" => version.is_none_or(|v| v == "2.1"),
            _ => false,
        }
    })
}

/// Whether a request's `Content-Type` is TAXII 2.1 (version absent or 2.1).
pub fn is_taxii_content_type(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let (essence, version) = parse(ct);
    essence == "application/taxii+json" && version.is_none_or(|v| v == "2.1")
}
