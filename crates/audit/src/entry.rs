//! One entry of the release log: what a caller drafts ([`Draft`]), what is
//! written ([`Entry`]), its canonical line and its hash.

use std::fmt;

use model::{StixId, Timestamp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// Whether the disclosure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The items were sent to the recipient.
    Release,
    /// An explicit request for the items was refused.
    Deny,
    /// Items the recipient holds (received from another node) stop going
    /// anywhere else: the agreement they arrived under ended.
    Withhold,
    /// Items the recipient held were deleted: the agreement they arrived
    /// under ended and its retention period is over.
    Delete,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Release => "release",
            Decision::Deny => "deny",
            Decision::Withhold => "withhold",
            Decision::Delete => "delete",
        })
    }
}

/// One object version of a disclosure, and the agreement that allowed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The object.
    pub object: StixId,
    /// The version (its `modified`, or the date added for objects without one).
    #[serde(serialize_with = "ser_ts", deserialize_with = "de_ts")]
    pub version: Timestamp,
    /// The agreement under which it was released; `None` when the recipient
    /// is the author (or, in a denial, when no agreement applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<StixId>,
}

/// What a caller asks [`crate::ReleaseLog::append`] to record; the log adds
/// `seq`, `prev` and `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// When the disclosure (or refusal) happened.
    pub time: Timestamp,
    /// The partner (`identity--…`) that received it or was refused.
    pub recipient: StixId,
    /// The path out: `taxii`, `api`, `export`, `sync`, … (1 to 32 printable
    /// ASCII characters, no space).
    pub channel: String,
    /// Released or refused.
    pub decision: Decision,
    /// Why it was refused, withheld or deleted: required for every decision
    /// but [`Decision::Release`], refused for it.
    pub reason: Option<String>,
    /// Every object version of the event (may be empty).
    pub items: Vec<Item>,
}

impl Draft {
    /// A release, now.
    pub fn release(recipient: StixId, channel: &str, items: Vec<Item>) -> Draft {
        Draft {
            time: Timestamp::now(),
            recipient,
            channel: channel.to_owned(),
            decision: Decision::Release,
            reason: None,
            items,
        }
    }

    /// A withholding or deletion of what `holder` held, now.
    pub fn retention(holder: StixId, decision: Decision, reason: &str, items: Vec<Item>) -> Draft {
        Draft {
            time: Timestamp::now(),
            recipient: holder,
            channel: "retention".to_owned(),
            decision,
            reason: Some(reason.to_owned()),
            items,
        }
    }

    /// A refusal, now.
    pub fn deny(recipient: StixId, channel: &str, reason: &str, items: Vec<Item>) -> Draft {
        Draft {
            time: Timestamp::now(),
            recipient,
            channel: channel.to_owned(),
            decision: Decision::Deny,
            reason: Some(reason.to_owned()),
            items,
        }
    }
}

/// A SHA-256 digest, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The `prev` of the first entry: 64 zeros.
    pub const ZERO: Digest = Digest([0; 32]);

    /// SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// Parses exactly 64 lowercase hex digits.
    pub fn parse(s: &str) -> Result<Digest, String> {
        let b = s.as_bytes();
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        if b.len() != 64 {
            return Err(format!("a digest is 64 lowercase hex digits, not {} characters", s.chars().count()));
        }
        let mut out = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            match (nibble(pair[0]), nibble(pair[1])) {
                (Some(h), Some(l)) => out[i] = h << 4 | l,
                _ => return Err("a digest is 64 lowercase hex digits".to_owned()),
            }
        }
        Ok(Digest(out))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Digest::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn ser_ts<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

fn de_ts<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    Timestamp::parse(&s).map_err(serde::de::Error::custom)
}

/// Where a log stands: the last entry's `seq` and `hash` (`0` and
/// [`Digest::ZERO`] for an empty log). This is what partners witness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The last entry's `seq`, which is also the number of entries.
    pub seq: u64,
    /// The last entry's `hash`.
    pub hash: Digest,
}

impl Head {
    /// The head of an empty log.
    pub const EMPTY: Head = Head { seq: 0, hash: Digest::ZERO };
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq={} hash={}", self.seq, self.hash)
    }
}

