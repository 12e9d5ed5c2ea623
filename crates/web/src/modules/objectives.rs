//! The objectives module's page: each objective with its stage, who
//! endorsed it, a progress bar per KPI and a line chart of each KPI's
//! progress over time against the line expected; the forms to endorse,
//! report a KPI's value, amend, close or withdraw an objective, and to
//! propose one with its KPIs.

use maud::{html, Markup};
use model::Timestamp;
use serde_json::{json, Map, Value};

use super::dialogue::when;
use super::{error_for, error_other, error_under, Fault};
use crate::kit::chart::{self, Line};
use crate::kit::form::csrf_field;
use crate::session::Signed;

/// How many KPI rows the form to propose an objective offers.
const KPI_ROWS: usize = 3;

fn text<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or_default()
}

fn percent(v: &Value) -> u64 {
    (v.as_f64().unwrap_or(0.0).clamp(0.0, 1.0) * 100.0).round() as u64
}

fn micros(t: &str) -> Option<i64> {
    Timestamp::parse(t).ok().map(|t| t.micros())
}

/// The objectives module: each objective, its KPIs and chart, and the
/// forms its reader's partner may use; then the form to propose one.
pub(super) fn page(signed: &Signed, base: &str, state: &Value, parties: &[String], fault: Option<&Fault>, who: &dyn Fn(&str) -> String) -> Markup {
    let list = state["objectives"].as_array().cloned().unwrap_or_default();
    html! {
        @if list.is_empty() { p { "No objectives yet." } }
        @for o in &list { (objective(signed, base, o, fault, who)) }
        (propose_form(signed, base, parties, fault, who))
    }
}

/// One objective.
fn objective(signed: &Signed, base: &str, o: &Value, fault: Option<&Fault>, who: &dyn Fn(&str) -> String) -> Markup {
    let me = signed.caller.partner.as_str();
    let oid = text(o, "id");
    let kpis = o["kpis"].as_array().cloned().unwrap_or_default();
    let stage = text(o, "stage");
    let names = |key: &str| o[key].as_array().into_iter().flatten().filter_map(Value::as_str).map(|p| who(p)).collect::<Vec<_>>().join(", ");
    let open = stage != "closed";
    html! {
        section.objective id={ "objective-" (oid) } {
            h3 { (o["title"].as_str().unwrap_or("(untitled)")) }
            p.hint {
                "Proposed by " (who(text(o, "author"))) "; " (stage)
                @if let Some(s) = o["status"].as_str() { "; " strong { (s) } }
                "; progress " (percent(&o["progress"])) "% (expected " (percent(&o["expected"])) "%)"
            }
            @if let Some(d) = o["description"].as_str() { p { (d) } }
            p { "Endorsed by: " @if names("endorsed_by").is_empty() { "no party yet" } @else { (names("endorsed_by")) }
                @if !names("awaiting").is_empty() { "; awaiting: " (names("awaiting")) } }
            @if let Some(note) = o["closing_note"].as_str() { p { "Closed: " (note) } }
            @for (n, k) in kpis.iter().enumerate() {
                @let name = text(k, "name");
                p.kpi {
                    label { (name) " (" (k["baseline"]) " → " (k["target"]) " " (text(k, "unit")) ", due " (when(text(k, "due"))) ", reported by " (who(text(k, "reporting_party"))) ")" } " "
                    progress max="100" value=(percent(&k["progress"])) { (percent(&k["progress"])) "%" } " " (percent(&k["progress"])) "%"
                    @if let Some(s) = k["status"].as_str() { " · " (s) }
                }
                @if open && text(k, "reporting_party") == me { (report_form(signed, base, oid, (n, name), fault)) }
            }
            (kpi_chart(o, &kpis))
            @if o["awaiting"].as_array().is_some_and(|a| a.iter().any(|p| p.as_str() == Some(me))) {
                form method="post" action={ (base) "/actions/endorse" } {
                    (csrf_field(signed))
                    input type="hidden" name="objective" value=(oid);
                    input type="hidden" name="version" value=(text(o, "version"));
                    button type="submit" { "Endorse" }
                    @if let Some(e) = error_other(fault, "endorse", oid, &[]) { (e) }
                }
            }
            @if open && text(o, "author") == me { (author_forms(signed, base, o, &kpis, fault)) }
        }
    }
}

