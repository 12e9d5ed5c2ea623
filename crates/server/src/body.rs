//! How every request body is read, on every route, by one rule
//! ([`guard`]): a body whose `Content-Length` is over its route's limit is
//! refused before a byte of it is read; a body that streams is cut off at
//! the limit; and all the bodies being read and handled at once hold at
//! most the node's in-flight budget ([`Budget`], `max_bodies_in_flight`).
//! A refusal answers in the shape of the area asked: a TAXII error under
//! `/taxii2/`, the JSON error shape under `/api/`, a page elsewhere; so do
//! the framework's own rejections (a body that is not JSON, a wrong media
//! type), which would otherwise be plain text.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, AppState};

/// The limit of `/login` and `/logout`, whose forms hold a few short fields
/// and are read before anyone is signed in.
pub const SIGN_IN_LIMIT: u64 = 16 * 1024;

/// How long a body may pause between two of its parts before the request
/// is refused (408) and what it held is given back to the budget.
pub const IDLE: Duration = Duration::from_secs(30);

/// The bytes of request bodies all requests hold together: taken as a body
/// arrives, given back when its request has been answered.
#[derive(Debug)]
pub struct Budget {
    cap: u64,
    used: AtomicU64,
}

impl Budget {
    /// A budget of `cap` bytes.
    pub fn new(cap: u64) -> Budget {
        Budget { cap, used: AtomicU64::new(0) }
    }

    /// The bytes held now.
    pub fn in_flight(&self) -> u64 {
        self.used.load(Ordering::SeqCst)
    }

    fn take(&self, n: u64) -> bool {
        self.used.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| u.checked_add(n).filter(|t| *t <= self.cap)).is_ok()
    }

    fn give(&self, n: u64) {
        self.used.fetch_sub(n, Ordering::SeqCst);
    }
}

/// Why a body was refused while it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum Refusal {
    #[error("the body is over its limit")]
    TooLarge,
    #[error("the node holds as many request bodies as it may")]
    Busy,
    #[error("the body stopped arriving")]
    Idle,
}

/// One request's share of the budget, and why its body was refused if it was.
#[derive(Debug)]
struct Ticket {
    budget: Arc<Budget>,
    limit: u64,
    state: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    bytes: u64,
    refused: Option<Refusal>,
}

impl Ticket {
    /// Counts `n` more bytes read: within the limit and the budget, or refused.
    fn read(&self, n: u64) -> Result<(), Refusal> {
        let mut held = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let refusal = if held.bytes.saturating_add(n) > self.limit {
            Refusal::TooLarge
        } else if self.budget.take(n) {
            held.bytes += n;
            return Ok(());
        } else {
            Refusal::Busy
        };
        held.refused.get_or_insert(refusal);
        Err(refusal)
    }

    fn refuse(&self, refusal: Refusal) -> Refusal {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()).refused.get_or_insert(refusal)
    }

    fn refused(&self) -> Option<Refusal> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).refused
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let held = self.state.get_mut().unwrap_or_else(|p| p.into_inner()).bytes;
        self.budget.give(held);
    }
}

/// A request body counted against its ticket as it is read.
struct Metered {
    inner: Body,
    ticket: Arc<Ticket>,
    /// How long it may pause ([`IDLE`]), and the timer of the pause under way.
    patience: Duration,
    idle: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl HttpBody for Metered {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if let Err(r) = this.ticket.read(data.len() as u64) {
                        return Poll::Ready(Some(Err(axum::Error::new(r))));
                    }
                }
                if let Some(idle) = &mut this.idle {
                    idle.as_mut().reset(tokio::time::Instant::now() + this.patience);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                let patience = this.patience;
                let idle = this.idle.get_or_insert_with(|| Box::pin(tokio::time::sleep(patience)));
                match idle.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(this.ticket.refuse(Refusal::Idle))))),
                    Poll::Pending => Poll::Pending,
                }
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The body limit of `path`: [`SIGN_IN_LIMIT`] for the sign-in forms, the
/// node's `max_content_length` for everything else.
pub fn limit_for(path: &str, max_content_length: u64) -> u64 {
    match path {
        "/login" | "/logout" => SIGN_IN_LIMIT.min(max_content_length),
        _ => max_content_length,
    }
}

