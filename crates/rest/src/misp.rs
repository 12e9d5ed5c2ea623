//! `GET /api/v1/misp/feed/{file}`: the caller's partner's MISP feed
//! (`manifest.json`, `hashes.csv`, `<uuid>.json`), what the release
//! decision gives it now, for a MISP instance that subscribes to this node
//! with the partner's token as a Bearer header ([`node::misp_feed`] makes
//! and logs it).

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use node::misp_feed::{self, File};

use node::auth::Caller;
use node::release::Through;
use crate::{Api, ApiError};

pub(super) async fn feed(State(state): State<Api>, Extension(caller): Extension<Caller>, Path(name): Path<String>) -> Result<Response, ApiError> {
    let file = File::parse(&name).ok_or_else(|| ApiError::not_found("a MISP feed holds manifest.json, hashes.csv and <event uuid>.json"))?;
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    let st = state.clone();
    let answer = crate::service(move || {
        let org = misp_feed::org(&st.node.name, &st.node.partner);
        let now = model::Timestamp::now();
        let today = &now.as_str()[..10];
        misp_feed::answer(&*st.store, st.out(&reader, misp_feed::CHANNEL), &org, today, &file)
    })
    .await?;
    Ok(([(CONTENT_TYPE, answer.content_type)], answer.body).into_response())
}
