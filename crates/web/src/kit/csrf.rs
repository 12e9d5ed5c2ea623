//! CSRF: a form's token compared in constant time with the one expected
//! (the session's, or the sign-in form's cookie), and the 403 page of a
//! form whose token is missing or wrong. Every POST of the pages checks it
//! first ([`crate::session::Signed::check_csrf`]).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use subtle::ConstantTimeEq;

use super::layout;

/// Whether a form's token `a` is the expected `b` (never an empty one),
/// compared in constant time.
pub(crate) fn same(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// 403: the form's token is missing or wrong.
pub(crate) fn forbidden() -> Response {
    let body = layout("Refused", None, html! { p { "This form has expired or did not come from this site. Go back, reload the page and try again." } });
    (StatusCode::FORBIDDEN, Html(body.into_string())).into_response()
}

/// A POST whose CSRF token is missing or wrong: 403 with a page saying so.
pub struct Forbidden;

impl IntoResponse for Forbidden {
    fn into_response(self) -> Response {
        forbidden()
    }
}
