//! Unit tests for the matcher: operator semantics, references, temporal
//! qualifiers, observation operators, data errors and resource bounds.

use serde_json::{json, Value};

use super::*;
use crate::ErrorKind;

/// One observed-data (seconds after 2020-01-01T00:00:00Z) with its SCOs.
fn od(id: usize, first: u32, last: u32, count: u64, scos: Vec<Value>) -> Vec<Value> {
    let ts = |s: u32| {
        format!(
            "2020-01-01T{:02}:{:02}:{:02}Z",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    };
    let refs: Vec<Value> = scos.iter().map(|s| s["id"].clone()).collect();
    let mut v = vec![json!({
        "type": "observed-data", "id": format!("observed-data--{id}"), "number_observed": count,
        "first_observed": ts(first), "last_observed": ts(last), "object_refs": refs
    })];
    v.extend(scos);
    v
}

fn bundle(objs: Vec<Vec<Value>>) -> Vec<Value> {
    vec![json!({"type": "bundle", "id": "bundle--1", "objects": objs.concat()})]
}

fn person(id: &str, name: &str, age: i64) -> Value {
    json!({"type": "person", "id": format!("person--{id}"), "name": name, "age": age})
}

/// `expect`: `Ok(bool)` for a match result, `Err(())` for an error.
fn check(pattern: &str, data: &[Value], expect: std::result::Result<bool, ()>) {
    let got = match_str(pattern, data, StixVersion::V21);
    match (&got, expect) {
        (Ok(m), Ok(e)) => assert_eq!(*m, e, "{pattern}"),
        (Err(_), Err(())) => {}
        _ => panic!("{pattern}: got {got:?}, want {expect:?}"),
    }
}

fn values() -> Vec<Value> {
    bundle(vec![od(
        1,
        0,
        0,
        1,
        vec![json!({
            "type": "t", "id": "t--1", "int": 7, "float": 2.5, "whole": 3.0, "bool": false, "str": "Grüße",
            "ip": "192.168.1.20", "net": "192.168.0.0/16", "list": [1, 2, 3], "nul": null,
            "data_hex": "0a0b", "data_bin": "AAE=", "when": "2019-05-05T05:05:05.5Z",
            "nested": {"k-ey": [{"v": "x"}, {"v": "y"}]}, "ml": "line\n"
        })],
    )])
}

#[test]
fn equality_is_type_strict() {
    let d = values();
    check("[t:int = 7]", &d, Ok(true));
    check("[t:int = 7.0]", &d, Ok(true));
    check("[t:whole = 3]", &d, Ok(true));
    check("[t:int = '7']", &d, Ok(false));
    check("[t:int != '7']", &d, Ok(true));
    check("[t:bool = false]", &d, Ok(true));
    check("[t:bool = 0]", &d, Ok(false));
    check("[t:nul != 'x']", &d, Ok(true));
    check("[t:nul = 'x']", &d, Ok(false));
    check("[t:missing != 'x']", &d, Ok(false));
    check("[t:int NOT = 7]", &d, Ok(false));
    check("[t:str = 'Grüße']", &d, Ok(true));
}

#[test]
fn ordering() {
    let d = values();
    check("[t:int > 6.5]", &d, Ok(true));
    check("[t:float <= 2.5]", &d, Ok(true));
    check("[t:str > 'A']", &d, Ok(true));
    check("[t:bool < 1]", &d, Ok(false));
    check("[t:bool NOT < 1]", &d, Ok(false));
    check("[t:when > t'2019-05-05T05:05:05Z']", &d, Ok(true));
    check("[t:when < t'2019-05-05T05:05:05.6Z']", &d, Ok(true));
    check("[t:str < t'2019-05-05T05:05:05Z']", &d, Err(()));
}

#[test]
fn sets() {
    let d = values();
    check("[t:int IN (1, 7.0)]", &d, Ok(true));
    check("[t:int NOT IN ('a')]", &d, Ok(true));
    check("[t:bool IN (0, 1)]", &d, Ok(true));
    check("[t:int IN ()]", &d, Ok(false));
    check("[t:list NOT IN (1)]", &d, Ok(true));
    check("[t:when IN (t'2019-05-05T05:05:05.5Z')]", &d, Ok(true));
    check("[t:int IN (1, 'a')]", &d, Err(()));
    check("[t:int IN (1, true)]", &d, Err(()));
}

#[test]
fn like_and_matches() {
    let d = values();
    check("[t:str LIKE 'Gr__e']", &d, Ok(true));
    check("[t:str LIKE 'gr%']", &d, Ok(false));
    check("[t:str MATCHES '^Gr.+e$']", &d, Ok(true));
    check("[t:ml MATCHES '^line$']", &d, Ok(true));
    check("[t:ml LIKE 'line']", &d, Ok(true));
    check("[t:int MATCHES '7']", &d, Ok(false));
    check("[t:int NOT LIKE '7']", &d, Ok(true));
    check("[t:data_hex MATCHES '^\\\\x0a\\\\x0b$']", &d, Ok(true));
    check("[t:data_bin = h'0001']", &d, Ok(true));
    check("[t:data_hex = '\n\u{b}']", &d, Ok(true));
    check("[t:str MATCHES '(?<=G)r']", &d, Err(()));
    check("[t:str MATCHES '(']", &d, Err(()));
}

#[test]
fn cached_regexes_answer_like_fresh_ones() {
    let d = values();
    // Each literal twice: compiled, then from the thread's cache.
    for _ in 0..2 {
        check("[t:str LIKE 'Gr__e']", &d, Ok(true));
        check("[t:str NOT LIKE 'Gr__e']", &d, Ok(false));
        check("[t:str MATCHES '^Gr.+e$']", &d, Ok(true));
        check("[t:data_hex MATCHES '^\\\\x0a\\\\x0b$']", &d, Ok(true));
        // Failures are not kept: the same error every time.
        check("[t:str MATCHES '(']", &d, Err(()));
    }
    // A regex beyond the cache's size limit still compiles, each time.
    let big = "[t:str MATCHES '^\\\\w{30}$' OR t:str LIKE 'G%']";
    for _ in 0..2 {
        check(big, &d, Ok(true));
    }
    // More literals than the cache holds: it empties and goes on.
    for i in 0..super::compare::REGEX_CACHE_ENTRIES + 10 {
        check(&format!("[t:str LIKE '%{i}']"), &d, Ok(false));
    }
    check("[t:str LIKE 'Gr__e']", &d, Ok(true));
}

#[test]
fn plain_paths_answer_like_general_ones() {
    let d = bundle(vec![od(
        1,
        0,
        0,
        1,
        vec![
            json!({"type": "t", "id": "t--1", "a": {"b": [{"c": 1}, 5], "x_ref": "t--1"}, "n": null}),
        ],
    )]);
    check("[t:a.b[0].c = 1]", &d, Ok(true));
    check("[t:a.b[1] = 5]", &d, Ok(true));
    check("[t:a.b[1].c = 5]", &d, Ok(false));
    check("[t:a.b[2].c = 1]", &d, Ok(false));
    check("[t:a.b[-1] = 5]", &d, Ok(false));
    check("[t:a.nope.c = 1]", &d, Ok(false));
    check("[t:n.c = 1]", &d, Ok(false));
    check("[EXISTS t:n]", &d, Ok(true));
    // Past a plain prefix, references and decoding take the general path.
    check("[t:a.x_ref.a.b[1] = 5]", &d, Ok(true));
    check("[t:a.b[*].c = 1]", &d, Ok(true));
}

#[test]
fn repeated_ids_and_many_references() {
    // Of two objects with one id the later wins; a repeated reference counts once.
    let mut d = bundle(vec![od(
        1,
        0,
        0,
        1,
        vec![json!({"type": "t", "id": "t--1", "v": 1})],
    )]);
    d[0]["objects"][0]["object_refs"] = json!(["t--1", "t--1", "t--9"]);
    d[0]["objects"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "t", "id": "t--1", "v": 2}));
    check("[t:v = 2]", &d, Ok(true));
    check("[t:v = 1]", &d, Ok(false));
    check("[t:v = 2] REPEATS 2 TIMES", &d, Ok(false));
    // Enough objects for the hashed de-duplication, references among them.
    let scos: Vec<Value> = (0..40)
        .map(|i| json!({"type": "t", "id": format!("t--{i}"), "v": i, "next_ref": format!("t--{}", (i + 1) % 40)}))
        .collect();
    let mut d = bundle(vec![od(1, 0, 0, 1, scos)]);
    let refs = d[0]["objects"][0]["object_refs"].as_array_mut().unwrap();
    refs.push(json!("t--7"));
    check("[t:v = 39 AND t:next_ref.v = 0]", &d, Ok(true));
    check("[t:v = 7 AND t:next_ref.v = 9]", &d, Ok(false));
    check("[t:v = 7] REPEATS 2 TIMES", &d, Ok(false));
}

