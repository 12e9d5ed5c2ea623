//! The disputes module's page: each dispute with its ladder (consultation
//! → senior dialogue → mediation → conciliation → arbitration) showing the
//! current stage and its deadline, the timeline of stages, the facts and
//! remedy sought, the parties' positions side by side, the proposals and
//! who accepted each; and the forms to raise a dispute, file a position,
//! propose, accept, escalate and (its raiser) withdraw.

use maud::{html, Markup};
use serde_json::Value;

use super::fields::{opt, req, text, when, Kind, Page};


/// The disputes module's page from its state (`disputes::rules::state`).
pub(super) fn page(p: &Page<'_>, state: &Value) -> Markup {
    let disputes = state["disputes"].as_array().cloned().unwrap_or_default();
    html! {
        @if disputes.is_empty() { p { "No dispute." } }
        @for d in &disputes { (dispute(p, d)) }
        (p.form("raise", "", "Raise a dispute", &[], &[
            req("clause", "Clause in question (a path into the terms, such as handling.reshare)", Kind::Line),
            req("facts", "Facts", Kind::Area),
            opt("fact_refs", "Records the facts refer to (STIX ids, one per line)", Kind::List),
            req("remedy", "Remedy sought", Kind::Area),
            opt("mediators", "Mediators (identity ids that are not parties, one per line)", Kind::List),
        ], "Raise"))
    }
}

