//! Sign-in with a user name and password (Argon2id, [`node::auth::verify_password`])
//! or an API token, sessions, sign-out and CSRF for the pages.
//!
//! Sessions live on the server, in memory: a map from a random session id
//! (256 bits, the only thing in the `entente_session` cookie) to the token's
//! public id — never the token itself — or the user's name, its per-session CSRF token and an
//! absolute expiry ([`SESSION_TTL`]). Kept server-side rather than sealed in
//! the cookie so that sign-out really ends a session and nothing about the
//! caller travels with the browser; the price is that a restart signs
//! everyone out. On every request the token's (or user's) record is read
//! again: a session ends as soon as its token is revoked or expires or its
//! user is disabled, and the role and partner are always the record's
//! current ones.
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

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;

use super::layout;
use crate::kit::csrf::{forbidden, same};
pub use crate::kit::csrf::Forbidden;
use node::auth::Caller;
use crate::{Problem, Site};

/// How long a session lasts at most, whatever the token's own expiry.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);

/// How long the sign-in form may be submitted after it was shown.
const LOGIN_TTL_SECONDS: u64 = 600;

const SESSION_COOKIE: &str = "entente_session";
const LOGIN_COOKIE: &str = "entente_login";

/// At most this many live sessions are kept; expired ones are dropped first.
const MAX_SESSIONS: usize = 100_000;

/// At most this many live sessions per token or user: signing in again and
/// again ends that principal's own oldest sessions, never anyone else's
/// (without it, one holder of a valid token could fill the table and so
/// sign everyone else out).
const MAX_PER_PRINCIPAL: usize = 32;

/// What a session acts for: a token (re-read on every request) or a user
/// account (re-read too).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Principal {
    /// An API token's public id.
    Token(String),
    /// A user account's name.
    User(String),
}

struct Session {
    principal: Principal,
    csrf: String,
    expires: Instant,
    /// Order of sign-in (strictly increasing, unlike instants).
    seq: u64,
}

/// The node's web sessions.
pub struct Sessions {
    secure: bool,
    live: Mutex<HashMap<String, Session>>,
    started: std::sync::atomic::AtomicU64,
    /// Password checks running at once: each costs 19 MiB and tens of
    /// milliseconds of Argon2id, so a flood of sign-ins queues here instead
    /// of filling the blocking pool every store call needs.
    passwords: tokio::sync::Semaphore,
    /// The public pages' base URL and their per-client limit
    /// ([`Sessions::with_public`]).
    pub(crate) public: crate::public::Public,
}

/// How many password checks run at once.
const PASSWORD_CHECKS: usize = 2;

impl Default for Sessions {
    fn default() -> Self {
        Sessions::new(false)
    }
}

impl Sessions {
    /// Sessions whose cookies are `Secure` when `secure` (the node serves TLS).
    pub fn new(secure: bool) -> Sessions {
        Sessions { secure, live: Mutex::new(HashMap::new()), started: 0.into(), passwords: tokio::sync::Semaphore::new(PASSWORD_CHECKS), public: crate::public::Public::default() }
    }

    /// The same, the public pages (`/public/…`, no sign-in) answering each
    /// client address (an IPv6 one by its /64) at most `per_minute` times a
    /// minute (then 429 with `Retry-After`), and the Atom feed's links
    /// absolute under `base` (the node's public URL, such as
    /// `https://cert.example.org`; none: links relative to the feed).
    pub fn with_public(mut self, base: Option<String>, per_minute: u32) -> Sessions {
        self.public = crate::public::Public::new(base, per_minute);
        self
    }

