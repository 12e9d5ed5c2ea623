//! The pattern workbench at `/workbench`: a STIX pattern checked by the
//! strict validator the node applies to every indicator it stores
//! ([`pattern::validate`]), its error shown in place (the offending span
//! wrapped in `<mark>`), and matched against pasted observed-data (one
//! object, an array or a bundle), each observation on its own as detection
//! matches them. `POST /workbench/validate` is the same check as JSON, for
//! the live check of `workbench.js` (CSRF token in the `X-CSRF-Token`
//! header). Nothing here reads the store: only the session.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use maud::{html, Markup};
use serde_json::{json, Value};

use super::session::Signed;
use super::{form, layout, page};
use node::detect::{Feed, Ready};
use crate::Site;

/// Why a pattern is not valid, and where.
pub(super) struct PatternError {
    /// What is wrong.
    pub message: String,
    /// The byte range at fault, on character boundaries, never empty
    /// unless it is at the end of the pattern.
    pub start: usize,
    pub end: usize,
    /// The 1-based character position of `start`.
    pub column: usize,
}

/// The strict check of a pattern: the parsed pattern, or what is wrong where.
pub(super) fn check(text: &str) -> Result<pattern::Pattern, PatternError> {
    pattern::validate(text).map_err(|e| {
        let mut start = e.span.start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = e.span.end.clamp(start, text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        if end == start {
            // An empty span marks the character there, if any.
            end = text[start..].chars().next().map_or(start, |c| start + c.len_utf8());
        }
        PatternError { message: e.kind.to_string(), start, end, column: text[..start].chars().count() + 1 }
    })
}

impl PatternError {
    /// The pattern with the span at fault in `<mark>`, then the message:
    /// all text, escaped by maud.
    pub fn show(&self, text: &str) -> Markup {
        let (before, at, after) = (&text[..self.start], &text[self.start..self.end], &text[self.end..]);
        html! {
            div.pattern-error role="alert" {
                p.error { "Pattern error at character " (self.column) ": " (self.message) }
                pre.pattern { code { (before) mark { @if at.is_empty() { " " } @else { (at) } } (after) } }
            }
        }
    }

    fn to_json(&self, text: &str) -> Value {
        json!({
            "valid": false,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "column": self.column,
            "before": &text[..self.start],
            "span": &text[self.start..self.end],
            "after": &text[self.end..],
        })
    }
}

/// The `<script>` element of pages with a pattern field (from the node itself).
pub(super) fn script() -> Markup {
    html! { script src="/static/workbench.js" defer {} }
}

/// The live check's output beside a pattern field `id`.
pub(super) fn live_output(id: &str) -> Markup {
    html! { p.hint.live id={ (id) "-check" } aria-live="polite" {} }
}

/// What the workbench shows after a check.
#[derive(Default)]
struct Outcome {
    error: Option<PatternError>,
    observed_error: Option<String>,
    /// Per observation: its id, and whether it matched (or why it could not be matched).
    results: Option<Vec<(String, Result<bool, String>)>>,
}

fn workbench(signed: &Signed, pattern_text: &str, observed: &str, outcome: &Outcome) -> Markup {
    let body = html! {
        p.lead { "Check a STIX pattern as this node checks every indicator it stores, and try it on observed-data." }
        form.stack.wide method="post" action="/workbench" {
            input type="hidden" name="csrf" value=(signed.csrf);
            label for="pattern" { "Pattern" }
            textarea #pattern name="pattern" rows="3" required spellcheck="false" data-pattern-check="" data-csrf=(signed.csrf) aria-describedby="pattern-check" { (pattern_text) }
            (live_output("pattern"))
            @if let Some(e) = &outcome.error { (e.show(pattern_text)) }
            label for="observed" { "Observed data (optional: one observed-data object, an array or a bundle, with the objects it references)" }
            textarea #observed name="observed" rows="12" spellcheck="false" { (observed) }
            @if let Some(m) = &outcome.observed_error { p.error role="alert" { (m) } }
            button type="submit" { "Check" }
        }
        @if outcome.error.is_none() && !pattern_text.trim().is_empty() {
            p.ok { "The pattern is valid." }
        }
        @if let Some(results) = &outcome.results {
            @let matched = results.iter().filter(|(_, r)| matches!(r, Ok(true))).count();
            h2 { "Matches" }
            @if results.is_empty() { p { "There was no observed-data object to match." } }
            @else {
                p.verdict { @if matched > 0 { "Matched " (matched) " of " (results.len()) " observation" @if results.len() != 1 { "s" } "." } @else { "No observation matched." } }
                table {
                    thead { tr { th scope="col" { "Observed data" } th scope="col" { "Result" } } }
                    tbody {
                        @for (id, r) in results {
                            tr {
                                td { code { (id) } }
                                td {
                                    @match r {
                                        Ok(true) => { strong.match { "matched" } }
                                        Ok(false) => { "not matched" }
                                        Err(m) => { span.error { "could not be matched: " (m) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (script())
    };
    layout("Pattern workbench", Some(signed), body)
}

/// `GET /workbench`.
pub(super) async fn show(signed: Signed) -> Response {
    page(workbench(&signed, "", "", &Outcome::default()))
}

/// The observations in pasted JSON: one object, an array or a bundle.
fn observations(text: &str) -> Result<Vec<Ready>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("The observed data is not JSON: {e}"))?;
    let (mut feed, mut ready) = (Feed::default(), Vec::new());
    feed.push_document(doc, &mut ready);
    feed.finish(&mut ready);
    Ok(ready)
}

/// `POST /workbench`: checks the pattern and matches it.
pub(super) async fn run(State(state): State<Site>, signed: Signed, req: Request) -> Result<Response, Response> {
    let fields = form::read(&state, req).await?;
    signed.check_csrf(&fields.csrf()).map_err(IntoResponse::into_response)?;
    let (text, observed) = (fields.get("pattern").to_owned(), fields.get("observed").to_owned());
    // Parsing and matching a large paste runs on a blocking thread, not on
    // the async workers that serve every other request.
    let (text, observed, outcome) = tokio::task::spawn_blocking(move || {
        let outcome = check_and_match(&text, &observed);
        (text, observed, outcome)
    })
    .await
    .map_err(|e| crate::Problem::internal(format!("workbench: {e}")).into_response())?;
    let status = if outcome.error.is_some() || outcome.observed_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Html(workbench(&signed, &text, &observed, &outcome).into_string())).into_response())
}

/// The pattern checked, and matched against the observed data when there is some.
fn check_and_match(text: &str, observed: &str) -> Outcome {
    let mut outcome = Outcome::default();
    match check(text) {
        Err(e) => outcome.error = Some(e),
        Ok(p) if !observed.trim().is_empty() => match observations(observed) {
            Err(m) => outcome.observed_error = Some(m),
            Ok(ready) => {
                let results = ready
                    .iter()
                    .map(|r| {
                        let id = r.observed_data.get("id").and_then(Value::as_str).unwrap_or("(no id)").to_owned();
                        let objects: Vec<&Value> = r.objects.iter().map(|o| &**o).collect();
                        (id, pattern::match_observation(&p, &r.observed_data, &objects).map_err(|e| e.kind.to_string()))
                    })
                    .collect();
                outcome.results = Some(results);
            }
        },
        Ok(_) => {}
    }
    outcome
}

/// The body of `POST /workbench/validate`.
#[derive(serde::Deserialize)]
pub(super) struct Validate {
    pattern: String,
}

/// `POST /workbench/validate`: `{"pattern": "…"}` in; `{"valid": true}` or
/// `{"valid": false, "message", "start", "end" (bytes), "column" (1-based
/// characters), "before", "span", "after"}` out. The session's CSRF token
/// must come in the `X-CSRF-Token` header (403 otherwise).
pub(super) async fn validate(signed: Signed, headers: HeaderMap, body: Bytes) -> Response {
    let given = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Err(f) = signed.check_csrf(&HashMap::from([("csrf".to_owned(), given.to_owned())])) {
        return f.into_response();
    }
    let body: Validate = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({ "error": format!("send {{\"pattern\": \"…\"}}: {e}") }))).into_response(),
    };
    match check(&body.pattern) {
        Ok(_) => Json(json!({ "valid": true })).into_response(),
        Err(e) => Json(e.to_json(&body.pattern)).into_response(),
    }
}
