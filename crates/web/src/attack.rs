//! The ATT&CK matrix at `/intel/attack`: the attack patterns the reader may
//! see, in columns by tactic (their `kill_chain_phases` of the
//! `mitre-attack` kill chain, in the Enterprise matrix's order; other
//! phases after, by name), each with its technique id, a link to its page
//! and how many relationships the reader may see name it (campaigns,
//! intrusion sets, malware that use it). Read through the reader's gate
//! and logged like the search.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use maud::html;
use serde_json::Value;
use store::Versions;

use super::session::Signed;
use super::{layout, page, WebError};
use crate::Site;
use node::release::Through;

/// The Enterprise ATT&CK tactics, in the matrix's order.
const TACTICS: [&str; 14] = [
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

/// The most attack patterns the matrix reads.
const MOST: usize = 5_000;

/// One technique on the matrix.
struct Cell {
    id: String,
    name: String,
    external: String,
    uses: usize,
}

/// `GET /intel/attack`.
pub(super) async fn show(State(state): State<Site>, signed: Signed) -> Result<Response, WebError> {
    let reader = state.reader(&signed.caller.partner, Through::AnyShare).await?;
    let (store, r) = (state.store.clone(), reader.clone());
    let (patterns, more) = crate::blocking(move || {
        let q = store::Query { types: vec!["attack-pattern".into()], versions: Versions::LAST, gate: Some(r.gate()), limit: Some(MOST), ..store::Query::default() };
        let page = store.query(&q)?;
        Ok((page.records, page.more))
    })
    .await?;
    let patterns = state.out(&reader, "web").records(patterns)?.into_inner();
    // How many relationships the reader may see name each technique.
    let (store, r, ids) = (state.store.clone(), reader.clone(), patterns.iter().map(|p| p.id.clone()).collect::<Vec<_>>());
    let uses: Vec<usize> = crate::blocking(move || {
        ids.iter()
            .map(|id| {
                let q = store::Query { types: vec!["relationship".into()], observables: vec![store::ObservableKey::linked(id)], versions: Versions::LAST, gate: Some(r.gate()), limit: Some(1_000), ..store::Query::default() };
                Ok(store.query(&q)?.records.len())
            })
            .collect()
    })
    .await?;
    let mut columns: BTreeMap<(usize, String), Vec<Cell>> = BTreeMap::new();
    for (p, uses) in patterns.iter().zip(uses) {
        let v: Value = serde_json::from_slice(&p.json).unwrap_or_default();
        let external = v["external_references"].as_array().into_iter().flatten().find(|e| e["source_name"] == "mitre-attack").and_then(|e| e["external_id"].as_str()).unwrap_or_default().to_owned();
        let phases: Vec<String> = v["kill_chain_phases"].as_array().into_iter().flatten().filter(|k| k["kill_chain_name"] == "mitre-attack").filter_map(|k| k["phase_name"].as_str().map(str::to_owned)).collect();
        let phases = if phases.is_empty() { vec!["(no tactic)".to_owned()] } else { phases };
        for phase in phases {
            let order = TACTICS.iter().position(|t| *t == phase).unwrap_or(TACTICS.len());
            columns.entry((order, phase)).or_default().push(Cell { id: p.id.clone(), name: v["name"].as_str().unwrap_or(p.id.as_str()).to_owned(), external: external.clone(), uses });
        }
    }
    for cells in columns.values_mut() {
        cells.sort_by(|a, b| b.uses.cmp(&a.uses).then(a.external.cmp(&b.external)).then(a.name.cmp(&b.name)));
    }
    let body = html! {
        p.lead { (patterns.len()) " attack pattern" @if patterns.len() != 1 { "s" } " you may see, by tactic; the number is how many relationships you may see name it." }
        @if more { p.hint { "Only the first " (MOST) " are shown." } }
        @if columns.is_empty() { p { "No attack pattern you may see." } }
        @else {
            div.matrix {
                @for ((_, tactic), cells) in &columns {
                    section.tactic {
                        h2 { (tactic) " " small { "(" (cells.len()) ")" } }
                        ul {
                            @for c in cells {
                                li { a href={ "/intel/" (c.id) } { @if !c.external.is_empty() { code { (c.external) } " " } (c.name) } @if c.uses > 0 { " " span.count { (c.uses) } } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(layout("ATT&CK matrix", Some(&signed), body)))
}
