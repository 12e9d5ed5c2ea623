//! `GET /agreements/{id}/modules/{module}/files/{file}?of=…`: a file a
//! module offers (`partnership::files`: an exercise's after-action report,
//! a crisis's review as HTML or PDF, the resources ledger as CSV), drawn
//! from the module's state through [`node::modules::file`] (the caller's
//! release gate, logged on channel `web`). Parties appear by the node's
//! names for them. HTML is shown inline under the report's policy (no
//! script, its one style by hash); PDF and CSV download.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use node::modules;

use crate::session::Signed;
use crate::site::agreement_id;
use crate::{Problem, Site, WebError};

/// The file `file` of `module` under agreement `id`, about record `?of=`.
pub(crate) async fn file(State(state): State<Site>, signed: Signed, Path((id, module, file)): Path<(String, String, String)>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let id = agreement_id(&id)?;
    let module = modules::find(&state.modules, &module).map_err(Problem::from)?;
    let names = super::super::partner_names(&state).await?;
    let (node, me) = (state.modules_node(), signed.caller.partner.clone());
    let of = q.get("of").filter(|o| !o.is_empty()).cloned();
    let out = tokio::task::spawn_blocking(move || {
        let who = |p: &str| names.get(p).cloned().unwrap_or_else(|| p.to_owned());
        modules::file(&node, &me, &id, &*module, &file, of.as_deref(), &who, "web")
    })
    .await
    .map_err(|e| Problem::internal(e.to_string()))?
    .map_err(Problem::from)?;
    let inline = out.media_type.starts_with("text/html");
    let disposition = format!("{}; filename=\"{}\"", if inline { "inline" } else { "attachment" }, out.name);
    let mut r = ([(header::CONTENT_TYPE, out.media_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], out.bytes).into_response();
    if let Ok(csp) = HeaderValue::from_str(&crate::scorecard::report_csp()) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(r)
}