#[test]
fn catastrophic_regex_is_linear() {
    let long = "a".repeat(50_000) + "!";
    let d = bundle(vec![od(
        1,
        0,
        0,
        1,
        vec![json!({"type": "t", "id": "t--1", "s": long})],
    )]);
    let start = std::time::Instant::now();
    check("[t:s MATCHES '^(a+)+$']", &d, Ok(false));
    check("[t:s MATCHES '^(a|aa)*$']", &d, Ok(false));
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn cidr_operators() {
    let d = values();
    check("[t:ip ISSUBSET '192.168.0.0/16']", &d, Ok(true));
    check("[t:ip ISSUBSET '10.0.0.0/8']", &d, Ok(false));
    check("[t:net ISSUPERSET '192.168.3.4']", &d, Ok(true));
    check("[t:net NOT ISSUPERSET '10.1.1.1/32']", &d, Ok(true));
    check("[t:int ISSUBSET '10.0.0.0/8']", &d, Ok(false));
    check("[t:str ISSUBSET '10.0.0.0/8']", &d, Err(()));
}

#[test]
fn paths_and_exists() {
    let d = values();
    check("[t:nested.'k-ey'[1].v = 'y']", &d, Ok(true));
    check("[t:nested.'k-ey'[*].v = 'x']", &d, Ok(true));
    check("[t:nested.'k-ey'[2].v = 'x']", &d, Ok(false));
    check("[t:list[-1] = 3]", &d, Ok(false));
    check("[EXISTS t:nested.'k-ey']", &d, Ok(true));
    check("[EXISTS t:nope]", &d, Ok(false));
    check("[EXISTS t:nul AND t:int = 7]", &d, Ok(true));
}

fn network() -> Vec<Value> {
    bundle(vec![od(
        1,
        0,
        0,
        1,
        vec![
            json!({"type": "network-traffic", "id": "network-traffic--1", "dst_ref": "ipv4-addr--1",
               "src_ref": "ipv4-addr--9", "protocols": ["tcp"], "extra_refs": ["ipv4-addr--1", "ipv4-addr--2"]}),
            json!({"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.1"}),
            json!({"type": "ipv4-addr", "id": "ipv4-addr--2", "value": "198.51.100.2"}),
            json!({"type": "ipv4-addr", "id": "ipv4-addr--9", "value": "1.1.1.1", "x_note": "not referenced"}),
        ],
    )])
}

#[test]
fn references_resolve_within_the_observation() {
    let mut d = network();
    check(
        "[network-traffic:dst_ref.value = '198.51.100.1']",
        &d,
        Ok(true),
    );
    check(
        "[network-traffic:extra_refs[*].value = '198.51.100.2']",
        &d,
        Ok(true),
    );
    check(
        "[network-traffic:extra_refs[1].value = '198.51.100.2']",
        &d,
        Ok(true),
    );
    check(
        "[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']",
        &d,
        Ok(true),
    );
    // ipv4-addr--9 is referenced by src_ref and listed in object_refs, so it resolves.
    check("[network-traffic:src_ref.value = '1.1.1.1']", &d, Ok(true));
    // An SCO outside every observed-data's object_refs is invisible.
    d[0]["objects"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "ipv4-addr", "id": "ipv4-addr--7", "value": "7.7.7.7"}));
    check("[ipv4-addr:value = '7.7.7.7']", &d, Ok(false));
    check("[observed-data:number_observed = 1]", &d, Ok(false));
    check(
        "[network-traffic:dst_ref.value = '198.51.100.1' AND network-traffic:protocols[0] = 'tcp']",
        &d,
        Ok(true),
    );
    d[0]["objects"][1]["dst_ref"] = json!(5);
    check("[network-traffic:dst_ref.value = 'x']", &d, Err(()));
}

