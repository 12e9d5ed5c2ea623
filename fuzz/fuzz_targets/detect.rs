//! Fuzz target: detection never panics and never disagrees with the
//! matcher. The first line of input is a pattern, the rest a JSON list of
//! objects (observed-data and SCOs); for each observation, the detector
//! (pre-selection by observables, then the matcher) must find the pattern
//! exactly when the matcher alone says it matches.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pattern::detect::{observations, Detector, Observation};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (pattern_text, objects) = text.split_once('\n').unwrap_or((text, "[]"));
    let Ok(p) = pattern::parse(pattern_text) else { return };
    let Ok(serde_json::Value::Array(objects)) = serde_json::from_str(objects) else { return };
    let mut d = Detector::new();
    d.insert(p.clone(), ());
    for (od, refs) in observations(&objects) {
        let mut hits = Vec::new();
        d.detect(Observation { observed_data: od, objects: &refs }, true, |_| true, &mut hits);
        let alone = pattern::match_observation(&p, od, &refs) == Ok(true);
        assert_eq!(!hits.is_empty(), alone, "detector and matcher disagree on {pattern_text}");
    }
});
