//! Retention: what a node holds from other nodes under an agreement that
//! has ended.
//!
//! From the moment an agreement ends for good (its author revoked it, a
//! party's withdrawal took effect, or `valid_until` passed), the release
//! decision stops passing on what was received under it
//! (`policy::Reason::OriginNotInForce`); the holder keeps seeing it. A sweep
//! ([`sweep`]) makes both visible in the release log and applies the
//! agreement's retention rule:
//!
//! - once per agreement, a `withhold` entry naming, for each holder, the
//!   versions it holds under that agreement;
//! - when `retention_days` after the end have passed, those versions are
//!   deleted, with a `delete` entry. Without `retention_days` they are kept.
//!
//! `serve` sweeps every hour (`server::retention::run`); `entente
//! retention` sweeps now.
//!
//! Received versions are found by reading every version's release facts
//! (`policy::Via`): a sweep is a scan of the store, which is why it runs
//! hourly rather than on every read.

use std::collections::BTreeMap;

use audit::{Decision as Logged, Draft, Item};
use model::{StixId, Timestamp};
use store::{Query, Registry, Store, Versions};

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sweep {
    /// Versions newly recorded as withheld.
    pub withheld: u64,
    /// Versions deleted.
    pub deleted: u64,
}

/// The registry setting that says a withholding was logged.
fn withheld_key(agreement: &StixId) -> String {
    format!("retention:withheld:{agreement}")
}

/// Sweeps once at `now`: logs what stops going on, deletes what is past
/// its retention.
pub fn sweep(store: &dyn Store, registry: &dyn Registry, log: &audit::SharedLog, now: &Timestamp) -> Result<Sweep, String> {
    let book = crate::agreements::Book::load(store).map_err(|e| e.to_string())?;
    let index = book.index();
    // The agreements that have ended, with when.
    let ended: BTreeMap<StixId, Timestamp> = index
        .ids()
        .into_iter()
        .filter_map(|a| index.ended(&a).filter(|t| t.micros() <= now.micros()).map(|t| (a, t)))
        .collect();
    if ended.is_empty() {
        return Ok(Sweep::default());
    }
    // Received versions under those agreements, per (agreement, holder).
    type Held = BTreeMap<(StixId, StixId), Vec<(StixId, Timestamp)>>;
    let mut held: Held = BTreeMap::new();
    store
        .scan(&Query { versions: Versions::ALL, ..Query::default() }, &mut |r| {
            let Ok(id) = StixId::parse(&r.id) else { return Ok(()) };
            let Some(facts) = policy::ObjectFacts::decode(id.clone(), Timestamp::parse(&r.version).ok(), &r.facts) else {
                return Ok(());
            };
            if let Some(via) = facts.via.filter(|v| ended.contains_key(&v.agreement)) {
                let version = Timestamp::parse(&r.version).map_err(|e| e.to_string())?;
                held.entry((via.agreement, via.holder)).or_default().push((id, version));
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    let mut sweep = Sweep::default();
    for ((agreement, holder), versions) in held {
        let end = &ended[&agreement];
        let state = index.state(&agreement, now);
        let items = || versions.iter().map(|(o, v)| Item { object: o.clone(), version: v.clone(), agreement: Some(agreement.clone()) }).collect::<Vec<_>>();
        let key = withheld_key(&agreement);
        if registry.setting(&key).map_err(|e| e.to_string())?.is_none() {
            let reason = format!("agreement {agreement} is {state} since {end}: what came under it goes nowhere else");
            log.append(Draft::retention(holder.clone(), Logged::Withhold, &reason, items())).map_err(|e| e.to_string())?;
            store
                .put(&[], &store::PutOptions { checkpoint: Some((key, now.to_string())), narrows: true, ..store::PutOptions::default() })
                .map_err(|e| e.to_string())?;
            sweep.withheld += versions.len() as u64;
        }
        let Some(days) = index.agreement(&agreement).and_then(|a| a.terms.handling.retention_days) else { continue };
        let until = end.micros().saturating_add(i64::from(days) * 86_400_000_000);
        if now.micros() < until {
            continue;
        }
        let reason = format!("agreement {agreement} ended {end}; its retention of {days} days is over");
        log.append(Draft::retention(holder, Logged::Delete, &reason, items())).map_err(|e| e.to_string())?;
        log.sync().map_err(|e| e.to_string())?;
        // Readers' cached scopes of the modules hold nothing deleted from now on.
        crate::modules::scopes::removed();
        for (object, version) in &versions {
            sweep.deleted += store.delete(object, &Versions::at(version.clone()), None).map_err(|e| e.to_string())?;
        }
        crate::modules::scopes::removed();
    }
    Ok(sweep)
}