fn people() -> Vec<Value> {
    bundle(vec![
        od(1, 0, 0, 1, vec![person("a", "alice", 30)]),
        od(2, 10, 10, 1, vec![person("b", "bob", 40)]),
        od(3, 20, 25, 2, vec![person("c", "carol", 50)]),
    ])
}

#[test]
fn observation_operators() {
    let d = people();
    check(
        "[person:name = 'alice'] AND [person:name = 'bob']",
        &d,
        Ok(true),
    );
    check(
        "[person:name = 'alice'] AND [person:name = 'alice']",
        &d,
        Ok(false),
    );
    check(
        "[person:name = 'carol'] AND [person:name = 'carol']",
        &d,
        Ok(true),
    );
    check(
        "[person:name = 'zed'] OR [person:name = 'bob']",
        &d,
        Ok(true),
    );
    check(
        "[person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']",
        &d,
        Ok(true),
    );
    check(
        "[person:name = 'bob'] FOLLOWEDBY [person:name = 'alice']",
        &d,
        Ok(false),
    );
    check("[person:age > 20] REPEATS 4 TIMES", &d, Ok(true));
    check("[person:age > 20] REPEATS 5 TIMES", &d, Ok(false));
    check("[person:name = 'alice' AND person:age = 30]", &d, Ok(true));
    check("[person:name = 'alice' AND person:age = 40]", &d, Ok(false));
}

