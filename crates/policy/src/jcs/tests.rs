//! Tests of RFC 8785 canonicalisation against the RFC's own examples.

use serde_json::Value;

use super::{canonicalize_bytes, format_double};

fn check(input: &str, expect: &str) {
    let got = canonicalize_bytes(input.as_bytes()).expect("canonicalises");
    assert_eq!(
        String::from_utf8(got).expect("utf-8"),
        expect,
        "input: {input}"
    );
}

#[test]
fn rfc8785_section_3_2_2_example() {
    let input = r#"{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"#;
    check(
        input,
        r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#,
    );
}

#[test]
fn rfc8785_section_3_2_3_sorting_by_utf16_code_units() {
    let input = r#"{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let out = canonicalize_bytes(input.as_bytes()).expect("canonicalises");
    let value: Value = serde_json::from_slice(&out).expect("output is JSON");
    let _ = value;
    let text = String::from_utf8(out).expect("utf-8");
    let order: Vec<&str> = [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]
    .to_vec();
    let positions: Vec<usize> = order
        .iter()
        .map(|v| text.find(v).expect("present"))
        .collect();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    assert_eq!(positions, sorted, "{text}");
    assert!(text.starts_with("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\""));
}

/// RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript text.
#[test]
fn rfc8785_appendix_b_numbers() {
    let cases: [(u64, &str); 24] = [
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
    ];
    for (bits, expect) in cases {
        assert_eq!(
            format_double(f64::from_bits(bits)).expect("finite"),
            expect,
            "{bits:#x}"
        );
    }
    assert!(format_double(f64::NAN).is_err());
    assert!(format_double(f64::INFINITY).is_err());
}

#[test]
fn integers_are_doubles() {
    check(
        "[1, -1, 0, 100, 1.0, 12345678901234567890]",
        "[1,-1,0,100,1,12345678901234567000]",
    );
}

#[test]
fn control_characters_and_unicode() {
    check(
        r#""\u0001\b\t\f\u001f\u007f é /""#,
        "\"\\u0001\\b\\t\\f\\u001f\u{7f} é /\"",
    );
}

#[test]
fn nested_objects_sort_at_every_level() {
    check(
        r#"{"b":{"z":1,"a":[{"y":2,"x":1}]},"a":null}"#,
        r#"{"a":null,"b":{"a":[{"x":1,"y":2}],"z":1}}"#,
    );
}

fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        "\\PC*".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    /// Canonical output is JSON meaning the same numbers-as-doubles value, and
    /// canonicalising it again changes nothing.
    #[test]
    fn canonical_form_is_stable(v in json_value()) {
        let once = super::canonicalize(&v).expect("canonicalises");
        let again = canonicalize_bytes(&once).expect("canonical output is JSON");
        proptest::prop_assert_eq!(once, again);
    }
}
