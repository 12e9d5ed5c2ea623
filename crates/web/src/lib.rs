//! The web pages at `/` for people: sign-in ([`session`]), the dashboard
//! ([`dashboard`]), intelligence search and object pages ([`intel`]),
//! agreements ([`agreements`]), partners and peers ([`partners`]), the
//! node's administration ([`admin`]), sharing
//! ([`share`]), detection ([`detection`]) and the pattern workbench
//! ([`workbench`]), the partnership modules ([`modules`]) and, for anyone
//! without sign-in, the published joint statements ([`public`]); the inbox
//! as an Atom feed for a session or a feed-only token ([`feed`]), made with
//! the [`kit`] (layout, security headers, form bodies, charts). The pages
//! are a crate of their own: the server mounts [`router`] over a [`Site`]
//! (the node's services and records) and does the few things only it can
//! through [`Host`]; this crate knows nothing of the server.
//!
//! Pages are rendered on the server with `maud`, whose templates are checked
//! at compile time and escape every string they interpolate: partner-supplied
//! text is data, never markup. Every response carries a strict
//! Content-Security-Policy (scripts only from the node itself — the one
//! script, `/static/workbench.js`, checks patterns as they are typed; never
//! inline, no eval — and styles only from its stylesheet at
//! `/static/style.css`), `nosniff` and `no-referrer`. Every page works
//! without the script.
//!
//! Pages read like the REST API: through the caller partner's release gate
//! ([`node::release::Reader`]), with every object shown recorded in the
//! release log under the channel `web`. A page for an object the caller may
//! not see is the same 404 as for one that does not exist.
//!
//! A later page follows the same pattern: a file here with its handlers,
//! taking [`session::Signed`] (which redirects to `/login` when there is no
//! live session), rendering through [`kit::layout`], and checking
//! [`session::Signed::check_csrf`] on every POST.

mod admin;
mod agreements;
mod attack;
mod dashboard;
mod detection;
mod error;
mod feedback;
mod feed;
mod graph;
mod inbox;
mod download;
mod intel;
pub mod kit;
mod modules;
mod partners;
mod public;
mod scorecard;
pub mod session;
mod share;
mod site;
mod workbench;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

pub use dashboard::Dashboards;
pub use error::Problem;
pub use kit::CSP;
pub use public::DEFAULT_PER_MINUTE as DEFAULT_PUBLIC_PER_MINUTE;
pub use session::Sessions;
pub use site::{Answer, Host, PeerSync, Refused, Site};

use kit::{form, layout, page, secure};

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("workbench.js");

/// The web routes over `site`, for any state of the router that merges them.
pub fn router<S: Clone + Send + Sync + 'static>(site: Site) -> Router<S> {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/inbox", get(inbox::show))
        .route("/inbox.atom", get(feed::inbox))
        .route("/intel", get(intel::search))
        .route("/intel/attack", get(attack::show))
        .route("/intel/download", get(download::search))
        .route("/intel/{id}", get(intel::show))
        .route("/intel/{id}/download", get(download::object))
        .route("/intel/{id}/graph", get(graph::show))
        .route("/intel/{id}/false-positive", post(feedback::false_positive))
        .route("/intel/{id}/note", post(feedback::note))
        .route("/share", get(share::show).post(share::share).layer(DefaultBodyLimit::disable()))
        .route("/share/indicator", get(to("/share")).post(share::share_indicator).layer(DefaultBodyLimit::disable()))
        .route("/share/values", get(to("/share")).post(share::share_values).layer(DefaultBodyLimit::disable()))
        .route("/detection", get(detection::show).post(detection::detect).layer(DefaultBodyLimit::disable()))
        .route("/detection/sightings", get(to("/detection")).post(detection::sightings).layer(DefaultBodyLimit::disable()))
        .route("/workbench", get(workbench::show).post(workbench::run).layer(DefaultBodyLimit::disable()))
        .route("/workbench/validate", post(workbench::validate))
        .route("/agreements", get(agreements::list).post(agreements::propose))
        .route("/agreements/new", get(agreements::new_form))
        .route("/agreements/{id}", get(agreements::show))
        .route("/agreements/{id}/amend", get(agreements::amend_form).post(agreements::amend))
        .route("/agreements/{id}/ratify", post(agreements::ratify))
        .route("/agreements/{id}/suspend", post(agreements::suspend))
        .route("/agreements/{id}/resume", post(agreements::resume))
        .route("/agreements/{id}/withdraw", post(agreements::withdraw))
        .route("/agreements/{id}/notices/{notice}/cancel", post(agreements::cancel_notice))
        .route("/agreements/{id}/modules/{module}", get(modules::show))
        .route("/agreements/{id}/modules/{module}/actions/{action}", post(modules::act))
        .route("/agreements/{id}/modules/{module}/files/{file}", get(modules::files::file))
        .route("/agreements/{id}/scorecard", get(scorecard::show))
        .route("/agreements/{id}/scorecard/report.html", get(scorecard::report_html))
        .route("/agreements/{id}/scorecard/report.pdf", get(scorecard::report_pdf))
        .route("/partners", get(partners::show))
        .route("/peers", get(to("/partners")).post(partners::add_peer))
        .route("/admin", get(admin::show))
        .route("/admin/users", get(to("/admin")).post(admin::add_user))
        .route("/admin/users/role", get(to("/admin")).post(admin::user_role))
        .route("/admin/tokens", get(to("/admin")).post(admin::create_token))
        .route("/admin/tokens/revoke", get(to("/admin")).post(admin::revoke_token))
        .route("/admin/partners", get(to("/admin")).post(admin::add_partner).layer(DefaultBodyLimit::disable()))
        .route("/admin/peers/remove", get(to("/admin")).post(admin::remove_peer))
        .route("/admin/peers/sync", get(to("/admin")).post(admin::sync_peer))
        .route("/admin/sources/pull", get(to("/admin")).post(admin::pull_source))
        .route("/admin/log", get(admin::log))
        .route("/public/statements", get(public::list))
        .route("/public/statements.atom", get(public::atom))
        .route("/public/statements/{id}", get(public::show))
        .route("/static/style.css", get(style))
        .route("/static/icon.svg", get(icon))
        .route("/favicon.ico", get(icon))
        .route("/static/workbench.js", get(script))
        .layer(axum::middleware::from_fn_with_state(site.clone(), with_navigation))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(site)
}

