//! Sign-in with an API token, sessions, sign-out and CSRF for the pages.
//!
//! Sessions live on the server, in memory: a map from a random session id
//! (256 bits, the only thing in the `entente_session` cookie) to the token's
//! public id — never the token itself — its per-session CSRF token and an
//! absolute expiry ([`SESSION_TTL`]). Kept server-side rather than sealed in
//! the cookie so that sign-out really ends a session and nothing about the
//! caller travels with the browser; the price is that a restart signs
//! everyone out. On every request the token's record is read again: a
//! session ends as soon as its token is revoked or expires, and the role
//! and partner are always the record's current ones.
//!
//! The cookie is `HttpOnly`, `SameSite=Strict`, `Path=/`, and `Secure` when
//! the node serves TLS ([`Sessions::new`]). Every form carries the session's
//! CSRF token, compared in constant time on every POST: missing or wrong is
//! 403. The sign-in form, before any session, is protected the same way by
//! a short-lived `entente_login` cookie whose value the form must repeat
//! (so another site cannot sign a browser in under its own token). Failed
//! sign-ins count in the node's failure limiter like failed API calls.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::html;
use subtle::ConstantTimeEq;

use super::layout;
use crate::auth::Caller;
use crate::{ApiError, AppState};

/// How long a session lasts at most, whatever the token's own expiry.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);

/// How long the sign-in form may be submitted after it was shown.
const LOGIN_TTL_SECONDS: u64 = 600;

const SESSION_COOKIE: &str = "entente_session";
const LOGIN_COOKIE: &str = "entente_login";

/// At most this many live sessions are kept; expired ones are dropped first.
const MAX_SESSIONS: usize = 100_000;

struct Session {
    token_id: String,
    csrf: String,
    expires: Instant,
}

/// The node's web sessions.
pub struct Sessions {
    secure: bool,
    live: Mutex<HashMap<String, Session>>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions::new(false)
    }
}

impl Sessions {
    /// Sessions whose cookies are `Secure` when `secure` (the node serves TLS).
    pub fn new(secure: bool) -> Sessions {
        Sessions { secure, live: Mutex::new(HashMap::new()) }
    }

