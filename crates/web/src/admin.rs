//! The node's administration at `/admin`, for the node's administrator
//! alone (an admin of the node's own partner, [`node::Caller::node_admin`];
//! anyone else is refused with 403, as on `POST /peers`): users and tokens
//! (create, revoke, change a user's role: [`node::auth`], as `entente user`
//! and `entente token` do), partners added from an identity file
//! ([`node::identity::check_known_partner`]), peers (remove, sync now,
//! status: [`crate::Host`]), the feed sources (those the configuration
//! names, each with its status from `sources.json`, as `entente sources`
//! prints it, and a "pull now": [`crate::Host::pull_source`]) and, at
//! `/admin/log`, the newest entries of the release log, paged and filtered
//! by partner and channel.
//!
//! A token's secret is shown once, on the page answering its creation, and
//! never again; a password never comes back in a page. Every string on
//! these pages is escaped (maud): user names, partner names, a peer's last
//! error and the log's refusal reasons may all be hostile.

use std::collections::HashMap;

use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use model::{StixId, Timestamp};
use store::Role;

use crate::kit::form::{self, csrf, csrf_field, field, not_allowed, Pairs};
use super::session::Signed;
use super::{layout, WebError};
use crate::{Problem, Site};

/// Why only the administrator sees these pages.
const ADMIN_ONLY: &str = "Node administration is the node administrator's: only an admin of the node's own partner may use it.";

/// Log entries on one page of `/admin/log`.
const PER_PAGE: usize = 50;

/// The deepest page of the log viewer (older entries: `entente audit show`).
const MAX_PAGE: usize = 200;

/// A refused form: which form, the field at fault, why, and what was typed
/// (never a password or a secret).
#[derive(Default)]
struct Fault {
    form: &'static str,
    field: &'static str,
    message: String,
    typed: HashMap<&'static str, String>,
}

impl Fault {
    fn new(form: &'static str, field: &'static str, message: impl Into<String>) -> Fault {
        Fault { form, field, message: message.into(), typed: HashMap::new() }
    }

    fn typed(mut self, name: &'static str, value: &str) -> Fault {
        self.typed.insert(name, value.to_owned());
        self
    }
}

/// `GET /admin`.
pub(super) async fn show(State(state): State<Site>, signed: Signed) -> Result<Response, WebError> {
    if !signed.caller.node_admin {
        return Ok(not_allowed(&signed, ADMIN_ONLY));
    }
    render(&state, &signed, None, None, StatusCode::OK).await
}