/// One line per KPI: its progress at each report (measured when), and the
/// straight line expected from 0 at the objective's creation to 100 % at
/// the KPI's due date, dashed; time from the creation to the latest due
/// date or report.
fn kpi_chart(o: &Value, kpis: &[Value]) -> Markup {
    let Some(start) = micros(text(o, "created")) else { return html! {} };
    let mut end = start;
    let mut series = Vec::new();
    for k in kpis {
        let due = micros(text(k, "due"));
        let points: Vec<(i64, f64, String)> = k["history"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| {
                let at = micros(text(h, "measured_at"))?;
                let p = h["progress"].as_f64()? * 100.0;
                Some((at, p, format!("{}: {} {} ({:.0} %) on {}", text(k, "name"), h["value"], text(k, "unit"), p, when(text(h, "measured_at")))))
            })
            .collect();
        end = end.max(due.unwrap_or(start)).max(points.iter().map(|p| p.0).max().unwrap_or(start));
        let summary = match points.last() {
            Some((_, p, _)) => format!("{} reports, latest {p:.0} %, expected {:.0} % now", points.len(), k["expected"].as_f64().unwrap_or(0.0) * 100.0),
            None => "no report yet".to_owned(),
        };
        series.push(Line { name: text(k, "name").to_owned(), points, expected: due.map(|d| [(start, 0.0), (d, 100.0)]), summary });
    }
    let labels = vec![(start, when(text(o, "created")).get(..10).unwrap_or_default().to_owned()), (end, Timestamp::from_micros(end).to_string().get(..10).unwrap_or_default().to_owned())];
    chart::lines("Each KPI's progress over time (percent of the way from baseline to target)", start, end, &labels, &series)
}

/// A KPI's reporting party reports its value (`kpi`: the KPI's index and name).
fn report_form(signed: &Signed, base: &str, oid: &str, (n, kpi): (usize, &str), fault: Option<&Fault>) -> Markup {
    let about = format!("{oid}/{kpi}");
    let field = |what: &str| format!("{what}-{n}-{oid}");
    let v = |name: &str| Fault::value(fault, "report", &about, name);
    html! {
        form.report method="post" action={ (base) "/actions/report" } {
            (csrf_field(signed))
            input type="hidden" name="objective" value=(oid);
            input type="hidden" name="kpi" value=(kpi);
            label for=(field("value")) { "Value of " (kpi) }
            input id=(field("value")) type="text" inputmode="decimal" name="value:number" value=(v("value:number"));
            @if let Some(e) = error_for(fault, "report", &about, "value") { (e) }
            label for=(field("measured")) { "Measured at (UTC; now if empty)" }
            input id=(field("measured")) type="text" name="measured_at" value=(v("measured_at"));
            @if let Some(e) = error_for(fault, "report", &about, "measured_at") { (e) }
            label for=(field("note")) { "Note (optional)" }
            input id=(field("note")) type="text" name="note" value=(v("note"));
            @if let Some(e) = error_other(fault, "report", &about, &["value", "measured_at"]) { (e) }
            button type="submit" { "Report" }
        }
    }
}

/// A KPI of the state as the `kpis` input writes it.
fn kpi_input(k: &Value) -> Value {
    let mut m = Map::new();
    for key in ["name", "unit", "baseline", "target", "direction", "due", "weight"] {
        m.insert(key.into(), k[key].clone());
    }
    m.insert("reporting_party_ref".into(), k["reporting_party"].clone());
    Value::Object(m)
}

