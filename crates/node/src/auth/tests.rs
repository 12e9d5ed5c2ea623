//! Token issue, parsing, verification and the failure limiter.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use store::{Registry, Role};

use super::*;

/// The node's own partner, and a partner it hosts.
const NODE: &str = "identity--00000000-0000-4000-8000-00000000000e";
const A: &str = "identity--00000000-0000-4000-8000-00000000000a";

fn registry() -> (Arc<store_sqlite::SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap()), dir)
}

#[test]
fn issued_tokens_verify_until_revoked_or_expired() {
    let (reg, _d) = registry();
    let (token, record) = issue(A, "ana", Role::Analyst, 100, Some(200));
    assert!(token.starts_with(&format!("ent_{}_", record.id)));
    assert!(token.len() > 50, "at least 128 bits of secret");
    assert!(!record.hash.is_empty() && record.hash != token.as_bytes(), "only a hash is stored");
    reg.put_token(&record).unwrap();
    let ok = verify(&*reg, &token, 150, NODE).unwrap().unwrap();
    assert_eq!((ok.partner.as_str(), ok.role), (A, Role::Analyst));
    assert_eq!(verify(&*reg, &token, 200, NODE).unwrap(), Err(Refusal::Expired));
    let mut forged = token.clone();
    forged.pop();
    forged.push('x');
    assert_eq!(verify(&*reg, &forged, 150, NODE).unwrap(), Err(Refusal::Unknown));
    assert_eq!(verify(&*reg, "hunter2", 150, NODE).unwrap(), Err(Refusal::Malformed));
    assert_eq!(verify(&*reg, "ent_../../x_y", 150, NODE).unwrap(), Err(Refusal::Malformed));
    reg.revoke_token(&record.id).unwrap();
    assert_eq!(verify(&*reg, &token, 150, NODE).unwrap(), Err(Refusal::Revoked));
}

#[test]
fn only_an_admin_of_the_nodes_own_partner_administers_the_node() {
    let (reg, _d) = registry();
    let mut tokens = Vec::new();
    for (partner, role) in [(NODE, Role::Admin), (NODE, Role::Liaison), (A, Role::Admin)] {
        let (token, record) = issue(partner, "ana", role, 100, None);
        reg.put_token(&record).unwrap();
        tokens.push(token);
    }
    let admin: Vec<bool> = tokens.iter().map(|t| verify(&*reg, t, 150, NODE).unwrap().unwrap().node_admin).collect();
    assert_eq!(admin, [true, false, false]);
    let c = verify(&*reg, &tokens[2], 150, NODE).unwrap().unwrap();
    assert!(matches!(c.must_be_node_admin("peers are the node administrator's"), Err(crate::Error::Forbidden(m)) if m == "peers are the node administrator's"));
    // A stored partner that is no identity id is a damaged registry, not a caller.
    let (token, record) = issue("identity--a", "ana", Role::Admin, 100, None);
    reg.put_token(&record).unwrap();
    assert!(matches!(verify(&*reg, &token, 150, NODE), Err(store::Error::Internal(_))));
}

#[test]
fn header_forms() {
    assert_eq!(token_from_header("Bearer abc").as_deref(), Some("abc"));
    let basic = format!("Basic {}", STANDARD.encode("anyone:ent_x_y"));
    assert_eq!(token_from_header(&basic).as_deref(), Some("ent_x_y"));
    assert_eq!(token_from_header("Basic !!!"), None);
    assert_eq!(token_from_header("Digest abc"), None);
}

