//! Add statuses that outlast a process: a pending status lists every object
//! of its request (`pendings`: id and version), so that a status a stopped
//! process left pending is resolved from the store alone at the next start
//! ([`resolve_pending`]; docs/reliability.md, "TAXII add statuses").

use serde_json::value::RawValue;
use store::Versions;
use taxii::{Status, StatusDetail};

/// The message of an object found stored when a status is resolved at start.
const STORED: &str = "stored (confirmed at restart)";

/// The message of an object not found stored when a status is resolved at start.
const NOT_STORED: &str = "not stored: the node stopped before this object was written, or refused it; add it again";

/// The objects of a request as its pending status lists them: each one's
/// id and version as the request gives them (`objects[i]` for an object
/// without a usable id, no version for an object without one).
pub(super) fn pendings(raws: &[Box<RawValue>]) -> Vec<StatusDetail> {
    #[derive(serde::Deserialize)]
    struct Head {
        id: Option<String>,
        modified: Option<String>,
        created: Option<String>,
    }
    raws.iter()
        .enumerate()
        .map(|(i, raw)| {
            let head = serde_json::from_str::<Head>(raw.get()).ok();
            let id = head
                .as_ref()
                .and_then(|h| h.id.clone())
                .filter(|id| model::StixId::parse(id).is_ok())
                .unwrap_or_else(|| format!("objects[{i}]"));
            let version = head.and_then(|h| h.modified.or(h.created)).unwrap_or_default();
            StatusDetail { id, version, message: None }
        })
        .collect()
}

/// Resolves the statuses a stopped process left pending; run at start,
/// before serving. Each object a status lists is a success if that version
/// is stored as its owner's, else a failure naming it ([`NOT_STORED`]). A
/// status is replaced only while it still reads as it was read, so an add
/// that finishes meanwhile (another server on the same database) keeps its
/// own outcome. Returns how many statuses were resolved.
pub fn resolve_pending(store: &dyn store::Store, registry: &dyn store::Registry) -> store::Result<usize> {
    let mut resolved = 0;
    for (id, owner, json) in registry.pending_statuses()? {
        let Ok(mut status) = serde_json::from_slice::<Status>(&json) else {
            tracing::warn!(status = %id, "a pending status that does not parse is left as it is");
            continue;
        };
        if status.status != "pending" {
            continue;
        }
        if status.pendings.len() as u64 != status.total_count {
            // Written before statuses listed their objects: nothing to check them by.
            tracing::warn!(status = %id, "a pending status without its objects is left as it is");
            continue;
        }
        for detail in std::mem::take(&mut status.pendings) {
            if stored_as(store, &detail, &owner)? {
                status.successes.push(StatusDetail { message: Some(STORED.into()), ..detail });
            } else {
                status.failures.push(StatusDetail { message: Some(NOT_STORED.into()), ..detail });
            }
        }
        status.success_count = status.successes.len() as u64;
        status.failure_count = status.failures.len() as u64;
        status.pending_count = 0;
        status.status = "complete".into();
        let bytes = serde_json::to_vec(&status).map_err(|e| store::Error::Internal(e.to_string()))?;
        if registry.replace_status(&id, &json, &bytes)? {
            tracing::info!(status = %id, successes = status.success_count, failures = status.failure_count, "pending status resolved at start");
            resolved += 1;
        }
    }
    Ok(resolved)
}

/// Whether the version `detail` names is stored, authored (or posted) by `owner`.
fn stored_as(store: &dyn store::Store, detail: &StatusDetail, owner: &str) -> store::Result<bool> {
    let Ok(id) = model::StixId::parse(&detail.id) else { return Ok(false) };
    let versions = if detail.version.is_empty() {
        Versions::ALL
    } else {
        match model::Timestamp::parse(&detail.version) {
            Ok(t) => Versions { all: false, first: false, last: false, at: vec![t] },
            Err(_) => return Ok(false),
        }
    };
    let query = store::Query { ids: vec![id.to_string()], versions, ..store::Query::default() };
    let found = store.query(&query)?.records;
    Ok(found.iter().any(|r| crate::detect::author_of(r) == Some(owner)))
}
