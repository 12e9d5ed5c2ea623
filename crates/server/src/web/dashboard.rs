//! The dashboard at `/`: the caller's partner, what it may see counted by
//! type and by author (through its release gate), the agreements it is
//! party to with their derived state, and for the node's administrator the
//! peers with their sync status.
//!
//! Counts show no object, so they are not entries in the release log; the
//! objects behind them are logged when a page shows them.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::response::Response;
use maud::html;
use model::{StixId, Timestamp};
use store::Role;

use super::session::Signed;
use super::{layout, page, WebError};
use crate::release::Through;
use crate::{ApiError, AppState};

/// `GET /`.
pub(super) async fn show(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let me = StixId::parse(&signed.caller.partner).map_err(ApiError::internal)?;
    let reader = state.reader(&signed.caller.partner, Through::AnyShare).await?;
    let node_admin = signed.caller.role == Role::Admin && signed.caller.partner == state.node.partner;
    let (store, registry) = (state.store.clone(), state.registry.clone());
    let (by_type, by_author, views, names, peers) = crate::blocking(move || {
        let (mut by_type, mut by_author) = (BTreeMap::<String, usize>::new(), BTreeMap::<String, usize>::new());
        let q = store::Query { versions: store::Versions::LAST, gate: Some(reader.gate()), ..store::Query::default() };
        store.scan(&q, &mut |r| {
            *by_type.entry(r.object_type).or_default() += 1;
            *by_author.entry(r.created_by_ref.unwrap_or_default()).or_default() += 1;
            Ok(())
        })?;
        let views = crate::agreements::Book::load(&*store)
            .map_err(|e| store::Error::Internal(e.to_string()))?
            .list(&me, &Timestamp::now());
        let names: HashMap<String, String> = registry.partners()?.into_iter().map(|p| (p.id, p.name)).collect();
        let peers = if node_admin { registry.peers()? } else { Vec::new() };
        Ok((by_type, by_author, views, names, peers))
    })
    .await?;
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| if id.is_empty() { "(no author)".to_owned() } else { id.to_owned() });
    let body = html! {
        p.lead { "Signed in for " strong { (signed.partner_name) } " as " (signed.caller.role.as_str()) "." }
        div.grid {
            section {
                h2 { "Objects by type" }
                @if by_type.is_empty() { p { "Nothing you may see yet." } }
                @else {
                    table { thead { tr { th scope="col" { "Type" } th.num scope="col" { "Objects" } } }
                        tbody { @for (t, n) in &by_type { tr { td { a href={ "/intel?type=" (t) } { (t) } } td.num { (n) } } } } }
                }
            }
            section {
                h2 { "Objects by author" }
                @if by_author.is_empty() { p { "Nothing you may see yet." } }
                @else {
                    table { thead { tr { th scope="col" { "Author" } th.num scope="col" { "Objects" } } }
                        tbody { @for (a, n) in &by_author { tr { td { (name(a)) } td.num { (n) } } } } }
                }
            }
        }
        section {
            h2 { "Agreements" }
            @if views.is_empty() { p { "Your partner is not party to any agreement." } }
            @else {
                table {
                    thead { tr { th scope="col" { "Title" } th scope="col" { "State" } th scope="col" { "Parties" } th scope="col" { "TLP ceiling" } } }
                    tbody {
                        @for v in &views {
                            tr {
                                td { (v.agreement.terms.title) }
                                td { span.state { (v.state.name()) } }
                                td { @for (i, p) in v.agreement.terms.parties.iter().enumerate() { @if i > 0 { ", " } (name(p.as_ref())) } }
                                td { (v.agreement.terms.tlp_ceiling.name()) }
                            }
                        }
                    }
                }
            }
        }
        @if node_admin {
            section {
                h2 { "Peers" }
                @if peers.is_empty() { p { "This node pulls from no peer." } }
                @else {
                    table {
                        thead { tr { th scope="col" { "Peer" } th scope="col" { "Partner" } th scope="col" { "Last sync" } th.num scope="col" { "Lag (s)" } th scope="col" { "Last error" } } }
                        tbody {
                            @for p in &peers {
                                @let s = state.sync.get(&p.id).unwrap_or_default();
                                tr {
                                    td { (p.url) }
                                    td { (name(&p.partner)) }
                                    td { (s.last_sync.as_deref().unwrap_or("never")) }
                                    td.num { (s.lag_seconds.map(|l| format!("{l:.0}")).unwrap_or_default()) }
                                    td { (s.last_error.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(layout("Dashboard", Some(&signed), body)))
}
