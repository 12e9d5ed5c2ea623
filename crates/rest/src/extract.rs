//! `POST /api/v1/extract`: the indicators in a report's text
//! (docs/sources.md#indicators-from-report-text), marked where MISP's
//! warning lists (`<data dir>/warninglists`) name them benign; with
//! `report`, the STIX objects of a report and its indicators, for the
//! caller to review and share with `POST /api/v1/objects`. It stores and
//! releases nothing, so any role may ask.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;

use node::auth::Caller;
use crate::{Api, ApiError};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExtractRequest {
    /// The report's text (or HTML, with `html`).
    text: String,
    #[serde(default)]
    html: bool,
    /// Make a report of the candidates on no warning list.
    #[serde(default)]
    report: Option<ReportRequest>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportRequest {
    title: String,
    #[serde(default)]
    description: String,
    /// TLP of the report's objects (default amber).
    #[serde(default)]
    tlp: Option<String>,
}

pub(super) async fn extract(State(state): State<Api>, Extension(_caller): Extension<Caller>, Json(body): Json<ExtractRequest>) -> Result<Response, ApiError> {
    let tlp = match body.report.as_ref().and_then(|r| r.tlp.as_deref()) {
        None => model::tlp::Tlp::Amber,
        Some(t) => model::tlp::Tlp::parse(t).ok_or_else(|| invalid(format!("`report.tlp`: {t:?} is not a TLP level (clear, green, amber, amber+strict, red)")))?,
    };
    if body.report.as_ref().is_some_and(|r| r.title.trim().is_empty()) {
        return Err(invalid("`report.title`: a report needs a title".into()));
    }
    let dir = state.keys.data_dir().to_owned();
    tokio::task::spawn_blocking(move || {
        let text = if body.html { extract::html_text(&body.text) } else { body.text };
        let mut candidates = extract::extract(&text);
        let lists = ::node::warninglists::of(&dir).map_err(ApiError::internal)?;
        if let Some(w) = &lists {
            w.mark(&mut candidates);
        }
        let mut answer = json!({ "candidates": candidates, "warninglists": lists.as_ref().map_or(0, |w| w.len()) });
        if let Some(r) = body.report {
            let chosen: Vec<extract::Candidate> = candidates.into_iter().filter(|c| c.warning.is_none()).collect();
            if chosen.is_empty() {
                return Err(invalid("`text`: no indicator in it that is not on a warning list: no report to make".into()));
            }
            let now = model::Timestamp::now().to_string();
            answer["objects"] = json!(extract::report(&r.title, &r.description, &chosen, &now, &[tlp.marking_id().to_owned()]));
        }
        Ok(Json(answer).into_response())
    })
    .await
    .map_err(|e| ApiError::internal(format!("extraction task failed: {e}")))?
}

fn invalid(message: String) -> ApiError {
    ApiError::client(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid request", message)
}
