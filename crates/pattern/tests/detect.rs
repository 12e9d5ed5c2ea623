//! Detection against its reference: for random patterns and observations,
//! the detector (pre-selection by observables, then the matcher) finds
//! exactly the patterns that the matcher alone finds when tried on every
//! pattern. Also the normalisation rules and the cover analysis.

use pattern::detect::{observations, Detector, Observation};
use pattern::observables::{cover, normalise, of_pattern, of_sco, Key, Observable};
use proptest::prelude::*;
use serde_json::{json, Value};

const IPS: &[&str] = &["10.0.0.1", "10.0.0.2", "10.1.2.3", "192.168.1.7", "2001:db8::1", "2001:DB8:0::2"];
const NETS: &[&str] = &["10.0.0.0/8", "10.0.0.0/24", "192.168.0.0/16", "2001:db8::/32", "10.0.0.1/32"];
const DOMAINS: &[&str] = &["evil.example", "EVIL.example", "good.example", "c2.test"];
const HASHES: &[&str] = &[
    "d41d8cd98f00b204e9800998ecf8427e",
    "D41D8CD98F00B204E9800998ECF8427E",
    "0cc175b9c0f1b6a831c399e269772661",
];

fn comparison() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(IPS).prop_map(|v| format!("ipv4-addr:value = '{v}'")),
        prop::sample::select(IPS).prop_map(|v| format!("ipv6-addr:value = '{v}'")),
        prop::sample::select(NETS).prop_map(|v| format!("ipv4-addr:value ISSUBSET '{v}'")),
        prop::sample::select(NETS).prop_map(|v| format!("ipv6-addr:value ISSUBSET '{v}'")),
        prop::sample::select(NETS).prop_map(|v| format!("network-traffic:dst_ref.value ISSUBSET '{v}'")),
        prop::sample::select(DOMAINS).prop_map(|v| format!("domain-name:value = '{v}'")),
        prop::sample::select(IPS).prop_map(|v| format!("network-traffic:dst_ref.value = '{v}'")),
        prop::sample::select(DOMAINS).prop_map(|v| format!("network-traffic:dst_ref.value = '{v}'")),
        prop::sample::select(HASHES).prop_map(|v| format!("file:hashes.MD5 = '{v}'")),
        prop::sample::select(HASHES).prop_map(|v| format!("file:hashes.'SHA-256' != '{v}'")),
        (prop::sample::select(IPS), prop::sample::select(IPS))
            .prop_map(|(a, b)| format!("ipv4-addr:value IN ('{a}', '{b}')")),
        Just("domain-name:value LIKE '%.example'".to_string()),
        Just("file:name MATCHES '^a.*'".to_string()),
        Just("network-traffic:dst_port > 1000".to_string()),
        Just("EXISTS file:name".to_string()),
        prop::sample::select(DOMAINS).prop_map(|v| format!("domain-name:value NOT = '{v}'")),
    ]
}

fn bracket() -> impl Strategy<Value = String> {
    prop::collection::vec((comparison(), prop::bool::ANY), 1..4).prop_map(|parts| {
        let mut s = String::new();
        for (i, (c, and)) in parts.iter().enumerate() {
            if i > 0 {
                s.push_str(if *and { " AND " } else { " OR " });
            }
            s.push_str(c);
        }
        format!("[{s}]")
    })
}

fn pattern_text() -> impl Strategy<Value = String> {
    prop::collection::vec((bracket(), 0..3usize), 1..3).prop_map(|parts| {
        let mut s = String::new();
        for (i, (b, op)) in parts.iter().enumerate() {
            if i > 0 {
                s.push_str([" AND ", " OR ", " FOLLOWEDBY "][*op]);
            }
            s.push_str(b);
        }
        if parts.len() > 1 && parts[0].1 == 2 {
            format!("({s}) WITHIN 60 SECONDS")
        } else {
            s
        }
    })
}