/// Which part of the node a request is for, and so the shape of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Taxii,
    Api,
    Pages,
}

impl Area {
    fn of(path: &str) -> Area {
        if path == "/taxii2" || path.starts_with("/taxii2/") {
            Area::Taxii
        } else if path.starts_with("/api/") {
            Area::Api
        } else {
            Area::Pages
        }
    }

    /// The answer to a body refused for `why`.
    fn refusal(self, why: Refusal, limit: u64) -> Response {
        let (status, description) = match why {
            Refusal::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, format!("the body is over this endpoint's limit ({limit} bytes)")),
            Refusal::Busy => (StatusCode::SERVICE_UNAVAILABLE, "the node is reading as many request bodies as it may at once; retry shortly".to_owned()),
            Refusal::Idle => (StatusCode::REQUEST_TIMEOUT, format!("the body stopped arriving for {} seconds", IDLE.as_secs())),
        };
        let mut r = match self {
            Area::Taxii => crate::taxii::TaxiiError::refused(status, title(status), description).into_response(),
            Area::Api => ApiError::client(status, title(status), description).into_response(),
            Area::Pages => web::refused(status, title(status), description),
        };
        if why == Refusal::Busy {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }

    /// A framework rejection (plain text or empty) in this area's shape;
    /// other answers as they are.
    async fn shaped(self, r: Response) -> Response {
        let status = r.status();
        let content_type = r.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !(status.is_client_error() || status.is_server_error()) || !(content_type.is_empty() || content_type.starts_with("text/plain")) {
            return r;
        }
        let (parts, body) = r.into_parts();
        let text = axum::body::to_bytes(body, 64 * 1024).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        let description = if text.is_empty() { title(status).to_owned() } else { text };
        let mut shaped = match self {
            Area::Taxii => crate::taxii::TaxiiError::refused(status, title(status), description).into_response(),
            Area::Api if status.is_server_error() => ApiError::internal(description).into_response(),
            Area::Api => ApiError::client(status, title(status), description).into_response(),
            Area::Pages => web::refused(status, title(status), description),
        };
        // What the framework said beside its body (`Allow` on a 405) stays.
        for (name, value) in &parts.headers {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                shaped.headers_mut().entry(name).or_insert_with(|| value.clone());
            }
        }
        shaped
    }
}

/// The title of an error answer with `status`.
fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad request",
        StatusCode::NOT_FOUND => "not found",
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed",
        StatusCode::REQUEST_TIMEOUT => "request timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "request too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported media type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid request",
        StatusCode::SERVICE_UNAVAILABLE => "busy",
        s if s.is_server_error() => "internal error",
        _ => "request refused",
    }
}

/// The one body rule, a layer on the whole node (module doc).
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let area = Area::of(path);
    let limit = limit_for(path, state.taxii.max_content_length);
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared {
        if n > limit {
            return area.refusal(Refusal::TooLarge, limit);
        }
        // No room for it now: say so before it is sent rather than midway.
        if n > state.bodies.cap.saturating_sub(state.bodies.in_flight()) {
            return area.refusal(Refusal::Busy, limit);
        }
    }
    let ticket = Arc::new(Ticket { budget: state.bodies.clone(), limit, state: Mutex::new(Held::default()) });
    let req = req.map(|inner| Body::new(Metered { inner, ticket: ticket.clone(), patience: IDLE, idle: None }));
    let response = next.run(req).await;
    match ticket.refused() {
        Some(why) => area.refusal(why, limit),
        None => area.shaped(response).await,
    }
}

#[cfg(test)]
mod tests;