/// A GET of a path that only takes a form's POST (a refresh, a bookmark):
/// 303 to the page that has the form.
fn to(page: &'static str) -> impl Fn() -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    move || std::future::ready(Redirect::to(page).into_response())
}

/// An error page's title and message, carried in the response's extensions
/// until [`with_navigation`] renders it with the caller's navigation.
#[derive(Clone)]
struct ErrorPage {
    title: &'static str,
    message: String,
}

/// An error page: the layout with the navigation when signed in, a link
/// back to the dashboard, and the security headers.
fn error_page(status: StatusCode, e: &ErrorPage, signed: Option<&session::Signed>) -> Response {
    let body = layout(e.title, signed, html! { p.error role="alert" { (e.message) } a href="/" { "Back to the dashboard" } });
    let mut r = (status, Html(body.into_string())).into_response();
    secure(&mut r);
    r.extensions_mut().insert(e.clone());
    r
}

/// Gives an error page of the web routes ([`WebError`]) the navigation of
/// the session that asked for it: the session is only looked up when the
/// page is an error.
async fn with_navigation(State(state): State<Site>, req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let r = next.run(req).await;
    let Some(e) = r.extensions().get::<ErrorPage>().cloned() else { return r };
    match signed_in(&state, headers).await {
        Some(signed) => error_page(r.status(), &e, Some(&signed)),
        None => r,
    }
}

/// The live session of a request with these headers, if any.
async fn signed_in(state: &Site, headers: axum::http::HeaderMap) -> Option<session::Signed> {
    use axum::extract::FromRequestParts;
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.headers = headers;
    session::Signed::from_request_parts(&mut parts, state).await.ok()
}

/// Unknown paths outside the APIs: the not-found page, with the navigation
/// when signed in (the node's router falls back to it).
pub async fn not_found(State(state): State<Site>, req: Request) -> Response {
    let signed = signed_in(&state, req.headers().clone()).await;
    error_page(StatusCode::NOT_FOUND, &not_found_page(), signed.as_ref())
}

fn not_found_page() -> ErrorPage {
    ErrorPage { title: "Not found", message: "There is no such page or object.".to_owned() }
}

/// The node's icon: two linked rings, drawn for the project.
async fn icon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "max-age=86400")], include_str!("icon.svg")).into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], STYLE).into_response()
}

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], SCRIPT).into_response()
}

/// Adds the security headers to every response of the web routes.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    secure(&mut r);
    r
}

/// Why a page could not be shown.
pub(crate) enum WebError {
    /// No such page or object, or one the caller may not see.
    NotFound,
    /// Anything else, answered as the API answers it (5xx tell nothing internal).
    Api(Problem),
}

impl From<node::Error> for WebError {
    fn from(e: node::Error) -> Self {
        WebError::from(Problem::from(e))
    }
}

impl From<Problem> for WebError {
    fn from(e: Problem) -> Self {
        if e.status() == StatusCode::NOT_FOUND {
            WebError::NotFound
        } else {
            WebError::Api(e)
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            // Rendered without the navigation here; `with_navigation` adds
            // the caller's.
            WebError::NotFound => error_page(StatusCode::NOT_FOUND, &not_found_page(), None),
            // A person's mistake (a bad search value, a stale link) is a page
            // saying what to fix; anything else answers as the API does.
            WebError::Api(e) if e.status().is_client_error() => {
                error_page(e.status(), &ErrorPage { title: "Cannot show that", message: e.description().to_owned() }, None)
            }
            WebError::Api(e) => e.into_response(),
        }
    }
}

/// How pages name the platform's own identity, the author of Entente's
/// extension definitions.
pub(crate) const PLATFORM: &str = "Entente (the platform's definitions)";

/// The names of the partners the node knows, by identity id.
pub(crate) async fn partner_names(state: &Site) -> Result<std::collections::HashMap<String, String>, Problem> {
    let registry = state.registry.clone();
    blocking(move || Ok(registry.partners()?.into_iter().map(|p| (p.id, p.name)).collect())).await
}

/// Names for authors: the partners', and the platform's own identity (the
/// author of Entente's extension definitions).
pub(crate) async fn author_names(state: &Site) -> Result<std::collections::HashMap<String, String>, Problem> {
    let mut names = partner_names(state).await?;
    names.insert(policy::ext::ENTENTE_IDENTITY.to_owned(), PLATFORM.to_owned());
    Ok(names)
}

/// A page for a request refused before its handler answered: its body
/// (the server's) or the framework's rejection of it.
pub fn refused(status: StatusCode, title: &str, message: String) -> Response {
    let mut chars = title.chars();
    let title: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    let mut r = form::refused(status, &title, message);
    // Refused before routing, it did not pass `security_headers`.
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Runs a blocking store call on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> store::Result<T> + Send + 'static) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Problem::internal(format!("store task failed: {e}")))?.map_err(Problem::from)
}

/// Runs a blocking service call ([`node`]) on the blocking pool.
pub(crate) async fn service<T: Send + 'static>(f: impl FnOnce() -> node::Result<T> + Send + 'static) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Problem::internal(format!("service task failed: {e}")))?.map_err(Problem::from)
}