/// One line of the log, as written and as read back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// 1, 2, 3, … : the entry's position in the log.
    pub seq: u64,
    /// When the disclosure happened.
    #[serde(deserialize_with = "de_ts")]
    pub time: Timestamp,
    /// The partner that received it or was refused.
    pub recipient: StixId,
    /// The path out.
    pub channel: String,
    /// Released or refused.
    pub decision: Decision,
    /// Why it was refused; present exactly for denials.
    #[serde(default)]
    pub reason: Option<String>,
    /// The object versions.
    pub items: Vec<Item>,
    /// The previous entry's hash ([`Digest::ZERO`] for entry 1).
    pub prev: Digest,
    /// SHA-256 of [`Entry::body`].
    pub hash: Digest,
}

/// The members an entry is hashed over, in their fixed order.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    time: &'a str,
    recipient: &'a StixId,
    channel: &'a str,
    decision: Decision,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    items: &'a [Item],
    prev: &'a Digest,
}

impl Entry {
    /// Completes a draft as entry `seq` after `prev`, computing its hash.
    #[cfg(test)]
    pub(crate) fn seal(draft: Draft, seq: u64, prev: Digest) -> Result<Entry, String> {
        let (e, line) = Entry::seal_line(draft, seq, prev)?;
        debug_assert_eq!(line, e.to_line().into_bytes(), "one serialisation for the hash and the line");
        Ok(e)
    }

    /// Completes a draft as entry `seq` after `prev`, computing its hash,
    /// and returns it with its canonical line (bytes, without the `\n`),
    /// serialising the entry once for both.
    pub(crate) fn seal_line(draft: Draft, seq: u64, prev: Digest) -> Result<(Entry, Vec<u8>), String> {
        check(&draft.channel, draft.decision, draft.reason.as_deref())?;
        let mut e = Entry {
            seq,
            time: draft.time,
            recipient: draft.recipient,
            channel: draft.channel,
            decision: draft.decision,
            reason: draft.reason,
            items: draft.items,
            prev,
            hash: Digest::ZERO,
        };
        let mut body = e.body();
        e.hash = Digest::of(&body);
        body.pop(); // the closing brace
        body.extend_from_slice(format!(",\"hash\":\"{}\"}}", e.hash).as_bytes());
        Ok((e, body))
    }

    /// The exact bytes the hash is computed over: the compact JSON of every
    /// member but `hash`, in the fixed order (the line without its final
    /// `,"hash":"…"`).
    pub fn body(&self) -> Vec<u8> {
        let body = Body {
            seq: self.seq,
            time: self.time.as_str(),
            recipient: &self.recipient,
            channel: &self.channel,
            decision: self.decision,
            reason: self.reason.as_deref(),
            items: &self.items,
            prev: &self.prev,
        };
        serde_json::to_vec(&body).expect("strings, integers and arrays always serialise")
    }

    /// SHA-256 of [`Entry::body`]: what `hash` must be.
    pub fn content_hash(&self) -> Digest {
        Digest::of(&self.body())
    }

    /// The canonical line, without its `\n`: the body with
    /// `,"hash":"<hash>"` inserted before the closing `}`.
    pub fn to_line(&self) -> String {
        let mut body = self.body();
        body.pop(); // the closing brace
        let mut line = String::from_utf8(body).expect("serde_json writes UTF-8");
        line.push_str(&format!(",\"hash\":\"{}\"}}", self.hash));
        line
    }

    /// The rules beyond the JSON shape that every entry keeps.
    pub(crate) fn check(&self) -> Result<(), String> {
        check(&self.channel, self.decision, self.reason.as_deref())
    }
}

fn check(channel: &str, decision: Decision, reason: Option<&str>) -> Result<(), String> {
    if channel.is_empty() || channel.len() > 32 || !channel.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "channel {:?} must be 1 to 32 printable ASCII characters without spaces",
            channel.chars().take(40).collect::<String>()
        ));
    }
    match (decision, reason) {
        (Decision::Release, None) => Ok(()),
        (Decision::Release, Some(_)) => Err("a release carries no reason".to_owned()),
        (Decision::Deny | Decision::Withhold | Decision::Delete, Some(r)) if !r.trim().is_empty() => Ok(()),
        (Decision::Deny, _) => Err("a denial needs a reason".to_owned()),
        (_, _) => Err("withholding and deleting need a reason".to_owned()),
    }
}
