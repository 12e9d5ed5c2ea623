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

#[test]
fn passwords_are_argon2id_hashes_that_verify_until_disabled() {
    let (reg, _d) = registry();
    assert!(hash_password("short").is_err(), "fewer than 12 characters");
    let phc = hash_password("correct horse battery").unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(!phc.contains("correct horse"), "only the hash is kept");
    assert_ne!(phc, hash_password("correct horse battery").unwrap(), "a fresh salt each time");
    let user = store::UserRecord {
        name: "ana".into(), partner: "identity--a".into(), role: Role::Liaison, password: phc, created: 1, disabled: false,
    };
    reg.put_user(&user).unwrap();
    let ok = verify_password(&*reg, "ana", "correct horse battery").unwrap().unwrap();
    assert_eq!((ok.partner.as_str(), ok.role, ok.token_id.as_str()), ("identity--a", Role::Liaison, "user:ana"));
    assert_eq!(verify_password(&*reg, "ana", "correct horse batterY").unwrap(), Err(Refusal::Unknown));
    assert_eq!(verify_password(&*reg, "bo", "correct horse battery").unwrap(), Err(Refusal::Unknown));
    reg.put_user(&store::UserRecord { disabled: true, ..user }).unwrap();
    assert_eq!(verify_password(&*reg, "ana", "correct horse battery").unwrap(), Err(Refusal::Revoked));
}
