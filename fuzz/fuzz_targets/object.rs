//! Fuzz target: `model::Object::parse` never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = model::Object::parse(data, &model::Limits::default());
});
