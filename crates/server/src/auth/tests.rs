//! Token issue, parsing, verification and the failure limiter.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use store::{Registry, Role};

use super::*;

fn registry() -> (Arc<store_sqlite::SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap()), dir)
}

#[test]
fn issued_tokens_verify_until_revoked_or_expired() {
    let (reg, _d) = registry();
    let (token, record) = issue("identity--a", "ana", Role::Analyst, 100, Some(200));
    assert!(token.starts_with(&format!("ent_{}_", record.id)));
    assert!(token.len() > 50, "at least 128 bits of secret");
    assert!(!record.hash.is_empty() && record.hash != token.as_bytes(), "only a hash is stored");
    reg.put_token(&record).unwrap();
    let ok = verify(&*reg, &token, 150).unwrap().unwrap();
    assert_eq!((ok.partner.as_str(), ok.role), ("identity--a", Role::Analyst));
    assert_eq!(verify(&*reg, &token, 200).unwrap(), Err(Refusal::Expired));
    let mut forged = token.clone();
    forged.pop();
    forged.push('x');
    assert_eq!(verify(&*reg, &forged, 150).unwrap(), Err(Refusal::Unknown));
    assert_eq!(verify(&*reg, "hunter2", 150).unwrap(), Err(Refusal::Malformed));
    assert_eq!(verify(&*reg, "ent_../../x_y", 150).unwrap(), Err(Refusal::Malformed));
    reg.revoke_token(&record.id).unwrap();
    assert_eq!(verify(&*reg, &token, 150).unwrap(), Err(Refusal::Revoked));
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
fn limiter_blocks_after_threshold() {
    let l = FailureLimiter::new(3, Duration::from_secs(60));
    let ip: IpAddr = "127.0.0.9".parse().unwrap();
    for _ in 0..2 {
        l.fail(ip);
    }
    assert!(!l.blocked(ip));
    l.fail(ip);
    assert!(l.blocked(ip));
    assert!(!l.blocked("127.0.0.10".parse().unwrap()));
}
