//! Fuzz target: any bytes read as a MISP event, converted to STIX and back,
//! never panic, and every object the conversion gives is valid STIX.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((event, _refused)) = misp::Event::from_json(data, "fuzz") else { return };
    let author = model::StixId::parse("identity--0d9a3c1e-1111-4a4a-8b8b-123456789abc").unwrap();
    let conversion = misp::event_to_stix(&event, &author);
    let mut objects = Vec::new();
    for o in &conversion.objects {
        assert!(model::Object::parse(o.json(), &model::Limits::default()).is_ok(), "invalid STIX from MISP");
        objects.push(o.to_value());
    }
    let _ = misp::stix_to_events(&objects, &misp::Org::default(), "fuzz", "2026-01-01");
});
