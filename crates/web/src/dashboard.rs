//! The dashboard at `/`: the caller's partner, what it may see counted by
//! type and by author (through its release gate), what arrived in the last
//! day, week and 30 days per author with a chart of arrivals per day, the
//! agreements it is party to with their derived state, what needs the
//! partner's attention ([`attention`]: agreements awaiting its
//! ratification, notices other parties gave in the last 30 days or for a
//! later date, agreements ending within 30 days, sightings of its objects
//! in the last 30 days), what arrived from each partner since the signed-in
//! user's last visit (`node::marks::visit`: the user's own mark, counted
//! through the release gate), and for the node's administrator the peers
//! with their sync status.
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
// The prefix of the platform's own record types (agreements, the
// partnership modules' records): left out of the type list unless asked
// for (`/?platform=1`), as the Inbox and the agreement pages show them.
use policy::kinds::PREFIX as PLATFORM_PREFIX;
use crate::Site;

pub use node::overview::Dashboards;

const DAY_MICROS: i64 = 86_400_000_000;

/// How far back, and ahead, the attention list looks: 30 days.
const ATTENTION: i64 = 30 * DAY_MICROS;

/// How many recent sightings of the partner's objects the dashboard lists.
const SIGHTINGS: usize = 20;

/// The most versions counted as new since the user's last visit.
const NEW_MOST: usize = 10_000;

/// The most sightings the dashboard reads in one window of time.
const SCAN: usize = 2_000;

/// One thing that needs the partner: what (in words, partners by name), and
/// the page it is about.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Attention {
    pub what: String,
    pub link: String,
}

