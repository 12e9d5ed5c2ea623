//! [`Problem`]: a failure of a page's handler answered as the REST API
//! answers it (status, title, description; a 5xx tells nothing internal and
//! is logged once), and the node's errors mapped to it once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// A failure with its status and what the person may act on.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    title: &'static str,
    description: String,
}

impl Problem {
    /// 500: logged in full once, answered without detail.
    pub fn internal(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::error!(error = %detail, "internal error");
        Problem { status: StatusCode::INTERNAL_SERVER_ERROR, title: "internal error", description: String::new() }
    }

    /// 503: the node's storage is unavailable; the person may retry.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::warn!(error = %detail, "service unavailable");
        Problem { status: StatusCode::SERVICE_UNAVAILABLE, title: "service unavailable", description: "the node's storage is unavailable; retry later".into() }
    }

    /// An error with this status, title and description (4xx only: they
    /// tell the person what to fix).
    pub fn client(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        Problem { status, title, description: description.into() }
    }

    /// 404.
    pub fn not_found(description: impl Into<String>) -> Self {
        Problem { status: StatusCode::NOT_FOUND, title: "not found", description: description.into() }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What went wrong, as told (never internal detail for 5xx).
    pub fn description(&self) -> &str {
        &self.description
    }
}

impl From<store::Error> for Problem {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Unavailable(m) => Problem::unavailable(m),
            other => Problem::internal(other.to_string()),
        }
    }
}

impl From<node::Error> for Problem {
    fn from(e: node::Error) -> Self {
        match e {
            node::Error::NotFound(m) => Problem::not_found(m),
            node::Error::Forbidden(m) => Problem::client(StatusCode::FORBIDDEN, "forbidden", m),
            node::Error::Invalid(m) => Problem::client(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", m),
            node::Error::Conflict(m) => Problem::client(StatusCode::CONFLICT, "conflict", m),
            node::Error::Store(s) => Problem::from(s),
            e @ (node::Error::Log(_) | node::Error::Internal(_)) => Problem::internal(e.to_string()),
        }
    }
}

impl From<node::agreements::Error> for Problem {
    fn from(e: node::agreements::Error) -> Self {
        use node::agreements::Error;
        match e {
            Error::Invalid(m) => Problem::client(StatusCode::UNPROCESSABLE_ENTITY, "invalid agreement", m),
            Error::NotFound => Problem::not_found("no such agreement"),
            Error::Forbidden(m) => Problem::client(StatusCode::FORBIDDEN, "forbidden", m),
            Error::Store(s) => Problem::from(s),
        }
    }
}

impl From<node::modules::Error> for Problem {
    fn from(e: node::modules::Error) -> Self {
        use node::modules::Error;
        match e {
            Error::Module(partnership::Error::Invalid { .. }) => Problem::client(StatusCode::UNPROCESSABLE_ENTITY, "invalid record", e.to_string()),
            Error::Module(partnership::Error::Forbidden(m)) => Problem::client(StatusCode::FORBIDDEN, "forbidden", m),
            Error::Module(partnership::Error::NotFound(m)) | Error::NotFound(m) => Problem::not_found(m),
            Error::Conflict(m) => Problem::client(StatusCode::CONFLICT, "conflict", m),
            Error::Store(s) => Problem::from(s),
            Error::Log(m) => Problem::internal(m),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        (self.status, Json(body)).into_response()
    }
}
