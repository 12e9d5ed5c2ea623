//! The statements module's signed-in page: the agreement's procedure
//! (unanimity, or silence and its period), statements in preparation with
//! their procedure state (each co-signer's approval or objection, the
//! silence deadline), what changed from version to version, the published
//! and withdrawn ones; and the forms to draft, revise, submit, approve,
//! object and withdraw. The public page of published statements is not
//! here (it needs no sign-in).

use maud::{html, Markup};
use serde_json::Value;

use super::fields::{opt, req, text, when, Kind, Page};

/// The stages of a statement still in its procedure.
const PREPARING: &[&str] = &["draft", "awaiting-approvals", "in-silence", "blocked", "passed"];

/// The statements module's page from its state (`statements::rules::state`).
pub(super) fn page(p: &Page<'_>, state: &Value) -> Markup {
    let statements = state["statements"].as_array().cloned().unwrap_or_default();
    let silence = state["procedure"]["mode"] == "silence";
    let stage = |s: &Value| s["stage"].as_str().unwrap_or_default().to_owned();
    let preparing: Vec<&Value> = statements.iter().filter(|s| PREPARING.contains(&stage(s).as_str())).collect();
    let published: Vec<&Value> = statements.iter().filter(|s| matches!(stage(s).as_str(), "published" | "corrected")).collect();
    let withdrawn: Vec<&Value> = statements.iter().filter(|s| stage(s) == "withdrawn").collect();
    html! {
        p.lead {
            @if silence { "Statements pass by silence: unless a co-signer objects in writing within " (state["procedure"]["silence_days"]) " days of a version." }
            @else { "Statements pass by unanimity: every co-signer approves the exact latest version." }
        }
        h3 { "In preparation" }
        @if preparing.is_empty() { p { "None." } }
        @for s in &preparing { (statement(p, s, silence)) }
        h3 { "Published" }
        @if published.is_empty() { p { "None." } }
        @for s in &published { (statement(p, s, silence)) }
        @if !withdrawn.is_empty() {
            h3 { "Withdrawn" }
            @for s in &withdrawn { (statement(p, s, silence)) }
        }
        (p.form("draft-statement", "", "Draft a statement", &[], &[
            req("title", "Title", Kind::Line),
            req("text", "Text", Kind::Area),
            opt("languages", "Other languages (JSON: {\"fr\": {\"title\": …, \"text\": …}})", Kind::Json),
            req("embargo", "Embargo (published at)", Kind::Time),
            req("cosigners", "Co-signers", Kind::Parties),
            opt("submit", "Submit to the co-signers now", Kind::Check),
        ], "Draft"))
    }
}