/// The author amends (title, description, KPIs as JSON), closes or withdraws.
fn author_forms(signed: &Signed, base: &str, o: &Value, kpis: &[Value], fault: Option<&Fault>) -> Markup {
    let oid = text(o, "id");
    let refused = fault.is_some_and(|f| f.action == "amend" && f.about == oid);
    let v = |name: &str, current: String| if refused { Fault::value(fault, "amend", oid, name).to_owned() } else { current };
    let current_kpis = serde_json::to_string_pretty(&json!(kpis.iter().map(kpi_input).collect::<Vec<_>>())).unwrap_or_default();
    html! {
        details {
            summary { "Amend (every party endorses it again)" }
            form method="post" action={ (base) "/actions/amend" } {
                (csrf_field(signed))
                input type="hidden" name="objective" value=(oid);
                label for={ "title-" (oid) } { "Title" }
                input id={ "title-" (oid) } type="text" name="title" value=(v("title", text(o, "title").to_owned()));
                @if let Some(e) = error_for(fault, "amend", oid, "title") { (e) }
                label for={ "description-" (oid) } { "Description" }
                textarea id={ "description-" (oid) } name="description" rows="2" { (v("description", text(o, "description").to_owned())) }
                label for={ "kpis-" (oid) } { "KPIs (JSON: name, unit, baseline, target, direction, due, weight, reporting_party_ref)" }
                textarea id={ "kpis-" (oid) } name="kpis:json" rows="8" { (v("kpis:json", current_kpis)) }
                @if let Some(e) = error_under(fault, "amend", oid, "kpis") { (e) }
                @if let Some(e) = error_other(fault, "amend", oid, &["title", "kpis"]) { (e) }
                button type="submit" { "Amend" }
            }
        }
        form method="post" action={ (base) "/actions/close" } {
            (csrf_field(signed))
            input type="hidden" name="objective" value=(oid);
            label for={ "close-" (oid) } { "Closing note" }
            input id={ "close-" (oid) } type="text" name="note" value=(Fault::value(fault, "close", oid, "note"));
            @if let Some(e) = error_other(fault, "close", oid, &[]) { (e) }
            button type="submit" { "Close the objective" }
        }
        form method="post" action={ (base) "/actions/withdraw" } {
            (csrf_field(signed))
            input type="hidden" name="objective" value=(oid);
            button type="submit" { "Withdraw the objective" }
        }
    }
}

/// Propose an objective: title, description and up to [`KPI_ROWS`] KPIs
/// (a row left empty is left out).
fn propose_form(signed: &Signed, base: &str, parties: &[String], fault: Option<&Fault>, who: &dyn Fn(&str) -> String) -> Markup {
    let v = |name: &str| Fault::value(fault, "propose", "", name);
    html! {
        h3 { "Propose an objective" }
        form.propose method="post" action={ (base) "/actions/propose" } {
            (csrf_field(signed))
            label for="objective-title" { "Title" }
            input id="objective-title" type="text" name="title" value=(v("title"));
            @if let Some(e) = error_for(fault, "propose", "", "title") { (e) }
            label for="objective-description" { "Description" }
            textarea id="objective-description" name="description" rows="2" { (v("description")) }
            @for i in 0..KPI_ROWS {
                @let f = |field: &str| format!("kpis[{i}].{field}");
                fieldset.kpi {
                    legend { "KPI " (i + 1) @if i > 0 { " (optional)" } }
                    label for={ "kpi-name-" (i) } { "Name" }
                    input id={ "kpi-name-" (i) } type="text" name=(f("name")) value=(v(&f("name")));
                    label for={ "kpi-unit-" (i) } { "Unit" }
                    input id={ "kpi-unit-" (i) } type="text" name=(f("unit")) value=(v(&f("unit")));
                    label for={ "kpi-baseline-" (i) } { "Baseline" }
                    input id={ "kpi-baseline-" (i) } type="text" inputmode="decimal" name=(f("baseline:number")) value=(v(&f("baseline:number")));
                    label for={ "kpi-target-" (i) } { "Target" }
                    input id={ "kpi-target-" (i) } type="text" inputmode="decimal" name=(f("target:number")) value=(v(&f("target:number")));
                    label for={ "kpi-direction-" (i) } { "Direction" }
                    select id={ "kpi-direction-" (i) } name=(f("direction")) {
                        option value="" { "—" }
                        @for d in ["increase", "decrease"] { option value=(d) selected[v(&f("direction")) == d] { (d) } }
                    }
                    label for={ "kpi-due-" (i) } { "Due (UTC, such as 2027-01-01T00:00:00Z)" }
                    input id={ "kpi-due-" (i) } type="text" name=(f("due")) value=(v(&f("due")));
                    label for={ "kpi-weight-" (i) } { "Weight (1 if empty)" }
                    input id={ "kpi-weight-" (i) } type="text" inputmode="decimal" name=(f("weight:number")) value=(v(&f("weight:number")));
                    label for={ "kpi-party-" (i) } { "Reported by" }
                    select id={ "kpi-party-" (i) } name=(f("reporting_party_ref")) {
                        option value="" { "—" }
                        @for p in parties { option value=(p) selected[v(&f("reporting_party_ref")) == p.as_str()] { (who(p)) } }
                    }
                }
            }
            @if let Some(e) = error_under(fault, "propose", "", "kpis") { (e) }
            @if let Some(e) = error_other(fault, "propose", "", &["title", "kpis"]) { (e) }
            button type="submit" { "Propose" }
        }
    }
}
