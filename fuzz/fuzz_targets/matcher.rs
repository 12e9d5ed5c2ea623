//! Fuzz target: matching any parsable pattern against any observed data
//! never panics (the first line of input is the pattern, the rest a JSON
//! list of bundles).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (pattern_text, observed) = text.split_once('\n').unwrap_or((text, "[]"));
    let Ok(p) = pattern::parse(pattern_text) else { return };
    let Ok(serde_json::Value::Array(bundles)) = serde_json::from_str(observed) else { return };
    let _ = pattern::match_pattern(&p, &bundles, pattern::StixVersion::V21);
});
