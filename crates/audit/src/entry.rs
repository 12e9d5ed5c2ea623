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
    /// but [`Decision::Release`]; on a release, optional: what the entry
    /// stands for beyond its items (a module's scope: how many versions a
    /// state was derived from and their digest), never blank.
    pub reason: Option<String>,
    /// Every object version of the event (may be empty).
    pub items: Items,
}

impl Draft {
    /// A release, now.
    pub fn release(recipient: StixId, channel: &str, items: impl Into<Items>) -> Draft {
        Draft {
            time: Timestamp::now(),
            recipient,
            channel: channel.to_owned(),
            decision: Decision::Release,
            reason: None,
            items: items.into(),
        }
    }

    /// A withholding or deletion of what `holder` held, now.
    pub fn retention(holder: StixId, decision: Decision, reason: &str, items: impl Into<Items>) -> Draft {
        Draft {
            time: Timestamp::now(),
            recipient: holder,
            channel: "retention".to_owned(),
            decision,
            reason: Some(reason.to_owned()),
            items: items.into(),
        }
    }

    /// A refusal, now.
    pub fn deny(recipient: StixId, channel: &str, reason: &str, items: impl Into<Items>) -> Draft {
        Draft {
            time: Timestamp::now(),
            recipient,
            channel: channel.to_owned(),
            decision: Decision::Deny,
            reason: Some(reason.to_owned()),
            items: items.into(),
        }
    }
}

/// A draft's items, already written as the log holds them: the JSON of
/// each `{"object":…,"version":…,"agreement":…}`, comma-separated. A
/// server logs a page of a thousand versions as it reads them, with no
/// thousand ids and timestamps to build, serialise and drop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Items {
    json: Vec<u8>,
    len: usize,
}

impl Items {
    /// No items, with room for about `n`.
    pub fn with_capacity(n: usize) -> Items {
        Items { json: Vec::with_capacity(n * 112), len: 0 }
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends one item.
    pub fn push(&mut self, item: &Item) {
        self.write(item.object.as_str(), item.version.as_str(), item.agreement.as_ref().map(StixId::as_str));
    }

    /// Appends one item from the text a store keeps, checked as
    /// [`StixId::parse`] and [`Timestamp::parse`] check it (without building
    /// either): an id or version that is not one is refused.
    pub fn push_stored(&mut self, object: &str, version: &str, agreement: Option<&StixId>) -> Result<(), String> {
        StixId::check(object)?;
        Timestamp::check(version)?;
        self.write(object, version, agreement.map(StixId::as_str));
        Ok(())
    }

    /// Writes an item as `serde_json` writes an [`Item`] (the format's rule).
    fn write(&mut self, object: &str, version: &str, agreement: Option<&str>) {
        let out = &mut self.json;
        if self.len > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"object\":");
        json_str(out, object);
        out.extend_from_slice(b",\"version\":");
        json_str(out, version);
        if let Some(a) = agreement {
            out.extend_from_slice(b",\"agreement\":");
            json_str(out, a);
        }
        out.push(b'}');
        self.len += 1;
    }
}

impl From<Vec<Item>> for Items {
    fn from(items: Vec<Item>) -> Items {
        items.iter().collect()
    }
}

impl<'a> FromIterator<&'a Item> for Items {
    fn from_iter<I: IntoIterator<Item = &'a Item>>(iter: I) -> Items {
        let mut out = Items::default();
        for item in iter {
            out.push(item);
        }
        out
    }
}

/// Writes `s` as a JSON string, escaped as `serde_json` escapes it: ids,
/// timestamps and channels (nothing to escape) are copied as they are.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("a string always serialises");
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
struct Body<'a> {
    seq: u64,
    time: &'a str,
    recipient: &'a str,
    channel: &'a str,
    decision: Decision,
    reason: Option<&'a str>,
    items: &'a Items,
    prev: &'a Digest,
}

