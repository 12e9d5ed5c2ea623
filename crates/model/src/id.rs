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
        let Some(sep) = raw.find("--") else {
            return Err(format!("`{}` is not of the form type--UUID", clip(raw)));
        };
        let (ty, uuid) = (&raw[..sep], &raw[sep + 2..]);
        check_type_name(ty).map_err(|e| format!("`{}`: {e}", clip(raw)))?;
        if !is_uuid(uuid) {
            return Err(format!("`{}`: `{}` is not a UUID", clip(raw), clip(uuid)));
        }
        Ok(StixId { raw: raw.into(), type_len: sep })
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
    let ok_chars = ty.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok_chars || ty.starts_with('-') || ty.ends_with('-') || ty.contains("--") {
        return Err(format!(
            "type `{}` may contain only a-z, 0-9 and single hyphens",
            clip(ty)
        ));
    }
    Ok(())
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
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
