//! Fuzz target: the pattern parser and the strict validator never panic,
//! and whatever parses prints back to text that parses to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = pattern::validate(text);
    if let Ok(p) = pattern::parse(text) {
        let printed = p.to_string();
        let again = pattern::parse(&printed).expect("a printed pattern parses");
        assert_eq!(again.to_string(), printed);
    }
});
