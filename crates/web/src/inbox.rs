//! `GET /inbox`: what needs the caller's partner across its agreements and
//! the partnership modules (`node::modules::inbox`, read through the
//! caller's release gate and logged, as the REST `GET /api/v1/inbox`):
//! minutes to approve, action items, objectives to endorse, statements,
//! crisis tasks, deliveries to confirm… overdue first, then by due date,
//! each linked to its module's page under its agreement; then the
//! dialogue channels with messages the signed-in user has not read
//! (`node::marks`, the user's own read marks on this node).

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use serde_json::Value;

use super::session::Signed;
use super::{layout, WebError};
use crate::{Problem, Site};

pub(super) async fn show(State(state): State<Site>, signed: Signed) -> Result<Response, WebError> {
    // What needs the partner, and the threads this user has not read.
    let (node, modules, me, registry, user) = (state.modules_node(), state.modules.clone(), signed.caller.partner.clone(), state.registry.clone(), signed.caller.token_id.clone());
    let node::modules::Inbox { needs: entries, unread } = tokio::task::spawn_blocking(move || node::modules::inbox(&node, &modules, &me, Some((&*registry, &user)), "web"))
        .await
        .map_err(|e| Problem::internal(e.to_string()))?
        .map_err(Problem::from)?;
    let text = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let overdue = entries.iter().filter(|e| e["overdue"] == true).count();
    let body = html! {
        h2 { "Inbox" }
        @if entries.is_empty() {
            p { "Nothing needs your partner now." }
        } @else {
            p { (entries.len()) " to do" @if overdue > 0 { ", " strong { (overdue) " overdue" } } "." }
            div {
                table {
                    thead { tr { th scope="col" { "What" } th scope="col" { "About" } th scope="col" { "Due" } th scope="col" { "Agreement" } th scope="col" { "Module" } } }
                    tbody {
                        @for e in &entries {
                            @let link = format!("/agreements/{}/modules/{}", text(e, "agreement"), text(e, "module"));
                            tr {
                                td { (text(e, "what")) }
                                td { a href=(link) { (text(e, "title")) } }
                                td {
                                    (text(e, "due"))
                                    @if e["overdue"] == true { " " span.deny { "overdue" } }
                                }
                                td { (text(e, "agreement_title")) }
                                td { (text(e, "module")) }
                            }
                        }
                    }
                }
            }
        }
        h3 { "Unread messages" }
        @if unread.is_empty() {
            p { "No unread messages." }
        } @else {
            div {
                table.unread {
                    thead { tr { th scope="col" { "Channel" } th scope="col" { "Unread" } th scope="col" { "Agreement" } } }
                    tbody {
                        @for e in &unread {
                            tr {
                                td { a href={ "/agreements/" (text(e, "agreement")) "/modules/dialogue#channels" } { (text(e, "title")) } }
                                td { (e["unread"].as_u64().unwrap_or(0)) }
                                td { (text(e, "agreement_title")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Html(layout("Inbox", Some(&signed), body).into_string()).into_response())
}
