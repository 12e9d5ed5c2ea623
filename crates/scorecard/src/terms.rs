//! The scorecard's agreement terms, read and checked by the module
//! ([`crate::Snapshots`]'s `terms` and `check_terms`): the release service
//! level ([`SERVICE_LEVEL_TERM`], hours) and the indicators' weights
//! ([`WEIGHTS_TERM`], indicator names to non-negative numbers).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Indicator;

/// The agreement term giving the release service level, in hours.
pub const SERVICE_LEVEL_TERM: &str = "release_within_hours";

/// The agreement term giving the indicators' weights.
pub const WEIGHTS_TERM: &str = "scorecard_weights";

/// The agreement's scorecard terms: the service level in microseconds (if
/// set) and the weights given. A malformed one is refused with the
/// property at fault (`scorecard_weights.speed`) and why.
pub fn read(agreement: &policy::Agreement) -> Result<(Option<i64>, BTreeMap<Indicator, f64>), (String, String)> {
    let v: Value = serde_json::from_slice(&agreement.canonical).unwrap_or(Value::Null);
    let service_level = match v.get(SERVICE_LEVEL_TERM) {
        None | Some(Value::Null) => None,
        Some(h) => match h.as_f64() {
            Some(h) if h > 0.0 && h <= 8760.0 => Some((h * 3_600_000_000.0) as i64),
            _ => return Err((SERVICE_LEVEL_TERM.into(), "must be a number of hours above 0 and at most 8760".into())),
        },
    };
    let mut weights = BTreeMap::new();
    match v.get(WEIGHTS_TERM) {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (name, w) in m {
                let at = format!("{WEIGHTS_TERM}.{name}");
                let Some(i) = Indicator::parse(name) else {
                    return Err((at, "is not an indicator (reciprocity, timeliness, actionability, accuracy, novelty, feedback, compliance, burden, objectives, crisis, exercises, dialogue)".into()));
                };
                let Some(w) = w.as_f64().filter(|w| w.is_finite() && *w >= 0.0) else { return Err((at, "must be a number, 0 or more".into())) };
                weights.insert(i, w);
            }
        }
        Some(_) => return Err((WEIGHTS_TERM.into(), "must be an object of indicator names to weights".into())),
    }
    Ok((service_level, weights))
}
