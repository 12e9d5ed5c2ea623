//! JSON Lines runner: one case per input line, one answer per output line.
//!
//! * `{"kind":"validator","pattern":P,"stix_version":"2.1"}` → `{"valid":true|false}`
//! * `{"kind":"matcher","pattern":P,"observed":[...],"stix_version":"2.1"}` →
//!   `{"match":true|false}` or `{"error":"..."}`
//! * a malformed line → `{"error":"..."}`; processing continues.

use std::io::{BufRead, Write};

use serde_json::{json, Value};

use crate::matcher::{match_pattern, StixVersion};

fn version(case: &Value) -> Result<StixVersion, String> {
    match case.get("stix_version") {
        None => Ok(StixVersion::V21),
        Some(Value::String(s)) if s == "2.1" => Ok(StixVersion::V21),
        Some(Value::String(s)) if s == "2.0" => Ok(StixVersion::V20),
        Some(v) => Err(format!("unsupported stix_version {v}")),
    }
}

/// Answers one case (already parsed as JSON).
pub fn answer(case: &Value) -> Value {
    let run = || -> Result<Value, String> {
        let kind = case
            .get("kind")
            .and_then(Value::as_str)
            .ok_or("missing \"kind\"")?;
        let pattern = case
            .get("pattern")
            .and_then(Value::as_str)
            .ok_or("missing string \"pattern\"")?;
        let ver = version(case)?;
        match kind {
            "validator" => {
                let valid = match ver {
                    StixVersion::V21 => crate::validate(pattern).is_ok(),
                    StixVersion::V20 => crate::validate::validate_v20(pattern).is_ok(),
                };
                Ok(json!({ "valid": valid }))
            }
            "matcher" => {
                let observed = case
                    .get("observed")
                    .and_then(Value::as_array)
                    .ok_or("missing list \"observed\"")?;
                let p = match ver {
                    StixVersion::V21 => crate::parse(pattern),
                    StixVersion::V20 => crate::parser::parse_v20(pattern),
                }
                .map_err(|e| e.to_string())?;
                let m = match_pattern(&p, observed, ver).map_err(|e| e.to_string())?;
                Ok(json!({ "match": m }))
            }
            other => Err(format!("unknown kind {other:?}")),
        }
    };
    run().unwrap_or_else(|e| json!({ "error": e }))
}

/// Reads cases from `input` and writes one answer line per input line to `output`.
/// Lines that are not UTF-8 or not JSON get an `{"error": ...}` answer.
pub fn run_jsonl(mut input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let ans = match std::str::from_utf8(line) {
            Err(e) => json!({ "error": format!("line is not UTF-8: {e}") }),
            Ok(text) => match serde_json::from_str::<Value>(text) {
                Ok(case) => answer(&case),
                Err(e) => json!({ "error": format!("malformed JSON line: {e}") }),
            },
        };
        writeln!(output, "{ans}")?;
        output.flush()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &str) {
        let mut out = Vec::new();
        run_jsonl(input.as_bytes(), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expect);
    }

    #[test]
    fn validator_lines() {
        check(
            "{\"kind\":\"validator\",\"pattern\":\"[a:b = 1]\",\"stix_version\":\"2.1\"}\n{\"kind\":\"validator\",\"pattern\":\"a:b = 1\"}\n",
            "{\"valid\":true}\n{\"valid\":false}\n",
        );
    }

    #[test]
    fn malformed_lines_continue() {
        let mut out = Vec::new();
        let mut input = b"not json\n\xff\xfe\n\n{\"kind\":\"nope\",\"pattern\":\"x\"}\r\n".to_vec();
        input.extend_from_slice(b"{\"kind\":\"validator\",\"pattern\":\"[a:b=1]\"}");
        run_jsonl(input.as_slice(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        for l in &lines[..4] {
            assert!(l.starts_with("{\"error\":"), "{l}");
        }
        assert_eq!(lines[4], "{\"valid\":true}");
    }

    #[test]
    fn matcher_lines() {
        let bundle = json!({"type":"bundle","objects":[
            {"type":"observed-data","id":"observed-data--1","number_observed":1,
             "first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z",
             "object_refs":["ipv4-addr--1"]},
            {"type":"ipv4-addr","id":"ipv4-addr--1","value":"10.0.0.1"}]});
        let case = |p: &str| {
            json!({"kind":"matcher","pattern":p,"observed":[bundle.clone()],"stix_version":"2.1"})
                .to_string()
        };
        let input = format!(
            "{}\n{}\n{}\n",
            case("[ipv4-addr:value = '10.0.0.1']"),
            case("[ipv4-addr:value = '10.0.0.2']"),
            case("[ipv4-addr:value = ")
        );
        let mut out = Vec::new();
        run_jsonl(input.as_bytes(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "{\"match\":true}");
        assert_eq!(lines[1], "{\"match\":false}");
        assert!(lines[2].starts_with("{\"error\":"));
    }
}
