//! An object's neighbourhood drawn as a graph: `GET /intel/{id}/graph`
//! (`depth` 1 or 2, default 1). From the object, each hop follows the
//! relationships naming an object (both ways), the reports, groupings,
//! notes and opinions naming it (the store's link index,
//! [`store::ObservableKey::linked`]), and the ids in its own `…_ref` and
//! `…_refs` properties; at most [`MOST`] objects in all, [`PER_OBJECT`]
//! relationships and mentions followed from each.
//!
//! Every object is read through the reader's gate, and only objects it
//! lets through are drawn: one the reader may not see is not a node, and
//! an edge to it is not drawn (no id, no name, no count of it). What is
//! drawn — each node's name and each relationship's type — is released
//! and logged under `web` like the object page's links. The drawing is
//! server-side SVG (as [`crate::kit::chart`]): the object in the middle,
//! the first hop on a circle around it, the second on an outer circle
//! near the object it was reached from; each node links to its page, and
//! a table lists the same nodes and edges for screen readers.

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, Query as UrlQuery, State};
use axum::response::Response;
use maud::{html, Markup};
use model::StixId;
use serde_json::Value;
use store::{Record, Store, Versions};

use super::session::Signed;
use super::{layout, page, WebError};
use crate::intel::{json_of, name_of, named_ids};
use crate::Site;
use node::release::Through;

/// The most objects a graph draws.
pub(crate) const MOST: usize = 500;

/// The most relationships, and the most reports and notes, followed from
/// one object.
const PER_OBJECT: usize = 100;

/// `?depth=`.
#[derive(serde::Deserialize, Default)]
pub(super) struct GraphQuery {
    #[serde(default)]
    depth: String,
}

/// A neighbourhood: its objects (the first is the centre) with the hop
/// each was reached at and the object it was reached from, and its edges
/// (from, to, label) between drawn objects; the relationships drawn as
/// edges; whether the cap cut it short.
#[derive(Default)]
pub(crate) struct Hood {
    pub nodes: Vec<(Record, usize, Option<String>)>,
    pub edges: Vec<(String, String, String)>,
    pub relationships: Vec<Record>,
    pub capped: bool,
}

