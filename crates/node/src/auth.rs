//! API tokens and who is calling.
//!
//! A token reads `ent_<id>_<secret>`: `id` (12 hex digits) is the public
//! lookup key, `secret` 256 random bits. A feed-only token reads
//! `entfeed_<id>_<secret>` and opens the inbox feed alone ([`issue_feed`]). Only the SHA-256 of the whole token
//! is stored; it is compared in constant time. Tokens arrive as HTTP Basic
//! (any user name, the token as password, as taxii2-client sends them) or as
//! `Authorization: Bearer`. Failed attempts are counted per client address
//! and per credential tried from an address ([`FailureLimiter`]): past a
//! threshold, failures answer 429 with `Retry-After`, and the credential is
//! not checked from that address for a while; a credential that checks out
//! is never refused for others' failures.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use sha2::{Digest, Sha256};
use store::{Registry, Role, TokenRecord};
use subtle::ConstantTimeEq;

/// Who a request acts for, once its token checked out (the node's typed
/// caller).
pub use crate::Caller;

/// The caller a stored credential acts as, on the node whose own partner is
/// `node`; a stored partner that is no identity id is a damaged registry.
pub fn caller(partner: &str, role: Role, token_id: String, node: &str) -> store::Result<Caller> {
    Caller::new(partner, role, token_id, node).map_err(|e| store::Error::Internal(e.to_string()))
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random source works");
    buf
}

/// A new random secret for signing cursors, hex encoded.
pub fn new_secret() -> String {
    random_bytes::<32>().iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes a token: the text to show once, and the record to store.
pub fn issue(partner: &str, user: &str, role: Role, now: i64, expires: Option<i64>) -> (String, TokenRecord) {
    issue_with("ent_", partner, user, role, now, expires)
}

/// The form of a feed-only token: `entfeed_<id>_<secret>`.
pub const FEED_PREFIX: &str = "entfeed_";

/// The label a feed-only token's record carries before its user's.
pub const FEED_LABEL: &str = "inbox feed only: ";

/// Makes a feed-only token for `partner` (`entente token create --feed`):
/// it reads the partner's inbox feed (`GET /inbox.atom`, [`verify_feed`])
/// and nothing else. Its form is not an API token's, so [`verify`] — every
/// other path (TAXII, REST, sign-in) — refuses it as malformed; its hash
/// covers the form, so the same id and secret written as an API token
/// match nothing either. Its record says so in its label; the role stored
/// (viewer) is never used.
pub fn issue_feed(partner: &str, user: &str, now: i64, expires: Option<i64>) -> (String, TokenRecord) {
    issue_with(FEED_PREFIX, partner, &format!("{FEED_LABEL}{user}"), Role::Viewer, now, expires)
}

fn issue_with(prefix: &str, partner: &str, user: &str, role: Role, now: i64, expires: Option<i64>) -> (String, TokenRecord) {
    let id: String = random_bytes::<6>().iter().map(|b| format!("{b:02x}")).collect();
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    let token = format!("{prefix}{id}_{secret}");
    let record = TokenRecord {
        id,
        hash: Sha256::digest(token.as_bytes()).to_vec(),
        partner: partner.to_owned(),
        user: user.to_owned(),
        role,
        created: now,
        expires,
        revoked: false,
    };
    (token, record)
}

/// Reads the token out of an `Authorization` header value.
pub fn token_from_header(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = STANDARD.decode(rest).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_, password) = text.split_once(':')?;
        return Some(password.to_owned());
    }
    None
}

/// Why a token was not accepted (for logs; clients only learn "401").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not of the form `ent_<id>_<secret>`.
    Malformed,
    /// No such token, or the secret does not match.
    Unknown,
    /// Revoked.
    Revoked,
    /// Past its expiry.
    Expired,
}

/// Checks a token against the registry, on the node whose own partner is `node`.
pub fn verify(registry: &dyn Registry, token: &str, now: i64, node: &str) -> store::Result<Result<Caller, Refusal>> {
    check(registry, "ent_", token, now, node)
}

/// Checks a feed-only token ([`issue_feed`]): the caller whose inbox feed
/// it reads. An API token is refused here as malformed, as a feed token is
/// by [`verify`].
pub fn verify_feed(registry: &dyn Registry, token: &str, now: i64, node: &str) -> store::Result<Result<Caller, Refusal>> {
    check(registry, FEED_PREFIX, token, now, node)
}

