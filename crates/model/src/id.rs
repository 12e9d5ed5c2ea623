//! STIX identifiers: `type--UUID`, parsed once at the edge and then passed as [`StixId`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A well-formed STIX identifier such as
/// `indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StixId {
    raw: Box<str>,
    type_len: usize,
}

impl StixId {
    /// Parses `type--UUID`; the type must be a valid STIX type name and the
    /// UUID in the 8-4-4-4-12 hexadecimal form of RFC 4122.
    pub fn parse(raw: &str) -> Result<StixId, String> {
        let type_len = Self::type_len(raw)?;
        Ok(StixId { raw: raw.into(), type_len })
    }

    /// Checks `raw` as [`StixId::parse`] does, without building the id.
    pub fn check(raw: &str) -> Result<(), String> {
        Self::type_len(raw).map(drop)
    }

    /// The length of the type of a well-formed id, or what is wrong with it.
    fn type_len(raw: &str) -> Result<usize, String> {
        // A valid type has no `--` and does not end in `-`, and the UUID is
        // 36 bytes: the separator of a valid id is 38 bytes from the end.
        // Checking there first spares a search on the hot paths (every
        // stored id read back); anything it refuses takes the long way,
        // which names the fault.
        // (An ASCII `-` at `sep` also makes `sep` a character boundary.)
        if let Some(sep) = raw.len().checked_sub(38) {
            if raw.as_bytes()[sep..sep + 2] == *b"--" && is_type_name(&raw[..sep]) && is_uuid(&raw[sep + 2..]) {
                return Ok(sep);
            }
        }
        let Some(sep) = raw.find("--") else {
            return Err(format!("`{}` is not of the form type--UUID", clip(raw)));
        };
        let (ty, uuid) = (&raw[..sep], &raw[sep + 2..]);
        check_type_name(ty).map_err(|e| format!("`{}`: {e}", clip(raw)))?;
        if !is_uuid(uuid) {
            return Err(format!("`{}`: `{}` is not a UUID", clip(raw), clip(uuid)));
        }
        Ok(sep)
    }

    /// The object type named by the identifier.
    pub fn object_type(&self) -> &str {
        &self.raw[..self.type_len]
    }

    /// The UUID part.
    pub fn uuid(&self) -> &str {
        &self.raw[self.type_len + 2..]
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

/// Checks a STIX type name: 3 to 250 characters of `a-z`, `0-9` and `-`,
/// starting and ending with a letter or digit, no `--`.
pub(crate) fn check_type_name(ty: &str) -> Result<(), String> {
    if ty.len() < 3 || ty.len() > 250 {
        return Err(format!("type `{}` must be 3 to 250 characters", clip(ty)));
    }
    if !is_type_name(ty) {
        return Err(format!(
            "type `{}` may contain only a-z, 0-9 and single hyphens",
            clip(ty)
        ));
    }
    Ok(())
}

/// Whether `ty` is a STIX type name (the rules of [`check_type_name`]), in one pass.
fn is_type_name(ty: &str) -> bool {
    let b = ty.as_bytes();
    if b.len() < 3 || b.len() > 250 || b[0] == b'-' || b[b.len() - 1] == b'-' {
        return false;
    }
    let mut hyphen = false;
    for &c in b {
        match c {
            b'a'..=b'z' | b'0'..=b'9' => hyphen = false,
            b'-' if !hyphen => hyphen = true,
            _ => return false,
        }
    }
    true
}

/// Which bytes are hexadecimal digits: a table, for the hot path.
const HEX: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).is_ascii_hexdigit();
        i += 1;
    }
    t
};

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b[8] == b'-'
        && b[13] == b'-'
        && b[18] == b'-'
        && b[23] == b'-'
        && [&b[..8], &b[9..13], &b[14..18], &b[19..23], &b[24..]].iter().all(|part| part.iter().all(|&c| HEX[usize::from(c)]))
}

/// Shortens hostile or huge input before it goes into an error message.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl fmt::Display for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StixId({})", self.raw)
    }
}

impl AsRef<str> for StixId {
    fn as_ref(&self) -> &str {
        &self.raw
    }
}

impl Serialize for StixId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for StixId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        StixId::parse(&s).map_err(serde::de::Error::custom)
    }
}
