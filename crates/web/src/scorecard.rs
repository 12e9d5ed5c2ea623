//! The scorecard page, `/agreements/{id}/scorecard` (docs/assessment.md):
//! the partnership scorecard as the signed-in partner's node computes it
//! (`node::scorecard`, evidence read through the partner's release gate and
//! logged on the channel `web`): a table of every indicator per party and
//! per directed pair with its n and 95 % interval, "too few" or "absent"
//! where there is no number, the composite and trust (`node::scorecard::
//! listing`, as REST and the report: for now, from the node's kept sums,
//! warm after the first; for another time, gathered afresh); the composite
//! of each party over time as a server-drawn line chart (the viewer's own
//! snapshots of the same window up to then, records of the module
//! `scorecard` read through the gate, at most eleven, then the scorecard
//! shown: `node::scorecard::report::trend`); and, for one figure
//! (`?indicator=…&party=…` or `&from=…&to=…`), the drill-down: the ids of
//! the evidence it counted (that indicator's lists only), each linking to
//! its object page, which reads it through the same gate. `window` (days) and `at` (a timestamp) choose the
//! scorecard, as in the REST API. An agreement the partner is no party to is
//! the same 404 page as a missing one. `…/scorecard/report.html` and
//! `report.pdf`: the report for a review board (`node::scorecard::report`)
//! as a page and as a PDF, with the same `window` and `at`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup};
use model::Timestamp;
use scorecard::{Figure, Indicator, Scorecard, Status};

use super::session::Signed;
use super::{layout, WebError};
use crate::kit::chart;
use crate::site::agreement_id;
use crate::{Problem, Site};

/// How many points the chart over time has at most: the viewer's last
/// snapshots of the same window, then the scorecard shown.
const POINTS: usize = 12;

