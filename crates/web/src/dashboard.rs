//! The dashboard at `/`: the caller's partner, what it may see counted by
//! type and by author (through its release gate), what arrived in the last
//! day, week and 30 days per author with a chart of arrivals per day, the
//! agreements it is party to with their derived state, and for the node's
//! administrator the peers with their sync status.
//!
//! Counts show no object, so they are not entries in the release log; the
//! objects behind them are logged when a page shows them. The counting is
//! the node's ([`node::overview`]), kept per partner while the store has
//! had nothing added ([`Dashboards`]).

use axum::extract::State;
use axum::response::Response;
use maud::html;
use model::Timestamp;

use super::session::Signed;
use crate::kit::chart;
use super::{layout, page, WebError};
use node::overview::{Counts, DAYS};
use crate::Site;

pub use node::overview::Dashboards;

const DAY_MICROS: i64 = 86_400_000_000;

/// `(key, count)` pairs, largest count first (ties by key).
fn most_first<'a>(counts: impl Iterator<Item = (&'a String, u64)>) -> Vec<(&'a String, u64)> {
    let mut v: Vec<_> = counts.collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v
}

/// `MM-DD` of each of the last [`DAYS`] days (24-hour windows ending now), oldest first.
fn day_labels(now: i64) -> Vec<String> {
    (0..DAYS)
        .map(|i| {
            let t = Timestamp::from_micros(now - (DAYS - 1 - i) as i64 * DAY_MICROS);
            t.as_str().get(5..10).unwrap_or_default().to_owned()
        })
        .collect()
}

/// `GET /`.
pub(super) async fn show(State(state): State<Site>, signed: Signed) -> Result<Response, WebError> {
    let me = signed.caller.partner.clone();
    let index = state.agreement_index().await?;
    let node_admin = signed.caller.node_admin;
    let (store, registry, dashboards) = (state.store.clone(), state.registry.clone(), state.dashboards.clone());
    let names = super::author_names(&state).await?;
    let (counts, views, peers) = crate::blocking(move || {
        let counts = dashboards.count(&*store, &index, &me)?;
        let views = node::agreements::Book::load(&*store)
            .map_err(|e| store::Error::Internal(e.to_string()))?
            .list(&me, &Timestamp::now());
        let peers = if node_admin { registry.peers()? } else { Vec::new() };
        Ok((counts, views, peers))
    })
    .await?;
    let now = counts.at;
    let Counts { by_type, by_author, arrivals, .. } = &*counts;
    // Largest first.
    let by_type = most_first(by_type.iter().map(|(k, v)| (k, *v as u64)));
    let by_author = most_first(by_author.iter().map(|(k, v)| (k, *v as u64)));
    let mut arrivals: Vec<(&String, &[u64; DAYS])> = arrivals.iter().collect();
    arrivals.sort_by_key(|(_, d)| std::cmp::Reverse(d.iter().sum::<u64>()));
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| if id.is_empty() { "(no author)".to_owned() } else { id.to_owned() });
    let body = html! {
        p.lead { "Signed in for " strong { (signed.partner_name) } " as " (signed.caller.role.as_str()) "." }
        p.hint { "Counted at " span.counted { (Timestamp::from_micros(counts.at).as_str()) } "." }
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
            h2 { "Arrivals" }
            @if arrivals.is_empty() { p { "Nothing you may see arrived in the last " (DAYS) " days." } }
            @else {
                table {
                    thead { tr { th scope="col" { "Author" } th.num scope="col" { "Last day" } th.num scope="col" { "Last week" } th.num scope="col" { "Last " (DAYS) " days" } } }
                    tbody {
                        @for (a, days) in &arrivals {
                            tr {
                                td { (name(a)) }
                                td.num { (days[DAYS - 1]) }
                                td.num { (days[DAYS - 7..].iter().sum::<u64>()) }
                                td.num { (days.iter().sum::<u64>()) }
                            }
                        }
                    }
                }
                (chart::stacked_bars(&format!("Objects received per day, last {DAYS} days, by author"), &day_labels(now), &arrivals.iter().map(|(a, d)| (name(a), d.to_vec())).collect::<Vec<_>>()))
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
                                td { a href={ "/agreements/" (v.agreement.id) } { (v.agreement.terms.title) } }
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
                @else { (super::partners::peers_table(&state, &peers, &name)) }
            }
        }
    };
    Ok(page(layout("Dashboard", Some(&signed), body)))
}
