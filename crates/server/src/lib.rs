//! The composition root of an Entente node: it takes a store and a
//! configuration, builds the HTTP routers, and serves them until told to stop.
//!
//! Routers by path: `/healthz` (liveness and store reachability),
//! `/metrics` (Prometheus text), the TAXII 2.1 server (`/taxii2/`), the REST
//! API (`/api/v1/`, the `rest` crate, over [`AppState::api`]) and the web
//! pages (`/`, `/login`, `/intel`, `/share`, `/detection`, `/workbench`, the
//! `web` crate, over [`AppState::site`]). Beside them, the node's loops:
//! sync ([`sync`]), retention ([`retention`]), feed pulls ([`sources`]) and
//! scorecard snapshots ([`scorecard`]).

pub mod body;
mod http_metrics;
pub mod modules;
pub mod peers;
pub mod retention;
pub mod scorecard;
pub mod sources;
pub mod sync;
pub mod taxii;
pub mod telemetry;
pub mod site;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

/// The REST API, its own crate, mounted by [`router`].
pub use ::rest as api;
pub use ::rest::{blocking, detect_limits, service, ApiError};
/// The web pages, their own crate, mounted by [`router`].
pub use ::web;
/// The services of the `node` crate the server's own code uses.
pub use ::node::{agreements, auth, detect, keys, provenance, release};
/// The node's identity and the partners it hosts or knows (`node::identity`).
pub use ::node::identity as node;

/// What a running node shares with every request: the REST API's state
/// ([`rest::Api`]: the store, registry, identity, index, log, keys,
/// modules and their budgets, which TAXII and the pages read too, through
/// `Deref`) and what the server alone keeps.
#[derive(Clone)]
pub struct AppState {
    /// The node's services and budgets, as the REST API holds them.
    pub api: rest::Api,
    /// TAXII settings.
    pub taxii: Arc<taxii::TaxiiConfig>,
    /// The web pages' sessions (their cookies `Secure` when the node serves
    /// TLS: replace with `web::Sessions::new(true)` then).
    pub web: Arc<web::Sessions>,
    /// The dashboards counted lately, per partner.
    pub dashboards: Arc<web::Dashboards>,
    /// Who may read `/metrics`.
    pub metrics: telemetry::MetricsAccess,
    /// The bytes of request bodies all requests may hold at once.
    pub bodies: Arc<body::Budget>,
    /// The feed sources of the configuration (`[[sources]]`), which the
    /// administrator may pull now from the pages; none by default.
    pub sources: Arc<Vec<::node::sources::Source>>,
}

impl std::ops::Deref for AppState {
    type Target = rest::Api;
    fn deref(&self) -> &rest::Api {
        &self.api
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut rest::Api {
        &mut self.api
    }
}

impl AppState {
    /// The state of a node whose store and registry are open and whose
    /// identity is initialised.
    pub fn new(
        store: Arc<dyn store::Store>,
        registry: Arc<dyn store::Registry>,
        node: node::NodeIdentity,
        taxii: taxii::TaxiiConfig,
        limits: model::Limits,
        keys: keys::KeyDir,
        log: audit::SharedLog,
    ) -> AppState {
        let cursors = ::taxii::CursorCodec::new(node.cursor_key.as_bytes());
        // One body of the largest size always fits.
        let bodies = Arc::new(body::Budget::new(taxii.max_bodies_in_flight.max(taxii.max_content_length)));
        // The scorecard's tallies are saved in the data directory and
        // loaded from it after a restart (node::scorecard::tally::saved).
        let agreements = Arc::new(release::Agreements::default());
        agreements.save_tallies_in(keys.data_dir());
        let api = rest::Api {
            store,
            registry,
            node: Arc::new(node),
            max_page_size: taxii.max_page_size,
            max_content_length: taxii.max_content_length,
            cursors,
            auth_failures: Arc::new(auth::FailureLimiter::new(20, Duration::from_secs(60))),
            limits,
            keys,
            agreements,
            log,
            indicators: Arc::new(detect::Indicators::default()),
            detection: Arc::new(detect_limits::Workers::default()),
            sync: Arc::new(sync::SyncStatus::default()),
            modules: modules::registered(),
        };
        AppState {
            api,
            taxii: Arc::new(taxii),
            web: Arc::new(web::Sessions::default()),
            dashboards: Arc::new(web::Dashboards::default()),
            metrics: telemetry::MetricsAccess::default(),
            bodies,
            sources: Arc::new(Vec::new()),
        }
    }

    /// What the web pages share: this state's services and records, and
    /// the server's own operations ([`site::Hosted`]).
    pub fn site(&self) -> web::Site {
        web::Site {
            store: self.store.clone(),
            registry: self.registry.clone(),
            partner: self.node.partner.clone(),
            cursors: self.cursors.clone(),
            auth_failures: self.auth_failures.clone(),
            limits: self.limits,
            keys: self.keys.clone(),
            agreements: self.agreements.clone(),
            log: self.log.clone(),
            indicators: self.indicators.clone(),
            web: self.web.clone(),
            dashboards: self.dashboards.clone(),
            modules: self.modules.clone(),
            max_content_length: self.taxii.max_content_length,
            host: std::sync::Arc::new(site::Hosted(self.clone())),
        }
    }
}

/// Builds the node's HTTP application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(taxii::router(state.clone()))
        .merge(rest::router(state.api.clone()))
        .merge(web::router(state.site()))
        .fallback(fallback)
        .layer(axum::middleware::map_response(no_store))
        .layer(axum::middleware::from_fn(read_small_body))
        // Every body is read by the one rule of [`body::guard`], not by the
        // framework's default limit.
        .layer(axum::middleware::from_fn_with_state(state.clone(), body::guard))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(http_metrics::track))
        .layer(axum::middleware::from_fn(client_ip))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes, then lets
