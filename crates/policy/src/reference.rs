//! A deliberately plain second implementation of the release rules, for tests.
//!
//! It shares no code with [`crate::decide()`], [`crate::state()`] or
//! [`crate::ObjectFacts`]: it reads the raw JSON of every object and loops
//! over everything on each question, trading speed for being easy to check
//! by eye. Only RFC 8785 ([`crate::jcs`]), Ed25519 and the declaration of
//! Entente's record kinds ([`crate::kinds`], a table, not logic) are shared. Tests
//! compare the fast decision with this one on random worlds; any difference
//! is a leak (the fast one allowed) or a wrongful denial.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use serde_json::Value;

use model::{Object, Timestamp};

use crate::{AgreementId, PartnerId};

/// What the reference decides: allowed (under which agreement, `None` for
/// the author itself) or denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed, under this agreement (`None`: the recipient is the author).
    Allow(Option<AgreementId>),
    /// Denied.
    Deny,
}

/// Everything a node knows about agreements, as raw objects.
pub struct World {
    agreements: Vec<Value>,
    ratifications: Vec<Value>,
    notices: Vec<Value>,
    keys: Vec<(String, String)>,
    /// Agreement ids that every party of the latest version has validly
    /// ratified (time does not matter for this, so it is worked out once).
    fully_ratified: Vec<String>,
    /// Remedies holding sharing: (agreement, from, until), microseconds.
    holds: Vec<(String, i64, Option<i64>)>,
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn micros(text: &str) -> Option<i64> {
    Timestamp::parse(text).ok().map(|t| t.micros())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Array(items)) = v {
        for item in items {
            if let Some(x) = item.as_str() {
                out.push(x.to_string());
            }
        }
    }
    out
}

/// Of several versions of objects, those that are the newest of their id.
fn newest_only(all: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for v in all {
        let mut newest = true;
        for w in all {
            if s(w, "id") == s(v, "id") && micros(s(w, "modified")) > micros(s(v, "modified")) {
                newest = false;
            }
        }
        let already = out.iter().any(|o: &Value| s(o, "id") == s(v, "id"));
        if newest && !already {
            out.push(v.clone());
        }
    }
    out
}

impl World {
    /// Builds the world from all agreement versions, ratifications, notices
    /// and the partners' public keys (base64).
    pub fn new(
        agreements: &[Object],
        ratifications: &[Object],
        notices: &[Object],
        keys: &[(PartnerId, String)],
    ) -> World {
        let mut world = World {
            agreements: agreements.iter().map(Object::to_value).collect(),
            ratifications: newest_only(
                &ratifications
                    .iter()
                    .map(Object::to_value)
                    .collect::<Vec<_>>(),
            ),
            notices: newest_only(&notices.iter().map(Object::to_value).collect::<Vec<_>>()),
            keys: keys
                .iter()
                .map(|(p, k)| (p.to_string(), k.clone()))
                .collect(),
            fully_ratified: Vec::new(),
            holds: Vec::new(),
        };
        let mut ids: Vec<String> = world
            .agreements
            .iter()
            .map(|a| s(a, "id").to_string())
            .collect();
        ids.sort();
        ids.dedup();
        for id in ids {
            if world.all_ratified(&id) {
                world.fully_ratified.push(id);
            }
        }
        world
    }

    /// The latest version of an agreement by its proposer (the author of its
    /// first version).
    pub fn latest(&self, id: &str) -> Option<&Value> {
        let versions: Vec<&Value> = self
            .agreements
            .iter()
            .filter(|a| s(a, "id") == id)
            .collect();
        let first = versions.iter().min_by_key(|a| micros(s(a, "modified")))?;
        let proposer = s(first, "created_by_ref");
        versions
            .into_iter()
            .filter(|a| s(a, "created_by_ref") == proposer)
            .max_by_key(|a| micros(s(a, "modified")))
    }

    fn parties(&self, id: &str) -> Vec<String> {
        self.latest(id)
            .map(|a| strings(a.get("party_refs")))
            .unwrap_or_default()
    }

    fn key_of(&self, party: &str) -> Option<VerifyingKey> {
        let (_, k) = self.keys.iter().find(|(p, _)| p == party)?;
        let bytes: [u8; 32] = B64.decode(k).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok()
    }

    /// The parties of the newest version (by the proposer) that each of
    /// its parties ratified, if any.
    fn agreed_parties(&self, id: &str) -> Option<Vec<String>> {
        let latest = self.latest(id)?;
        let proposer = s(latest, "created_by_ref");
        let mut versions: Vec<&Value> = self.agreements.iter().filter(|a| s(a, "id") == id && s(a, "created_by_ref") == proposer).collect();
        versions.sort_by_key(|a| std::cmp::Reverse(micros(s(a, "modified"))));
        versions.into_iter().find(|v| self.version_ratified(id, v)).map(|v| strings(v.get("party_refs")))
    }

