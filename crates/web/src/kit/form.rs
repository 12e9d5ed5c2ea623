//! Forms: the fields of a plain POST as pairs, its CSRF check ([`csrf`],
//! through [`Signed::check_csrf`]) and the 403 page ([`not_allowed`]); and form
//! bodies of the pages that take pasted or uploaded STIX: URL-encoded
//! or `multipart/form-data`, read up to the node's maximum content length
//! (the TAXII and REST limit, `max_content_length`) and answered 413 with
//! a page beyond it. The node's body rule (the server's) has refused a
//! larger body before it gets here; the limit here is its backstop.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::layout;
use crate::session::{Forbidden, Signed};
use crate::Site;

/// The fields of a submitted form: text fields in order (a name may repeat,
/// as checkboxes do), and the files chosen (empty file inputs left out).
#[derive(Default)]
pub(crate) struct Fields {
    text: Vec<(String, String)>,
    files: Vec<(String, Bytes)>,
}

impl Fields {
    /// The first value of a text field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.text.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    /// Every value of a text field (checkboxes), empty ones left out.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.text.iter().filter(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone()).collect()
    }

    /// The contents of the file chosen for `name`, if one was.
    pub fn file(&self, name: &str) -> Option<&Bytes> {
        self.files.iter().find(|(k, _)| k == name).map(|(_, b)| b)
    }

    /// The `csrf` field as [`super::session::Signed::check_csrf`] reads it.
    pub fn csrf(&self) -> HashMap<String, String> {
        HashMap::from([("csrf".to_owned(), self.get("csrf").to_owned())])
    }
}

/// The hidden CSRF field every form of a signed-in page carries.
pub(crate) fn csrf_field(signed: &Signed) -> maud::Markup {
    html! { input type="hidden" name="csrf" value=(signed.csrf); }
}

/// A page for a refused body.
pub(crate) fn refused(status: StatusCode, title: &str, message: String) -> Response {
    let body = layout(title, None, html! { p.error role="alert" { (message) } p { "Go back and try again." } });
    (status, Html(body.into_string())).into_response()
}

/// 413: the body is over the node's limit.
fn too_large(limit: u64) -> Response {
    refused(StatusCode::PAYLOAD_TOO_LARGE, "Too large", format!("That is more than this node accepts in one request ({limit} bytes). Split it into smaller parts."))
}

/// Reads a form body, URL-encoded or multipart, of at most the node's
/// maximum content length: 413 beyond, 400 when it cannot be read.
pub(crate) async fn read(state: &Site, req: Request) -> Result<Fields, Response> {
    let limit = state.max_content_length;
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, usize::try_from(limit).unwrap_or(usize::MAX)).await.map_err(|_| too_large(limit))?;
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let bad = |m: String| refused(StatusCode::BAD_REQUEST, "Bad request", m);
    if content_type.starts_with("multipart/form-data") {
        // The body is within the limit: the route disabled axum's own, which
        // the extractor would apply again to the rebuilt request.
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        let mut multipart = Multipart::from_request(req, state).await.map_err(|e| bad(format!("The form could not be read: {}", e.body_text())))?;
        let mut fields = Fields::default();
        while let Some(field) = multipart.next_field().await.map_err(|e| bad(format!("The form could not be read: {}", e.body_text())))? {
            let name = field.name().unwrap_or_default().to_owned();
            let is_file = field.file_name().is_some();
            let data = field.bytes().await.map_err(|e| bad(format!("The form could not be read: {}", e.body_text())))?;
            if is_file {
                if !data.is_empty() {
                    fields.files.push((name, data));
                }
            } else {
                let text = String::from_utf8(data.to_vec()).map_err(|_| bad(format!("The field {name} is not UTF-8 text.")))?;
                fields.text.push((name, text));
            }
        }
        Ok(fields)
    } else if content_type.is_empty() || content_type.starts_with("application/x-www-form-urlencoded") {
        Ok(Fields { text: form_urlencoded::parse(&bytes).into_owned().collect(), files: Vec::new() })
    } else {
        Err(refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported form", "Send the form as a browser does (URL-encoded or multipart).".to_owned()))
    }
}

/// A POST's fields, in order (checkbox groups repeat a name).
pub(crate) type Pairs = Vec<(String, String)>;

/// A 403 page saying why.
pub(crate) fn not_allowed(signed: &Signed, why: &str) -> Response {
    let body = layout("Not allowed", Some(signed), html! { p.error role="alert" { (why) } p { a href="/" { "Back to the dashboard" } } });
    (StatusCode::FORBIDDEN, Html(body.into_string())).into_response()
}

/// The CSRF check of a POST whose fields are pairs.
pub(crate) fn csrf(signed: &Signed, pairs: &Pairs) -> Result<(), Forbidden> {
    let form: HashMap<String, String> = pairs.iter().filter(|(k, _)| k == "csrf").cloned().collect();
    signed.check_csrf(&form)
}

/// The last value of field `name`, or "".
pub(crate) fn field(pairs: &Pairs, name: &str) -> String {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}