/// in-flight requests finish (their store writes commit or roll back whole).
pub async fn serve<L>(
    listener: L,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    ClientAddr: for<'a> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, L>>,
{
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    axum::serve(listener, app.into_make_service_with_connect_info::<ClientAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// The address of the client of a connection, plain or TLS (handlers read
/// it as `ConnectInfo<ClientAddr>`, for per-address limits and logs; the
/// REST API as [`rest::ClientIp`], put in by [`client_ip`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>> for ClientAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> ClientAddr {
        ClientAddr(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tls::TlsListener>> for ClientAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, tls::TlsListener>) -> ClientAddr {
        ClientAddr(*stream.remote_addr())
    }
}

/// Gives the REST API the client's address ([`rest::ClientIp`]) from the
/// connection's.
async fn client_ip(mut request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    if let Some(c) = request.extensions().get::<axum::extract::ConnectInfo<ClientAddr>>() {
        let ip = c.0 .0.ip();
        request.extensions_mut().insert(rest::ClientIp(ip));
    }
    next.run(request).await
}

/// Resolves when the process receives SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

async fn healthz(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let store = state.store.clone();
    // A trivial query proves the store answers.
    blocking(move || store.query(&store::Query { limit: Some(1), ..Default::default() })).await?;
    Ok(Json(serde_json::json!({ "status": "ok" })))
}

/// Every answer is `Cache-Control: no-store` unless it says otherwise (the
/// pages' stylesheet, script and icon): TAXII and API answers carry what
/// one caller may see, which no cache may keep or hand to another.
async fn no_store(mut response: axum::response::Response) -> axum::response::Response {
    response
        .headers_mut()
        .entry(axum::http::header::CACHE_CONTROL)
        .or_insert(axum::http::HeaderValue::from_static("no-store"));
    response
}

/// Bodies up to this size are read before a request is handled.
const READ_FIRST_BYTES: u64 = 64 * 1024;

/// Reads a small body (a `Content-Length` up to [`READ_FIRST_BYTES`])
/// before the request is handled, so that an early refusal (401, 403, 415)
/// leaves nothing unread on the connection and it stays open for the next
/// request. A larger body is left to its handler; refused unread, it costs
/// the client its connection.
async fn read_small_body(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(length) = declared.filter(|n| (1..=READ_FIRST_BYTES).contains(n)) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, length as usize).await {
        Ok(bytes) => next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(_) if parts.uri.path().starts_with("/taxii2") => {
            taxii::TaxiiError::bad_request("the request body could not be read whole").into_response()
        }
        Err(_) => ApiError::client(axum::http::StatusCode::BAD_REQUEST, "bad request", "the request body could not be read whole").into_response(),
    }
}

/// Unknown paths: a TAXII error under `/taxii2/`, a JSON 404 under
/// `/api/`, and the web's not-found page elsewhere (a mistyped page URL).
async fn fallback(state: State<AppState>, req: axum::extract::Request) -> axum::response::Response {
    let path = req.uri().path();
    if path.starts_with("/taxii2") {
        taxii::fallback().await.into_response()
    } else if path.starts_with("/api/") || path == "/api" {
        ApiError::not_found("no such endpoint").into_response()
    } else {
        web::not_found(State(state.site()), req).await
    }
}

/// `/metrics`: node-wide counts, to a client on the node's own machine or
/// with a token of the node's own partner, as `metrics_access` says.
async fn metrics(
    State(state): State<AppState>,
    connect: Option<axum::Extension<axum::extract::ConnectInfo<ClientAddr>>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::http::StatusCode;
    let ip = connect.map(|c| c.0 .0 .0.ip());
    match state.metrics {
        telemetry::MetricsAccess::Loopback if !state.metrics.admits_address(ip) => {
            return ApiError::client(StatusCode::FORBIDDEN, "forbidden", "metrics are served to the node's own machine only (metrics_access)")
                .into_response();
        }
        telemetry::MetricsAccess::Loopback => {}
        telemetry::MetricsAccess::Token => {
            let ip = ip.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
            match rest::authenticate(&state.api, &headers, ip).await {
                Ok(caller) if caller.partner.as_str() == state.node.partner => {}
                Ok(_) => {
                    return ApiError::client(StatusCode::FORBIDDEN, "forbidden", "metrics are for tokens of the node's own partner")
                        .into_response();
                }
                Err(rest::Unauthenticated::Failed(e)) => return e.into_response(),
                Err(e) => {
                    let wait = match e {
                        rest::Unauthenticated::Throttled(wait) => Some(auth::retry_after_secs(wait)),
                        _ => None,
                    };
                    let status = if wait.is_some() { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::UNAUTHORIZED };
                    let mut r = ApiError::client(status, "authentication required", "send a token of the node's own partner as Bearer token").into_response();
                    if let Some(secs) = wait {
                        r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
                    }
                    return r;
                }
            }
        }
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], telemetry::render()).into_response()
}
