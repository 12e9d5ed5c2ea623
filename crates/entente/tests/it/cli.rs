//! Bad input, exit codes and configuration precedence.

use crate::{entente, entente_env, stderr};

const GOOD: &str = r#"{"type":"malware","spec_version":"2.1","id":"malware--00000000-0000-4000-8000-000000000001","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"good","is_family":true}"#;

fn good(n: u32) -> String {
    GOOD.replace("000000000001", &format!("{n:012}"))
}

#[test]
fn bad_objects_are_named_and_the_rest_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = [
        good(1),
        "{\"type\":\"malware\", \"id\": ".to_owned(), // malformed
        good(2).replace(r#""type":"malware""#, r#""type":"tool""#), // id/type mismatch
        good(3).replace(r#""modified":"2024-01-01T00:00:00Z""#, r#""modified":"2023-01-01T00:00:00Z""#),
        good(4).replace(r#""name":"good""#, r#""name":"good","name":"twice""#),
        good(5).replace(r#""name":"good""#, &format!(r#""name":"{}""#, "x".repeat(3000))),
        good(6).replace(r#""type":"malware","#, r#""type":"malwar","#).replace("malware--", "malwar--"),
        good(7),
    ];
    std::fs::write(d.join("in.jsonl"), lines.join("\n")).unwrap();
    std::fs::write(d.join("entente.toml"), "max_object_bytes = 2048\n").unwrap();
    let out = entente(d, &["import", "in.jsonl"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for expect in [
        "line 2: malformed JSON: EOF while parsing",
        "malware--00000000-0000-4000-8000-000000000002: property `id`: names type `malware` but the object's type is `tool`",
        "malware--00000000-0000-4000-8000-000000000003: property `modified`: 2023-01-01T00:00:00Z is earlier than created 2024-01-01T00:00:00Z",
        "malware--00000000-0000-4000-8000-000000000004: malformed JSON: duplicate key `name`",
        "malware--00000000-0000-4000-8000-000000000005: 3186 bytes is over the limit of 2048 bytes",
        "bytes is over the limit of 2048 bytes",
        "malwar--00000000-0000-4000-8000-000000000006: property `type`: `malwar` is not a STIX 2.1 type",
        "2 added, 0 unchanged, 0 conflicts, 6 rejected",
    ] {
        assert!(err.contains(expect), "missing {expect:?} in:\n{err}");
    }
    let out = entente(d, &["stats"]);
    // The two good objects, and the node's own 7: its identity, Entente's
    // identity and the 5 extension definitions Entente ships.
    let stats = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stats.starts_with("9 objects, 9 versions"), "{stats}");

    // --keep-going: same report, success.
    let out = entente(d, &["import", "--keep-going", "in.jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 added, 2 unchanged, 0 conflicts, 6 rejected"));
}

#[test]
fn truncated_bundle_keeps_objects_before_the_cut_and_conflicts_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bundle = format!("{{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\",\n\"objects\":[{},\n{},\n{{\"type\":\"mal", good(1), good(2));
    std::fs::write(d.join("cut.json"), bundle).unwrap();
    let out = entente(d, &["import", "cut.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cut.json: input is malformed after 2 objects"), "{}", stderr(&out));
    assert!(stderr(&out).contains("2 added"), "{}", stderr(&out));
    // A different object under the same id and version is a conflict.
    std::fs::write(d.join("conflict.jsonl"), good(1).replace("\"good\"", "\"other\"")).unwrap();
    let out = entente(d, &["import", "conflict.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("a different object with this id and version is already stored"), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 added, 0 unchanged, 1 conflicts, 0 rejected"), "{}", stderr(&out));
    // A missing file fails, unless --keep-going.
    assert_eq!(entente(d, &["import", "nope.json"]).status.code(), Some(1));
}

#[test]
fn config_precedence_defaults_file_env_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("one.jsonl"), good(1)).unwrap();
    // Default data dir.
    assert!(entente(d, &["import", "one.jsonl"]).status.success());
    assert!(d.join("entente-data/entente.db").exists());
    // The file wins over the default.
    std::fs::write(d.join("entente.toml"), "data_dir = \"from-file\"\n").unwrap();
    assert!(entente(d, &["import", "one.jsonl"]).status.success());
    assert!(d.join("from-file/entente.db").exists());
    // The environment wins over the file.
    assert!(entente_env(d, &["import", "one.jsonl"], &[("ENTENTE_DATA_DIR", "from-env")]).status.success());
    assert!(d.join("from-env/entente.db").exists());
    // The flag wins over the environment.
    let out = entente_env(d, &["--data-dir", "from-flag", "import", "one.jsonl"], &[("ENTENTE_DATA_DIR", "from-env")]);
    assert!(out.status.success());
    assert!(d.join("from-flag/entente.db").exists());
    // Unknown keys are refused.
    std::fs::write(d.join("entente.toml"), "data_dri = \"typo\"\n").unwrap();
    let out = entente(d, &["stats"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown field `data_dri`"), "{}", stderr(&out));
}

#[test]
fn hosted_partners_get_keys_kept_private_and_published_public() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = entente(d, &["partner", "add", "--name", "Borealis"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let key = d.join("entente-data/keys").join(format!("{id}.key"));
    let meta = std::fs::metadata(&key).expect("the secret key is kept in the data dir");
    assert_eq!(meta.len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    // The public key travels in the identity object; the secret never does.
    let out = entente(d, &["export", "--type", "identity"]);
    let bundle: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let identity = bundle["objects"].as_array().unwrap().iter().find(|o| o["id"] == id.as_str()).unwrap().clone();
    let ext = &identity["extensions"][policy_key_ext()];
    assert_eq!(ext["public_key"].as_str().map(str::len), Some(44), "{identity}");
    let secret = std::fs::read(&key).unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&format!("{secret:?}")));
}

/// The id of Entente's partner-key property extension.
fn policy_key_ext() -> &'static str {
    "extension-definition--b208856f-a340-4039-a73f-b9b6b2e783c4"
}

/// A node whose own partner is Aurelia, hosting Borealis, and an agreement
/// between them that Aurelia proposed (not yet ratified): (A, B, agreement).
pub(crate) fn propose_a_b(d: &std::path::Path) -> (String, String, String) {
    let a = String::from_utf8(entente(d, &["init", "--name", "Aurelia"]).stdout).unwrap().trim().to_owned();
    let b = String::from_utf8(entente(d, &["partner", "add", "--name", "Borealis"]).stdout).unwrap().trim().to_owned();
    let terms = serde_json::json!({
        "title": "A-B sharing", "purpose": "indicators", "party_refs": [a, b],
        "scope": {"object_types": [], "labels": [], "data_kind": "both"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z"
    });
    std::fs::write(d.join("terms.json"), terms.to_string()).unwrap();
    let out = entente(d, &["agreement", "propose", "--as", "Aurelia", "terms.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    (a, b, id)
}

#[test]
fn agreement_commands_propose_ratify_and_show_derived_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b, id) = propose_a_b(d);
    let list = |who: &str| String::from_utf8(entente(d, &["agreement", "list", "--as", who]).stdout).unwrap();
    assert!(list("Borealis").contains("[draft]"), "{}", list("Borealis"));
    for who in ["Aurelia", "Borealis"] {
        let out = entente(d, &["agreement", "ratify", "--as", who, &id]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert!(list("Aurelia").contains("[in force]"), "{}", list("Aurelia"));
    // Borealis may not amend Aurelia's agreement.
    let out = entente(d, &["agreement", "propose", "--as", "Borealis", "--amend", &id, "terms.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("only the proposer amends"), "{}", stderr(&out));

    // Aurelia shares two objects under the agreement; one is TLP:RED naming nobody.
    let object = |n: u32, marking: &str| {
        serde_json::json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": a,
            "name": format!("m{n}"), "is_family": false, "object_marking_refs": [marking]})
    };
    let amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
    let red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
    let bundle = serde_json::json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",
        "objects": [object(1, amber), object(2, red)]});
    std::fs::write(d.join("objs.json"), bundle.to_string()).unwrap();
    let out = entente(d, &["import", "--as", "Aurelia", "--share", &id, "objs.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Borealis cannot share under it in Aurelia's name.
    let out = entente(d, &["import", "--as", "Borealis", "--share", &id, "objs.json"]);
    assert!(!out.status.success(), "Borealis shared Aurelia's objects");
    let export_for_b = || {
        let out = entente(d, &["export", "--for", &b]);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let seen = export_for_b();
    assert!(seen.contains("malware--00000000-0000-4000-8000-000000000001"), "{seen}");
    assert!(!seen.contains("malware--00000000-0000-4000-8000-000000000002"), "TLP:RED went to a partner it does not name");
    assert!(seen.contains(&id), "a party receives the agreement");
    // Borealis suspends: nothing it was given under the agreement goes out any more.
    let out = entente(d, &["agreement", "suspend", "--as", "Borealis", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(list("Aurelia").contains("[suspended"), "{}", list("Aurelia"));
    assert!(!export_for_b().contains("malware--00000000-0000-4000-8000-000000000001"));
    // Both exports are in the release log, whose chain holds.
    let out = entente(d, &["audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = String::from_utf8(entente(d, &["audit", "show", "--object", "malware--00000000-0000-4000-8000-000000000001"]).stdout).unwrap();
    assert_eq!(shown.lines().count(), 1, "one export released it: {shown}");
    assert!(shown.contains("\"channel\":\"export\"") && shown.contains(&id), "{shown}");
}

/// `export --for P --latest` gives each object's latest version P may see:
/// a newer version above the agreement's ceiling leaves P the older one.
#[test]
fn export_for_latest_gives_the_latest_version_the_partner_may_see() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b, id) = propose_a_b(d);
    for who in ["Aurelia", "Borealis"] {
        assert!(entente(d, &["agreement", "ratify", "--as", who, &id]).status.success());
    }
    let green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
    let strict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
    let version = |modified: &str, marking: &str| {
        serde_json::json!({"type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000001",
            "created": "2026-01-01T00:00:00Z", "modified": modified, "created_by_ref": a,
            "name": "m", "is_family": false, "object_marking_refs": [marking]})
    };
    let bundle = serde_json::json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",
        "objects": [version("2026-01-01T00:00:00Z", green), version("2026-02-01T00:00:00Z", strict)]});
    std::fs::write(d.join("objs.json"), bundle.to_string()).unwrap();
    let out = entente(d, &["import", "--as", "Aurelia", "--share", &id, "objs.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let latest_for = |p: &str| -> Vec<String> {
        let out = entente(d, &["export", "--for", p, "--latest", "--type", "malware"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let bundle: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        bundle["objects"].as_array().unwrap().iter().map(|o| o["modified"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(latest_for(&b), vec!["2026-01-01T00:00:00Z"], "Borealis is owed the first version");
    assert_eq!(latest_for(&a), vec!["2026-02-01T00:00:00Z"], "the author gets its latest");
    // The analysts' formats read through the same gate: the CSV for Borealis holds the version it may see.
    let csv_for = |p: &str| {
        let out = entente(d, &["export", "--for", p, "--format", "csv", "--type", "malware"]);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let for_b = csv_for(&b);
    assert_eq!(for_b.lines().count(), 2, "a header and one row: {for_b}");
    assert!(for_b.contains(",green,") && for_b.contains("2026-01-01T00:00:00Z\n"), "{for_b}");
    let c = String::from_utf8(entente(d, &["partner", "add", "--name", "Caledonia"]).stdout).unwrap().trim().to_owned();
    assert_eq!(csv_for(&c).lines().count(), 1, "Caledonia is party to nothing: the header alone");
}

#[test]
fn detect_sights_for_the_author_and_correlate_counts_what_the_partner_sees() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, _b, id) = propose_a_b(d);
    let c = String::from_utf8(entente(d, &["partner", "add", "--name", "Caledonia"]).stdout).unwrap().trim().to_owned();
    for who in ["Aurelia", "Borealis"] {
        assert!(entente(d, &["agreement", "ratify", "--as", who, &id]).status.success());
    }
    let indicator = serde_json::json!({"type": "indicator", "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000001", "created_by_ref": a,
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "pattern": "[domain-name:value = 'c2.example']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    std::fs::write(d.join("ind.json"), indicator.to_string()).unwrap();
    let out = entente(d, &["import", "--as", "Aurelia", "--share", &id, "ind.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Observations as JSON Lines: the SCO first, then the observed-data.
    let obs = [
        r#"{"type":"domain-name","id":"domain-name--00000000-0000-4000-8000-000000000001","value":"C2.Example."}"#,
        r#"{"type":"domain-name","id":"domain-name--00000000-0000-4000-8000-000000000002","value":"c2.example"}"#,
        r#"{"type":"observed-data","spec_version":"2.1","id":"observed-data--00000000-0000-4000-8000-000000000001","created":"2026-02-01T00:00:00Z","modified":"2026-02-01T00:00:00Z","first_observed":"2026-02-01T00:00:00Z","last_observed":"2026-02-01T00:00:00Z","number_observed":2,"object_refs":["domain-name--00000000-0000-4000-8000-000000000001"]}"#,
        r#"{"type":"observed-data","spec_version":"2.1","id":"observed-data--00000000-0000-4000-8000-000000000002","created":"2026-02-01T00:00:00Z","modified":"2026-02-01T00:00:00Z","first_observed":"2026-02-01T00:00:00Z","last_observed":"2026-02-01T00:00:00Z","number_observed":2,"object_refs":["domain-name--00000000-0000-4000-8000-000000000002"]}"#,
        "not json",
    ];
    std::fs::write(d.join("obs.jsonl"), obs.join("\n")).unwrap();
    // Caledonia is not party: no hit. Borealis: one hit (the exact value), sighted.
    let out = entente(d, &["detect", "--as", "Caledonia", "obs.jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let out = entente(d, &["detect", "--as", "Borealis", "--sight", "obs.jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("line 5:"), "the malformed line is named: {}", stderr(&out));
    let hits: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["observed_data"], "observed-data--00000000-0000-4000-8000-000000000002");
    assert_eq!(hits[0]["agreement"], serde_json::json!(id));
    let sighting = hits[0]["sighting"].as_str().unwrap().to_owned();
    // The sighting reaches Aurelia (the author) and not Caledonia.
    let export_for = |p: &str| String::from_utf8(entente(d, &["export", "--for", p]).stdout).unwrap();
    assert!(export_for(&a).contains(&sighting));
    assert!(!export_for(&c).contains(&sighting));
    // Correlation: Borealis sees Aurelia's report (in any spelling), Caledonia nothing.
    let correlate = |who: &str| -> serde_json::Value {
        let out = entente(d, &["correlate", "--as", who, "C2.EXAMPLE"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let seen = correlate("Borealis");
    assert_eq!(seen["kind"], "domain-name");
    assert_eq!(seen["partners"][0]["partner"], serde_json::json!(a), "{seen}");
    assert_eq!(correlate("Caledonia")["object_count"], 0);
    let shown = String::from_utf8(entente(d, &["audit", "show", "--object", "indicator--00000000-0000-4000-8000-000000000001"]).stdout).unwrap();
    assert!(shown.contains("\"channel\":\"detect\"") && shown.contains("\"channel\":\"correlate\""), "{shown}");
}

#[test]
fn peers_keep_their_credentials_out_of_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    // Borealis runs its own node; Aurelia learns its identity (with its key).
    let b_id = String::from_utf8(entente(&b, &["init", "--name", "Borealis"]).stdout).unwrap().trim().to_owned();
    let out = entente(&b, &["export", "--type", "identity"]);
    let bundle: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let identity = bundle["objects"].as_array().unwrap().iter().find(|o| o["id"] == b_id.as_str()).unwrap().clone();
    std::fs::write(a.join("borealis.json"), identity.to_string()).unwrap();
    entente(&a, &["init", "--name", "Aurelia"]);
    let out = entente(&a, &["partner", "add", "--identity", "borealis.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), b_id);

    let secret = "ent_0123456789ab_SECRETSECRETSECRETSECRETSECRET";
    std::fs::write(a.join("token"), secret).unwrap();
    let add = |extra: &[&str]| {
        let mut args = vec!["peer", "add", "--token-file", "token"];
        args.extend_from_slice(extra);
        entente(&a, &args)
    };
    // Plain HTTP beyond loopback, our own partner, an unknown one: refused.
    let out = add(&["--url", "http://borealis.example/taxii2/", "--partner", "Borealis"]);
    assert!(!out.status.success() && stderr(&out).contains("loopback"), "{}", stderr(&out));
    let out = add(&["--url", "https://borealis.example/taxii2/", "--partner", "Aurelia"]);
    assert!(!out.status.success() && stderr(&out).contains("hosted"), "{}", stderr(&out));
    let out = add(&["--url", "https://borealis.example/taxii2/", "--partner", "identity--00000000-0000-4000-8000-000000000009"]);
    assert!(!out.status.success(), "an unknown partner became a peer");

    let out = add(&["--url", "https://borealis.example:8443/taxii2/", "--partner", "Borealis"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let peer = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let kept = a.join("entente-data/peers").join(format!("{peer}.token"));
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), secret);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let listed = String::from_utf8(entente(&a, &["peer", "list"]).stdout).unwrap();
    assert!(listed.contains(&peer) && listed.contains("https://borealis.example:8443/taxii2/"), "{listed}");
    assert!(!listed.contains("SECRET"), "the list shows the credential: {listed}");
    for f in std::fs::read_dir(a.join("entente-data")).unwrap() {
        let path = f.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the credential is in {}", path.display());
        }
    }
    assert!(entente(&a, &["peer", "remove", &peer]).status.success());
    assert!(!kept.exists(), "the credential outlived its peer");
    assert_eq!(entente(&a, &["peer", "remove", &peer]).status.code(), Some(1));
}

/// Runs `entente args` in `d` with `input` on standard input.
fn entente_stdin(d: &std::path::Path, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = crate::command(d, args).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_accounts_keep_only_an_argon2id_hash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = entente(d, &["init", "--name", "Aurelia"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let short = entente_stdin(d, &["user", "add", "ana", "--partner", "Aurelia", "--role", "liaison"], "short\n");
    assert!(!short.status.success());
    assert!(stderr(&short).contains("at least 12 characters"), "{}", stderr(&short));
    let bad_role = entente_stdin(d, &["user", "add", "ana", "--partner", "Aurelia", "--role", "king"], "a long enough password\n");
    assert!(stderr(&bad_role).contains("\"king\" is not a role"), "{}", stderr(&bad_role));
    let out = entente_stdin(d, &["user", "add", "ana", "--partner", "Aurelia", "--role", "liaison"], "a long enough password\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let list = String::from_utf8(entente(d, &["user", "list"]).stdout).unwrap();
    assert!(list.lines().any(|l| l.starts_with("ana ") && l.contains("liaison") && l.contains("active")), "{list}");
    assert!(!list.contains("argon2") && !list.contains("a long enough password"), "{list}");
    let out = entente(d, &["user", "disable", "ana"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8(entente(d, &["user", "list"]).stdout).unwrap().contains("disabled"));
    assert!(!entente(d, &["user", "disable", "bo"]).status.success(), "no such user");
    // The database (and its write-ahead log) holds the hash, never the password.
    let mut db = std::fs::read(d.join("entente-data/entente.db")).unwrap();
    db.extend(std::fs::read(d.join("entente-data/entente.db-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&db);
    assert!(text.contains("$argon2id$v=19$"), "the hash is stored");
    assert!(!text.contains("a long enough password"));
}

#[test]
fn module_commands_act_as_a_party_and_show_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b, id) = propose_a_b(d);
    for who in ["Aurelia", "Borealis"] {
        assert!(entente(d, &["agreement", "ratify", "--as", who, &id]).status.success());
    }
    let out = entente(d, &["module", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(list["modules"].as_array().unwrap().iter().any(|m| m["name"] == "notes"), "{list}");

    let out = entente(d, &["module", "act", "--as", "Aurelia", &id, "notes", "post", "--input", r#"{"text":"the agenda"}"#]);
    assert!(out.status.success(), "{}", stderr(&out));
    let note: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(note["created_by_ref"], a.as_str(), "{note}");
    assert_eq!(note["agreement_ref"], id.as_str(), "{note}");
    std::fs::write(d.join("reply.json"), serde_json::json!({ "text": "agreed", "reply_to": note["id"] }).to_string()).unwrap();
    let out = entente(d, &["module", "act", "--as", "Borealis", &id, "notes", "post", "--input", "@reply.json"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Both parties see both notes; the state names each author.
    for who in ["Aurelia", "Borealis"] {
        let out = entente(d, &["module", "state", "--as", who, &id, "notes"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(state["records"], 2, "{who}: {state}");
        let authors: Vec<&str> = state["state"]["notes"].as_array().unwrap().iter().map(|n| n["author"].as_str().unwrap()).collect();
        assert!(authors.contains(&a.as_str()) && authors.contains(&b.as_str()), "{state}");
    }
    let out = entente(d, &["module", "records", "--as", "Borealis", &id, "notes"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
    let out = entente(d, &["module", "records", "--as", "Borealis", "--kind", "x-entente-test-note", "--of", &id, &id, "notes"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2, "{}", stderr(&out));
    let out = entente(d, &["module", "records", "--as", "Borealis", "--kind", "indicator", &id, "notes"]);
    assert!(!out.status.success() && stderr(&out).contains("`kind`"), "{}", stderr(&out));

    // Bad input names the property; Borealis may not edit Aurelia's note;
    // a partner outside the agreement is told there is no such agreement.
    let out = entente(d, &["module", "act", "--as", "Aurelia", &id, "notes", "post", "--input", r#"{"text":" "}"#]);
    assert!(!out.status.success() && stderr(&out).contains("`text`"), "{}", stderr(&out));
    let edit = format!(r#"{{"note":"{}","text":"mine now"}}"#, note["id"].as_str().unwrap());
    let out = entente(d, &["module", "act", "--as", "Borealis", &id, "notes", "edit", "--input", &edit]);
    assert!(!out.status.success() && stderr(&out).contains("only its author"), "{}", stderr(&out));
    assert!(entente(d, &["partner", "add", "--name", "Caledonia"]).status.success());
    let out = entente(d, &["module", "state", "--as", "Caledonia", &id, "notes"]);
    assert!(!out.status.success() && stderr(&out).contains("no such agreement"), "{}", stderr(&out));
    // Every answer is in the release log, on the `cli` channel.
    let log = std::fs::read_to_string(d.join("entente-data/release.log")).unwrap();
    assert!(log.lines().filter(|l| l.contains("\"cli\"")).count() >= 4, "{log}");
}

/// The data dir holds every object and the node's secrets: a new one is
/// 0700 with its files 0600, and a looser one (made by hand, or by an older
/// version) is restricted to its owner at start, with a warning naming it.
#[cfg(unix)]
#[test]
fn the_data_dir_is_its_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("entente-data");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let set = |p: &std::path::Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    let out = entente(d, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!((mode(&data), mode(&data.join("entente.db"))), (0o700, 0o600));

    std::fs::create_dir(data.join("peers")).unwrap();
    std::fs::write(data.join("peers/p.token"), "secret").unwrap();
    set(&data, 0o755);
    set(&data.join("entente.db"), 0o644);
    set(&data.join("peers"), 0o755);
    set(&data.join("peers/p.token"), 0o640);
    let out = entente(d, &["migrate"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    for path in ["entente-data", "entente-data/entente.db", "entente-data/peers", "entente-data/peers/p.token"] {
        let field = format!("path={path} ");
        assert!(err.lines().any(|l| l.contains("data open to other users") && l.contains(&field)), "no warning about {path} in:\n{err}");
    }
    let modes = [data.clone(), data.join("entente.db"), data.join("peers"), data.join("peers/p.token")].map(|p| mode(&p));
    assert_eq!(modes, [0o700, 0o600, 0o700, 0o600]);
    // Restricted, nothing more is said.
    let out = entente(d, &["migrate"]);
    assert!(!stderr(&out).contains("data open to other users"), "{}", stderr(&out));
}

/// `entente module act … agreements ratify` signs with the hosted
/// partner's key as `entente agreement ratify` does: the two ratifications
/// together put the agreement in force; the module's state says so.
#[test]
fn the_agreements_module_ratifies_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, _, id) = propose_a_b(d);
    let list = |who: &str| String::from_utf8(entente(d, &["agreement", "list", "--as", who]).stdout).unwrap();
    let out = entente(d, &["module", "act", "--as", "Aurelia", &id, "agreements", "ratify", "--input", "{}"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ratification: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((ratification["type"].as_str(), ratification["created_by_ref"].as_str()), (Some("x-entente-ratification"), Some(a.as_str())), "{ratification}");
    assert!(list("Borealis").contains("[awaiting ratification"), "{}", list("Borealis"));
    let out = entente(d, &["agreement", "ratify", "--as", "Borealis", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(list("Aurelia").contains("[in force]"), "{}", list("Aurelia"));
    let out = entente(d, &["module", "state", "--as", "Borealis", &id, "agreements"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(state["state"]["status"], "in-force", "{state}");
}
