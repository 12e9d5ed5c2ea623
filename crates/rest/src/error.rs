//! `ApiError`: every failure a handler can return, with its status and a body
//! that tells the client what it can act on and nothing internal.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answered to an HTTP client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    description: String,
}

impl ApiError {
    /// 500: logged in full once, answered without detail.
    pub fn internal(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::error!(error = %detail, "internal error");
        ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, title: "internal error", description: String::new() }
    }

    /// 503: a dependency (the database) is unavailable; the client may retry.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::warn!(error = %detail, "service unavailable");
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            title: "service unavailable",
            description: "the node's storage is unavailable; retry later".into(),
        }
    }

    /// An error with this status, title and description (4xx only: they
    /// tell the client what to fix).
    pub fn client(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        ApiError { status, title, description: description.into() }
    }

    /// 404.
    pub fn not_found(description: impl Into<String>) -> Self {
        ApiError { status: StatusCode::NOT_FOUND, title: "not found", description: description.into() }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What went wrong, as told to the client (never internal detail for 5xx).
    pub fn description(&self) -> &str {
        &self.description
    }
}

impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Unavailable(m) => ApiError::unavailable(m),
            other => ApiError::internal(other.to_string()),
        }
    }
}

/// The node's error, mapped once for the REST API (the pages and TAXII
/// convert from this as they always did).
impl From<node::Error> for ApiError {
    fn from(e: node::Error) -> Self {
        match e {
            node::Error::NotFound(m) => ApiError::not_found(m),
            node::Error::Forbidden(m) => ApiError::client(StatusCode::FORBIDDEN, "forbidden", m),
            node::Error::Invalid(m) => ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", m),
            node::Error::Conflict(m) => ApiError::client(StatusCode::CONFLICT, "conflict", m),
            node::Error::Store(s) => ApiError::from(s),
            e @ (node::Error::Log(_) | node::Error::Internal(_)) => ApiError::internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        (self.status, Json(body)).into_response()
    }
}