fn check(registry: &dyn Registry, prefix: &str, token: &str, now: i64, node: &str) -> store::Result<Result<Caller, Refusal>> {
    let Some(id) = token.strip_prefix(prefix).and_then(|t| t.split('_').next()) else {
        return Ok(Err(Refusal::Malformed));
    };
    if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Err(Refusal::Malformed));
    }
    let Some(record) = registry.token(id)? else { return Ok(Err(Refusal::Unknown)) };
    let hash = Sha256::digest(token.as_bytes());
    if !bool::from(hash.as_slice().ct_eq(&record.hash)) {
        return Ok(Err(Refusal::Unknown));
    }
    if record.revoked {
        return Ok(Err(Refusal::Revoked));
    }
    if record.expires.is_some_and(|e| e <= now) {
        return Ok(Err(Refusal::Expired));
    }
    Ok(Ok(caller(&record.partner, record.role, record.id, node)?))
}

/// The shortest password accepted for a user account.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The Argon2id hasher: OWASP's first recommended setting (19 MiB of
/// memory, two passes, one lane).
fn argon2id() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(19 * 1024, 2, 1, None).expect("constant parameters are valid");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Hashes a user's password with Argon2id and a random salt: the PHC string
/// to store. Refuses passwords shorter than [`MIN_PASSWORD_CHARS`].
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("a password needs at least {MIN_PASSWORD_CHARS} characters"));
    }
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| e.to_string())?;
    argon2id().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// A hash of no password, checked when the user name is unknown so that a
/// wrong name costs as long as a wrong password (no user enumeration by
/// timing).
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&new_secret()).expect("a 64-character secret is long enough"))
}

fn password_matches(phc: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| argon2id().verify_password(password.as_bytes(), &h).is_ok())
}

/// The [`Caller`] a user account acts as. Its `token_id` is `user:NAME`, so
/// logs tell user sessions from token calls.
pub fn user_caller(user: &store::UserRecord, node: &str) -> store::Result<Caller> {
    caller(&user.partner, user.role, format!("user:{}", user.name), node)
}

/// Checks a user name and password against the registry. Unknown names,
/// wrong passwords and disabled accounts are all [`Refusal::Unknown`] or
/// [`Refusal::Revoked`] for the log; the person only learns "not accepted".
/// `node` is the node's own partner.
pub fn verify_password(registry: &dyn Registry, name: &str, password: &str, node: &str) -> store::Result<Result<Caller, Refusal>> {
    let Some(user) = registry.user(name)? else {
        password_matches(decoy_hash(), password);
        return Ok(Err(Refusal::Unknown));
    };
    if !password_matches(&user.password, password) {
        return Ok(Err(Refusal::Unknown));
    }
    if user.disabled {
        return Ok(Err(Refusal::Revoked));
    }
    Ok(Ok(user_caller(&user, node)?))
}

/// What failed checks are counted under: the client address, and each
/// credential (a token's id, a user name) per address it was tried from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Counted {
    Address(IpAddr),
    Credential(IpAddr, String),
}

/// Counts failed authentications per client address and per credential
/// tried from an address, each within a window. A credential that checks
/// out is never refused for an address's failures (many clients may share
/// one address); a credential that failed too often from an address is not
/// checked from there until its window ends.
#[derive(Debug)]
pub struct FailureLimiter {
    window: Duration,
    max_failures: u32,
    seen: Mutex<HashMap<Counted, (Instant, u32)>>,
}

/// The longest credential name kept (user names are chosen by the caller).
const MAX_CREDENTIAL: usize = 128;

impl FailureLimiter {
    /// At most `max_failures` failures per address, and per credential and
    /// address, within `window`.
    pub fn new(max_failures: u32, window: Duration) -> FailureLimiter {
        FailureLimiter { window, max_failures, seen: Mutex::new(HashMap::new()) }
    }

    fn credential(ip: IpAddr, name: &str) -> Counted {
        let mut end = name.len().min(MAX_CREDENTIAL);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        Counted::Credential(ip, name[..end].to_owned())
    }

    /// How long until the counts of `key` start afresh, if it is at the limit.
    fn wait(&self, seen: &HashMap<Counted, (Instant, u32)>, key: &Counted, over: u32) -> Option<Duration> {
        let (start, n) = seen.get(key)?;
        let left = self.window.checked_sub(start.elapsed())?;
        (*n >= over && !left.is_zero()).then_some(left)
    }