/// Reads the neighbourhood of `centre` (a version the reader may see)
/// `depth` hops out through `gate`, at most `most` objects.
pub(crate) fn neighbourhood(store: &dyn Store, gate: &store::Gate, centre: Record, depth: usize, most: usize) -> store::Result<Hood> {
    let mut hood = Hood::default();
    let mut known: HashSet<String> = HashSet::from([centre.id.clone()]);
    let mut seen_relationships: HashSet<String> = HashSet::new();
    // Edges found, kept when both ends are drawn.
    let mut found: Vec<(String, String, String)> = Vec::new();
    let mut frontier = vec![centre.clone()];
    hood.nodes.push((centre, 0, None));
    let linking = |target: &str, types: &[&str]| {
        let q = store::Query {
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            observables: vec![store::ObservableKey::linked(target)],
            versions: Versions::LAST,
            gate: Some(gate.clone()),
            limit: Some(PER_OBJECT),
            ..store::Query::default()
        };
        store.query(&q).map(|p| p.records)
    };
    for hop in 1..=depth {
        // The ids reached from the frontier, in order, with where from.
        let mut next: Vec<(String, String)> = Vec::new();
        let reach = |id: &str, from: &str, next: &mut Vec<(String, String)>| {
            if StixId::parse(id).is_ok() && !known.contains(id) && !next.iter().any(|(n, _)| n == id) {
                next.push((id.to_owned(), from.to_owned()));
            }
        };
        for object in &frontier {
            let v = json_of(object);
            for id in named_ids(&v) {
                reach(&id, &object.id, &mut next);
            }
            for rel in linking(&object.id, &["relationship"])? {
                let r = json_of(&rel);
                let end = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                let (source, target) = (end("source_ref"), end("target_ref"));
                let other = if source == object.id { &target } else if target == object.id { &source } else { continue };
                let kind = r.get("relationship_type").and_then(Value::as_str).unwrap_or("related-to").to_owned();
                reach(other, &object.id, &mut next);
                if seen_relationships.insert(rel.id.clone()) {
                    found.push((source.clone(), target.clone(), kind));
                    hood.relationships.push(rel);
                }
            }
            for mention in linking(&object.id, &["report", "grouping", "note", "opinion"])? {
                found.push((mention.id.clone(), object.id.clone(), "names".to_owned()));
                reach(&mention.id, &object.id, &mut next);
            }
        }
        if next.is_empty() {
            break;
        }
        // Resolved through the gate, a batch at a time: what it refuses is
        // never a node.
        let room = most.saturating_sub(hood.nodes.len());
        if next.len() > room {
            hood.capped = true;
        }
        let from: HashMap<String, String> = next.iter().cloned().collect();
        let mut order: HashMap<String, usize> = HashMap::new();
        for (i, (id, _)) in next.iter().enumerate() {
            order.insert(id.clone(), i);
        }
        let mut reached = Vec::new();
        for chunk in next.chunks(500) {
            let q = store::Query { ids: chunk.iter().map(|(id, _)| id.clone()).collect(), versions: Versions::LAST, gate: Some(gate.clone()), ..store::Query::default() };
            reached.extend(store.query(&q)?.records);
        }
        reached.sort_by_key(|r| order.get(&r.id).copied().unwrap_or(usize::MAX));
        if reached.len() > room {
            hood.capped = true;
            reached.truncate(room);
        }
        frontier.clear();
        for r in reached {
            known.insert(r.id.clone());
            let parent = from.get(&r.id).cloned();
            frontier.push(r.clone());
            hood.nodes.push((r, hop, parent));
        }
        if hood.nodes.len() >= most {
            break;
        }
    }
    // What each drawn object names, among the drawn (a report's contents
    // reached another way too).
    for (r, _, _) in &hood.nodes {
        for id in named_ids(&json_of(r)) {
            found.push((r.id.clone(), id, "names".to_owned()));
        }
    }
    let drawn: HashSet<&str> = hood.nodes.iter().map(|(r, _, _)| r.id.as_str()).collect();
    let mut edges_seen = HashSet::new();
    hood.edges = found.into_iter().filter(|(a, b, _)| drawn.contains(a.as_str()) && drawn.contains(b.as_str()) && a != b).filter(|e| edges_seen.insert(e.clone())).collect();
    // A relationship is shown only as an edge between drawn objects.
    hood.relationships.retain(|rel| {
        let r = json_of(rel);
        ["source_ref", "target_ref"].iter().all(|k| r.get(*k).and_then(Value::as_str).is_some_and(|id| drawn.contains(id)))
    });
    Ok(hood)
}

/// Node colours by type family (Okabe–Ito, as the charts).
fn colour(ty: &str) -> &'static str {
    match ty {
        "indicator" => "#0072B2",
        "malware" | "tool" => "#D55E00",
        "threat-actor" | "intrusion-set" | "campaign" => "#CC79A7",
        "attack-pattern" | "course-of-action" | "vulnerability" => "#009E73",
        "report" | "grouping" | "note" | "opinion" => "#E69F00",
        _ => "#56B4E9",
    }
}

/// At most 28 characters of a label.
fn short(s: &str) -> String {
    if s.chars().count() <= 28 {
        return s.to_owned();
    }
    s.chars().take(27).chain(std::iter::once('…')).collect()
}