fn dispute(p: &Page<'_>, d: &Value) -> Markup {
    let did = d["id"].as_str().unwrap_or_default();
    let settled = d["status"] == "settled";
    // The agreement's ladder (its dispute terms, else the defaults), in order.
    let stages: Vec<&str> = d["ladder"].as_array().into_iter().flatten().filter_map(|s| s["stage"].as_str()).collect();
    let current = stages.iter().position(|s| d["stage"].as_str() == Some(*s)).unwrap_or(0);
    let remedies: Vec<&Value> = d["remedies"].as_array().into_iter().flatten().collect();
    let timeline = d["timeline"].as_array().cloned().unwrap_or_default();
    let positions = d["positions"].as_array().cloned().unwrap_or_default();
    let proposals = d["proposals"].as_array().cloned().unwrap_or_default();
    let mut sides: Vec<String> = d["raised_by"].as_str().into_iter().map(str::to_owned).collect();
    sides.extend(d["respondents"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned));
    html! {
        section.dispute id={ "dispute-" (did) } {
            h3 { "Dispute over " code { (text(&d["clause"])) } }
            dl.facts {
                dt { "Raised by" } dd { (p.name(&d["raised_by"])) }
                dt { "With" } dd { (p.names(&d["respondents"])) }
                dt { "Status" } dd {
                    @if settled { span.ok { "settled" } " " (when(&d["settled_at"])) }
                    @else { "at " strong { (text(&d["stage"])) } ", deadline " (when(&d["deadline"])) @if d["overdue"] == true { " " strong.deny { "overdue" } } }
                }
                @if d["mediators"].as_array().is_some_and(|m| !m.is_empty()) { dt { "Mediators" } dd { (p.names(&d["mediators"])) } }
                dt { "Facts" } dd { (text(&d["facts"])) }
                @if let Some(refs) = d["fact_refs"].as_array().filter(|r| !r.is_empty()) { dt { "Records" } dd { @for r in refs { code { (text(r)) } " " } } }
                dt { "Remedy sought" } dd { (text(&d["remedy"])) }
                @for r in &remedies {
                    @if r["in_force"] == true {
                        dt { "Remedy in force" } dd { strong.deny { (text(&r["effect"])) } " under this agreement since " (when(&r["from"])) ", until the dispute is settled or withdrawn" }
                    } @else if r["until"].is_null() {
                        dt { "Remedy ahead" } dd { (text(&r["effect"])) " under this agreement from " (when(&r["from"])) " unless the dispute is settled first" }
                    }
                }
            }
            h4 { "Ladder" }
            ol.ladder {
                @for (i, name) in stages.iter().enumerate() {
                    @let entry = timeline.iter().find(|e| e["stage"].as_str() == Some(*name));
                    li {
                        @if i == current && !settled { strong { (name) " (current)" } } @else { (name) }
                        @if let Some(e) = entry {
                            " — from " (when(&e["start"])) ", deadline " (when(&e["deadline"]))
                            @if let Some(how) = e["ended_by"].as_str() { "; " (how) " " (when(&e["end"])) }
                        }
                    }
                }
            }
            h4 { "Positions" }
            div.grid {
                @for side in &sides {
                    div.side {
                        h5 { ((p.who)(side)) }
                        @let mine: Vec<&Value> = positions.iter().filter(|x| x["author"].as_str() == Some(side.as_str())).collect();
                        @if mine.is_empty() { p.hint { "No position filed." } }
                        @for x in mine { p { (text(&x["text"])) br; small { (when(&x["modified"])) } } }
                    }
                }
            }
            h4 { "Proposals" }
            @if proposals.is_empty() { p { "No proposal." } }
            @for x in &proposals {
                @let pid = x["id"].as_str().unwrap_or_default();
                article.proposal {
                    p { strong { (p.name(&x["author"])) } " " (when(&x["modified"])) @if d["settled_by"].as_str() == Some(pid) { " " span.ok { "— the settlement" } } }
                    p { (text(&x["text"])) }
                    p.hint { "Accepted by " (p.names(&x["accepted_by"])) @if x["awaiting"].as_array().is_some_and(|a| !a.is_empty()) { "; awaiting " (p.names(&x["awaiting"])) } }
                    @if !settled && x["awaiting"].as_array().is_some_and(|a| a.iter().any(|w| w.as_str() == Some(p.me()))) {
                        (p.form("accept", pid, "Accept this proposal for your party", &[("proposal", pid), ("version", x["modified"].as_str().unwrap_or_default())], &[], "Accept"))
                    }
                }
            }
            @if !settled {
                (p.form("file-position", did, "File your position", &[("dispute", did)], &[req("text", "Position", Kind::Area)], "File"))
                (p.form("propose", did, "Propose a settlement", &[("dispute", did)], &[req("text", "Proposal", Kind::Area)], "Propose"))
                @if current + 1 < stages.len() {
                    (p.form("escalate", did, &format!("Agree to escalate from {} to {}", stages[current], stages[current + 1]), &[("dispute", did)], &[], "Escalate"))
                }
                @if d["raised_by"].as_str() == Some(p.me()) {
                    (p.form("name-mediator", did, "Name the mediators", &[("dispute", did)], &[req("mediators", "Mediators (identity ids, one per line)", Kind::List)], "Name"))
                    (p.form("withdraw", did, "Withdraw this dispute (its remedies end)", &[("dispute", did)], &[], "Withdraw"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fields::{test_names, test_page};

    /// The current stage is marked with its deadline, positions stand by
    /// party, and only a party awaited gets the accept form.
    #[test]
    fn the_ladder_and_the_proposals() {
        let state = json!({ "disputes": [{
            "id": "x-entente-dispute--1", "raised_by": "identity--a", "respondents": ["identity--b"], "clause": "handling.reshare", "facts": "B <reshared>", "remedy": "stop",
            "status": "senior-dialogue", "stage": "senior-dialogue", "deadline": "2026-06-20T00:00:00Z", "overdue": false,
            "timeline": [
                { "stage": "consultation", "start": "2026-05-01T00:00:00Z", "deadline": "2026-05-15T00:00:00Z", "end": "2026-05-15T00:00:00Z", "ended_by": "lapsed" },
                { "stage": "senior-dialogue", "start": "2026-05-15T00:00:00Z", "deadline": "2026-06-20T00:00:00Z", "end": null, "ended_by": null }],
            "ladder": [{ "stage": "consultation", "days": 14 }, { "stage": "senior-dialogue", "days": 36 }, { "stage": "arbitration", "days": 60 }],
            "remedies": [{ "effect": "suspend-sharing", "from": "2026-06-20T00:00:00Z", "until": null, "in_force": false }],
            "positions": [{ "id": "p1", "author": "identity--b", "text": "we did not", "modified": "2026-05-02T00:00:00Z" }],
            "proposals": [{ "id": "x-entente-dispute-proposal--1", "author": "identity--a", "text": "apologise", "modified": "2026-05-03T00:00:00Z", "accepted_by": ["identity--a"], "awaiting": ["identity--b"] }],
        }]});
        let html = super::page(&test_page("identity--b", None, &test_names), &state).into_string();
        assert!(html.contains("<strong>senior-dialogue (current)</strong> — from"), "{html}");
        assert!(html.contains("consultation — from") && html.contains("; lapsed <time"), "{html}");
        assert!(html.contains("B &lt;reshared&gt;"));
        // The agreement's ladder (its dispute terms), and the remedy ahead.
        assert!(html.contains("Agree to escalate from senior-dialogue to arbitration"), "{html}");
        assert!(html.contains("Remedy ahead") && html.contains("suspend-sharing"), "{html}");
        let bravo = html.find("<h5>Bravo</h5>").unwrap();
        assert!(html[bravo..].contains("we did not") && !html[..bravo].contains("we did not"), "under B's name");
        assert!(html.contains("Accepted by Alpha; awaiting Bravo") && html.contains("/actions/accept"));
        assert!(!html.contains("to mediation"), "a stage the terms leave out is skipped");
        assert!(!html.contains("/actions/withdraw"), "only the raiser withdraws");
        let html = super::page(&test_page("identity--a", None, &test_names), &state).into_string();
        assert!(!html.contains("/actions/accept") && html.contains("/actions/name-mediator") && html.contains("/actions/withdraw"));
    }
}