    fn start(&self, token_id: String) -> String {
        let (sid, csrf) = (crate::auth::new_secret(), crate::auth::new_secret());
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if live.len() >= MAX_SESSIONS {
            let now = Instant::now();
            live.retain(|_, s| s.expires > now);
            if live.len() >= MAX_SESSIONS {
                // Still full: the oldest go.
                let oldest = live.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    live.remove(&k);
                }
            }
        }
        live.insert(sid.clone(), Session { token_id, csrf, expires: Instant::now() + SESSION_TTL });
        sid
    }

    /// The token id and CSRF token of a live session.
    fn get(&self, sid: &str) -> Option<(String, String)> {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        match live.get(sid) {
            Some(s) if s.expires > Instant::now() => Some((s.token_id.clone(), s.csrf.clone())),
            Some(_) => {
                live.remove(sid);
                None
            }
            None => None,
        }
    }

    fn end(&self, sid: &str) {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).remove(sid);
    }

    fn cookie(&self, name: &str, value: &str, path: &str, max_age: Option<u64>) -> HeaderValue {
        let mut c = format!("{name}={value}; HttpOnly; SameSite=Strict; Path={path}");
        if let Some(s) = max_age {
            c.push_str(&format!("; Max-Age={s}"));
        }
        if self.secure {
            c.push_str("; Secure");
        }
        HeaderValue::from_str(&c).expect("cookie values are hex")
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn same(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn forbidden() -> Response {
    let body = layout("Refused", None, html! { p { "This form has expired or did not come from this site. Go back, reload the page and try again." } });
    (StatusCode::FORBIDDEN, Html(body.into_string())).into_response()
}

/// A signed-in person: the caller its token acts for, and its session.
pub struct Signed {
    /// Who the session acts for, from the token's current record.
    pub caller: Caller,
    /// The name of the caller's partner.
    pub partner_name: String,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
    sid: String,
}

impl Signed {
    /// Accepts a POST whose form carries the session's CSRF token; 403 otherwise.
    pub fn check_csrf(&self, form: &HashMap<String, String>) -> Result<(), Forbidden> {
        match form.get("csrf") {
            Some(given) if same(given, &self.csrf) => Ok(()),
            _ => Err(Forbidden),
        }
    }
}

/// A POST whose CSRF token is missing or wrong: 403 with a page saying so.
pub struct Forbidden;

impl IntoResponse for Forbidden {
    fn into_response(self) -> Response {
        forbidden()
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    /// A live session whose token is still valid, or a redirect to `/login`.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Signed, Response> {
        let to_login = || Redirect::to("/login").into_response();
        let sid = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(to_login)?;
        let (token_id, csrf) = state.web.get(&sid).ok_or_else(to_login)?;
        let registry = state.registry.clone();
        let now = model::Timestamp::now().micros();
        let id = token_id.clone();
        let found = crate::blocking(move || {
            let Some(record) = registry.token(&id)? else { return Ok(None) };
            if record.revoked || record.expires.is_some_and(|e| e <= now) {
                return Ok(None);
            }
            let name = registry.partners()?.into_iter().find(|p| p.id == record.partner).map(|p| p.name).unwrap_or_default();
            Ok(Some((Caller { partner: record.partner, role: record.role, token_id: record.id }, name)))
        })
        .await
        .map_err(IntoResponse::into_response)?;
        match found {
            Some((caller, partner_name)) => Ok(Signed { caller, partner_name, csrf, sid }),
            None => {
                state.web.end(&sid);
                Err(to_login())
            }
        }
    }
}

fn login_page(status: StatusCode, state: &AppState, message: Option<&str>) -> Response {
    let nonce = crate::auth::new_secret();
    let body = layout(
        "Sign in",
        None,
        html! {
            @if let Some(m) = message { p.error role="alert" { (m) } }
            form.stack method="post" action="/login" {
                input type="hidden" name="csrf" value=(nonce);
                label for="token" { "API token" }
                input #token type="password" name="token" autocomplete="off" required;
                button type="submit" { "Sign in" }
            }
            p.hint { "Sign in with an API token issued for your partner (" code { "entente token create" } ")." }
        },
    );
    let mut r = (status, Html(body.into_string())).into_response();
    r.headers_mut().append(header::SET_COOKIE, state.web.cookie(LOGIN_COOKIE, &nonce, "/login", Some(LOGIN_TTL_SECONDS)));
    r
}

/// `GET /login`: the sign-in form.
pub(super) async fn login_form(State(state): State<AppState>) -> Response {
    login_page(StatusCode::OK, &state, None)
}

/// `POST /login`: checks the token and starts a session.
pub(super) async fn login(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<crate::ClientAddr>>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !form.get("csrf").is_some_and(|given| same(given, &expected)) {
        return Ok(forbidden());
    }
    let ip = connect.map(|c| c.0 .0 .0.ip()).unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    if state.auth_failures.blocked(ip) {
        tracing::warn!(%ip, "sign-in refused: too many failures");
        return Ok(login_page(StatusCode::TOO_MANY_REQUESTS, &state, Some("Too many failed sign-ins from this address. Wait a minute and try again.")));
    }
    let token = form.get("token").map(|t| t.trim().to_owned()).unwrap_or_default();
    let registry = state.registry.clone();
    let now = model::Timestamp::now().micros();
    match crate::blocking(move || crate::auth::verify(&*registry, &token, now)).await? {
        Ok(caller) => {
            let sid = state.web.start(caller.token_id.clone());
            tracing::info!(partner = %caller.partner, token = %caller.token_id, "signed in");
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().append(header::SET_COOKIE, state.web.cookie(SESSION_COOKIE, &sid, "/", None));
            r.headers_mut().append(header::SET_COOKIE, state.web.cookie(LOGIN_COOKIE, "", "/login", Some(0)));
            Ok(r)
        }
        Err(why) => {
            state.auth_failures.fail(ip);
            metrics::counter!("entente_auth_failures_total").increment(1);
            tracing::warn!(%ip, reason = ?why, "sign-in failed");
            Ok(login_page(StatusCode::UNAUTHORIZED, &state, Some("That token was not accepted.")))
        }
    }
}

/// `POST /logout`: ends the session (CSRF checked).
pub(super) async fn logout(State(state): State<AppState>, signed: Signed, Form(form): Form<HashMap<String, String>>) -> Response {
    if let Err(r) = signed.check_csrf(&form) {
        return r.into_response();
    }
    state.web.end(&signed.sid);
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(header::SET_COOKIE, state.web.cookie(SESSION_COOKIE, "", "/", Some(0)));
    r
}
