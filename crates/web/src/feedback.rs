//! Feedback on received intelligence from its page: `POST
//! /intel/{id}/false-positive` reports a false positive on an object
//! another partner authored — an opinion `disagree` of the caller's
//! partner, with the analyst's explanation, for the author alone, under
//! the agreement the object came by ([`node::detect::report_false_positive`]).
//! It needs the analyst role, as sightings do; CSRF is checked first.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use model::StixId;

use super::session::Signed;
use super::{layout, WebError};
use crate::kit::form::{csrf, field, Pairs};
use crate::Site;

/// The agreement `latest` came by that `me` is party to: the one it was
/// received under, else the first it is shared under; none for the
/// partner's own objects or one it may answer for under no agreement.
pub(crate) fn came_by(latest: &store::Record, index: &policy::AgreementIndex, me: &StixId) -> Option<StixId> {
    let party = |a: &StixId| index.agreement(a).is_some_and(|x| x.is_party(me));
    if let Some(via) = node::release::held_by(latest).filter(|v| party(&v.agreement)) {
        return Some(via.agreement);
    }
    latest.shared_under.split_whitespace().filter_map(|a| StixId::parse(a).ok()).find(party)
}

/// `POST /intel/{id}/false-positive`.
pub(super) async fn false_positive(State(state): State<Site>, signed: Signed, Path(id): Path<String>, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Err(r) = csrf(&signed, &pairs) {
        return Ok(r.into_response());
    }
    if !node::detect::may_sight(&signed.caller) {
        return Err(crate::Problem::client(StatusCode::FORBIDDEN, "forbidden", "reporting a false positive needs the analyst, liaison or admin role").into());
    }
    let id = StixId::parse(&id).map_err(|_| WebError::NotFound)?;
    let reader = state.reader(&signed.caller.partner, node::release::Through::AnyShare).await?;
    let versions = state.visible_versions(&reader, &id, "web").await?.into_inner();
    let Some(latest) = versions.last().cloned() else { return Err(WebError::NotFound) };
    let index = state.agreement_index().await?;
    let me = signed.caller.partner.clone();
    let refused = |message: String| {
        let body = layout("Not reported", Some(&signed), maud::html! { p.error role="alert" { (message) } p { a href={ "/intel/" (id) } { "Back to the object" } } });
        (StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(body.into_string())).into_response()
    };
    let Some(agreement) = came_by(&latest, &index, &me) else {
        return Ok(refused("It came by no agreement your partner is party to: there is no one to tell.".to_owned()));
    };
    let explanation = field(&pairs, "explanation");
    let store = state.store.clone();
    let made = crate::blocking(move || Ok(node::detect::report_false_positive(&*store, &me, &latest, agreement.as_str(), &explanation))).await?;
    match made {
        Ok(opinion) => Ok(Redirect::to(&format!("/intel/{opinion}")).into_response()),
        Err(message) => Ok(refused(message)),
    }
}

/// `POST /intel/{id}/note`: the analyst's note on an object, with tags
/// from the taxonomy or the node's MISP taxonomies (`tags`, repeated;
/// empty ones ignored), kept on this node for the
/// caller's partner alone ([`node::curation::add_note`]); 303 to the
/// object's page, 422 naming what to fix.
pub(super) async fn note(State(state): State<Site>, signed: Signed, Path(id): Path<String>, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Err(r) = csrf(&signed, &pairs) {
        return Ok(r.into_response());
    }
    if !node::detect::may_sight(&signed.caller) {
        return Err(crate::Problem::client(StatusCode::FORBIDDEN, "forbidden", "a note needs the analyst, liaison or admin role").into());
    }
    let id = StixId::parse(&id).map_err(|_| WebError::NotFound)?;
    let reader = state.reader(&signed.caller.partner, node::release::Through::AnyShare).await?;
    let versions = state.visible_versions(&reader, &id, "web").await?.into_inner();
    let Some(latest) = versions.last().cloned() else { return Err(WebError::NotFound) };
    let content = field(&pairs, "content");
    let tags: Vec<String> = pairs.iter().filter(|(k, _)| k == "tags").map(|(_, v)| v.clone()).collect();
    let (store, me) = (state.store.clone(), signed.caller.partner.clone());
    let dir = state.keys.data_dir().to_owned();
    let made = crate::blocking(move || {
        let more = node::taxonomies::of(&dir).map_err(store::Error::Internal)?;
        Ok(node::curation::add_note_tagged(&*store, &me, &latest, &content, &tags, more.as_deref(), &model::Timestamp::now()))
    })
    .await?;
    match made {
        Ok(_) => Ok(Redirect::to(&format!("/intel/{id}#notes")).into_response()),
        Err(message) => {
            let body = layout("Not noted", Some(&signed), maud::html! { p.error role="alert" { (message) } p { a href={ "/intel/" (id) } { "Back to the object" } } });
            Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(body.into_string())).into_response())
        }
    }
}