#[test]
fn temporal_qualifiers() {
    let d = people();
    check(
        "([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 10 SECONDS",
        &d,
        Ok(true),
    );
    check(
        "([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 9.5 SECONDS",
        &d,
        Ok(false),
    );
    check(
        "([person:name = 'bob'] AND [person:name = 'carol']) WITHIN 10 SECONDS",
        &d,
        Ok(true),
    );
    check(
        "[person:age > 0] REPEATS 3 TIMES WITHIN 10 SECONDS",
        &d,
        Ok(true),
    );
    check(
        "[person:name = 'bob'] START t'2020-01-01T00:00:10Z' STOP t'2020-01-01T00:00:11Z'",
        &d,
        Ok(true),
    );
    check(
        "[person:name = 'bob'] START t'2020-01-01T00:00:09Z' STOP t'2020-01-01T00:00:10Z'",
        &d,
        Ok(false),
    );
    check(
        "[person:name = 'carol'] START t'2020-01-01T00:00:25Z' STOP t'2020-01-01T00:01:00Z'",
        &d,
        Ok(true),
    );
    check(
        "[person:name = 'bob'] START t'2020-01-01T00:00:11Z' STOP t'2020-01-01T00:00:10Z'",
        &d,
        Ok(false),
    );
    check("[person:name = 'bob'] WITHIN 0 SECONDS", &d, Err(()));
    check("[person:name = 'bob'] REPEATS 0 TIMES", &d, Err(()));
    check(
        "[person:name = 'bob'] START t'2020-02-30T00:00:00Z' STOP t'2020-03-01T00:00:00Z'",
        &d,
        Err(()),
    );
}

#[test]
fn data_errors() {
    check("[a:b = 1]", &[], Err(()));
    check(
        "[a:b = 1]",
        &[
            json!({"type": "bundle", "objects": [{"type": "observed-data", "id": "observed-data--1"}]}),
        ],
        Err(()),
    );
    let mut d = people();
    d[0]["objects"][0]["number_observed"] = json!(0);
    check("[person:name = 'x']", &d, Err(()));
    let mut d = people();
    d[0]["objects"][0]["first_observed"] = json!("2020-01-01");
    check("[person:name = 'x']", &d, Err(()));
    check(
        "[person:name = 'x']",
        &[json!({"type": "bundle", "objects": []})],
        Ok(false),
    );
}