    fn all_ratified(&self, id: &str) -> bool {
        let Some(latest) = self.latest(id) else {
            return false;
        };
        self.version_ratified(id, latest)
    }

    /// Whether every party of `version` (of agreement `id`) ratified it.
    fn version_ratified(&self, id: &str, latest: &Value) -> bool {
        let Ok(canonical) = crate::jcs::canonicalize(latest) else {
            return false;
        };
        for party in strings(latest.get("party_refs")) {
            let mut found = false;
            for r in &self.ratifications {
                if r.get("revoked") == Some(&Value::Bool(true))
                    || s(r, "created_by_ref") != party
                    || s(r, "agreement_ref") != id
                    || micros(s(r, "agreement_version")) != micros(s(latest, "modified"))
                {
                    continue;
                }
                let Some(key) = self.key_of(&party) else {
                    continue;
                };
                let Ok(sig) = B64.decode(s(r, "signature")) else {
                    continue;
                };
                let Ok(sig) = Signature::from_slice(&sig) else {
                    continue;
                };
                if key.verify(&canonical, &sig).is_ok() {
                    found = true;
                }
            }
            if !found {
                return false;
            }
        }
        true
    }

    /// The world with remedies holding sharing under agreements, each
    /// (agreement, from, until) in microseconds, `until` exclusive.
    pub fn with_holds(mut self, holds: impl IntoIterator<Item = (String, i64, Option<i64>)>) -> World {
        self.holds.extend(holds);
        self
    }

    /// Whether the agreement is in force at `now` (microseconds).
    pub fn in_force(&self, id: &str, now: i64) -> bool {
        let Some(latest) = self.latest(id) else {
            return false;
        };
        for (agreement, from, until) in &self.holds {
            if agreement == id && *from <= now && until.is_none_or(|u| now < u) {
                return false;
            }
        }
        if latest.get("revoked") == Some(&Value::Bool(true)) {
            return false;
        }
        if !self.fully_ratified.iter().any(|x| x == id) {
            return false;
        }
        let from = micros(s(latest, "valid_from")).unwrap_or(i64::MAX);
        if now < from {
            return false;
        }
        if let Some(until) = latest.get("valid_until").and_then(Value::as_str) {
            if now >= micros(until).unwrap_or(i64::MIN) {
                return false;
            }
        }
        let parties = self.parties(id);
        for party in &parties {
            // Notices by this party about this agreement, not revoked, in effect by now.
            let mine: Vec<&Value> = self
                .notices
                .iter()
                .filter(|n| s(n, "agreement_ref") == id && s(n, "created_by_ref") == party)
                .filter(|n| n.get("revoked") != Some(&Value::Bool(true)))
                .filter(|n| micros(s(n, "effective")).is_some_and(|t| t <= now))
                .collect();
            if mine.iter().any(|n| s(n, "notice_type") == "withdrawal") {
                return false;
            }
            let last = mine
                .iter()
                .filter(|n| s(n, "notice_type") != "withdrawal")
                .filter_map(|n| micros(s(n, "effective")))
                .max();
            if let Some(last) = last {
                let suspended_then = mine.iter().any(|n| {
                    s(n, "notice_type") == "suspension" && micros(s(n, "effective")) == Some(last)
                });
                if suspended_then {
                    return false;
                }
            }
        }
        true
    }

    /// Like [`World::verdict`], for a stored version whose object may have
    /// been recalled (its latest stored version revokes it): then only the
    /// revoked version goes to anyone but the author and the holder.
    pub fn verdict_stored(
        &self,
        object: &Object,
        held: Option<(&PartnerId, &AgreementId)>,
        recipient: &PartnerId,
        now: &Timestamp,
        shares: &[AgreementId],
        recalled: bool,
    ) -> Verdict {
        let o = object.to_value();
        let own = s(&o, "created_by_ref") == recipient.as_str()
            || held.is_some_and(|(h, _)| h == recipient);
        let published = s(&o, "created_by_ref") == crate::ext::ENTENTE_IDENTITY;
        let record = crate::kinds::of(s(&o, "type")).is_some();
        if recalled && o.get("revoked") != Some(&Value::Bool(true)) && !own && !published && !record {
            return Verdict::Deny;
        }
        self.verdict(object, held, recipient, now, shares)
    }

