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

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use model::{StixId, Timestamp};
use node::public::Statement;

use super::{layout, page, WebError};
use crate::{Problem, Site};

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
pub(super) async fn list(State(state): State<Site>) -> Result<Response, WebError> {
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
pub(super) async fn show(State(state): State<Site>, Path(raw): Path<String>) -> Result<Response, WebError> {
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
pub(super) async fn atom(State(state): State<Site>) -> Result<Response, WebError> {
    let statements = published(&state, None).await?;
    let names = crate::partner_names(&state).await?;
    let feed = feed(&state.partner, &statements, &names);
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], feed).into_response())
}

/// A stable `urn:uuid:` for `name` (UUID version 5).
pub(crate) fn urn(name: &str) -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes()))
}

fn feed(partner: &str, statements: &[Statement], names: &HashMap<String, String>) -> String {
    use std::fmt::Write as _;
    let updated = statements.iter().map(|s| s.published.clone()).max().unwrap_or_else(|| Timestamp::from_micros(0));
    let mut out = String::with_capacity(1024 + statements.len() * 2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(out, "  <id>{}</id>", urn(&format!("entente:public-statements:{partner}")));
    let _ = writeln!(out, "  <title type=\"text\">Public statements of {}</title>", xml(name(names, partner)));
    let _ = writeln!(out, "  <updated>{}</updated>", updated.as_str());
    out.push_str("  <link rel=\"self\" type=\"application/atom+xml\" href=\"/public/statements.atom\"/>\n");
    out.push_str("  <link rel=\"alternate\" type=\"text/html\" href=\"/public/statements\"/>\n");
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
        let _ = writeln!(out, "    <link rel=\"alternate\" type=\"text/html\" href=\"/public/statements/{}\"/>", s.id);
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
    use super::xml;

    #[test]
    fn xml_escapes_markup_and_replaces_what_xml_cannot_carry() {
        assert_eq!(xml("a<b>&\"c'\u{1}\u{FFFF}\té"), "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}\u{FFFD}\té");
    }
}
