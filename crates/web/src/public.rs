//! The node's public voice, for anyone, without sign-in: the joint
//! statements its partner co-signed, as published (`node::public`, the one
//! release path to the public, which logs each answer on the channel
//! `public`). `GET /public/statements` lists them newest first,
//! `GET /public/statements/{id}` shows one with every language version, its
//! corrections, and each co-signer's signature with the key to check it,
//! and `GET /public/statements.atom` is the Atom 1.0 feed of them.
//!
//! Statement text is partner input: maud escapes it in the pages, and the
//! feed escapes it as XML (and replaces the characters XML 1.0 cannot
//! carry), never as markup.
//!
//! The feed's links are absolute IRIs (RFC 4287) under the node's public
//! URL when it is configured (`public_url`), never taken from the request's
//! `Host` (which the client chooses). The pages need no sign-in, so each
//! client address may ask them a bounded number of times a minute
//! (`public_rate_limit`; an IPv6 address counts by its /64): beyond, 429
//! with `Retry-After` ([`Public`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use model::{StixId, Timestamp};
use node::public::Statement;

use super::{layout, page, WebError};
use crate::{Problem, Site};

/// Requests a client address may make of the public pages in a minute,
/// unless configured otherwise.
pub const DEFAULT_PER_MINUTE: u32 = 120;

/// The window the limit counts in.
const WINDOW: Duration = Duration::from_secs(60);

/// Client networks counted at once: under a flood from more within one
/// window, new ones wait for the window to pass (the memory stays bounded).
const MAX_TRACKED: usize = 100_000;

/// The public pages' base URL and their per-client limit, one per node.
#[derive(Debug)]
pub struct Public {
    base: Option<String>,
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Default for Public {
    fn default() -> Self {
        Public::new(None, DEFAULT_PER_MINUTE)
    }
}

impl Public {
    /// Links under `base` (its trailing `/` dropped); at most `per_minute`
    /// requests a minute per client network (at least 1).
    pub fn new(base: Option<String>, per_minute: u32) -> Public {
        let base = base.map(|b| b.trim_end_matches('/').to_owned());
        Public { base, per_minute: per_minute.max(1), seen: Mutex::new(HashMap::new()) }
    }

