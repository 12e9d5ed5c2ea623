//! The objectives module's page: a progress bar per KPI, the progress
//! chart and an endorse button.

use maud::{html, Markup};
use serde_json::Value;

use crate::kit::form::csrf_field;
use crate::session::Signed;

/// The objectives module: each objective with a progress bar per KPI, a
/// chart of the reported progress over time, and an endorse button while
/// the caller's partner has not endorsed its latest version.
pub(super) fn page(signed: &Signed, base: &str, state: &Value, who: &dyn Fn(&str) -> String) -> Markup {
    let list = state["objectives"].as_array().cloned().unwrap_or_default();
    let me = signed.caller.partner.as_str();
    let percent = |v: &Value| (v.as_f64().unwrap_or(0.0).clamp(0.0, 1.0) * 100.0).round() as u64;
    html! {
        @if list.is_empty() { p { "No objectives yet." } }
        @for o in &list {
            @let oid = o["id"].as_str().unwrap_or_default();
            @let kpis = o["kpis"].as_array().cloned().unwrap_or_default();
            section.objective {
                h3 { (o["title"].as_str().unwrap_or("(untitled)")) }
                p.hint { "Proposed by " (who(o["author"].as_str().unwrap_or_default())) "; " (o["stage"].as_str().unwrap_or_default()) "; progress " (percent(&o["progress"])) "%" }
                @if let Some(d) = o["description"].as_str() { p { (d) } }
                @for k in &kpis {
                    @let name = k["name"].as_str().unwrap_or_default();
                    p { label { (name) " (" (k["baseline"]) " → " (k["target"]) " " (k["unit"].as_str().unwrap_or_default()) ", due " (k["due"].as_str().unwrap_or_default()) ")" } " "
                        progress max="100" value=(percent(&k["progress"])) { (percent(&k["progress"])) "%" } " " (percent(&k["progress"])) "%" }
                }
                @let mut dates: Vec<String> = kpis.iter().flat_map(|k| k["history"].as_array().cloned().unwrap_or_default()).filter_map(|h| h["measured_at"].as_str().map(str::to_owned)).collect();
                @let _ = { dates.sort(); dates.dedup(); };
                @let series = weighted_shares(&kpis, &dates);
                @if !dates.is_empty() {
                    (crate::kit::chart::stacked_bars("The objective's progress over time (percent; each KPI's weighted share)", &dates, &series))
                }
                @if o["awaiting"].as_array().is_some_and(|a| a.iter().any(|p| p.as_str() == Some(me))) {
                    form method="post" action={ (base) "/actions/endorse" } {
                        (csrf_field(signed))
                        input type="hidden" name="objective" value=(oid);
                        button type="submit" { "Endorse" }
                    }
                }
            }
        }
    }
}

/// Each KPI's weighted share of its objective's progress at each date, in
/// percent: `100 · wᵢ · pᵢ(d) / Σw`, `pᵢ(d)` the progress of the KPI's
/// latest report measured at or before `d` (0 before its first). Stacked,
/// the shares add up to the objective's progress at that date, never past
/// 100 (docs/partnership.md#objectives).
fn weighted_shares(kpis: &[Value], dates: &[String]) -> Vec<(String, Vec<u64>)> {
    let weight = |k: &Value| k["weight"].as_f64().filter(|w| *w > 0.0).unwrap_or(0.0);
    let total: f64 = kpis.iter().map(weight).sum();
    kpis.iter()
        .map(|k| {
            let history = k["history"].as_array().cloned().unwrap_or_default();
            let values = dates
                .iter()
                .map(|d| {
                    let latest = history
                        .iter()
                        .filter(|h| h["measured_at"].as_str().is_some_and(|t| t <= d.as_str()))
                        .max_by(|a, b| a["measured_at"].as_str().cmp(&b["measured_at"].as_str()))
                        .and_then(|h| h["progress"].as_f64())
                        .unwrap_or(0.0);
                    if total > 0.0 { (100.0 * weight(k) * latest / total).round() as u64 } else { 0 }
                })
                .collect();
            (k["name"].as_str().unwrap_or_default().to_owned(), values)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// Two KPIs, weights 1 and 3, reported at different dates: each date
    /// carries the latest value forward, and the stacked shares add up to
    /// the objective's progress, never past 100.
    #[test]
    fn the_shares_stack_to_the_objectives_progress() {
        let kpis = vec![
            json!({ "name": "a", "weight": 1, "history": [{ "measured_at": "2026-01-01T00:00:00Z", "progress": 1.0 }] }),
            json!({ "name": "b", "weight": 3, "history": [{ "measured_at": "2026-02-01T00:00:00Z", "progress": 0.5 }, { "measured_at": "2026-03-01T00:00:00Z", "progress": 1.0 }] }),
        ];
        let dates: Vec<String> = ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"].map(String::from).to_vec();
        let series = super::weighted_shares(&kpis, &dates);
        assert_eq!(series[0].1, [25, 25, 25], "a is carried forward at its weight");
        assert_eq!(series[1].1, [0, 38, 75]);
        let totals: Vec<u64> = (0..3).map(|i| series.iter().map(|s| s.1[i]).sum()).collect();
        assert_eq!(totals, [25, 63, 100]);
    }
}