/// The administration page, with a notice of what was just done, or a
/// refused form's message next to its field.
async fn render(state: &Site, signed: &Signed, notice: Option<Markup>, fault: Option<Fault>, status: StatusCode) -> Result<Response, WebError> {
    let registry = state.registry.clone();
    let data_dir = state.keys.data_dir().to_owned();
    let (users, tokens, partners, peers, sources) = crate::blocking(move || {
        let sources = node::sources::Statuses::load(&data_dir).map_err(|e| store::Error::Internal(format!("reading sources.json: {e}")))?;
        Ok((registry.users()?, registry.tokens()?, registry.partners()?, registry.peers()?, sources))
    })
    .await?;
    let names: HashMap<&str, &str> = partners.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
    let name = |id: &str| names.get(id).map_or_else(|| id.to_owned(), |n| (*n).to_owned());
    let hosted: Vec<&store::PartnerRecord> = partners.iter().filter(|p| p.hosted).collect();
    let now = Timestamp::now().micros();
    let fault = fault.as_ref();
    let typed = |f: &str, n: &str| fault.filter(|x| x.form == f).and_then(|x| x.typed.get(n)).cloned().unwrap_or_default();
    let bad = |f: &str, n: &str| fault.is_some_and(|x| x.form == f && x.field == n);
    let note = |f: &str, n: &str| html! { @if let Some(x) = fault.filter(|x| x.form == f && x.field == n) { p.error id={ (f) "-" (n) "-error" } role="alert" { (x.message) } } };
    let described = |f: &str, n: &str| bad(f, n).then(|| format!("{f}-{n}-error"));
    // The configured sources first, in the configuration's order, then the
    // status of any the configuration no longer names (no kind: no pull).
    let configured = state.host.sources();
    let mut rows: Vec<(String, String, String, node::sources::Status)> = configured
        .iter()
        .map(|c| (c.name.clone(), format!("{:?}", c.kind).to_lowercase(), shown_url(&c.url), sources.sources.get(&c.name).cloned().unwrap_or_default()))
        .collect();
    for (n, s) in &sources.sources {
        if !configured.iter().any(|c| c.name == *n) {
            rows.push((n.clone(), String::new(), String::new(), s.clone()));
        }
    }
    let roles = |chosen: &str| html! { @for r in Role::ALL { option value=(r.as_str()) selected[r.as_str() == chosen] { (r.as_str()) } } };
    let partner_options = |chosen: &str| html! { @for p in &hosted { option value=(p.id) selected[p.id == chosen] { (p.name) " (" (p.id) ")" } } };
    let body = html! {
        @if let Some(n) = notice { div.notice role="status" { (n) } }
        p.lead { "The node's users, tokens, partners, peers and feed sources, and " a href="/admin/log" { "the release log" } "." }

        h2 #users { "Users" }
        @if users.is_empty() { p { "No user account: people sign in with a token." } }
        @else {
            table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Partner" } th scope="col" { "Role" } th scope="col" { "State" } th scope="col" { "Created" } } }
                tbody {
                    @for u in &users {
                        tr { th scope="row" { (u.name) } td { (name(&u.partner)) } td { (u.role.as_str()) } td { @if u.disabled { "disabled" } @else { "active" } } td { (Timestamp::from_micros(u.created)) } }
                    }
                }
            }
            h3 { "Change a user's role" }
            form.stack method="post" action="/admin/users/role" {
                (csrf_field(signed))
                label for="role-user" { "User" }
                select #role-user name="user" aria-invalid=[bad("role", "user").then_some("true")] aria-describedby=[described("role", "user")] {
                    @for u in &users { option value=(u.name) selected[u.name == typed("role", "user")] { (u.name) } }
                }
                (note("role", "user"))
                label for="role-role" { "New role" }
                select #role-role name="role" { (roles(&typed("role", "role"))) }
                (note("role", "role"))
                button type="submit" { "Change role" }
            }
        }
        h3 { "Add a user" }
        form.stack method="post" action="/admin/users" {
            (csrf_field(signed))
            label for="user-name" { "Name (1 to 64 characters, no spaces)" }
            input #user-name type="text" name="name" value=(typed("user", "name")) aria-invalid=[bad("user", "name").then_some("true")] aria-describedby=[described("user", "name")];
            (note("user", "name"))
            label for="user-partner" { "Partner" }
            select #user-partner name="partner" { (partner_options(&typed("user", "partner"))) }
            (note("user", "partner"))
            label for="user-role" { "Role" }
            select #user-role name="role" { (roles(&typed("user", "role"))) }
            (note("user", "role"))
            label for="user-password" { "Password (at least " (node::auth::MIN_PASSWORD_CHARS) " characters)" }
            input #user-password type="password" name="password" autocomplete="new-password" aria-invalid=[bad("user", "password").then_some("true")] aria-describedby=[described("user", "password")];
            (note("user", "password"))
            button type="submit" { "Add user" }
        }

        h2 #tokens { "Tokens" }
        p.hint { "A token's secret is shown once, when it is created; here only its id." }
        @if tokens.is_empty() { p { "No token." } }
        @else {
            table {
                thead { tr { th scope="col" { "Id" } th scope="col" { "Partner" } th scope="col" { "Role" } th scope="col" { "User" } th scope="col" { "Created" } th scope="col" { "Expires" } th scope="col" { "State" } th scope="col" { "" } } }
                tbody {
                    @for t in &tokens {
                        @let state = node::auth::token_state(t, now);
                        tr {
                            th scope="row" { code { (t.id) } }
                            td { (name(&t.partner)) }
                            td { (t.role.as_str()) }
                            td { (t.user) }
                            td { (Timestamp::from_micros(t.created)) }
                            td { @if let Some(e) = t.expires { (Timestamp::from_micros(e)) } @else { "never" } }
                            td { (state) }
                            td {
                                @if !t.revoked {
                                    form.inline method="post" action="/admin/tokens/revoke" {
                                        (csrf_field(signed))
                                        input type="hidden" name="id" value=(t.id);
                                        button type="submit" { "Revoke " (t.id) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (note("revoke", "id"))
        h3 { "Create a token" }
        form.stack method="post" action="/admin/tokens" {
            (csrf_field(signed))
            label for="token-partner" { "Partner it acts for" }
            select #token-partner name="partner" { (partner_options(&typed("token", "partner"))) }
            (note("token", "partner"))
            label for="token-role" { "Role" }
            select #token-role name="role" { (roles(&typed("token", "role"))) }
            (note("token", "role"))
            label for="token-user" { "Issued to (a label)" }
            input #token-user type="text" name="user" value=(typed("token", "user"));
            label for="token-expires" { "Lifetime (such as 90d or 12h; empty: never expires)" }
            input #token-expires type="text" name="expires" value=(typed("token", "expires")) aria-invalid=[bad("token", "expires").then_some("true")] aria-describedby=[described("token", "expires")];
            (note("token", "expires"))
            label { input type="checkbox" name="feed" value="true" checked[typed("token", "feed") == "true"]; " Feed only (reads " code { "/inbox.atom" } " and nothing else)" }
            button type="submit" { "Create token" }
        }

        h2 #partners { "Add a partner from its identity" }
        p { "A partner hosted elsewhere, known by its identity object (the JSON its administrator sends, with its public key). Check the fingerprint with them by another channel before adding it." }
        form.stack method="post" action="/admin/partners" enctype="multipart/form-data" {
            (csrf_field(signed))
            label for="identity-file" { "Identity file" }
            input #identity-file type="file" name="identity_file" accept=".json,application/json";
            label for="identity" { "or paste it" }
            textarea #identity name="identity" rows="6" aria-invalid=[bad("identity", "identity").then_some("true")] aria-describedby=[described("identity", "identity")] { (typed("identity", "identity")) }
            (note("identity", "identity"))
            button type="submit" { "Add partner" }
        }

        h2 #peers { "Peers" }
        (note("peer", "id"))
        @if peers.is_empty() { p { "This node pulls from no peer. Add one on " a href="/partners" { "the partners page" } "." } }
        @else {
            (super::partners::peers_table(state, &peers, &name))
            ul.actions {
                @for p in &peers {
                    li {
                        (p.url) " (" (name(&p.partner)) ") "
                        form.inline method="post" action="/admin/peers/sync" {
                            (csrf_field(signed))
                            input type="hidden" name="id" value=(p.id);
                            button type="submit" { "Sync now" }
                        }
                        " "
                        form.inline method="post" action="/admin/peers/remove" {
                            (csrf_field(signed))
                            input type="hidden" name="id" value=(p.id);
                            button type="submit" { "Remove" }
                        }
                    }
                }
            }
        }

        h2 #sources { "Feed sources" }
        (note("source", "name"))
        @if configured.is_empty() && sources.sources.is_empty() { p { "No feed source is configured (" code { "[[sources]]" } " in entente.toml; docs/sources.md)." } }
        @else {
            table {
                thead { tr { th scope="col" { "Source" } th scope="col" { "Kind" } th scope="col" { "From" } th scope="col" { "Last attempt" } th scope="col" { "Last success" } th.num scope="col" { "Offered" } th.num scope="col" { "Added" } th.num scope="col" { "Unchanged" } th.num scope="col" { "Refused" } th.num scope="col" { "Pulls" } th scope="col" { "Error" } th scope="col" { "" } } }
                tbody {
                    @for (n, kind, from, s) in &rows {
                        tr {
                            th scope="row" { (n) }
                            td { (kind) }
                            td { (from) }
                            td { (s.last_attempt.as_deref().unwrap_or("never")) }
                            td { (s.last_success.as_deref().unwrap_or("never")) }
                            td.num { (s.offered) } td.num { (s.added) } td.num { (s.unchanged) } td.num { (s.refused) } td.num { (s.pulls) }
                            td {
                                (s.error.as_deref().unwrap_or(""))
                                @if !s.refusals.is_empty() { ul { @for r in s.refusals.iter().take(5) { li { (r) } } } }
                            }
                            td {
                                @if kind.is_empty() { "no longer configured" }
                                @else {
                                    form.inline method="post" action="/admin/sources/pull" {
                                        (csrf_field(signed))
                                        input type="hidden" name="name" value=(n);
                                        button type="submit" { "Pull " (n) " now" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.hint { "Sources are configured in entente.toml; " code { "entente serve" } " pulls each when due, " code { "entente sources --pull" } " pulls every one now." }
        }
    };
    Ok((status, Html(layout("Administration", Some(signed), body).into_string())).into_response())
}

/// A source's URL as the page shows it: without its query and fragment
/// (a feed's key is often passed there) nor user and password.
fn shown_url(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}{path}")
}

/// `POST /admin/sources/pull`: pulls one configured feed source now.
pub(super) async fn pull_source(State(state): State<Site>, signed: Signed, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Some(r) = admitted(&signed, &pairs) {
        return Ok(r);
    }
    let name = field(&pairs, "name");
    tracing::info!(source = %name, by = %signed.caller.token_id, "feed pull asked for on the web");
    match state.host.pull_source(name.clone()).await {
        Ok(done) => render(&state, &signed, Some(html! { p { "Pulled source " strong { (name) } ": " (done) "." } }), None, StatusCode::OK).await,
        Err(r) if r.field.is_some() => render(&state, &signed, None, Some(Fault::new("source", "name", r.message)), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(r) => render(&state, &signed, None, Some(Fault::new("source", "name", format!("the pull of source {name} failed: {}", r.message))), StatusCode::BAD_GATEWAY).await,
    }
}

/// The checks every administration form passes first: the CSRF token, then
/// the caller being the node's administrator.
fn admitted(signed: &Signed, pairs: &Pairs) -> Option<Response> {
    if let Err(r) = csrf(signed, pairs) {
        return Some(r.into_response());
    }
    (!signed.caller.node_admin).then(|| not_allowed(signed, ADMIN_ONLY))
}

/// A hosted partner of the node by id, or why not.
async fn hosted_partner(state: &Site, id: &str) -> Result<Result<String, String>, WebError> {
    let (registry, id) = (state.registry.clone(), id.to_owned());
    Ok(crate::blocking(move || {
        Ok(match registry.partner(&id)? {
            Some(p) if p.hosted => Ok(p.id),
            _ => Err("choose a partner hosted on this node".to_owned()),
        })
    })
    .await?)
}

/// `POST /admin/users`: adds a user, as `entente user add` does.
pub(super) async fn add_user(State(state): State<Site>, signed: Signed, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Some(r) = admitted(&signed, &pairs) {
        return Ok(r);
    }
    let (name, partner, role) = (field(&pairs, "name"), field(&pairs, "partner"), field(&pairs, "role"));
    let refuse = |f: &'static str, m: String| Fault::new("user", f, m).typed("name", &name).typed("partner", &partner).typed("role", &role);
    let fault = match (node::auth::user_name(&name), node::auth::role(&role), hosted_partner(&state, &partner).await?) {
        (Err(m), _, _) => refuse("name", m),
        (_, Err(m), _) => refuse("role", m),
        (_, _, Err(m)) => refuse("partner", m),
        (Ok(user), Ok(role), Ok(partner_id)) => {
            let password = field(&pairs, "password");
            let registry = state.registry.clone();
            let u = user.clone();
            let added = crate::blocking(move || {
                if registry.user(&u)?.is_some() {
                    return Ok(Err(("name", format!("a user named {u:?} exists"))));
                }
                let record = match node::auth::new_user(&u, &partner_id, role, &password, Timestamp::now().micros()) {
                    Ok(r) => r,
                    Err(m) => return Ok(Err(("password", m))),
                };
                registry.put_user(&record)?;
                Ok(Ok(()))
            })
            .await?;
            match added {
                Ok(()) => {
                    tracing::info!(user = %user, partner = %partner, role = role.as_str(), by = %signed.caller.token_id, "user added on the web");
                    let notice = html! { p { "User " strong { (user) } " added as " (role.as_str()) ": they can sign in at " code { "/login" } "." } };
                    return render(&state, &signed, Some(notice), None, StatusCode::CREATED).await;
                }
                Err((f, m)) => refuse(f, m),
            }
        }
    };
    render(&state, &signed, None, Some(fault), StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `POST /admin/users/role`: changes a user's role.
pub(super) async fn user_role(State(state): State<Site>, signed: Signed, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Some(r) = admitted(&signed, &pairs) {
        return Ok(r);
    }
    let (user, role) = (field(&pairs, "user"), field(&pairs, "role"));
    let refuse = |f: &'static str, m: String| Fault::new("role", f, m).typed("user", &user).typed("role", &role);
    let role = match node::auth::role(&role) {
        Ok(r) => r,
        Err(m) => return render(&state, &signed, None, Some(refuse("role", m)), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let (registry, u) = (state.registry.clone(), user.clone());
    let changed = crate::blocking(move || {
        let Some(record) = registry.user(&u)? else { return Ok(false) };
        registry.put_user(&store::UserRecord { role, ..record })?;
        Ok(true)
    })
    .await?;
    if !changed {
        return render(&state, &signed, None, Some(refuse("user", format!("no user named {user:?}"))), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    tracing::info!(user = %user, role = role.as_str(), by = %signed.caller.token_id, "user's role changed on the web");
    Ok(Redirect::to("/admin#users").into_response())
}

/// `POST /admin/tokens`: creates a token, as `entente token create` does;
/// the answer is the one page that shows its secret.
pub(super) async fn create_token(State(state): State<Site>, signed: Signed, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Some(r) = admitted(&signed, &pairs) {
        return Ok(r);
    }
    let (partner, role, user, expires, feed) = (field(&pairs, "partner"), field(&pairs, "role"), field(&pairs, "user"), field(&pairs, "expires"), field(&pairs, "feed"));
    let refuse = |f: &'static str, m: String| {
        Fault::new("token", f, m).typed("partner", &partner).typed("role", &role).typed("user", &user).typed("expires", &expires).typed("feed", &feed)
    };
    let now = Timestamp::now().micros();
    let fault = match (hosted_partner(&state, &partner).await?, node::auth::role(&role), (!expires.trim().is_empty()).then(|| node::auth::lifetime(&expires)).transpose()) {
        (Err(m), _, _) => refuse("partner", m),
        (_, Err(m), _) => refuse("role", m),
        (_, _, Err(m)) => refuse("expires", m),
        (Ok(partner_id), Ok(role), Ok(lifetime)) => {
            let label = user.trim().chars().filter(|c| !c.is_control()).take(200).collect::<String>();
            let expiry = lifetime.map(|l| now.saturating_add(l));
            let feed = feed == "true";
            let (secret, record) = if feed { node::auth::issue_feed(&partner_id, &label, now, expiry) } else { node::auth::issue(&partner_id, &label, role, now, expiry) };
            let registry = state.registry.clone();
            let r = record.clone();
            crate::blocking(move || registry.put_token(&r)).await?;
            tracing::info!(token = %record.id, partner = %partner_id, role = record.role.as_str(), feed, by = %signed.caller.token_id, "token created on the web");
            let notice = html! {
                p { "Token " code { (record.id) } " created for " (partner_id) " as " (record.role.as_str()) @if feed { ", feed only" } ". Its secret, shown this once: copy it now." }
                p { code.secret { (secret) } }
            };
            return render(&state, &signed, Some(notice), None, StatusCode::CREATED).await;
        }
    };
    render(&state, &signed, None, Some(fault), StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `POST /admin/tokens/revoke`.
pub(super) async fn revoke_token(State(state): State<Site>, signed: Signed, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Some(r) = admitted(&signed, &pairs) {
        return Ok(r);
    }
    let id = node::auth::token_id(&field(&pairs, "id"));
    let (registry, i) = (state.registry.clone(), id.clone());
    if !crate::blocking(move || registry.revoke_token(&i)).await? {
        return render(&state, &signed, None, Some(Fault::new("revoke", "id", format!("no token {id}"))), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    tracing::info!(token = %id, by = %signed.caller.token_id, "token revoked on the web");
    Ok(Redirect::to("/admin#tokens").into_response())
}

/// `POST /admin/partners`: adds a partner hosted elsewhere from its
/// identity object (a file or pasted), as `entente partner add --identity`.
pub(super) async fn add_partner(State(state): State<Site>, signed: Signed, req: Request) -> Result<Response, WebError> {
    let fields = match form::read(&state, req).await {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    if let Err(r) = signed.check_csrf(&fields.csrf()) {
        return Ok(r.into_response());
    }
    if !signed.caller.node_admin {
        return Ok(not_allowed(&signed, ADMIN_ONLY));
    }
    let pasted = fields.get("identity").to_owned();
    let bytes = match fields.file("identity_file") {
        Some(b) => b.to_vec(),
        None => pasted.clone().into_bytes(),
    };
    let refuse = |m: String| Fault::new("identity", "identity", m).typed("identity", &pasted);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return render(&state, &signed, None, Some(refuse("give the partner's identity object (a file or pasted JSON)".to_owned())), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let identity = match model::Object::parse(&bytes, &state.limits) {
        Ok(o) => o,
        Err(e) => return render(&state, &signed, None, Some(refuse(format!("not an identity object: {e}"))), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    if let Err(m) = node::identity::check_known_partner(&identity) {
        return render(&state, &signed, None, Some(refuse(m)), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (store, registry, id) = (state.store.clone(), state.registry.clone(), identity.id().to_string());
    let i = id.clone();
    let known = crate::blocking(move || registry.partner(&i)).await?;
    if known.is_some_and(|p| p.hosted) {
        return render(&state, &signed, None, Some(refuse(format!("{id} is a partner hosted on this node"))), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let registry = state.registry.clone();
    match crate::blocking(move || node::identity::add_known_partner(&*store, &*registry, &identity)).await {
        Ok(id) => {
            tracing::info!(partner = %id, by = %signed.caller.token_id, "known partner added on the web");
            let notice = html! { p { "Partner " code { (id) } " added. Add its node as a peer on " a href="/partners" { "the partners page" } "." } };
            render(&state, &signed, Some(notice), None, StatusCode::CREATED).await
        }
        Err(e) if e.status().is_server_error() => Err(WebError::Api(e)),
        Err(e) => render(&state, &signed, None, Some(refuse(e.description().to_owned())), StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// `POST /admin/peers/remove`: removes a peer and its credential.
pub(super) async fn remove_peer(State(state): State<Site>, signed: Signed, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Some(r) = admitted(&signed, &pairs) {
        return Ok(r);
    }
    let id = field(&pairs, "id");
    let (host, i) = (state.host.clone(), id.clone());
    let removed = tokio::task::spawn_blocking(move || host.remove_peer(&i)).await.map_err(|e| Problem::internal(format!("removing a peer: {e}")))?;
    match removed {
        Ok(true) => {
            tracing::info!(peer = %id, by = %signed.caller.token_id, "peer removed on the web");
            Ok(Redirect::to("/admin#peers").into_response())
        }
        Ok(false) => render(&state, &signed, None, Some(Fault::new("peer", "id", format!("no peer {id}"))), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(m) => Err(WebError::Api(Problem::internal(format!("removing a peer: {m}")))),
    }
}

/// `POST /admin/peers/sync`: one sync round with a peer now.
pub(super) async fn sync_peer(State(state): State<Site>, signed: Signed, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Some(r) = admitted(&signed, &pairs) {
        return Ok(r);
    }
    let id = field(&pairs, "id");
    tracing::info!(peer = %id, by = %signed.caller.token_id, "sync round asked for on the web");
    match state.host.sync_now(id.clone()).await {
        Ok(done) => render(&state, &signed, Some(html! { p { "Synced with peer " code { (id) } ": " (done) "." } }), None, StatusCode::OK).await,
        Err(r) if r.field.is_some() => render(&state, &signed, None, Some(Fault::new("peer", "id", r.message)), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(r) => render(&state, &signed, None, Some(Fault::new("peer", "id", format!("sync with peer {id} failed: {}", r.message))), StatusCode::BAD_GATEWAY).await,
    }
}

/// `GET /admin/log`: the newest entries of the release log first, `PER_PAGE`
/// a page, filtered by recipient partner and channel.
pub(super) async fn log(State(state): State<Site>, signed: Signed, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    if !signed.caller.node_admin {
        return Ok(not_allowed(&signed, ADMIN_ONLY));
    }
    let get = |k: &str| q.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let (partner, channel) = (get("partner"), get("channel"));
    let page: usize = get("page").parse().unwrap_or(0).min(MAX_PAGE);
    let recipient = if partner.is_empty() {
        None
    } else {
        Some(StixId::parse(&partner).map_err(|e| Problem::client(StatusCode::UNPROCESSABLE_ENTITY, "bad filter", format!("partner: {e}")))?)
    };
    let path = state.log.path().to_owned();
    let ch = channel.clone();
    let (entries, more, problem) = crate::blocking(move || {
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), false, None)),
            Err(e) => return Err(store::Error::Internal(format!("reading the release log: {e}"))),
        };
        // Newest first from the log's end: a page costs the entries up to
        // it, not the whole log. A damaged line is named and passed over.
        let reader = audit::newest_first(file).map_err(|e| store::Error::Internal(format!("reading the release log: {e}")))?;
        let mut problem = None;
        let mut matching = reader
            .filter_map(|read| match read {
                Ok(e) => Some(e),
                Err(p) => {
                    problem.get_or_insert_with(|| p.to_string());
                    None
                }
            })
            .filter(|e| recipient.as_ref().is_none_or(|r| e.recipient == *r) && (ch.is_empty() || e.channel == ch))
            .skip(page * PER_PAGE);
        let shown: Vec<audit::Entry> = matching.by_ref().take(PER_PAGE).collect();
        let more = matching.next().is_some();
        drop(matching);
        Ok((shown, more, problem))
    })
    .await?;
    let names = super::partner_names(&state).await?;
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let mut partners: Vec<(&String, &String)> = names.iter().collect();
    partners.sort_by(|a, b| a.1.cmp(b.1));
    let link = |p: usize| {
        let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("partner", &partner).append_pair("channel", &channel).append_pair("page", &p.to_string()).finish();
        format!("/admin/log?{query}")
    };
    let body = html! {
        p.lead { "Every release and refusal of the node, newest first, " (PER_PAGE) " a page. " code { "entente audit verify" } " checks the log's hash chain; " code { "entente audit show" } " reads it whole." }
        @if let Some(p) = &problem { p.error role="alert" { "A damaged line of the log was passed over: " (p) ". Run " code { "entente audit verify" } "." } }
        form.filters method="get" action="/admin/log" {
            label for="log-partner" { "Recipient" }
            select #log-partner name="partner" {
                option value="" { "any partner" }
                @for (id, n) in &partners { option value=(id) selected[**id == partner] { (n) } }
            }
            label for="log-channel" { "Channel" }
            input #log-channel type="text" name="channel" value=(channel) placeholder="taxii, api, web, sync…";
            button type="submit" { "Filter" }
        }
        @if entries.is_empty() { p { "No entry" @if page > 0 { " on this page" } "." } }
        @else {
            table {
                thead { tr { th.num scope="col" { "#" } th scope="col" { "Time" } th scope="col" { "Recipient" } th scope="col" { "Channel" } th scope="col" { "Decision" } th scope="col" { "Reason" } th.num scope="col" { "Versions" } th scope="col" { "Objects" } } }
                tbody {
                    @for e in &entries {
                        tr {
                            td.num { (e.seq) }
                            td { (e.time) }
                            td { (name(e.recipient.as_str())) }
                            td { (e.channel) }
                            td { (e.decision) }
                            td { (e.reason.as_deref().unwrap_or("")) }
                            td.num { (e.items.len()) }
                            td {
                                @for i in e.items.iter().take(3) { code { (i.object) } " " }
                                @if e.items.len() > 3 { "and " (e.items.len() - 3) " more" }
                            }
                        }
                    }
                }
            }
        }
        nav.pages aria-label="Pages" {
            @if page > 0 { a href=(link(page - 1)) rel="prev" { "Newer" } " " }
            @if more && page < MAX_PAGE { a href=(link(page + 1)) rel="next" { "Older" } }
        }
    };
    Ok(Html(layout("Release log", Some(&signed), body).into_string()).into_response())
}
