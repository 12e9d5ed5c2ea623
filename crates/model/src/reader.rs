//! Streaming readers for STIX input: bundles, TAXII envelopes, bare arrays,
//! single objects and JSON Lines, without loading the input whole.
//!
//! The format is told from the first line: a line that is a complete JSON
//! object of its own (and not a container with `objects`) starts JSON Lines;
//! anything else is read as one JSON document whose `objects` array is
//! streamed element by element.

use std::fmt;
use std::io::{self, BufRead, Cursor, Read};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::json::Strict;

/// How the input was laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A STIX bundle, TAXII envelope or JSON array, streamed by element.
    Document,
    /// One object per line.
    JsonLines,
}

/// Why reading stopped before the end of the input.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The input is not well-formed JSON from some point on (truncated, syntax error).
    #[error("input is malformed after {objects} objects: {message}")]
    Malformed {
        /// Objects delivered before the fault.
        objects: u64,
        /// What serde_json said, with line and column.
        message: String,
    },
    /// Reading the input failed.
    #[error("reading input: {0}")]
    Io(#[from] io::Error),
    /// The consumer asked to stop.
    #[error("stopped: {0}")]
    Stopped(String),
}

/// One object read from the input: its position (0-based) and its bytes, or
/// the reason that one line could not be read as JSON.
pub type Item<'a> = (u64, Result<&'a [u8], Error>);

/// Reads every object of `input`, calling `f` for each in order.
///
/// A consumer error stops reading and is returned as [`ReadError::Stopped`].
/// A malformed line of JSON Lines is passed to `f` as an error and reading
/// goes on; a malformed document stops reading, after the objects before the
/// fault were delivered.
pub fn read_objects<R: BufRead>(
    mut input: R,
    f: &mut dyn FnMut(Item<'_>) -> Result<(), String>,
) -> Result<Format, ReadError> {
    // Look at the first non-blank line.
    let mut prefix = Vec::new();
    let mut first = Vec::new();
    loop {
        first.clear();
        if input.read_until(b'\n', &mut first)? == 0 {
            return Ok(Format::JsonLines); // empty input
        }
        if first.iter().all(u8::is_ascii_whitespace) {
            prefix.extend_from_slice(&first);
            continue;
        }
        break;
    }
    let first_is_object = serde_json::from_slice::<Map<String, Value>>(&first)
        .map(|m| !m.contains_key("objects"))
        .unwrap_or(false);
    if first_is_object {
        read_lines(first, input, f)?;
        return Ok(Format::JsonLines);
    }
    prefix.extend_from_slice(&first);
    read_document(Cursor::new(prefix).chain(input), f)?;
    Ok(Format::Document)
}

fn read_lines<R: BufRead>(
    first: Vec<u8>,
    mut input: R,
    f: &mut dyn FnMut(Item<'_>) -> Result<(), String>,
) -> Result<(), ReadError> {
    let mut index = 0u64;
    let mut line = first;
    loop {
        let trimmed = line.trim_ascii();
        if !trimmed.is_empty() {
            // Each line must be one JSON value; the object parser checks the rest.
            let item = match serde_json::from_slice::<IgnoredAny>(trimmed) {
                Ok(_) => Ok(trimmed),
                Err(e) => Err(Error::json(e.to_string()).for_object(format!("line {}", index + 1))),
            };
            f((index, item)).map_err(ReadError::Stopped)?;
        }
        index += 1;
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
    }
}

fn read_document<R: Read>(
    input: R,
    f: &mut dyn FnMut(Item<'_>) -> Result<(), String>,
) -> Result<(), ReadError> {
    let mut count = 0u64;
    let mut stopped = None;
    let mut de = serde_json::Deserializer::from_reader(io::BufReader::with_capacity(1 << 16, input));
    let result = Top { f, count: &mut count, stopped: &mut stopped }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(why) = stopped {
        return Err(ReadError::Stopped(why));
    }
    result.map_err(|e| {
        if e.is_io() {
            ReadError::Io(io::Error::other(e.to_string()))
        } else {
            ReadError::Malformed { objects: count, message: e.to_string() }
        }
    })
}

struct Top<'a> {
    f: &'a mut dyn FnMut(Item<'_>) -> Result<(), String>,
    count: &'a mut u64,
    stopped: &'a mut Option<String>,
}

impl Top<'_> {
    fn deliver(&mut self, bytes: &[u8]) -> Result<(), String> {
        let index = *self.count;
        *self.count += 1;
        (self.f)((index, Ok(bytes))).inspect_err(|e| *self.stopped = Some(e.clone()))
    }
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a STIX bundle, a TAXII envelope, an array of objects or one object")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            self.deliver(raw.get().as_bytes()).map_err(de::Error::custom)?;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut rest = Map::new();
        let mut saw_objects = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "objects" && !saw_objects {
                saw_objects = true;
                map.next_value_seed(Objects(&mut self))?;
            } else if saw_objects {
                map.next_value::<IgnoredAny>()?;
            } else {
                let Strict(v) = map.next_value()?;
                if rest.insert(key.clone(), v).is_some() {
                    return Err(de::Error::custom(format!("duplicate key `{key}`")));
                }
            }
        }
        let is_container = saw_objects || rest.get("type").and_then(Value::as_str) == Some("bundle");
        if !is_container {
            // A single object written over several lines.
            let bytes = serde_json::to_vec(&Value::Object(rest)).map_err(de::Error::custom)?;
            self.deliver(&bytes).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

struct Objects<'t, 'a>(&'t mut Top<'a>);

impl<'de> DeserializeSeed<'de> for Objects<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Objects<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of STIX objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            self.0.deliver(raw.get().as_bytes()).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}