fn sco() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(IPS).prop_map(|v| {
            let t = if v.contains(':') { "ipv6-addr" } else { "ipv4-addr" };
            json!({"type": t, "value": v})
        }),
        prop::sample::select(NETS).prop_map(|v| {
            let t = if v.contains(':') { "ipv6-addr" } else { "ipv4-addr" };
            json!({"type": t, "value": v})
        }),
        prop::sample::select(DOMAINS).prop_map(|v| json!({"type": "domain-name", "value": v})),
        (prop::sample::select(HASHES), prop::bool::ANY).prop_map(|(h, n)| {
            let name = if n { "a.exe" } else { "b.exe" };
            json!({"type": "file", "hashes": {"MD5": h, "SHA-256": h}, "name": name})
        }),
        (0..3000u32).prop_map(|p| json!({"type": "network-traffic", "dst_port": p, "protocols": ["tcp"]})),
    ]
}

/// A bundle of one observation: observed-data and its objects, ids filled in,
/// network traffic pointing at the first address or domain if any.
fn observation() -> impl Strategy<Value = Value> {
    prop::collection::vec(sco(), 1..5).prop_map(|mut objs| {
        let mut ids = Vec::new();
        for (i, o) in objs.iter_mut().enumerate() {
            let t = o["type"].as_str().unwrap().to_string();
            let id = format!("{t}--00000000-0000-4000-8000-{i:012}");
            o["id"] = json!(id);
            ids.push(id);
        }
        let target = objs
            .iter()
            .find(|o| o.get("value").is_some())
            .map(|o| o["id"].clone());
        if let Some(t) = target {
            for o in objs.iter_mut().filter(|o| o["type"] == "network-traffic") {
                o["dst_ref"] = t.clone();
            }
        }
        let od = json!({"type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-000000000000",
            "number_observed": 1, "first_observed": "2024-01-01T00:00:00Z",
            "last_observed": "2024-01-01T00:00:00Z", "object_refs": ids});
        let mut all = vec![od];
        all.extend(objs);
        json!(all)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn detector_equals_trying_every_pattern(
        patterns in prop::collection::vec(pattern_text(), 1..12),
        obs in prop::collection::vec(observation(), 1..6),
    ) {
        let parsed: Vec<_> = patterns.iter().map(|p| pattern::parse(p).expect(p)).collect();
        let mut d = Detector::new();
        for (i, p) in parsed.iter().enumerate() {
            d.insert(p.clone(), i);
        }
        for bundle in &obs {
            let objects = bundle.as_array().unwrap().clone();
            for (od, refs) in observations(&objects) {
                let mut hits = Vec::new();
                d.detect(Observation { observed_data: od, objects: &refs }, true, |_| true, &mut hits);
                let got: Vec<usize> = hits.iter().map(|s| *d.get(*s).unwrap().1).collect();
                let want: Vec<usize> = parsed
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| pattern::match_observation(p, od, &refs) == Ok(true))
                    .map(|(i, _)| i)
                    .collect();
                prop_assert_eq!(&got, &want, "patterns {:?} on {}", patterns, bundle);
                // Without the unindexed list, a subset of the same.
                let mut only = Vec::new();
                d.detect(Observation { observed_data: od, objects: &refs }, false, |_| true, &mut only);
                prop_assert!(only.iter().all(|s| hits.contains(s)));
            }
        }
    }
}

#[test]
fn normalisation() {
    assert_eq!(normalise("ipv4-addr", "10.0.0.1/32"), "10.0.0.1");
    assert_eq!(normalise("ipv4-addr", "10.1.2.3/8"), "10.0.0.0/8");
    assert_eq!(normalise("ipv6-addr", "2001:DB8:0:0::1"), "2001:db8::1");
    assert_eq!(normalise("ipv6-addr", "2001:db8::1/128"), "2001:db8::1");
    assert_eq!(normalise("domain-name", "Evil.Example."), "evil.example");
    assert_eq!(normalise("url", "HTTP://Evil.Example/Path?Q=A"), "http://evil.example/Path?Q=A");
    assert_eq!(normalise("email-addr", "Bob@Example.COM"), "bob@example.com");
    assert_eq!(normalise("mac-addr", "AA-bb-CC-dd-EE-ff"), "aa:bb:cc:dd:ee:ff");
    assert_eq!(normalise("file", "D41D8CD98F00B204E9800998ECF8427E"), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(normalise("autonomous-system", "15169.0"), "15169");
    assert_eq!(normalise("mutex", "Global\\X"), "Global\\X");
}

#[test]
fn observables_of_scos_and_patterns() {
    let file = json!({"type": "file", "id": "file--1", "hashes": {"MD5": "ABCD", "SHA-1": "EF01"}, "name": "x"});
    let got = of_sco(file.as_object().unwrap());
    let want = vec![
        Observable { kind: "file", value: "abcd".into() },
        Observable { kind: "file", value: "ef01".into() },
    ];
    assert_eq!(got, want);
    let p = pattern::parse(
        "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443] \
         OR [email-message:from_ref.value = 'A@B.example'] OR [url:value LIKE 'http%']",
    )
    .unwrap();
    assert_eq!(
        of_pattern(&p),
        vec![
            Observable { kind: "email-addr", value: "a@b.example".into() },
            Observable { kind: "ipv4-addr", value: "198.51.100.7".into() },
        ]
    );
    // The LIKE branch has no key: no cover for the whole OR.
    assert_eq!(cover(&p), None);
    let q = pattern::parse("[ipv4-addr:value ISSUBSET '10.1.2.3/8' AND ipv4-addr:value != '10.0.0.1']").unwrap();
    assert_eq!(cover(&q), Some(vec![Key::Net { bits: 0x0a00_0000, prefix: 8, width: 32 }]));
}

#[test]
fn a_pattern_over_its_steps_is_reported_and_the_others_still_match() {
    use pattern::{Budget, ErrorKind, Exceeded};
    let od = json!({"type": "observed-data", "id": "observed-data--1", "number_observed": 20000,
        "first_observed": "2024-01-01T00:00:00Z", "last_observed": "2024-01-01T00:00:00Z",
        "object_refs": ["ipv4-addr--1"]});
    let ip = json!({"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "10.0.0.1"});
    let mut d = Detector::new();
    let heavy = d.insert(pattern::parse(&vec!["[ipv4-addr:value = '10.0.0.1']"; 30].join(" AND ")).unwrap(), "heavy");
    let light = d.insert(pattern::parse("[ipv4-addr:value = '10.0.0.1']").unwrap(), "light");
    let obs = Observation { observed_data: &od, objects: &[&ip] };
    let mut hits = Vec::new();
    let mut ran_out = Vec::new();
    let work = d
        .detect_within(obs, true, Budget::default(), |_, _| Some(50_000), |s, n, out| {
            if out {
                ran_out.push((s, n));
            }
        }, &mut hits)
        .unwrap();
    assert_eq!(hits, vec![light]);
    assert_eq!(ran_out, vec![(heavy, 50_000)]);
    assert_eq!(work.errors, 1);
    // `allow` may leave a pattern out: it is not evaluated.
    hits.clear();
    let work = d.detect_within(obs, true, Budget::default(), |s, _| (s != heavy).then_some(50_000), |_, _, _| {}, &mut hits).unwrap();
    assert_eq!((hits.as_slice(), work.indexed + work.unindexed, work.errors), ([light].as_slice(), 1, 0));
    // A cancel flag stops the whole call with its error.
    let stop = std::sync::atomic::AtomicBool::new(true);
    let r = d.detect_within(obs, true, Budget { cancel: Some(&stop), ..Budget::default() }, |_, _| Some(50_000), |_, _, _| {}, &mut hits);
    assert_eq!(r.map_err(|e| e.kind), Err(ErrorKind::Budget(Exceeded::Cancelled)));
}