impl Body<'_> {
    /// The compact JSON of the members, as `serde_json` would write them
    /// (the format's rule, pinned by the tests), with room for the `hash`
    /// member a line adds.
    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.items.json.len() + 320);
        out.extend_from_slice(b"{\"seq\":");
        out.extend_from_slice(self.seq.to_string().as_bytes());
        out.extend_from_slice(b",\"time\":");
        json_str(&mut out, self.time);
        out.extend_from_slice(b",\"recipient\":");
        json_str(&mut out, self.recipient);
        out.extend_from_slice(b",\"channel\":");
        json_str(&mut out, self.channel);
        out.extend_from_slice(b",\"decision\":");
        json_str(&mut out, &self.decision.to_string());
        if let Some(r) = self.reason {
            out.extend_from_slice(b",\"reason\":");
            json_str(&mut out, r);
        }
        out.extend_from_slice(b",\"items\":[");
        out.extend_from_slice(&self.items.json);
        out.extend_from_slice(b"],\"prev\":\"");
        out.extend_from_slice(self.prev.to_string().as_bytes());
        out.extend_from_slice(b"\"}");
        out
    }

    /// The hash of the body and the line: the body with
    /// `,"hash":"<hash>"` before its closing `}`.
    fn seal(&self) -> (Digest, Vec<u8>) {
        let mut line = self.to_vec();
        let hash = Digest::of(&line);
        line.pop(); // the closing brace
        line.extend_from_slice(b",\"hash\":\"");
        line.extend_from_slice(hash.to_string().as_bytes());
        line.extend_from_slice(b"\"}");
        (hash, line)
    }
}

impl Entry {
    /// Completes a draft as entry `seq` after `prev`, and reads it back.
    #[cfg(test)]
    pub(crate) fn seal(draft: Draft, seq: u64, prev: Digest) -> Result<Entry, String> {
        let (head, line) = seal_line(&draft, seq, prev)?;
        let e = crate::verify::parse_line(&line)?;
        assert_eq!((e.seq, e.hash), (head.seq, head.hash));
        Ok(e)
    }

    fn as_body<'a>(&'a self, items: &'a Items) -> Body<'a> {
        Body {
            seq: self.seq,
            time: self.time.as_str(),
            recipient: self.recipient.as_str(),
            channel: &self.channel,
            decision: self.decision,
            reason: self.reason.as_deref(),
            items,
            prev: &self.prev,
        }
    }

    /// The exact bytes the hash is computed over: the compact JSON of every
    /// member but `hash`, in the fixed order (the line without its final
    /// `,"hash":"…"`).
    pub fn body(&self) -> Vec<u8> {
        let items: Items = self.items.iter().collect();
        self.as_body(&items).to_vec()
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
        let mut line = String::from_utf8(body).expect("written from strings");
        line.push_str(&format!(",\"hash\":\"{}\"}}", self.hash));
        line
    }

    /// The rules beyond the JSON shape that every entry keeps.
    pub(crate) fn check(&self) -> Result<(), String> {
        check(&self.channel, self.decision, self.reason.as_deref())
    }
}

/// Completes a draft as entry `seq` after `prev`: the new head and the
/// entry's canonical line (bytes, without the `\n`), written once for the
/// hash and the file.
pub(crate) fn seal_line(draft: &Draft, seq: u64, prev: Digest) -> Result<(Head, Vec<u8>), String> {
    check(&draft.channel, draft.decision, draft.reason.as_deref())?;
    let body = Body {
        seq,
        time: draft.time.as_str(),
        recipient: draft.recipient.as_str(),
        channel: &draft.channel,
        decision: draft.decision,
        reason: draft.reason.as_deref(),
        items: &draft.items,
        prev: &prev,
    };
    let (hash, line) = body.seal();
    Ok((Head { seq, hash }, line))
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
        // A release's reason says what the entry stands for beyond its
        // items: a module's scope, counted and digested (node::modules).
        (Decision::Release, Some(r)) if !r.trim().is_empty() => Ok(()),
        (Decision::Release, Some(_)) => Err("a release's reason, when given, is not blank".to_owned()),
        (Decision::Deny | Decision::Withhold | Decision::Delete, Some(r)) if !r.trim().is_empty() => Ok(()),
        (Decision::Deny, _) => Err("a denial needs a reason".to_owned()),
        (_, _) => Err("withholding and deleting need a reason".to_owned()),
    }
}