    /// Counts a request from `ip`: how long it must wait, if it is over the limit.
    pub fn hit(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        // An IPv6 client holds a /64 at least: count the network.
        let key = match ip {
            IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
            v4 => v4,
        };
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() >= MAX_TRACKED && !seen.contains_key(&key) {
            seen.retain(|_, (start, _)| now.saturating_duration_since(*start) < WINDOW);
            if seen.len() >= MAX_TRACKED {
                return Some(WINDOW);
            }
        }
        let entry = seen.entry(key).or_insert((now, 0));
        let elapsed = now.saturating_duration_since(entry.0);
        if elapsed >= WINDOW {
            *entry = (now, 0);
        } else if entry.1 >= self.per_minute {
            return Some(WINDOW - elapsed);
        }
        entry.1 += 1;
        None
    }
}

/// 429 with `Retry-After` when the client of `parts` asked the public
/// pages too often this minute.
fn throttled(state: &Site, parts: &Parts) -> Option<Response> {
    let ip = state.host.client_ip(parts).unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let wait = state.web.public.hit(ip, Instant::now())?;
    metrics::counter!("entente_public_throttled_total").increment(1);
    let mut r = (StatusCode::TOO_MANY_REQUESTS, "too many requests from your address: try again later\n").into_response();
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
    Some(r)
}

/// The statements the node's partner co-signed and published, newest first.
async fn published(state: &Site, only: Option<StixId>) -> Result<Vec<Statement>, WebError> {
    let me = StixId::parse(&state.partner).map_err(|e| Problem::internal(format!("the node's partner {:?}: {e}", state.partner)))?;
    let (node, modules) = (state.services(), state.modules.clone());
    let now = Timestamp::now();
    let found = crate::service(move || match only {
        None => node::public::statements(&node, &modules, &me, now),
        Some(id) => node::public::statement(&node, &modules, &me, &id, now).map(|s| vec![s]),
    })
    .await?;
    Ok(found)
}

/// A partner's name, else its id.
fn name<'a>(names: &'a HashMap<String, String>, id: &'a str) -> &'a str {
    names.get(id).map_or(id, String::as_str)
}

fn cosigner_names(s: &Statement, names: &HashMap<String, String>) -> String {
    s.cosigners.iter().map(|c| name(names, c.partner.as_str())).collect::<Vec<_>>().join(", ")
}

/// `GET /public/statements`.
pub(super) async fn list(State(state): State<Site>, parts: Parts) -> Result<Response, WebError> {
    if let Some(r) = throttled(&state, &parts) {
        return Ok(r);
    }
    let statements = published(&state, None).await?;
    let names = crate::partner_names(&state).await?;
    let body = html! {
        p { "Joint statements this node's partner made with its partners, as published. Each carries its co-signers' signatures and public keys: anyone can check them." }
        p { a href="/public/statements.atom" type="application/atom+xml" { "Atom feed" } }
        @if statements.is_empty() {
            p { "No statement is published." }
        } @else {
            table {
                thead { tr { th scope="col" { "Statement" } th scope="col" { "Co-signers" } th scope="col" { "Published" } th scope="col" { "Languages" } } }
                tbody {
                    @for s in &statements {
                        tr {
                            td {
                                a href=(format!("/public/statements/{}", s.id)) { (s.title) }
                                @if s.withdrawn { " " span.deny { "withdrawn" } }
                                @else if !s.corrects.is_empty() { " " span { "corrected" } }
                            }
                            td { (cosigner_names(s, &names)) }
                            td { time datetime=(s.published.as_str()) { (s.published.as_str()) } }
                            td { @for (tag, _, _) in &s.languages { span lang=(tag) { (tag) } " " } }
                        }
                    }
                }
            }
        }
    };
    Ok(page(layout("Public statements", None, body)))
}

/// `GET /public/statements/{id}`.
pub(super) async fn show(State(state): State<Site>, Path(raw): Path<String>, parts: Parts) -> Result<Response, WebError> {
    if let Some(r) = throttled(&state, &parts) {
        return Ok(r);
    }
    let id = StixId::parse(&raw).map_err(|_| WebError::NotFound)?;
    let s = published(&state, Some(id)).await?.pop().ok_or(WebError::NotFound)?;
    let names = crate::partner_names(&state).await?;
    Ok(page(layout(&s.title, None, statement(&s, &names))))
}

fn statement(s: &Statement, names: &HashMap<String, String>) -> Markup {
    html! { div.statement { (statement_body(s, names)) } }
}

fn statement_body(s: &Statement, names: &HashMap<String, String>) -> Markup {
    html! {
        p { a href="/public/statements" { "All public statements" } }
        @if s.withdrawn {
            p.error role="status" { "Withdrawn by its proposer on " (s.published.as_str()) ". It was first published on " (s.first_published.as_str()) "." }
        }
        dl {
            dt { "Co-signers" } dd { (cosigner_names(s, names)) }
            dt { "Published" } dd { time datetime=(s.published.as_str()) { (s.published.as_str()) } }
            @if s.first_published != s.published { dt { "First published" } dd { (s.first_published.as_str()) } }
            dt { "Version" } dd { code { (s.version.as_str()) } }
        }
        @if !s.corrects.is_empty() {
            p { "Corrected: this version replaces the version" @if s.corrects.len() > 1 { "s" } " published on "
                (s.corrects.iter().map(Timestamp::as_str).collect::<Vec<_>>().join(", ")) "." }
        }
        section {
            @for para in s.text.split("\n\n") { p { (para) } }
        }
        @for (tag, title, text) in &s.languages {
            section lang=(tag) {
                h2 { (title) " " small { "(" (tag) ")" } }
                @for para in text.split("\n\n") { p { (para) } }
            }
        }
        h2 { "Signatures" }
        p { "Each co-signer signs with its own key, on its own node: the proposer the statement's version, every co-signer its approval of exactly this version (a statement adopted by silence procedure carries no approval: its co-signers did not object in time)." }
        @for c in &s.cosigners {
            section {
                h3 { (name(names, c.partner.as_str())) }
                dl {
                    dt { "Identity" } dd { code { (c.partner.as_str()) } }
                    dt { "Public key (Ed25519, base64)" } dd { @if let Some(k) = &c.key { code { (k) } } @else { "not known to this node" } }
                    dt { "Fingerprint (SHA-256 of the key)" } dd { @if let Some(f) = &c.fingerprint { code { (f) } } @else { "—" } }
                }
                @if c.signed.is_empty() {
                    p { "No signed record of this co-signer for this version." }
                }
                @for x in &c.signed {
                    div {
                        p {
                            @if x.what == "approval" { "Approval " } @else { "Statement version " }
                            code { (x.id.as_str()) } " of " code { (x.version) } ": "
                            @if x.verified { span.allow { "signature verified by this node" } }
                            @else if x.signature.is_some() { span.deny { "signature does not verify" } }
                            @else { span.deny { "no signature held" } }
                        }
                        @if let Some(sig) = &x.signature { p { "Signature: " code { (sig) } } }
                        details { summary { "The signed record" } pre { code { (x.json) } } }
                    }
                }
            }
        }
        h2 { "How to verify" }
        ol {
            li { "Check the co-signer's key: its fingerprint (the SHA-256 of the 32 key bytes) must match the one the co-signer publishes through its own channels." }
            li { "Canonicalise the signed record (its JSON, shown above) with RFC 8785 (JSON Canonicalization Scheme)." }
            li { "The signature reads " code { "m1." } "signature" code { "." } "root" code { "." } "path (unpadded base64 each). Hash the leaf: SHA-256(0x00 ‖ canonical record)." }
            li { "Climb the path, 33 bytes a step: a flag byte and a sibling hash; flag 1: SHA-256(0x01 ‖ sibling ‖ hash), flag 0: SHA-256(0x01 ‖ hash ‖ sibling). The result must equal the root." }
            li { "Check the Ed25519 signature over the bytes " code { "entente-provenance-v1" } " followed by the root, with the co-signer's public key." }
            li { "An approval names the statement and the exact version it approves (" code { "consents_to_ref" } ", " code { "consents_to_modified" } "): it must be this statement's id and version." }
        }
    }
}

/// `GET /public/statements.atom`: an Atom 1.0 feed, one entry per
/// published statement (a correction or withdrawal is a new entry, its
/// own version), text content, XML-escaped.
pub(super) async fn atom(State(state): State<Site>, parts: Parts) -> Result<Response, WebError> {
    if let Some(r) = throttled(&state, &parts) {
        return Ok(r);
    }
    let statements = published(&state, None).await?;
    let names = crate::partner_names(&state).await?;
    let feed = feed(state.web.public.base.as_deref().unwrap_or_default(), &state.partner, &statements, &names);
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], feed).into_response())
}