    /// Whether `credential` tried from `ip` is refused without a check (it
    /// failed `max_failures` times from there within the window), and for
    /// how long still.
    pub fn refused(&self, ip: IpAddr, credential: &str) -> Option<Duration> {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        self.wait(&seen, &Self::credential(ip, credential), self.max_failures)
    }

    /// Records a failed check from `ip` (of `credential`, when the attempt
    /// named one). Returns how long the client should wait when the address
    /// or the credential is now over the limit (answer 429 with
    /// `Retry-After`), `None` when it is not (answer 401).
    pub fn fail(&self, ip: IpAddr, credential: Option<&str>) -> Option<Duration> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 100_000 {
            let window = self.window;
            seen.retain(|_, (start, _)| start.elapsed() < window);
        }
        let keys: Vec<Counted> = std::iter::once(Counted::Address(ip)).chain(credential.map(|c| Self::credential(ip, c))).collect();
        for key in &keys {
            let entry = seen.entry(key.clone()).or_insert((Instant::now(), 0));
            if entry.0.elapsed() >= self.window {
                *entry = (Instant::now(), 0);
            }
            entry.1 = entry.1.saturating_add(1);
        }
        keys.iter().filter_map(|k| self.wait(&seen, k, self.max_failures.saturating_add(1))).max()
    }
}

/// The credential a token names, for counting failures: its public id
/// (`token:<id>`), when it has the form of one.
pub fn token_credential(token: &str) -> Option<String> {
    let id = token.strip_prefix("ent_").or_else(|| token.strip_prefix(FEED_PREFIX))?.split('_').next()?;
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("token:{id}"))
}

/// The `Retry-After` value for a wait: whole seconds, rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests;

/// A user name as typed, trimmed: 1 to 64 characters, no spaces or control
/// characters; why not (`entente user add` and the administration page).
pub fn user_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("{name:?} is not a user name: 1 to 64 characters, no spaces or control characters"));
    }
    Ok(name.to_owned())
}

/// A role by name, or why not.
pub fn role(name: &str) -> Result<Role, String> {
    Role::parse(name.trim()).ok_or_else(|| format!("{name:?} is not a role (admin, liaison, analyst, viewer)"))
}

/// The account of a new user `name` of `partner` as `role`, its password
/// hashed ([`hash_password`]), created at `now` (microseconds); the name
/// checked ([`user_name`]). Not stored: the caller puts it.
pub fn new_user(name: &str, partner: &str, role: Role, password: &str, now: i64) -> Result<store::UserRecord, String> {
    let name = user_name(name)?;
    let password = hash_password(password)?;
    Ok(store::UserRecord { name, partner: partner.to_owned(), role, password, created: now, disabled: false })
}

/// A token's lifetime such as `90d`, `12h`, `30m` or `45s`, in microseconds.
pub fn lifetime(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (num, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = num.parse().map_err(|_| format!("{text:?} is not a lifetime such as 90d, 12h, 30m or 45s"))?;
    let secs = match unit {
        "d" => n.checked_mul(86_400),
        "h" => n.checked_mul(3600),
        "m" => n.checked_mul(60),
        "s" => Some(n),
        _ => return Err(format!("{text:?} is not a lifetime such as 90d, 12h, 30m or 45s")),
    };
    match secs.and_then(|s| s.checked_mul(1_000_000)) {
        Some(us) if us > 0 => Ok(us),
        Some(_) => Err("a lifetime must be positive".to_owned()),
        None => Err(format!("{text:?} is too long a lifetime")),
    }
}

/// The id of a token given as its id or as the whole token text (`ent_…`
/// or `entfeed_…`).
pub fn token_id(text: &str) -> String {
    let text = text.trim();
    text.strip_prefix("ent_").or_else(|| text.strip_prefix(FEED_PREFIX)).map_or(text, |t| t.split('_').next().unwrap_or(t)).to_owned()
}

/// A token's state at `now`: `revoked`, `expired` or `active`.
pub fn token_state(token: &TokenRecord, now: i64) -> &'static str {
    if token.revoked {
        "revoked"
    } else if token.expires.is_some_and(|e| e <= now) {
        "expired"
    } else {
        "active"
    }
}