    /// May `object` go to `recipient` at `now`? `held` is `(holder, agreement
    /// it arrived under)` for objects received from another node; `shares`
    /// are the agreements it is shared under, in the sharer's order.
    pub fn verdict(
        &self,
        object: &Object,
        held: Option<(&PartnerId, &AgreementId)>,
        recipient: &PartnerId,
        now: &Timestamp,
        shares: &[AgreementId],
    ) -> Verdict {
        let o = object.to_value();
        let me = recipient.as_str();
        let author = s(&o, "created_by_ref");
        let ty = s(&o, "type");

        // Partnership records: to the author, the agreement's parties and
        // whom the record's kind names, at any TLP.
        if let Some(kind) = crate::kinds::of(ty) {
            if author == me {
                return Verdict::Allow(None);
            }
            let agreement = match kind.belongs {
                crate::kinds::Belongs::Itself => s(&o, "id"),
                crate::kinds::Belongs::Marker => s(&o, crate::kinds::AGREEMENT_MARKER),
            };
            let mut may = self.parties(agreement);
            // A module's records: only parties of the latest version every
            // party ratified, when there is one.
            if !kind.feeds_index {
                if let Some(agreed) = self.agreed_parties(agreement) {
                    may.retain(|p| agreed.contains(p));
                }
            }
            if let Some(list) = kind.audience.and_then(|a| o.get(a)) {
                let audience = strings(Some(list));
                may.retain(|p| audience.contains(p));
            }
            for property in kind.named {
                may.extend(strings(o.get(*property)));
            }
            if may.iter().any(|p| p == me) {
                return Verdict::Allow(Some(AgreementId::parse(agreement).expect("valid id")));
            }
            return Verdict::Deny;
        }

        if author == me {
            return Verdict::Allow(None);
        }
        if let Some((holder, arrived)) = held {
            if holder == recipient {
                return Verdict::Allow(Some(arrived.clone()));
            }
        }
        if author == crate::ext::ENTENTE_IDENTITY {
            return Verdict::Allow(None);
        }

        // Markings: object-level and granular; all must be TLP markings.
        let mut refs = strings(o.get("object_marking_refs"));
        if let Some(Value::Array(gms)) = o.get("granular_markings") {
            for gm in gms {
                if let Some(r) = gm.get("marking_ref").and_then(Value::as_str) {
                    refs.push(r.to_string());
                }
            }
        }
        let mut level: Option<model::tlp::Tlp> = None;
        for r in &refs {
            let Some(m) = model::tlp::MARKINGS.iter().find(|m| m.id == r) else {
                return Verdict::Deny;
            };
            if level.is_none() || Some(m.tlp) > level {
                level = Some(m.tlp);
            }
        }
        let level = level.unwrap_or(model::tlp::Tlp::Amber);

        let release = o
            .get("extensions")
            .and_then(|e| e.get(crate::ext::RELEASE_EXT));
        let named = strings(release.and_then(|r| r.get("recipient_refs")));
        if (level == model::tlp::Tlp::Red || !named.is_empty()) && !named.iter().any(|n| n == me) {
            return Verdict::Deny;
        }
        let labels = strings(o.get("labels"));
        let exercise = release.and_then(|r| r.get("exercise")) == Some(&Value::Bool(true))
            || labels.iter().any(|l| l == "x-entente-exercise");

        let sharer = match held {
            Some((holder, _)) => holder.to_string(),
            None if !author.is_empty() => author.to_string(),
            None => return Verdict::Deny,
        };
        if let Some((_, arrived)) = held {
            let Some(origin) = self.latest(arrived.as_str()) else {
                return Verdict::Deny;
            };
            if !self.in_force(arrived.as_str(), now.micros()) {
                return Verdict::Deny;
            }
            let rule = origin
                .pointer("/handling/reshare")
                .and_then(Value::as_str)
                .unwrap_or("none");
            if rule == "none" {
                return Verdict::Deny;
            }
            if rule == "parties-only" && !strings(origin.get("party_refs")).iter().any(|p| p == me)
            {
                return Verdict::Deny;
            }
        }

        for id in shares {
            let Some(a) = self.latest(id.as_str()) else {
                continue;
            };
            if !self.in_force(id.as_str(), now.micros()) {
                continue;
            }
            let parties = strings(a.get("party_refs"));
            if !parties.contains(&sharer) || !parties.iter().any(|p| p == me) {
                continue;
            }
            let types = strings(a.pointer("/scope/object_types"));
            if !types.is_empty() && !types.iter().any(|t| t == ty) {
                continue;
            }
            let topics = strings(a.pointer("/scope/labels"));
            if !topics.is_empty() && !labels.iter().any(|l| topics.contains(l)) {
                continue;
            }
            let kind = a
                .pointer("/scope/data_kind")
                .and_then(Value::as_str)
                .unwrap_or("");
            let kind_ok = kind == "both" || (kind == "exercise") == exercise;
            if !kind_ok {
                continue;
            }
            let ceiling = a
                .get("tlp_ceiling")
                .and_then(Value::as_str)
                .and_then(model::tlp::Tlp::parse);
            if ceiling.is_none_or(|c| level > c) {
                continue;
            }
            return Verdict::Allow(Some(id.clone()));
        }
        Verdict::Deny
    }
}
