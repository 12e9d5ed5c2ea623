//! Fuzz target: the streaming readers never panic and every object they
//! deliver goes through the object parser without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = model::Limits { max_object_bytes: 4096 };
    let _ = model::reader::read_objects(data, &limits, &mut |(_, item)| {
        if let Ok(bytes) = item {
            let _ = model::Object::parse(bytes, &model::Limits::default());
        }
        Ok(())
    });
});