#[test]
fn stix20_embedded_objects() {
    let d = vec![json!({
        "type": "observed-data", "id": "observed-data--1", "number_observed": 1,
        "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z",
        "objects": {"0": {"type": "ipv4-addr", "value": "10.0.0.1"},
                    "1": {"type": "network-traffic", "dst_ref": "0"}}
    })];
    let p = crate::parser::parse_v20("[network-traffic:dst_ref.value = '10.0.0.1']").unwrap();
    assert_eq!(match_pattern(&p, &d, StixVersion::V20), Ok(true));
}

#[test]
fn pathological_inputs_are_bounded() {
    // Huge counts and repeat numbers stay cheap.
    let d = bundle(vec![od(
        1,
        0,
        0,
        u64::MAX >> 1,
        vec![person("a", "alice", 1)],
    )]);
    check("[person:age = 1] REPEATS 3 TIMES", &d, Ok(true));
    check(
        "[person:age = 1] REPEATS 18446744073709551615 TIMES",
        &d,
        Ok(false),
    );
    check("[person:age = 1] REPEATS 15000 TIMES", &d, Ok(true));
    check(
        "[person:age = 1] REPEATS 15000 TIMES WITHIN 1 SECONDS",
        &d,
        Ok(true),
    );
    check(
        "([person:age = 1] REPEATS 15000 TIMES) AND [person:age = 1]",
        &d,
        Ok(true),
    );
    // Many observations and a long AND chain: answers or stops with a limit error.
    let many: Vec<Vec<Value>> = (0..200)
        .map(|i| {
            od(
                i,
                i as u32,
                i as u32,
                1,
                vec![person(&i.to_string(), "p", 1)],
            )
        })
        .collect();
    let d = bundle(many);
    let start = std::time::Instant::now();
    check(
        "[person:age = 1] REPEATS 150 TIMES WITHIN 200 SECONDS",
        &d,
        Ok(true),
    );
    check(
        "[person:age = 1] REPEATS 50 TIMES WITHIN 20 SECONDS",
        &d,
        Ok(false),
    );
    let chain = vec!["[person:age = 1]"; 30].join(" AND ");
    check(&chain, &d, Ok(true));
    let r = match_str("([person:age = 1] AND [person:age = 1] AND [person:age = 1]) REPEATS 60 TIMES WITHIN 1 SECONDS", &d, StixVersion::V21);
    assert!(
        matches!(r, Ok(false)) || matches!(r, Err(ref e) if matches!(e.kind, ErrorKind::Limit(_) | ErrorKind::Budget(_))),
        "{r:?}"
    );
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
    // Large joins that fail on time order or WITHIN stop scanning early.
    let many: Vec<Vec<Value>> = (0..3000)
        .map(|i| {
            od(
                i,
                i as u32,
                i as u32,
                1,
                vec![person(
                    &i.to_string(),
                    if i < 1500 { "late" } else { "early" },
                    1,
                )],
            )
        })
        .collect();
    let d = bundle(many);
    check(
        "[person:name = 'late'] FOLLOWEDBY [person:name = 'early']",
        &d,
        Ok(true),
    );
    check(
        "[person:name = 'early'] FOLLOWEDBY [person:name = 'late']",
        &d,
        Ok(false),
    );
    check(
        "([person:name = 'early'] AND [person:name = 'late']) WITHIN 0.5 SECONDS",
        &d,
        Ok(false),
    );
    check(
        "([person:name = 'early'] AND [person:name = 'late']) WITHIN 1 SECONDS",
        &d,
        Ok(true),
    );
    // Deep nesting is refused by the parser.
    let deep = format!("{}[person:age = 1]{}", "(".repeat(1000), ")".repeat(1000));
    check(&deep, &d, Err(()));
}