/// The page.
pub(super) async fn show(State(state): State<Site>, signed: Signed, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let id = agreement_id(&id)?;
    let ask = node::scorecard::Ask::parse(q.get("window").map(String::as_str).filter(|w| !w.is_empty()), q.get("at").map(String::as_str).filter(|t| !t.is_empty())).map_err(Problem::from)?;
    let (node, modules, me, aid, a) = (state.modules_node(), state.modules.clone(), signed.caller.partner.clone(), id.clone(), ask.clone());
    // The scorecard as REST and the report have it (for now, from the
    // node's kept sums; the drill-down's indicator listed from them), and
    // the trend from the viewer's own snapshots of the same window.
    let lists = q.get("indicator").and_then(|i| Indicator::parse(i)).map_or(node::scorecard::Lists::None, node::scorecard::Lists::Only);
    let (card, history) = tokio::task::spawn_blocking(move || {
        let card = node::scorecard::listing(&node, &modules, &me, &aid, &a, "web", lists)?;
        let history = node::scorecard::report::trend(&node, &modules, &me, &aid, &Timestamp::from_micros(card.at), Some(a.window_days), "web")?;
        Ok::<_, node::modules::Error>((card, history))
    })
    .await
    .map_err(|e| Problem::internal(e.to_string()))?
    .map_err(Problem::from)?;
    let names = super::partner_names(&state).await?;
    let who = |p: &str| names.get(p).cloned().unwrap_or_else(|| p.to_owned());
    let card = &card;
    let base = format!("/agreements/{id}/scorecard?window={}&at={}", ask.window_days, Timestamp::from_micros(card.at));
    let link = |indicator: Indicator, row: &str| format!("{base}&indicator={}&{row}#evidence", indicator.name());

    // The last snapshots (a snapshot at the card's own time is the card), then the card.
    let history: Vec<_> = history.into_iter().filter(|(t, _)| t.micros() < card.at).collect();
    let history = &history[history.len().saturating_sub(POINTS - 1)..];
    let labels: Vec<String> = history.iter().map(|(t, _)| t.clone()).chain([Timestamp::from_micros(card.at)]).map(|t| t.as_str().get(..10).unwrap_or_default().to_owned()).collect();
    let series: Vec<(String, Vec<Option<f64>>)> = card
        .parties
        .iter()
        .map(|p| (who(&p.party), history.iter().map(|(_, c)| c.get(&p.party).copied().flatten()).chain([p.composite.value]).collect()))
        .collect();

    let drill = drill_down(card, &q, &who);
    let body = html! {
        p { a href={ "/agreements/" (id) } { "Back to the agreement" } }
        h2 { "Scorecard" }
        p.lead {
            "As " (signed.partner_name) "'s node sees it at " (Timestamp::from_micros(card.at)) ", over " (card.window_days) " days. "
            "Each figure is in [0, 1] with its n and a 95 % interval; none is shown with fewer than " (scorecard::MIN_N) " observations. "
            "How each is computed: docs/assessment.md."
        }
        form.inline method="get" action={ "/agreements/" (id) "/scorecard" } {
            label { "Window (days) " input type="number" name="window" min="1" max="3650" value=(ask.window_days); }
            label { " At " input type="text" name="at" value=(Timestamp::from_micros(card.at)); }
            button type="submit" { "Show" }
        }
        p {
            "Report for a review board (summary, what changed since the last snapshot, indicators, trends, actions): "
            a href={ "/agreements/" (id) "/scorecard/report.html?window=" (ask.window_days) "&at=" (Timestamp::from_micros(card.at)) } { "read it" }
            " or "
            a href={ "/agreements/" (id) "/scorecard/report.pdf?window=" (ask.window_days) "&at=" (Timestamp::from_micros(card.at)) } { "download the PDF" }
            "."
        }
        h3 { "Per party" }
        div.wide { table.scorecard {
            thead { tr { th { "Party" } @for i in Indicator::ALL { th { (i.name()) } } th { "Composite" } } }
            tbody {
                @for p in &card.parties {
                    tr {
                        th scope="row" { (who(&p.party)) }
                        @for f in &p.figures { td { (cell(f, &link(f.indicator, &format!("party={}", p.party)))) } }
                        td { (composite(&p.composite)) }
                    }
                }
            }
        } }
        h3 { "Per pair (what the first gave the second, and what the second made of it)" }
        div.wide { table.scorecard {
            thead { tr { th { "Pair" } @for i in Indicator::ALL { th { (i.name()) } } th { "Composite" } th { "Trust" } } }
            tbody {
                @for p in &card.pairs {
                    tr {
                        th scope="row" { (who(&p.from)) " → " (who(&p.to)) }
                        @for f in &p.figures { td { (cell(f, &link(f.indicator, &format!("from={}&to={}", p.from, p.to)))) } }
                        td { (composite(&p.composite)) }
                        td { (format!("{:.2}", p.trust.value)) br; small { (p.trust.events) " events" } }
                    }
                }
            }
        } }
        h3 { "Composite over time" }
        (chart::values_over_time("Each party's composite", &labels, &series))
        p.hint { "From your node's snapshots of this window (" (history.len()) " up to this time; the module scorecard keeps them), then the scorecard above." }
        (drill)
        @if card.exercise_set_aside > 0 { p.hint { (card.exercise_set_aside) " exercise items set aside: exercise data never counts." } }
    };
    Ok(Html(layout("Scorecard — agreement", Some(&signed), body).into_string()).into_response())
}

/// One figure: its value with n and interval, linking to its evidence; or
/// why there is none.
fn cell(f: &Figure, href: &str) -> Markup {
    html! {
        @match (f.status, f.value) {
            (Status::Measured, Some(v)) => {
                a href=(href) { (format!("{v:.2}")) }
                br;
                small { "n " (f.n) @if let Some([lo, hi]) = f.interval { " [" (format!("{lo:.2}")) "–" (format!("{hi:.2}")) "]" } }
            }
            (Status::Absent, _) => { abbr title=(f.note.clone().unwrap_or_default()) { "absent" } }
            _ => { a href=(href) { "too few" } br; small { "n " (f.n) } }
        }
    }
}