#[test]
fn limiter_throttles_addresses_and_credentials_but_never_refuses_a_good_one_for_others() {
    let l = FailureLimiter::new(3, Duration::from_secs(60));
    let ip: IpAddr = "127.0.0.9".parse().unwrap();
    let other: IpAddr = "127.0.0.10".parse().unwrap();
    // Three failures of one credential answer 401; the fourth 429, with a wait.
    for _ in 0..3 {
        assert_eq!(l.fail(ip, Some("user:ana")), None);
    }
    let wait = l.fail(ip, Some("user:ana")).expect("over the limit");
    assert!(wait <= Duration::from_secs(60) && retry_after_secs(wait) >= 1, "{wait:?}");
    // That credential is no longer checked from that address, only from there.
    assert!(l.refused(ip, "user:ana").is_some());
    assert_eq!(l.refused(other, "user:ana"), None);
    // Another credential from the same address is checked (the address's
    // failures never refuse it); its failure now answers 429.
    assert_eq!(l.refused(ip, "token:0123456789ab"), None);
    assert!(l.fail(ip, Some("token:0123456789ab")).is_some(), "the address is over the limit");
    assert_eq!(l.fail(other, None), None);
    assert_eq!(token_credential("ent_0123456789ab_secret").as_deref(), Some("token:0123456789ab"));
    assert_eq!(token_credential("wrong"), None);
    assert_eq!(retry_after_secs(Duration::from_millis(59_001)), 60);
}

#[test]
fn passwords_are_argon2id_hashes_that_verify_until_disabled() {
    let (reg, _d) = registry();
    assert!(hash_password("short").is_err(), "fewer than 12 characters");
    let phc = hash_password("correct horse battery").unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(!phc.contains("correct horse"), "only the hash is kept");
    assert_ne!(phc, hash_password("correct horse battery").unwrap(), "a fresh salt each time");
    let user = store::UserRecord {
        name: "ana".into(), partner: A.into(), role: Role::Liaison, password: phc, created: 1, disabled: false,
    };
    reg.put_user(&user).unwrap();
    let ok = verify_password(&*reg, "ana", "correct horse battery", NODE).unwrap().unwrap();
    assert_eq!((ok.partner.as_str(), ok.role, ok.token_id.as_str()), (A, Role::Liaison, "user:ana"));
    assert_eq!(verify_password(&*reg, "ana", "correct horse batterY", NODE).unwrap(), Err(Refusal::Unknown));
    assert_eq!(verify_password(&*reg, "bo", "correct horse battery", NODE).unwrap(), Err(Refusal::Unknown));
    reg.put_user(&store::UserRecord { disabled: true, ..user }).unwrap();
    assert_eq!(verify_password(&*reg, "ana", "correct horse battery", NODE).unwrap(), Err(Refusal::Revoked));
}

#[test]
fn a_feed_token_verifies_only_as_a_feed_token() {
    let (reg, _d) = registry();
    let (feed, record) = issue_feed(A, "ana", 100, None);
    assert!(feed.starts_with(&format!("entfeed_{}_", record.id)));
    assert!(record.user.starts_with(FEED_LABEL));
    reg.put_token(&record).unwrap();
    let ok = verify_feed(&*reg, &feed, 150, NODE).unwrap().unwrap();
    assert_eq!(ok.partner.as_str(), A);
    // Everywhere else it is no token; written as an API token, its id and
    // secret match nothing (the hash covers the form).
    assert_eq!(verify(&*reg, &feed, 150, NODE).unwrap(), Err(Refusal::Malformed));
    let as_api = feed.replacen(FEED_PREFIX, "ent_", 1);
    assert_eq!(verify(&*reg, &as_api, 150, NODE).unwrap(), Err(Refusal::Unknown));
    // And an API token opens no feed.
    let (api, api_record) = issue(A, "ana", Role::Admin, 100, None);
    reg.put_token(&api_record).unwrap();
    assert_eq!(verify_feed(&*reg, &api, 150, NODE).unwrap(), Err(Refusal::Malformed));
    assert_eq!(verify_feed(&*reg, &api.replacen("ent_", FEED_PREFIX, 1), 150, NODE).unwrap(), Err(Refusal::Unknown));
    assert!(reg.revoke_token(&record.id).unwrap());
    assert_eq!(verify_feed(&*reg, &feed, 150, NODE).unwrap(), Err(Refusal::Revoked));
}