/// The SVG drawing of a neighbourhood (see the module's documentation).
fn draw(hood: &Hood) -> Markup {
    let size = if hood.nodes.iter().any(|n| n.1 == 2) { 960.0_f64 } else { 640.0_f64 };
    let c = size / 2.0;
    let radius = |hop: usize| match hop {
        0 => 0.0,
        1 => size * 0.22,
        _ => size * 0.42,
    };
    // Angles: the first hop evenly around; the second in the order of the
    // object each came from, evenly around the outer circle.
    let mut at: HashMap<&str, (f64, f64)> = HashMap::new();
    let mut angle: HashMap<&str, f64> = HashMap::new();
    for hop in 0..=2 {
        let mut ring: Vec<&(Record, usize, Option<String>)> = hood.nodes.iter().filter(|n| n.1 == hop).collect();
        ring.sort_by(|a, b| {
            let of = |n: &(Record, usize, Option<String>)| n.2.as_deref().and_then(|p| angle.get(p)).copied().unwrap_or(0.0);
            of(a).total_cmp(&of(b))
        });
        let count = ring.len().max(1) as f64;
        for (i, n) in ring.iter().enumerate() {
            let a = std::f64::consts::TAU * i as f64 / count - std::f64::consts::FRAC_PI_2;
            angle.insert(n.0.id.as_str(), a);
            at.insert(n.0.id.as_str(), (c + radius(hop) * a.cos(), c + radius(hop) * a.sin()));
        }
    }
    let labelled = hood.nodes.len() <= 80;
    html! {
        figure.chart.graph {
            svg viewBox={ "0 0 " (size) " " (size) } role="img" aria-label="The object's neighbourhood" width="100%" {
                title { "The object's neighbourhood" }
                @for (a, b, label) in &hood.edges {
                    @if let (Some((x1, y1)), Some((x2, y2))) = (at.get(a.as_str()), at.get(b.as_str())) {
                        line x1=(format!("{x1:.1}")) y1=(format!("{y1:.1}")) x2=(format!("{x2:.1}")) y2=(format!("{y2:.1}")) stroke="#999" stroke-width="1" { title { (label) } }
                    }
                }
                @for (r, hop, _) in &hood.nodes {
                    @if let Some((x, y)) = at.get(r.id.as_str()) {
                        @let v = json_of(r);
                        @let name = name_of(&v);
                        @let label = if name.is_empty() { r.object_type.clone() } else { name };
                        a href={ "/intel/" (r.id) } {
                            circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r=(if *hop == 0 { "11" } else { "7" }) fill=(colour(&r.object_type)) stroke="#333" {
                                title { (r.object_type) ": " (label) }
                            }
                            @if labelled || *hop == 0 {
                                text x=(format!("{:.1}", x + 10.0)) y=(format!("{:.1}", y + 4.0)) font-size="11" fill="#222" { (short(&label)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /intel/{id}/graph`.
pub(super) async fn show(State(state): State<Site>, signed: Signed, Path(id): Path<String>, UrlQuery(g): UrlQuery<GraphQuery>) -> Result<Response, WebError> {
    let id = StixId::parse(&id).map_err(|_| WebError::NotFound)?;
    let depth = if g.depth.trim() == "2" { 2 } else { 1 };
    let reader = state.reader(&signed.caller.partner, Through::AnyShare).await?;
    let versions = state.visible_versions(&reader, &id, "web").await?.into_inner();
    let Some(centre) = versions.last().cloned() else { return Err(WebError::NotFound) };
    let (store, gate) = (state.store.clone(), reader.gate());
    let hood = crate::blocking(move || neighbourhood(&*store, &gate, centre, depth, MOST)).await?;
    // What is drawn is released: the objects (names) and the relationships (types).
    let shown: Vec<Record> = hood.nodes.iter().skip(1).map(|n| n.0.clone()).chain(hood.relationships.iter().cloned()).collect();
    let _released = state.out(&reader, "web").records(shown)?;
    let names: HashMap<&str, String> = hood.nodes.iter().map(|(r, _, _)| {
        let name = name_of(&json_of(r));
        (r.id.as_str(), format!("{}: {}", r.object_type, if name.is_empty() { r.id.clone() } else { name }))
    }).collect();
    let title = names.get(id.as_str()).cloned().unwrap_or_else(|| id.to_string());
    let body = html! {
        p { a href={ "/intel/" (id) } { "Back to " (title) } " · "
            @if depth == 1 { a href={ "/intel/" (id) "/graph?depth=2" } { "Two hops" } } @else { a href={ "/intel/" (id) "/graph" } { "One hop" } } }
        p.hint { (hood.nodes.len()) " objects you may see, " (hood.edges.len()) " links between them"
            @if hood.capped { "; only the first " (MOST) " objects are drawn" } "." }
        (draw(&hood))
        table {
            caption { "Links" }
            thead { tr { th scope="col" { "From" } th scope="col" { "Link" } th scope="col" { "To" } } }
            tbody {
                @for (a, b, label) in &hood.edges {
                    tr {
                        td { a href={ "/intel/" (a) } { (names.get(a.as_str()).cloned().unwrap_or_default()) } }
                        td { (label) }
                        td { a href={ "/intel/" (b) } { (names.get(b.as_str()).cloned().unwrap_or_default()) } }
                    }
                }
            }
        }
    };
    Ok(page(layout(&format!("Graph of {title}"), Some(&signed), body)))
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(short("GlacierLock"), "GlacierLock");
        assert_eq!(short(&"x".repeat(40)).chars().count(), 28);
    }
}
