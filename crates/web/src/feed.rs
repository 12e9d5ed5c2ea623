//! `GET /inbox.atom`: the caller partner's inbox (`node::modules::inbox`,
//! read through its release gate and logged on the channel `feed`) as an
//! Atom 1.0 feed, for a feed reader. It takes a signed-in session, or a
//! feed-only token (`entente token create --feed`, `entfeed_…`) sent as
//! HTTP Basic (any user name, the token as password) or Bearer — never in
//! the URL. A feed-only token opens this feed and nothing else
//! (`node::auth::verify_feed`); an API token is refused here, so that no
//! token able to do more sits in a feed reader's settings.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use model::Timestamp;
use serde_json::Value;

use super::session::Signed;
use crate::public::{urn, xml};
use crate::{Problem, Site};

/// 401 with the challenge a feed reader answers with its credentials.
fn challenge() -> Response {
    let mut r = (StatusCode::UNAUTHORIZED, "a session or a feed-only token (entente token create --feed) is required\n").into_response();
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"entente inbox feed\", charset=\"UTF-8\""));
    r
}

/// `GET /inbox.atom`.
pub(super) async fn inbox(State(state): State<Site>, mut parts: Parts) -> Result<Response, Problem> {
    let caller = match parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned) {
        Some(value) => {
            let ip = state.host.client_ip(&parts).unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
            let Some(token) = node::auth::token_from_header(&value) else { return Ok(challenge()) };
            let credential = node::auth::token_credential(&token);
            let registry = state.registry.clone();
            let (now, node) = (Timestamp::now().micros(), state.partner.clone());
            match crate::blocking(move || node::auth::verify_feed(&*registry, &token, now, &node)).await? {
                Ok(caller) => caller,
                Err(why) => {
                    let throttled = state.auth_failures.fail(ip, credential.as_deref());
                    metrics::counter!("entente_auth_failures_total").increment(1);
                    tracing::warn!(%ip, reason = ?why, "inbox feed refused");
                    if let Some(wait) = throttled {
                        let secs = node::auth::retry_after_secs(wait);
                        let mut r = (StatusCode::TOO_MANY_REQUESTS, "too many failed attempts\n").into_response();
                        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
                        return Ok(r);
                    }
                    return Ok(challenge());
                }
            }
        }
        None => match Signed::from_request_parts(&mut parts, &state).await {
            Ok(signed) => signed.caller,
            Err(_) => return Ok(challenge()),
        },
    };
    let (node, modules, me, registry) = (state.modules_node(), state.modules.clone(), caller.partner.clone(), state.registry.clone());
    let user = caller.token_id.clone();
    let entries = tokio::task::spawn_blocking(move || {
        // With what the feed's user has not read (a feed-only token reads for
        // the user of its partner it was made for, if that user exists).
        let reader = reader_of(&*registry, &user, &me)?;
        let inbox = node::modules::inbox(&node, &modules, &me, reader.as_deref().map(|r| (&*registry as &dyn store::Registry, r)), "feed")?;
        Ok::<_, node::modules::Error>(inbox.needs.into_iter().chain(inbox.unread).collect::<Vec<_>>())
    })
    .await
    .map_err(|e| Problem::internal(e.to_string()))?
    .map_err(Problem::from)?;
    let name = crate::partner_names(&state).await?.remove(caller.partner.as_str()).unwrap_or_else(|| caller.partner.to_string());
    let body = feed(caller.partner.as_str(), &name, &entries);
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response())
}

/// Whose read marks the feed reads: a signed-in user's own (`user:NAME`, or
/// the token it signed in with); for a feed-only token, those of the user
/// of the same partner it was made for (its label), if there is one.
fn reader_of(registry: &dyn store::Registry, credential: &str, partner: &model::StixId) -> store::Result<Option<String>> {
    if credential.starts_with("user:") {
        return Ok(Some(credential.to_owned()));
    }
    let Some(token) = registry.token(credential)? else { return Ok(None) };
    let Some(label) = token.user.strip_prefix(node::auth::FEED_LABEL) else { return Ok(Some(credential.to_owned())) };
    Ok(registry.user(label)?.filter(|u| u.partner == partner.as_str()).map(|u| format!("user:{}", u.name)))
}

fn feed(partner: &str, name: &str, entries: &[Value]) -> String {
    use std::fmt::Write as _;
    let text = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let now = Timestamp::now();
    let mut out = String::with_capacity(1024 + entries.len() * 768);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(out, "  <id>{}</id>", urn(&format!("entente:inbox:{partner}")));
    let _ = writeln!(out, "  <title type=\"text\">Inbox of {}</title>", xml(name));
    let _ = writeln!(out, "  <updated>{}</updated>", now.as_str());
    let _ = writeln!(out, "  <author><name>{}</name></author>", xml(name));
    out.push_str("  <link rel=\"self\" type=\"application/atom+xml\" href=\"/inbox.atom\"/>\n");
    out.push_str("  <link rel=\"alternate\" type=\"text/html\" href=\"/inbox\"/>\n");
    for e in entries {
        let (what, agreement, module) = (text(e, "what"), text(e, "agreement"), text(e, "module"));
        // An unread thread is named by the thread (its entry stays while unread).
        let record = if what == "unread" { text(e, "thread") } else { text(e, "record") };
        let due = text(e, "due");
        let overdue = e["overdue"] == true;
        let title = match e.get("unread").and_then(Value::as_u64) {
            Some(n) => format!("{n} unread in {}", text(e, "title")),
            None => format!("{}{what}: {}", if overdue { "Overdue: " } else { "" }, text(e, "title")),
        };
        out.push_str("  <entry>\n");
        // One entry per need of one record: it keeps its id while it is
        // there; its `updated` is when it is due (else when the feed was made).
        let _ = writeln!(out, "    <id>{}</id>", urn(&format!("entente:inbox:{partner}:{module}:{agreement}:{what}:{record}")));
        let _ = writeln!(out, "    <title type=\"text\">{}</title>", xml(&title));
        let updated = Timestamp::parse(&due).unwrap_or_else(|_| now.clone());
        let _ = writeln!(out, "    <updated>{}</updated>", updated.as_str());
        let _ = writeln!(out, "    <link rel=\"alternate\" type=\"text/html\" href=\"/agreements/{}/modules/{}\"/>", xml(&agreement), xml(&module));
        let mut content = format!("{what} ({module}) under {}", text(e, "agreement_title"));
        if !due.is_empty() {
            let _ = write!(content, ", due {due}{}", if overdue { " (overdue)" } else { "" });
        }
        let _ = writeln!(out, "    <content type=\"text\">{}</content>", xml(&content));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}