/// What in its agreements needs `me` at `now`: the ones awaiting its
/// ratification (a draft it is party to, or its ratification missing from
/// the latest version), notices another party gave that took effect in the
/// last 30 days or take effect later (revoked ones left out), and the ones
/// in force that end within 30 days. Pure: the dashboard's test and the
/// page compute it the same way.
pub(crate) fn attention(views: &[node::agreements::View], me: &str, now: i64, name: &dyn Fn(&str) -> String) -> Vec<Attention> {
    use policy::AgreementState as S;
    let mut out = Vec::new();
    for v in views {
        let (title, link) = (&v.agreement.terms.title, format!("/agreements/{}", v.agreement.id));
        let awaiting = match &v.state {
            S::Draft => true,
            S::AwaitingRatification { missing } => missing.iter().any(|p| p.as_ref() == me),
            _ => false,
        };
        if awaiting {
            out.push(Attention { what: format!("“{title}” awaits your ratification"), link: link.clone() });
        }
        for n in v.notices.iter().filter(|n| !n.revoked && n.author.as_ref() != me) {
            let at = n.effective.micros();
            if at >= now - ATTENTION {
                let when = if at > now { "takes effect" } else { "took effect" };
                out.push(Attention { what: format!("{} gave notice of {} of “{title}”: it {when} {}", name(n.author.as_ref()), n.kind.name(), &n.effective.as_str()[..10]), link: link.clone() });
            }
        }
        if let Some(until) = &v.agreement.terms.valid_until {
            let at = until.micros();
            if matches!(v.state, S::InForce) && at > now && at <= now + ATTENTION {
                out.push(Attention { what: format!("“{title}” ends on {}", &until.as_str()[..10]), link });
            }
        }
    }
    out
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

/// `GET /` (`?platform=1`: the type list shows the platform's records too).
pub(super) async fn show(State(state): State<Site>, signed: Signed, axum::extract::RawQuery(query): axum::extract::RawQuery) -> Result<Response, WebError> {
    let platform = query.as_deref().is_some_and(|q| q.split('&').any(|kv| kv == "platform=1"));
    let me = signed.caller.partner.clone();
    let index = state.agreement_index().await?;
    let node_admin = signed.caller.node_admin;
    let (store, registry, dashboards) = (state.store.clone(), state.registry.clone(), state.dashboards.clone());
    let names = super::author_names(&state).await?;
    let reader = state.reader(&signed.caller.partner, node::release::Through::AnyShare).await?;
    let r = reader.clone();
    let user = signed.caller.token_id.clone();
    let (counts, views, peers, sightings, fresh, sighted) = crate::blocking(move || {
        let fresh = node::marks::visit(&*store, &*registry, &r.gate(), me.as_str(), &user, Timestamp::now().micros(), NEW_MOST)?;
        let counts = dashboards.count(&*store, &index, &me)?;
        let views = node::agreements::Book::load(&*store)
            .map_err(|e| store::Error::Internal(e.to_string()))?
            .list(&me, &Timestamp::now());
        let peers = if node_admin { registry.peers()? } else { Vec::new() };
        // Sightings other partners made in the last 30 days that the
        // partner may see (a sighting goes to the author of what it is of),
        // kept if what they are of is the partner's own: read back over
        // the last day, then week, then 30 days, at most `SCAN` a window,
        // stopping once enough are found (a partner sending many sightings
        // costs each load at most three windows).
        let now = Timestamp::now().micros();
        let of = |rec: &store::Record| serde_json::from_slice::<serde_json::Value>(&rec.json).ok().and_then(|v| v["sighting_of_ref"].as_str().map(str::to_owned));
        let mut sightings: Vec<store::Record> = Vec::new();
        for days in [1, 7, 30] {
            let q = store::Query {
                types: vec!["sighting".into()],
                added_after: Some(now - days * DAY_MICROS),
                versions: store::Versions::LAST,
                gate: Some(r.gate()),
                limit: Some(SCAN),
                ..store::Query::default()
            };
            let page = store.query(&q)?;
            let recent: Vec<store::Record> = page.records.into_iter().filter(|rec| rec.created_by_ref.as_deref() != Some(me.as_str())).collect();
            let targets: Vec<String> = recent.iter().filter_map(of).collect();
            let mine: std::collections::HashSet<String> = if targets.is_empty() {
                Default::default()
            } else {
                let q = store::Query { ids: targets, versions: store::Versions::LAST, authors: vec![me.to_string()], ..store::Query::default() };
                store.query(&q)?.records.into_iter().map(|t| t.id).collect()
            };
            sightings = recent.into_iter().filter(|rec| of(rec).is_some_and(|t| mine.contains(&t))).collect();
            if sightings.len() >= SIGHTINGS || page.more {
                break;
            }
        }
        sightings.sort_by_key(|rec| std::cmp::Reverse(rec.date_added.0));
        sightings.truncate(SIGHTINGS);
        // What they are of, read through the gate for its type and name.
        let targets: Vec<String> = sightings.iter().filter_map(of).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let sighted = if targets.is_empty() {
            Vec::new()
        } else {
            let q = store::Query { ids: targets, versions: store::Versions::LAST, gate: Some(r.gate()), ..store::Query::default() };
            store.query(&q)?.records
        };
        Ok((counts, views, peers, sightings, fresh, sighted))
    })
    .await?;
    let sightings = state.out(&reader, "web").records(sightings)?.into_inner();
    // Each sighted object's type and name, released and logged like the sightings.
    let sighted: std::collections::HashMap<String, (String, String)> = state
        .out(&reader, "web")
        .records(sighted)?
        .into_inner()
        .into_iter()
        .map(|rec| {
            let name = crate::intel::name_of(&crate::intel::json_of(&rec));
            (rec.id.clone(), (rec.object_type.clone(), name))
        })
        .collect();
    let now = counts.at;
    let Counts { by_type, by_author, arrivals, .. } = &*counts;
    // Largest first.
    let (platform_types, platform_objects) = by_type.iter().filter(|(k, _)| k.starts_with(PLATFORM_PREFIX)).fold((0, 0u64), |(t, n), (_, v)| (t + 1, n + *v as u64));
    let by_type = most_first(by_type.iter().filter(|(k, _)| platform || !k.starts_with(PLATFORM_PREFIX)).map(|(k, v)| (k, *v as u64)));
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
                @if platform_types > 0 {
                    p.hint.platform {
                        @if platform { a href="/" { "Hide the platform's records" } " (" (platform_types) " types of " code { (PLATFORM_PREFIX) "*" } ")." }
                        @else { (platform_objects) " platform records (" (platform_types) " types of " code { (PLATFORM_PREFIX) "*" } ": agreements, the partnership's records) are left out: " a href="/?platform=1" { "show them" } "." }
                    }
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
                (chart::stacked_bars(&format!("Intelligence received per day, last {DAYS} days, by author (platform records left out)"), &day_labels(now), &arrivals.iter().map(|(a, d)| (name(a), d.to_vec())).collect::<Vec<_>>()))
            }
        }
        section.fresh {
            h2 { "New since your last visit" }
            @match fresh.since {
                None => p { "Your first visit: from the next one, what arrives from each partner is counted here." },
                Some(since) => {
                    @let after = Timestamp::from_micros(since).as_str().to_owned();
                    @if fresh.by_author.is_empty() {
                        p { "Nothing new from your partners since " (after) "." }
                    } @else {
                        table.fresh {
                            caption { "Arrived since " (after) @if fresh.capped { " (the first " (NEW_MOST) " counted)" } }
                            thead { tr { th scope="col" { "From" } th.num scope="col" { "New objects" } } }
                            tbody {
                                @for (a, n) in &fresh.by_author {
                                    tr {
                                        td { (name(a)) }
                                        td.num { a href={ "/intel?partner=" (crate::intel::enc(a)) "&after=" (crate::intel::enc(&after)) } { (n) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @let needs = attention(&views, signed.caller.partner.as_str(), Timestamp::now().micros(), &name);
        section.attention {
            h2 { "Needs your attention" }
            @if needs.is_empty() && sightings.is_empty() { p { "Nothing in your agreements needs you now, and no partner sighted your objects in the last 30 days." } }
            @if !needs.is_empty() {
                ul { @for n in &needs { li { a href=(n.link) { (n.what) } } } }
            }
            @if !sightings.is_empty() {
                h3 { "Sightings of your objects, last 30 days" }
                table {
                    thead { tr { th scope="col" { "Sighting" } th scope="col" { "By" } th scope="col" { "Of" } th.num scope="col" { "Count" } th scope="col" { "Added" } } }
                    tbody {
                        @for rec in &sightings {
                            @let v: serde_json::Value = serde_json::from_slice(&rec.json).unwrap_or_default();
                            @let of = v["sighting_of_ref"].as_str().unwrap_or_default();
                            tr {
                                td { a href={ "/intel/" (rec.id) } { "sighting" } }
                                td { (name(rec.created_by_ref.as_deref().unwrap_or_default())) }
                                td { a href={ "/intel/" (of) } { @match sighted.get(of) { Some((ty, n)) if !n.is_empty() => { (ty) ": " (n) }, _ => { code { (of) } } } } }
                                td.num { (v["count"].as_u64().map(|c| c.to_string()).unwrap_or_default()) }
                                td { (rec.date_added.to_string()) }
                            }
                        }
                    }
                }
            }
            p { a href="/inbox" { "The inbox" } " lists what the partnership modules need of your partner." }
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
