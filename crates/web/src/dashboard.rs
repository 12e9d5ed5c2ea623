//! The dashboard at `/`: the caller's partner, what it may see counted by
//! type and by author (through its release gate), what arrived in the last
//! day, week and 30 days per author with a chart of arrivals per day, the
//! agreements it is party to with their derived state, and for the node's
//! administrator the peers with their sync status.
//!
//! Counts show no object, so they are not entries in the release log; the
//! objects behind them are logged when a page shows them. Counting reads
//! every visible object, so a partner's counts are kept and reused while
//! the store has had nothing added ([`Dashboards`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::response::Response;
use maud::html;
use model::Timestamp;

use super::session::Signed;
use crate::kit::chart;
use super::{layout, page, WebError};
use node::release::Through;
use crate::Site;

/// How many days the arrivals table and chart cover.
const DAYS: usize = 30;

const DAY_MICROS: i64 = 86_400_000_000;

/// How long a partner's counts are reused at most.
const FRESH_MICROS: i64 = 60_000_000;

/// A write may carry a date added a little before it commits: a count
/// trusts nothing added within this long before it began.
const SLACK_MICROS: i64 = 2_000_000;

/// The dashboards counted lately, per partner. A load reuses its partner's
/// counts while nothing was added to the store since (one indexed probe),
/// the agreements' index is the same one, and they are under a minute old;
/// otherwise it counts again. A deletion shows within that minute.
#[derive(Default)]
pub struct Dashboards {
    counted: Mutex<HashMap<String, Arc<Counts>>>,
}

impl Dashboards {
    fn get(&self, partner: &str) -> Option<Arc<Counts>> {
        self.counted.lock().unwrap_or_else(|p| p.into_inner()).get(partner).cloned()
    }

    fn keep(&self, partner: &str, counts: Arc<Counts>) {
        let mut counted = self.counted.lock().unwrap_or_else(|p| p.into_inner());
        let now = Timestamp::now().micros();
        counted.retain(|_, c| now - c.at < FRESH_MICROS);
        counted.insert(partner.to_owned(), counts);
    }
}

/// What the dashboard counts in one pass over the visible objects.
#[derive(Default)]
struct Counts {
    /// When it was counted (microseconds).
    at: i64,
    /// The agreements' index it was counted under (its address).
    index: usize,
    by_type: BTreeMap<String, usize>,
    by_author: BTreeMap<String, usize>,
    /// Per author, objects (new or new versions) added on each of the last
    /// [`DAYS`] days, oldest first: index `DAYS - 1` is the last 24 hours.
    arrivals: BTreeMap<String, [u64; DAYS]>,
}

impl Counts {
    fn add(&mut self, now: i64, object_type: String, author: String, date_added: i64) {
        *self.by_type.entry(object_type).or_default() += 1;
        let age = now.saturating_sub(date_added).max(0) / DAY_MICROS;
        if let Ok(age) = usize::try_from(age) {
            if age < DAYS {
                self.arrivals.entry(author.clone()).or_insert([0; DAYS])[DAYS - 1 - age] += 1;
            }
        }
        *self.by_author.entry(author).or_default() += 1;
    }
}

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
    let cached = state.dashboards.get(signed.caller.partner.as_str()).filter(|c| c.index == Arc::as_ptr(&index) as usize && Timestamp::now().micros() - c.at < FRESH_MICROS);
    let reader = node::release::Reader::new(me.clone(), index.clone(), Through::AnyShare);
    let (store, registry) = (state.store.clone(), state.registry.clone());
    let names = super::author_names(&state).await?;
    let (counts, views, peers) = crate::blocking(move || {
        // Reused when nothing was added since it was counted (an indexed probe).
        let unchanged = |c: &Counts| {
            let probe = store::Query { added_after: Some(c.at - SLACK_MICROS), versions: store::Versions::ALL, limit: Some(1), ..store::Query::default() };
            store.query(&probe).map(|p| p.records.is_empty())
        };
        let counts = match cached {
            Some(c) if unchanged(&c)? => c,
            _ => {
                let now = Timestamp::now().micros();
                let mut counts = Counts { at: now, index: Arc::as_ptr(&index) as usize, ..Counts::default() };
                let q = store::Query { versions: store::Versions::LAST, gate: Some(reader.gate()), ..store::Query::default() };
                store.scan(&q, &mut |r| {
                    counts.add(now, r.object_type, r.created_by_ref.unwrap_or_default(), r.date_added.0);
                    Ok(())
                })?;
                Arc::new(counts)
            }
        };
        let views = node::agreements::Book::load(&*store)
            .map_err(|e| store::Error::Internal(e.to_string()))?
            .list(&me, &Timestamp::now());
        let peers = if node_admin { registry.peers()? } else { Vec::new() };
        Ok((counts, views, peers))
    })
    .await?;
    state.dashboards.keep(signed.caller.partner.as_str(), counts.clone());
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
