//! Streaming readers for STIX input: bundles, TAXII envelopes, bare arrays,
//! single objects and JSON Lines, without loading the input whole.
//!
//! The format is told from the first line: a line that is a complete JSON
//! object of its own (and not a container with `objects`) starts JSON Lines;
//! anything else is read as one JSON document whose `objects` array is
//! streamed element by element.
//!
//! Memory stays bounded whatever the input: a line of JSON Lines far longer
//! than the object size limit is reported and skipped without being held, and
//! an element of a document that grows that far stops the reading with an
//! error naming it (the objects before it were delivered). "Far" is
//! [`hold_limit`]: up to it, objects are read whole so that the object parser
//! can name an oversized object by its id.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Cursor, Read};
use std::rc::Rc;

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

/// The most a reader holds of one object: twice the object size limit, and
/// at least 64 KiB more than it.
pub fn hold_limit(limits: &crate::Limits) -> usize {
    let limit = limits.max_object_bytes;
    limit.saturating_mul(2).max(limit.saturating_add(64 * 1024))
}

/// Reads every object of `input`, calling `f` for each in order.
///
/// A consumer error stops reading and is returned as [`ReadError::Stopped`].
/// A malformed line of JSON Lines is passed to `f` as an error and reading
/// goes on; a malformed document stops reading, after the objects before the
/// fault were delivered.
pub fn read_objects<R: BufRead>(
    mut input: R,
    limits: &crate::Limits,
    f: &mut dyn FnMut(Item<'_>) -> Result<(), String>,
) -> Result<Format, ReadError> {
    let limit = hold_limit(limits);
    // Look at the first non-blank line (a bounded look: a long first line is
    // the start of a document, not a line of JSON Lines).
    let mut prefix = Vec::new();
    let mut first = Vec::new();
    loop {
        first.clear();
        if (&mut input).take(limit as u64 + 1).read_until(b'\n', &mut first)? == 0 {
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
        read_lines(first, input, limit, f)?;
        return Ok(Format::JsonLines);
    }
    prefix.extend_from_slice(&first);
    read_document(Cursor::new(prefix).chain(input), limit, f)?;
    Ok(Format::Document)
}

/// Reads one line of at most `limit` bytes into `line`. Returns the bytes
/// consumed and whether the line was longer (its rest is consumed, not kept).
fn bounded_line<R: BufRead>(input: &mut R, limit: usize, line: &mut Vec<u8>) -> io::Result<(usize, bool)> {
    let n = input.take(limit as u64 + 1).read_until(b'\n', line)?;
    if line.len() <= limit || line.ends_with(b"\n") {
        return Ok((n, false));
    }
    // Too long: drop what we have and skip to the end of the line.
    line.clear();
    let mut skipped = n;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok((skipped, true));
        }
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok((skipped + i + 1, true));
            }
            None => {
                let len = buf.len();
                skipped += len;
                input.consume(len);
            }
        }
    }
}

fn read_lines<R: BufRead>(
    first: Vec<u8>,
    mut input: R,
    limit: usize,
    f: &mut dyn FnMut(Item<'_>) -> Result<(), String>,
) -> Result<(), ReadError> {
    let mut index = 0u64;
    let mut line = first;
    let mut too_long: Option<usize> = None;
    loop {
        let trimmed = line.trim_ascii();
        if let Some(size) = too_long {
            let err = Error::too_large(size, limit).for_object(format!("line {}", index + 1));
            f((index, Err(err))).map_err(ReadError::Stopped)?;
        } else if !trimmed.is_empty() {
            // Each line must be one JSON value; the object parser checks the rest.
            let item = match serde_json::from_slice::<IgnoredAny>(trimmed) {
                Ok(_) => Ok(trimmed),
                Err(e) => Err(Error::json(e.to_string()).for_object(format!("line {}", index + 1))),
            };
            f((index, item)).map_err(ReadError::Stopped)?;
        }
        index += 1;
        line.clear();
        let (n, long) = bounded_line(&mut input, limit, &mut line)?;
        if n == 0 {
            return Ok(());
        }
        too_long = long.then_some(n);
    }
}

/// Counts the bytes of the element being read and refuses to go past the
/// limit, so that one huge element cannot exhaust memory.
struct Budget<R> {
    inner: R,
    used: Rc<Cell<usize>>,
    limit: usize,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = (self.limit + 1).saturating_sub(self.used.get());
        if room == 0 {
            return Err(io::Error::other(OVER_LIMIT));
        }
        let n = buf.len().min(room);
        let read = self.inner.read(&mut buf[..n])?;
        self.used.set(self.used.get() + read);
        Ok(read)
    }
}

const OVER_LIMIT: &str = "object over the size limit";

fn read_document<R: Read>(
    input: R,
    limit: usize,
    f: &mut dyn FnMut(Item<'_>) -> Result<(), String>,
) -> Result<(), ReadError> {
    let mut count = 0u64;
    let mut stopped = None;
    let used = Rc::new(Cell::new(0));
    // The budget sits above the buffer, so it counts what the parser consumes.
    let budget = Budget { inner: io::BufReader::with_capacity(1 << 16, input), used: used.clone(), limit };
    let mut de = serde_json::Deserializer::from_reader(budget);
    let result = Top { f, count: &mut count, stopped: &mut stopped, used }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(why) = stopped {
        return Err(ReadError::Stopped(why));
    }
    result.map_err(|e| {
        if e.is_io() && e.to_string().contains(OVER_LIMIT) {
            ReadError::Malformed {
                objects: count,
                message: format!("object #{} is over {limit} bytes; reading stopped there", count + 1),
            }
        } else if e.is_io() {
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
    /// Bytes the parser consumed since the current element began.
    used: Rc<Cell<usize>>,
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
        self.used.set(0);
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            self.deliver(raw.get().as_bytes()).map_err(de::Error::custom)?;
            self.used.set(0);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut rest = Map::new();
        let mut saw_objects = false;
        while let Some(key) = map.next_key::<String>()? {
            self.used.set(0);
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
        self.0.used.set(0);
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            self.0.deliver(raw.get().as_bytes()).map_err(de::Error::custom)?;
            self.0.used.set(0);
        }
        Ok(())
    }
}