fn statement(p: &Page<'_>, s: &Value, silence: bool) -> Markup {
    let sid = s["id"].as_str().unwrap_or_default();
    let version = s["version"].as_str().unwrap_or_default();
    let stage = s["stage"].as_str().unwrap_or_default();
    let mine = s["proposer"].as_str() == Some(p.me());
    let signer = s["signers"].as_array().into_iter().flatten().find(|x| x["party"].as_str() == Some(p.me()));
    let open = matches!(stage, "awaiting-approvals" | "in-silence");
    let versions = s["versions"].as_array().cloned().unwrap_or_default();
    html! {
        article.statement id={ "statement-" (sid) } {
            h4 { (text(&s["title"])) " " span.state { "(" (stage) ")" } }
            p.hint {
                "Proposed by " (p.name(&s["proposer"])) "; co-signers " (p.names(&s["cosigners"])) "; embargo " (when(&s["embargo"])) "; version " (when(&s["version"]))
                @if s["deadline"].is_string() { "; silence ends " (when(&s["deadline"])) }
            }
            p { (text(&s["text"])) }
            @for (tag, v) in s["languages"].as_object().into_iter().flatten() {
                details { summary { (tag) ": " (text(&v["title"])) } p lang=(tag) { (text(&v["text"])) } }
            }
            table {
                thead { tr { th { "Co-signer" } th { "Approved this version" } th { "Objection" } } }
                tbody {
                    @for x in s["signers"].as_array().into_iter().flatten() {
                        tr {
                            td { (p.name(&x["party"])) }
                            td { @if x["approved"] == true { span.ok { "yes" } } @else { "no" } }
                            td {
                                @if let Some(o) = x["objection"].as_object() {
                                    (text(&o["reason"])) " (" (when(&o["created"])) ") "
                                    @if o["in_time"] == true { strong.deny { "blocks it" } } @else { "too late: does not count" }
                                } @else { "—" }
                            }
                        }
                    }
                }
            }
            @if versions.len() > 1 {
                details {
                    summary { (versions.len()) " versions" }
                    ol {
                        @for (i, v) in versions.iter().enumerate() {
                            li {
                                (when(&v["version"]))
                                @if i > 0 {
                                    @let changed: Vec<&str> = ["title", "text", "languages", "embargo", "cosigners", "submitted", "withdrawn"].into_iter().filter(|k| v[*k] != versions[i - 1][*k]).collect();
                                    ": changed " (if changed.is_empty() { "nothing".to_owned() } else { changed.join(", ") })
                                }
                                @if v["published"] == true { " — published" } @else if v["passed"] == true { " — passed" }
                            }
                        }
                    }
                }
            }
            @if open && !silence && signer.is_some_and(|x| x["approved"] != true) {
                (p.form("approve-statement", sid, "Approve this version for your party", &[("statement", sid), ("version", version)], &[], "Approve"))
            }
            @if open && silence && signer.is_some_and(|x| x["objection"].is_null()) && !mine {
                (p.form("object-to-statement", sid, "Object to this version in writing", &[("statement", sid), ("version", version)], &[req("reason", "Reason", Kind::Area)], "Object"))
            }
            @if mine && stage != "withdrawn" {
                @if stage == "draft" {
                    (p.form("submit-statement", sid, "Submit to the co-signers", &[("statement", sid)], &[], "Submit"))
                }
                (p.form("revise-statement", sid, "Revise (a new version: approvals and the silence period start again)", &[("statement", sid)], &[
                    opt("title", "Title", Kind::Line),
                    opt("text", "Text", Kind::Area),
                    opt("embargo", "Embargo", Kind::Time),
                    opt("submit", "Submit this version", Kind::Check),
                ], "Revise"))
                (p.form("withdraw-statement", sid, "Withdraw this statement", &[("statement", sid)], &[], "Withdraw"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fields::{test_names, test_page};

    fn state(mode: &str) -> serde_json::Value {
        json!({ "procedure": { "mode": mode, "silence_days": 3 }, "published": [], "statements": [{
            "id": "x-entente-statement--1", "proposer": "identity--a", "title": "Joint <b>word</b>", "text": "We stand.", "embargo": "2026-06-02T00:00:00Z",
            "cosigners": ["identity--a", "identity--b"], "version": "2026-06-01T10:00:00Z", "stage": if mode == "silence" { "blocked" } else { "awaiting-approvals" },
            "deadline": if mode == "silence" { json!("2026-06-04T10:00:00Z") } else { json!(null) },
            "signers": [
                { "party": "identity--a", "approved": true, "objection": null },
                { "party": "identity--b", "approved": false, "objection": if mode == "silence" { json!({ "reason": "not <yet>", "created": "2026-06-01T11:00:00Z", "in_time": true }) } else { json!(null) } }],
            "versions": [
                { "version": "2026-06-01T09:00:00Z", "title": "Joint", "text": "We stand.", "submitted": false, "passed": false, "published": false },
                { "version": "2026-06-01T10:00:00Z", "title": "Joint <b>word</b>", "text": "We stand.", "submitted": true, "passed": false, "published": false }],
        }]})
    }

    /// Unanimity: B, not yet approving, gets the approve form; A's row
    /// says approved; what changed between versions is listed. Silence: B's
    /// objection in time blocks it, and the proposer may revise or withdraw.
    #[test]
    fn the_procedure_state_per_cosigner() {
        let html = super::page(&test_page("identity--b", None, &test_names), &state("unanimity")).into_string();
        assert!(html.contains("Joint &lt;b&gt;word&lt;/b&gt; <span class=\"state\">(awaiting-approvals)</span>"), "{html}");
        assert!(html.contains("<td>Alpha</td><td><span class=\"ok\">yes</span></td>") && html.contains("<td>Bravo</td><td>no</td>"), "{html}");
        assert!(html.contains("/actions/approve-statement") && !html.contains("/actions/revise-statement"));
        assert!(html.contains(": changed title, submitted"), "{html}");
        let html = super::page(&test_page("identity--a", None, &test_names), &state("silence")).into_string();
        assert!(html.contains("not &lt;yet&gt; (") && html.contains("blocks it") && html.contains("silence ends"), "{html}");
        assert!(html.contains("/actions/revise-statement") && html.contains("/actions/withdraw-statement") && !html.contains("/actions/object-to-statement"));
    }
}