fn composite(c: &scorecard::Composite) -> Markup {
    html! {
        @match c.value {
            Some(v) => { strong { (format!("{v:.2}")) } br; small { "over " (c.over.len()) } }
            None => { "—" }
        }
    }
}

/// The evidence behind one figure, when the query names one.
fn drill_down(card: &Scorecard, q: &HashMap<String, String>, who: &dyn Fn(&str) -> String) -> Markup {
    let Some(indicator) = q.get("indicator").and_then(|i| Indicator::parse(i)) else { return html! {} };
    let (figure, row) = match (q.get("party"), q.get("from"), q.get("to")) {
        (Some(p), _, _) => (card.party_figure(p, indicator), who(p)),
        (None, Some(a), Some(b)) => (card.pair_figure(a, b, indicator), format!("{} → {}", who(a), who(b))),
        _ => (None, String::new()),
    };
    let Some(f) = figure else { return html! { section #evidence { p { "No such figure." } } } };
    let mut ids = f.evidence.clone();
    ids.dedup();
    html! {
        section #evidence {
            h3 { "Evidence: " (indicator.name()) ", " (row) }
            p {
                @match f.value { Some(v) => { (format!("{v:.3}")) } None => { "No value" } }
                " — n " (f.n) ", k " (f.k)
                @if let Some(note) = &f.note { " — " (note) }
            }
            @if ids.is_empty() { p { "Nothing was counted." } }
            @else {
                ul.evidence {
                    @for e in &ids {
                        li {
                            @if model::StixId::parse(e).is_ok() { a href={ "/intel/" (e) } { code { (e) } } }
                            @else { code { (e) } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /agreements/{id}/scorecard/report.html`: the report for a review
/// board (`node::scorecard::report`) as one self-contained page, under a
/// policy allowing its one style element by hash and nothing else.
pub(super) async fn report_html(state: State<Site>, signed: Signed, id: Path<String>, q: Query<HashMap<String, String>>) -> Result<Response, WebError> {
    report(state, signed, id, q, node::scorecard::report::Format::Html).await
}

/// `GET /agreements/{id}/scorecard/report.pdf`: the same report as a PDF
/// download.
pub(super) async fn report_pdf(state: State<Site>, signed: Signed, id: Path<String>, q: Query<HashMap<String, String>>) -> Result<Response, WebError> {
    report(state, signed, id, q, node::scorecard::report::Format::Pdf).await
}

/// The policy of the report page: no script, no fetch, its style by hash.
pub(crate) fn report_csp() -> String {
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(report::STYLE.as_bytes()));
    format!("default-src 'none'; style-src 'sha256-{hash}'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
}

async fn report(
    State(state): State<Site>,
    signed: Signed,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    format: node::scorecard::report::Format,
) -> Result<Response, WebError> {
    use axum::http::header;
    let id = agreement_id(&id)?;
    let ask = node::scorecard::Ask::parse(q.get("window").map(String::as_str).filter(|w| !w.is_empty()), q.get("at").map(String::as_str).filter(|t| !t.is_empty())).map_err(Problem::from)?;
    let (node, modules, me) = (state.modules_node(), state.modules.clone(), signed.caller.partner.clone());
    let review = tokio::task::spawn_blocking(move || node::scorecard::report::review(&node, &modules, &me, &id, &ask, "web"))
        .await
        .map_err(|e| Problem::internal(e.to_string()))?
        .map_err(Problem::from)?;
    let names = super::partner_names(&state).await?;
    let body = node::scorecard::report::render(&review, &names, format);
    let name = node::scorecard::report::file_name(&review, format);
    let disposition = match format {
        node::scorecard::report::Format::Html => format!("inline; filename=\"{name}\""),
        node::scorecard::report::Format::Pdf => format!("attachment; filename=\"{name}\""),
    };
    let mut r = ([(header::CONTENT_TYPE, format.media_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], body).into_response();
    if let Ok(csp) = axum::http::HeaderValue::from_str(&report_csp()) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(r)
}
