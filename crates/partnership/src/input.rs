//! Helpers for a module's actions reading their input, the same in every
//! module: which properties an action takes, and a record's own properties
//! when an action writes a new version of it.

use serde_json::{Map, Value};

use crate::{Error, Record, AGREEMENT_REF};

/// The input's properties `allowed` (and `keys`, which name records and
/// are not copied), refusing any other by name.
pub fn take(input: &Map<String, Value>, allowed: &[&str], keys: &[&str]) -> Result<Map<String, Value>, Error> {
    if let Some(k) = input.keys().find(|k| !allowed.contains(&k.as_str()) && !keys.contains(&k.as_str())) {
        let mut expected: Vec<&str> = keys.to_vec();
        expected.extend(allowed);
        return Err(Error::input(k.as_str(), format!("is not an input of this action ({})", expected.join(", "))));
    }
    Ok(input.iter().filter(|(k, _)| allowed.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// A record's own properties (the module's; the kit sets the rest), to
/// start a new version of it from.
pub fn own(record: &Record) -> Map<String, Value> {
    const COMMON: [&str; 9] = ["type", "spec_version", "id", "created", "modified", "created_by_ref", AGREEMENT_REF, "revoked", "extensions"];
    record.properties.iter().filter(|(k, _)| !COMMON.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn take_copies_what_is_allowed_and_names_what_is_not() {
        let input = json!({"text": "hi", "channel": "x", "tlp": "green"});
        let Value::Object(input) = input else { unreachable!() };
        let taken = take(&input, &["text", "tlp"], &["channel"]).unwrap();
        assert_eq!(taken.keys().collect::<Vec<_>>(), ["text", "tlp"], "keys are not copied");
        let e = take(&input, &["text"], &["channel"]).unwrap_err().to_string();
        assert!(e.contains("tlp") && e.contains("channel, text"), "{e}");
    }
}