    fn start(&self, principal: Principal) -> String {
        let (sid, csrf) = (node::auth::new_secret(), node::auth::new_secret());
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let mut own: Vec<(u64, String)> =
            live.iter().filter(|(_, s)| s.principal == principal).map(|(k, s)| (s.seq, k.clone())).collect();
        if own.len() >= MAX_PER_PRINCIPAL {
            own.sort_unstable();
            for (_, k) in &own[..=own.len() - MAX_PER_PRINCIPAL] {
                live.remove(k);
            }
        }
        if live.len() >= MAX_SESSIONS {
            live.retain(|_, s| s.expires > now);
            if live.len() >= MAX_SESSIONS {
                // Still full: the oldest go.
                let oldest = live.iter().min_by_key(|(_, s)| s.seq).map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    live.remove(&k);
                }
            }
        }
        let seq = self.started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        live.insert(sid.clone(), Session { principal, csrf, expires: now + SESSION_TTL, seq });
        sid
    }

    /// What a live session acts for, and its CSRF token.
    fn get(&self, sid: &str) -> Option<(Principal, String)> {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        match live.get(sid) {
            Some(s) if s.expires > Instant::now() => Some((s.principal.clone(), s.csrf.clone())),
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

impl FromRequestParts<Site> for Signed {
    type Rejection = Response;

    /// A live session whose token is still valid, or a redirect to `/login`.
    async fn from_request_parts(parts: &mut Parts, state: &Site) -> Result<Signed, Response> {
        let to_login = || Redirect::to("/login").into_response();
        let sid = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(to_login)?;
        let (principal, csrf) = state.web.get(&sid).ok_or_else(to_login)?;
        let registry = state.registry.clone();
        let (now, node) = (model::Timestamp::now().micros(), state.partner.clone());
        let found = crate::blocking(move || {
            let caller = match principal {
                Principal::Token(id) => match registry.token(&id)? {
                    Some(t) if !t.revoked && t.expires.is_none_or(|e| e > now) => node::auth::caller(&t.partner, t.role, t.id, &node)?,
                    _ => return Ok(None),
                },
                Principal::User(name) => match registry.user(&name)? {
                    Some(u) if !u.disabled => node::auth::user_caller(&u, &node)?,
                    _ => return Ok(None),
                },
            };
            let name = registry.partner(caller.partner.as_str())?.map(|p| p.name).unwrap_or_default();
            Ok(Some((caller, name)))
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

/// The sign-in form. A browser that still holds a sign-in cookie keeps its
/// value, so two tabs showing the form can both submit it.
fn login_page(status: StatusCode, state: &Site, headers: &HeaderMap, message: Option<&str>) -> Response {
    let nonce = cookie(headers, LOGIN_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(node::auth::new_secret);
    let body = layout(
        "Sign in",
        None,
        html! {
            @if let Some(m) = message { p.error role="alert" { (m) } }
            div.grid {
                form.stack method="post" action="/login" {
                    h2 { "With your user name" }
                    input type="hidden" name="csrf" value=(nonce);
                    label for="username" { "User name" }
                    input #username type="text" name="username" autocomplete="username" required;
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button type="submit" { "Sign in" }
                }
                form.stack method="post" action="/login" {
                    h2 { "With an API token" }
                    input type="hidden" name="csrf" value=(nonce);
                    label for="token" { "API token" }
                    input #token type="password" name="token" autocomplete="off" required;
                    button type="submit" { "Sign in with the token" }
                }
            }
            p.hint { "Accounts are created by the node's operator (" code { "entente user add" } "); tokens too (" code { "entente token create" } ")." }
        },
    );
    let mut r = (status, Html(body.into_string())).into_response();
    r.headers_mut().append(header::SET_COOKIE, state.web.cookie(LOGIN_COOKIE, &nonce, "/login", Some(LOGIN_TTL_SECONDS)));
    r
}

/// `GET /login`: the sign-in form.
pub(super) async fn login_form(State(state): State<Site>, headers: HeaderMap) -> Response {
    login_page(StatusCode::OK, &state, &headers, None)
}

/// `POST /login`: checks the token and starts a session.
pub(super) async fn login(
    State(state): State<Site>,
    parts: axum::http::request::Parts,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, Problem> {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !form.get("csrf").is_some_and(|given| same(given, &expected)) {
        return Ok(forbidden());
    }
    let ip = state.host.client_ip(&parts).unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let field = |k: &str| form.get(k).map(|t| t.trim().to_owned()).unwrap_or_default();
    let by_user = !field("username").is_empty();
    // A password check waits for its turn, and only then asks the limiter:
    // the failures of the checks before it count.
    let _turn = if by_user { Some(state.web.passwords.acquire().await.map_err(|e| Problem::internal(e.to_string()))?) } else { None };
    let (username, password, token) = (field("username"), form.get("password").cloned().unwrap_or_default(), field("token"));
    // Failures count per address and per credential (a user name, a token's
    // id) tried from it. A password can be guessed: one that failed too
    // often from here is not checked from here until its window ends. A
    // credential is never refused for the address's other failures, and a
    // token (whose secret cannot be guessed) is always checked.
    let credential = if by_user { Some(format!("user:{username}")) } else { node::auth::token_credential(&token) };
    let guessable = credential.as_deref().filter(|_| by_user);
    if let Some(wait) = guessable.and_then(|c| state.auth_failures.refused(ip, c)) {
        tracing::warn!(%ip, by_user, "sign-in refused: too many failures");
        return Ok(too_many(wait, &state, &headers));
    }
    let registry = state.registry.clone();
    let (now, node) = (model::Timestamp::now().micros(), state.partner.clone());
    let checked = crate::blocking(move || {
        if by_user {
            Ok(node::auth::verify_password(&*registry, &username, &password, &node)?.map(|c| (c, Principal::User(username))))
        } else {
            Ok(node::auth::verify(&*registry, &token, now, &node)?.map(|c| {
                let id = c.token_id.clone();
                (c, Principal::Token(id))
            }))
        }
    })
    .await?;
    match checked {
        Ok((caller, principal)) => {
            let sid = state.web.start(principal);
            tracing::info!(partner = %caller.partner, who = %caller.token_id, "signed in");
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().append(header::SET_COOKIE, state.web.cookie(SESSION_COOKIE, &sid, "/", None));
            r.headers_mut().append(header::SET_COOKIE, state.web.cookie(LOGIN_COOKIE, "", "/login", Some(0)));
            Ok(r)
        }
        Err(why) => {
            let throttled = state.auth_failures.fail(ip, credential.as_deref());
            metrics::counter!("entente_auth_failures_total").increment(1);
            tracing::warn!(%ip, reason = ?why, by_user, throttled = throttled.is_some(), "sign-in failed");
            if let Some(wait) = throttled {
                return Ok(too_many(wait, &state, &headers));
            }
            let message = if by_user { "That user name and password were not accepted." } else { "That token was not accepted." };
            Ok(login_page(StatusCode::UNAUTHORIZED, &state, &headers, Some(message)))
        }
    }
}

/// The sign-in page answering 429, with how long to wait (`Retry-After`).
fn too_many(wait: std::time::Duration, state: &Site, headers: &HeaderMap) -> Response {
    let secs = node::auth::retry_after_secs(wait);
    let message = format!("Too many failed sign-ins. Wait {secs} seconds and try again.");
    let mut r = login_page(StatusCode::TOO_MANY_REQUESTS, state, headers, Some(&message));
    r.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
    r
}

/// `POST /logout`: ends the session (CSRF checked).
pub(super) async fn logout(State(state): State<Site>, signed: Signed, Form(form): Form<HashMap<String, String>>) -> Response {
    if let Err(r) = signed.check_csrf(&form) {
        return r.into_response();
    }
    state.web.end(&signed.sid);
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(header::SET_COOKIE, state.web.cookie(SESSION_COOKIE, "", "/", Some(0)));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_in_again_and_again_ends_only_ones_own_oldest_sessions() {
        let sessions = Sessions::new(false);
        let other = sessions.start(Principal::User("bo".into()));
        let mine: Vec<String> = (0..MAX_PER_PRINCIPAL * 3).map(|_| sessions.start(Principal::Token("t1".into()))).collect();
        let alive = |sid: &String| sessions.get(sid).is_some();
        assert!(alive(&other), "another principal's session survives");
        assert!(!alive(&mine[0]), "the oldest of the repeated sign-ins went");
        assert_eq!(mine.iter().filter(|s| alive(s)).count(), MAX_PER_PRINCIPAL);
        assert!(mine[mine.len() - MAX_PER_PRINCIPAL..].iter().all(alive), "the newest are kept");
        assert_eq!(sessions.live.lock().unwrap().len(), MAX_PER_PRINCIPAL + 1);
    }
}