/// Deterministic xorshift generator for the robustness test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn random_json(rng: &mut Rng, depth: u32) -> Value {
    match rng.next() % if depth > 2 { 6 } else { 8 } {
        0 => Value::Null,
        1 => json!(rng.next() & 1 == 0),
        2 => json!(rng.next() as i64 % 100 - 50),
        3 => json!((rng.next() % 1000) as f64 / 7.0),
        4 => json!(
            [
                "2020-01-01T00:00:00Z",
                "t--1",
                "10.0.0.1",
                "0a0b",
                "AAE=",
                "x",
                "",
                "zz"
            ][(rng.next() % 8) as usize]
        ),
        5 => json!(u64::MAX),
        6 => Value::Array(
            (0..rng.next() % 3)
                .map(|_| random_json(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "type",
                "id",
                "v",
                "x_ref",
                "x_refs",
                "d_hex",
                "d_bin",
                "number_observed",
                "first_observed",
            ];
            let mut m = serde_json::Map::new();
            for _ in 0..rng.next() % 4 {
                m.insert(
                    keys[(rng.next() % keys.len() as u64) as usize].into(),
                    random_json(rng, depth + 1),
                );
            }
            Value::Object(m)
        }
    }
}

#[test]
fn random_data_never_panics() {
    let patterns = [
        "[t:v = 1] AND [t:v != 'x'] WITHIN 5 SECONDS",
        "[t:x_ref.v > 0 OR t:x_refs[*].d_hex = h'0a0b'] REPEATS 2 TIMES",
        "[t:d_bin MATCHES '^.' AND t:v ISSUBSET '10.0.0.0/8'] FOLLOWEDBY [t:v IN (1, 2.5)]",
        "[EXISTS t:x_refs[0].v] START t'2019-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'",
        "[t:v LIKE '%'] OR [t:v ISSUPERSET '10.0.0.1']",
    ];
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..3_000 {
        let mut sco = json!({"type": "t", "id": "t--1"});
        for k in ["v", "x_ref", "x_refs", "d_hex", "d_bin"] {
            if rng.next() & 1 == 0 {
                sco[k] = random_json(&mut rng, 0);
            }
        }
        let mut od = od(1, 0, 5, 2, vec![sco]);
        if rng.next() & 3 == 0 {
            let k = [
                "number_observed",
                "first_observed",
                "last_observed",
                "object_refs",
            ][(rng.next() % 4) as usize];
            od[0][k] = random_json(&mut rng, 0);
        }
        let mut data = bundle(vec![od]);
        if rng.next() & 7 == 0 {
            data.push(random_json(&mut rng, 0));
        }
        for p in patterns {
            let _ = match_str(p, &data, StixVersion::V21);
            let _ = match_str(p, &data, StixVersion::V20);
        }
    }
}