/// A stable `urn:uuid:` for `name` (UUID version 5).
pub(crate) fn urn(name: &str) -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes()))
}

/// The feed; its links under `base` (the node's public URL; empty: relative).
fn feed(base: &str, partner: &str, statements: &[Statement], names: &HashMap<String, String>) -> String {
    let base = xml(base);
    use std::fmt::Write as _;
    let updated = statements.iter().map(|s| s.published.clone()).max().unwrap_or_else(|| Timestamp::from_micros(0));
    let mut out = String::with_capacity(1024 + statements.len() * 2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(out, "  <id>{}</id>", urn(&format!("entente:public-statements:{partner}")));
    let _ = writeln!(out, "  <title type=\"text\">Public statements of {}</title>", xml(name(names, partner)));
    let _ = writeln!(out, "  <updated>{}</updated>", updated.as_str());
    let _ = writeln!(out, "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/public/statements.atom\"/>");
    let _ = writeln!(out, "  <link rel=\"alternate\" type=\"text/html\" href=\"{base}/public/statements\"/>");
    for s in statements {
        let title = if s.withdrawn {
            format!("Withdrawn: {}", s.title)
        } else if !s.corrects.is_empty() {
            format!("Corrected: {}", s.title)
        } else {
            s.title.clone()
        };
        out.push_str("  <entry>\n");
        let _ = writeln!(out, "    <id>{}</id>", urn(&format!("entente:statement:{}:{}", s.id, s.version)));
        let _ = writeln!(out, "    <title type=\"text\">{}</title>", xml(&title));
        let _ = writeln!(out, "    <updated>{}</updated>", s.published.as_str());
        let _ = writeln!(out, "    <published>{}</published>", s.first_published.as_str());
        for c in &s.cosigners {
            let _ = writeln!(out, "    <author><name>{}</name><uri>{}</uri></author>", xml(name(names, c.partner.as_str())), urn(&format!("entente:partner:{}", c.partner)));
        }
        let _ = writeln!(out, "    <link rel=\"alternate\" type=\"text/html\" href=\"{base}/public/statements/{}\"/>", s.id);
        let mut text = s.text.clone();
        for (tag, title, body) in &s.languages {
            let _ = write!(text, "\n\n[{tag}] {title}\n\n{body}");
        }
        let _ = writeln!(out, "    <content type=\"text\">{}</content>", xml(&text));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// `s` as XML character data or attribute value: the five markup
/// characters escaped, and the characters XML 1.0 cannot carry (control
/// characters but tab and line ends, lone surrogates cannot occur in a
/// `str`, U+FFFE and U+FFFF) replaced by U+FFFD.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::time::{Duration, Instant};

    use super::{xml, Public};

    #[test]
    fn each_client_network_is_limited_on_its_own_and_starts_afresh_after_a_minute() {
        let public = Public::new(None, 3);
        let t = Instant::now();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert!((0..3).all(|_| public.hit(a, t).is_none()));
        let wait = public.hit(a, t + Duration::from_secs(10)).expect("the fourth within the minute waits");
        assert_eq!(wait, Duration::from_secs(50));
        assert!(public.hit(b, t).is_none(), "another address counts on its own");
        assert!(public.hit(a, t + Duration::from_secs(60)).is_none(), "a new window");
        // One IPv6 /64 is one client; another /64 is another.
        let (v1, v2, other): (IpAddr, IpAddr, IpAddr) = ("2001:db8::1".parse().unwrap(), "2001:db8::ffff:2".parse().unwrap(), "2001:db8:0:1::1".parse().unwrap());
        assert!((0..3).all(|_| public.hit(v1, t).is_none()));
        assert!(public.hit(v2, t).is_some() && public.hit(other, t).is_none());
    }

    #[test]
    fn the_feeds_links_are_absolute_under_the_public_url() {
        let statement = node::public::Statement {
            id: model::StixId::parse("x-entente-statement--00000000-0000-4000-8000-000000000001").unwrap(),
            agreement: model::StixId::parse("x-entente-agreement--00000000-0000-4000-8000-000000000002").unwrap(),
            version: model::Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
            published: model::Timestamp::parse("2026-01-02T00:00:00Z").unwrap(),
            first_published: model::Timestamp::parse("2026-01-02T00:00:00Z").unwrap(),
            title: "T".into(),
            text: "x".into(),
            languages: Vec::new(),
            withdrawn: false,
            corrects: Vec::new(),
            cosigners: Vec::new(),
            json: String::new(),
        };
        let public = Public::new(Some("https://cert.example.org/".into()), 1);
        let feed = super::feed(public.base.as_deref().unwrap_or_default(), "identity--a", &[statement], &Default::default());
        let hrefs: Vec<&str> = feed.split("href=\"").skip(1).map(|h| &h[..h.find('"').unwrap()]).collect();
        assert_eq!(hrefs, ["https://cert.example.org/public/statements.atom", "https://cert.example.org/public/statements", "https://cert.example.org/public/statements/x-entente-statement--00000000-0000-4000-8000-000000000001"]);
    }

    #[test]
    fn xml_escapes_markup_and_replaces_what_xml_cannot_carry() {
        assert_eq!(xml("a<b>&\"c'\u{1}\u{FFFF}\té"), "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}\u{FFFD}\té");
    }
}
