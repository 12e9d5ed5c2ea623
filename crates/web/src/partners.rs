//! The partners page at `/partners`: the partners the caller may know of
//! (the REST API's rule, [`crate::Site::partners_known_to`]) with their STIX
//! ids, whether this node hosts them, and their public keys; for the node's
//! administrator, the peers this node pulls from with their sync status,
//! and a form that adds one (`POST /peers`, [`crate::Host::add_peer`], as
//! `entente peer add` does).
//!
//! A peer's credential goes from the form to its 0600 file and nowhere
//! else: it is never shown again, not even when the form is refused.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use maud::{html, Markup};
use model::{StixId, Timestamp};
use sha2::{Digest, Sha256};

use crate::kit::form::{csrf, field, not_allowed};
use super::session::Signed;
use super::{layout, WebError};
use crate::{Problem, Site};

/// A partner's public key: base64, and its SHA-256 fingerprint in groups.
struct Key {
    public: String,
    fingerprint: String,
}

/// The add-a-peer form as typed (never the credential), and what is wrong.
#[derive(Default)]
struct PeerForm {
    url: String,
    partner: String,
    ca_pem: String,
    /// The field at fault ("" for none in particular) and why.
    fault: Option<(&'static str, String)>,
}

/// `GET /partners`.
pub(super) async fn show(State(state): State<Site>, signed: Signed) -> Result<Response, WebError> {
    render(&state, &signed, PeerForm::default(), StatusCode::OK).await
}

async fn render(state: &Site, signed: &Signed, form: PeerForm, status: StatusCode) -> Result<Response, WebError> {
    let admin = signed.caller.node_admin;
    let partners = state.partners_known_to(&signed.caller).await?;
    let (store, registry, ids) = (state.store.clone(), state.registry.clone(), partners.iter().map(|p| p.id.clone()).collect::<Vec<_>>());
    let agreements = state.agreements.clone();
    let (keys, peers, remote) = crate::blocking(move || {
        let party_keys = agreements.keys(&*store)?;
        let keys: HashMap<String, Key> = ids
            .into_iter()
            .filter_map(|id| {
                let key = party_keys.get(&StixId::parse(&id).ok()?)?;
                let digest: String = Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
                let fingerprint = digest.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
                Some((id, Key { public: STANDARD.encode(key.as_bytes()), fingerprint }))
            })
            .collect();
        let (peers, remote) = if admin {
            (registry.peers()?, registry.partners()?.into_iter().filter(|p| !p.hosted).collect())
        } else {
            (Vec::new(), Vec::new())
        };
        Ok((keys, peers, remote))
    })
    .await?;
    let names: HashMap<&str, &str> = partners.iter().chain(&remote).map(|p| (p.id.as_str(), p.name.as_str())).collect();
    let name = |id: &str| names.get(id).map_or_else(|| id.to_owned(), |n| (*n).to_owned());
    let bad = |f: &str| form.fault.as_ref().is_some_and(|(x, _)| *x == f);
    let invalid = |f: &str| bad(f).then_some("true");
    let note = |f: &str| html! { @if let Some((x, m)) = form.fault.as_ref().filter(|(x, _)| *x == f) { p.error id={ (x) "-error" } { (m) } } };
    let body = html! {
        @if admin { p.lead { "As the node's administrator you see every partner the node knows." } }
        @else { p.lead { "The partners you may know of: your own, the node's, and the parties of your agreements." } }
        table {
            thead { tr { th scope="col" { "Partner" } th scope="col" { "STIX id" } th scope="col" { "Where" } th scope="col" { "Public key (Ed25519)" } th scope="col" { "Fingerprint (SHA-256)" } } }
            tbody {
                @for p in &partners {
                    @let key = keys.get(&p.id);
                    tr {
                        th scope="row" { (p.name) }
                        td { code { (p.id) } }
                        td { @if p.id == state.partner { "this node's own" } @else if p.hosted { "hosted on this node" } @else { "remote" } }
                        td { @if let Some(k) = key { code { (k.public) } } @else { "not known" } }
                        td { @if let Some(k) = key { code { (k.fingerprint) } } }
                    }
                }
            }
        }
        @if admin {
            h2 { "Peers" }
            @if peers.is_empty() { p { "This node pulls from no peer." } }
            @else {
                (peers_table(state, &peers, &name))
            }
            h2 { "Add a peer" }
            @if let Some((x, m)) = &form.fault {
                p.error role="alert" { @if x.is_empty() { (m) } @else { "Check the field " code { (x) } ": " (m) } }
            }
            @if remote.is_empty() {
                p { "A peer is the node of a partner hosted elsewhere, and this node knows no such partner yet: add it first with its identity (" code { "entente partner add --identity" } ")." }
            } @else {
                form.stack method="post" action="/peers" {
                    input type="hidden" name="csrf" value=(signed.csrf);
                    label for="url" { "TAXII URL of the peer" }
                    input id="url" type="text" name="url" value=(form.url) placeholder="https://node-b.example:8443/taxii2/" aria-invalid=[invalid("url")] aria-describedby=[bad("url").then_some("url-error")];
                    (note("url"))
                    label for="partner" { "Partner whose node it is" }
                    select id="partner" name="partner" aria-invalid=[invalid("partner")] aria-describedby=[bad("partner").then_some("partner-error")] {
                        @for p in &remote { option value=(p.id) selected[p.id == form.partner] { (p.name) " (" (p.id) ")" } }
                    }
                    (note("partner"))
                    label for="token" { "Credential that peer issued to this node" }
                    input id="token" type="password" name="token" autocomplete="off" aria-invalid=[invalid("token")] aria-describedby=[bad("token").then_some("token-error")];
                    (note("token"))
                    label for="ca_pem" { "CA certificates, PEM (optional: the public roots)" }
                    textarea id="ca_pem" name="ca_pem" rows="4" aria-invalid=[invalid("ca_pem")] { (form.ca_pem) }
                    (note("ca_pem"))
                    button type="submit" { "Add peer" }
                }
            }
        }
    };
    Ok((status, Html(layout("Partners", Some(signed), body).into_string())).into_response())
}

/// `POST /peers` (the node's administrator): adds a peer as `entente peer add` does.
pub(super) async fn add_peer(State(state): State<Site>, signed: Signed, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, WebError> {
    if let Err(r) = csrf(&signed, &pairs) {
        return Ok(r.into_response());
    }
    if !signed.caller.node_admin {
        return Ok(not_allowed(&signed, "Peers are the node administrator's: only an admin of the node's own partner adds them."));
    }
    let (url, partner, token, ca) = (field(&pairs, "url").trim().to_owned(), field(&pairs, "partner"), field(&pairs, "token"), field(&pairs, "ca_pem"));
    let mut form = PeerForm { url: url.clone(), partner: partner.clone(), ca_pem: ca.clone(), fault: None };
    // What the person can fix is named by its field; anything else failed here.
    let fault = if let Err(m) = state.host.check_peer_url(&url) {
        Some(("url", m))
    } else if token.trim().is_empty() {
        Some(("token", "give the credential that peer issued to this node".to_owned()))
    } else {
        let (registry, host) = (state.registry.clone(), state.host.clone());
        let ca_pem = (!ca.trim().is_empty()).then_some(ca);
        let added = crate::blocking(move || {
            if registry.partner(&partner)?.is_none_or(|p| p.hosted) {
                return Ok(Err(("partner", "choose a partner hosted elsewhere that this node knows".to_owned())));
            }
            Ok(host.add_peer(&url, &partner, &token, ca_pem).map_err(|r| (r.field.unwrap_or_default(), r.message)))
        })
        .await?;
        match added {
            Ok(peer) => {
                tracing::info!(peer = %peer.id, url = %peer.url, partner = %peer.partner, token = %signed.caller.token_id, "peer added on the web");
                return Ok(Redirect::to("/partners").into_response());
            }
            // The field at fault is the server's typed answer, not read from its text.
            Err(("", m)) => return Err(WebError::Api(Problem::internal(format!("adding a peer: {m}")))),
            Err(f) => Some(f),
        }
    };
    form.fault = fault;
    render(&state, &signed, form, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// The peers with their sync status: last sync, lag, failures, what was
/// pulled and refused, the cursor and the last error (the partners page and
/// the node administrator's dashboard).
pub(super) fn peers_table(state: &Site, peers: &[store::PeerRecord], name: &dyn Fn(&str) -> String) -> Markup {
    html! {
        table {
            thead {
                tr {
                    th scope="col" { "URL" } th scope="col" { "Partner" } th scope="col" { "TLS roots" } th scope="col" { "Added" }
                    th scope="col" { "Last sync" } th.num scope="col" { "Lag (s)" } th.num scope="col" { "Failures in a row" }
                    th.num scope="col" { "Pulled" } th.num scope="col" { "Refused" } th scope="col" { "Cursor" } th scope="col" { "Last error" }
                }
            }
            tbody {
                @for p in peers {
                    @let s = state.host.peer_status(&p.id);
                    tr {
                        td { (p.url) }
                        td { (name(&p.partner)) }
                        td { @if p.ca_pem.is_some() { "its own CA" } @else { "public roots" } }
                        td { (Timestamp::from_micros(p.created)) }
                        td { (s.last_sync.as_deref().unwrap_or("never")) }
                        td.num { (s.lag_seconds.map(|l| format!("{l:.0}")).unwrap_or_default()) }
                        td.num { (s.failures) }
                        td.num { (s.pulled) }
                        td.num { (s.refused) }
                        td { (s.cursor.as_deref().unwrap_or("")) }
                        td { (s.last_error.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
        p.hint { "Sync status is kept since the node started; the cursor is the peer's date of the last version read, across its collections." }
    }
}
