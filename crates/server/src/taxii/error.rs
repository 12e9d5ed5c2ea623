//! TAXII errors: always a TAXII error body with the TAXII media type, never
//! HTML, never a stack trace. A 5xx is logged in full once and tells the
//! client nothing internal.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answered on a TAXII endpoint.
#[derive(Debug)]
pub struct TaxiiError {
    status: StatusCode,
    title: &'static str,
    description: Option<String>,
    /// Seconds for `Retry-After` (a 429).
    retry_after: Option<u64>,
}

impl TaxiiError {
    fn new(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        TaxiiError { status, title, description: Some(description.into()), retry_after: None }
    }
    /// 400: the request is malformed.
    pub fn bad_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad request", d)
    }
    /// 401: no or unusable credentials.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "authentication required", "send an API token as HTTP Basic password or Bearer token")
    }
    /// 403: authenticated, but not allowed.
    pub fn forbidden(d: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", d)
    }
    /// 404: nothing there (or nothing the caller may know of).
    pub fn not_found(d: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not found", d)
    }
    /// 405.
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed", "this endpoint does not support that method")
    }
    /// 406: the client does not accept TAXII 2.1.
    pub fn not_acceptable() -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, "not acceptable", format!("this server answers {}", taxii::MEDIA_TYPE))
    }
    /// A request refused before its handler answered (its body, or the
    /// framework's own rejection; [`crate::body`]).
    pub(crate) fn refused(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        Self::new(status, title, description)
    }
    /// 413: the body is over `max_content_length`.
    pub fn too_large(limit: u64) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "request too large", format!("the body is over max_content_length ({limit} bytes)"))
    }
    /// 415: the body is not TAXII 2.1.
    pub fn unsupported_media_type() -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported media type", format!("send {}", taxii::MEDIA_TYPE))
    }
    /// 422: understood but cannot be processed.
    pub fn unprocessable(d: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", d)
    }
    /// 429: too many failed authentications from this address or with this
    /// credential; `Retry-After` says how long to wait.
    pub fn too_many_failures(wait: std::time::Duration) -> Self {
        let secs = crate::auth::retry_after_secs(wait);
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "too many failed authentications", format!("wait {secs} seconds before trying again"));
        e.retry_after = Some(secs);
        e
    }
    /// 500: logged here, opaque to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error on a TAXII endpoint");
        TaxiiError { status: StatusCode::INTERNAL_SERVER_ERROR, title: "internal error", description: None, retry_after: None }
    }
    /// 503: storage unavailable; the client may retry.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "storage unavailable on a TAXII endpoint");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "service unavailable", "the node's storage is unavailable; retry later")
    }
}

impl TaxiiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Seconds the client should wait before trying again (a 429).
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

impl From<store::Error> for TaxiiError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Unavailable(m) => TaxiiError::unavailable(m),
            other => TaxiiError::internal(other),
        }
    }
}

/// The node's error, mapped once for TAXII (its error body and media type).
impl From<node::Error> for TaxiiError {
    fn from(e: node::Error) -> Self {
        match e {
            node::Error::NotFound(m) => TaxiiError::not_found(m),
            node::Error::Forbidden(m) => TaxiiError::forbidden(m),
            node::Error::Invalid(m) => TaxiiError::unprocessable(m),
            node::Error::Conflict(m) => TaxiiError::new(StatusCode::CONFLICT, "conflict", m),
            node::Error::Store(s) => TaxiiError::from(s),
            e @ (node::Error::Log(_) | node::Error::Internal(_)) => TaxiiError::internal(e),
        }
    }
}

/// A module service's error (a module's collection), mapped for TAXII.
impl From<node::modules::Error> for TaxiiError {
    fn from(e: node::modules::Error) -> Self {
        match e {
            node::modules::Error::NotFound(m) => TaxiiError::not_found(m),
            node::modules::Error::Store(s) => TaxiiError::from(s),
            other => TaxiiError::internal(other),
        }
    }
}

impl From<crate::ApiError> for TaxiiError {
    fn from(e: crate::ApiError) -> Self {
        match e.status() {
            StatusCode::SERVICE_UNAVAILABLE => TaxiiError::unavailable("storage"),
            _ => TaxiiError { status: e.status(), title: "internal error", description: None, retry_after: None },
        }
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = taxii::ErrorBody {
            title: self.title.to_owned(),
            description: self.description,
            error_code: None,
            http_status: self.status.as_u16().to_string(),
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(taxii::MEDIA_TYPE));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"entente\", Bearer realm=\"entente\""));
        }
        response
    }
}