/// One observation of `count` sightings of one address, as detection
/// passes it: the observed-data and its objects.
fn seen_many(count: u64) -> (Value, Value) {
    let od = json!({
        "type": "observed-data", "id": "observed-data--1", "number_observed": count,
        "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z",
        "object_refs": ["ipv4-addr--1"]
    });
    (od, json!({"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "203.0.113.9"}))
}

fn ands(n: usize) -> Pattern {
    crate::parse(&vec!["[ipv4-addr:value = '203.0.113.9']"; n].join(" AND ")).unwrap()
}

#[test]
fn a_budget_cuts_off_a_pathological_match() {
    // The attack of issue 18: 30 ANDed observation expressions against an
    // observation seen 20,000 times.
    let (od, ip) = seen_many(20_000);
    let p = ands(30);
    let budget = Budget { steps: 100_000, ..Budget::default() };
    let (r, spent) = match_observation_within(&p, &od, &[&ip], budget);
    assert_eq!(r.map_err(|e| e.kind), Err(ErrorKind::Budget(Exceeded::Steps(100_000))));
    assert_eq!(spent, 100_000);
    // Without a budget of its own it stops at MAX_STEPS.
    let r = match_observation(&p, &od, &[&ip]);
    assert!(
        matches!(r, Ok(true)) || matches!(r, Err(ref e) if e.kind == ErrorKind::Budget(Exceeded::Steps(MAX_STEPS))),
        "{r:?}"
    );

    // Normal matching is unchanged within the same budget, and cheap.
    for (pattern, want) in [
        ("[ipv4-addr:value = '203.0.113.9']", true),
        ("[ipv4-addr:value = '203.0.113.9'] AND [ipv4-addr:value = '203.0.113.9']", true),
        ("[ipv4-addr:value = '203.0.113.9'] REPEATS 5 TIMES", true),
        ("[ipv4-addr:value = '198.51.100.1'] AND [ipv4-addr:value = '203.0.113.9']", false),
    ] {
        let p = crate::parse(pattern).unwrap();
        let (r, spent) = match_observation_within(&p, &od, &[&ip], budget);
        assert_eq!(r, Ok(want), "{pattern}");
        assert!(spent < 100, "{pattern}: {spent} steps");
    }
}

#[test]
fn number_observed_expands_only_as_far_as_the_pattern_binds() {
    // A single expression binds one instance: a count of 2^62 costs one step.
    let (od, ip) = seen_many(1 << 62);
    let p = crate::parse("[ipv4-addr:value = '203.0.113.9']").unwrap();
    let (r, spent) = match_observation_within(&p, &od, &[&ip], Budget { steps: 10, ..Budget::default() });
    assert_eq!(r, Ok(true));
    assert!(spent <= 2, "{spent}");
    // REPEATS binds as many as it repeats, and never more than MAX_BINDINGS.
    let p = crate::parse("[ipv4-addr:value = '203.0.113.9'] REPEATS 1000000 TIMES").unwrap();
    let (r, spent) = match_observation_within(&p, &od, &[&ip], Budget { steps: 1_000, ..Budget::default() });
    assert_eq!(r.map_err(|e| e.kind), Err(ErrorKind::Budget(Exceeded::Steps(1_000))));
    assert_eq!(spent, 1_000);
}

#[test]
fn a_deadline_or_a_cancel_flag_stops_a_match() {
    let (od, ip) = seen_many(20_000);
    let p = ands(30);
    let past = Budget { deadline: Some(std::time::Instant::now()), ..Budget::default() };
    let (r, spent) = match_observation_within(&p, &od, &[&ip], past);
    assert_eq!(r.map_err(|e| e.kind), Err(ErrorKind::Budget(Exceeded::Deadline)));
    assert!(spent <= 2 * CHECK_EVERY + 20_000, "{spent}");
    let stop = AtomicBool::new(true);
    let cancelled = Budget { cancel: Some(&stop), ..Budget::default() };
    let (r, _) = match_observation_within(&p, &od, &[&ip], cancelled);
    assert_eq!(r.map_err(|e| e.kind), Err(ErrorKind::Budget(Exceeded::Cancelled)));
    // A flag not set stops nothing.
    let go = AtomicBool::new(false);
    let p = crate::parse("[ipv4-addr:value = '203.0.113.9']").unwrap();
    let (r, _) = match_observation_within(&p, &od, &[&ip], Budget { cancel: Some(&go), ..Budget::default() });
    assert_eq!(r, Ok(true));
}

#[test]
fn many_references_resolve_as_few_do() {
    // Past LINEAR_DEDUP references, lookups go through maps: the same
    // answers (first object of an id, repeated and missing references).
    let objects: Vec<Value> = (0..40)
        .map(|i| json!({"type": "t", "id": format!("t--{i}"), "v": i, "next_ref": format!("t--{}", (i + 1) % 40)}))
        .chain([json!({"type": "t", "id": "t--3", "v": 1000})])
        .collect();
    let mut refs: Vec<Value> = (0..40).map(|i| json!(format!("t--{i}"))).collect();
    refs.extend([json!("t--7"), json!("t--99"), json!(5)]);
    let od = json!({
        "type": "observed-data", "id": "observed-data--1", "number_observed": 1,
        "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z", "object_refs": refs
    });
    let objs: Vec<&Value> = objects.iter().collect();
    for (pattern, want) in [
        ("[t:v = 39 AND t:next_ref.v = 0]", true),
        ("[t:v = 7 AND t:next_ref.v = 9]", false),
        ("[t:v = 7] REPEATS 2 TIMES", false),
        ("[t:v = 3]", true),
        ("[t:v = 1000]", false),
    ] {
        let p = crate::parse(pattern).unwrap();
        assert_eq!(match_observation(&p, &od, &objs), Ok(want), "{pattern}");
    }
}
