//! MISP's feed layout on disk: a directory holding `manifest.json` (each
//! event's uuid with its summary) and one `<uuid>.json` per event. Reading
//! also takes a single event file, or a file holding a list of events (as
//! MISP's `events/restSearch` answers).

use std::path::Path;

use serde_json::{Map, Value};

use crate::types::{uuid_text, Event, Refusal};
use crate::Error;

/// The largest event file read (MISP events with attachments can be large).
const MAX_FILE: u64 = 256 << 20;

/// One event read from a feed or file: where it came from, and the event
/// or why it could not be read.
pub type ReadEvent = (String, Result<(Event, Vec<Refusal>), Error>);

/// Reads every event at `path` (a feed directory or a file). An error here
/// is about the whole input (no manifest, unreadable file); an event that
/// cannot be read is an error in its own entry, and the others are kept.
pub fn read(path: &Path) -> Result<Vec<ReadEvent>, Error> {
    Ok(events(path)?.collect())
}

/// As [`read`], one event at a time: a feed directory's event files are
/// read and parsed as the iterator reaches them, so a large feed is never
/// held whole in memory (a single file is read whole, as it must be).
pub fn events(path: &Path) -> Result<Box<dyn Iterator<Item = ReadEvent> + Send>, Error> {
    if path.is_dir() {
        let manifest_path = path.join("manifest.json");
        let bytes = read_file(&manifest_path)?;
        let manifest: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Json { source_name: manifest_path.display().to_string(), message: e.to_string() })?;
        let Value::Object(entries) = manifest else {
            return Err(Error::field(&manifest_path.display().to_string(), "manifest", "must be a JSON object of event uuids"));
        };
        let dir = path.to_path_buf();
        return Ok(Box::new(entries.into_iter().map(move |(key, _)| {
            let source = format!("{}/{key}.json", dir.display());
            let Some(uuid) = uuid_text(&key) else {
                return (source, Err(Error::field(&key, "manifest", "key is not an event uuid")));
            };
            let file = dir.join(format!("{uuid}.json"));
            let event = read_file(&file).and_then(|b| Event::from_json(&b, &source));
            (source, event)
        })));
    }
    let source = path.display().to_string();
    let bytes = read_file(path)?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::Json { source_name: source.clone(), message: e.to_string() })?;
    let list = match &value {
        Value::Array(items) => Some(items),
        Value::Object(m) => match m.get("response") {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    };
    let read: Vec<ReadEvent> = match list {
        Some(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let s = format!("{source}[{i}]");
                let e = Event::from_value(v, &s);
                (s, e)
            })
            .collect(),
        None => vec![(source.clone(), Event::from_value(&value, &source))],
    };
    Ok(Box::new(read.into_iter()))
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_FILE {
        return Err(Error::io(path, std::io::Error::other(format!("larger than {MAX_FILE} bytes"))));
    }
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// The `manifest.json` of `events` (MISP event JSON, `{"Event": {...}}`):
/// each event's uuid with the summary MISP's feed fetcher reads (Orgc,
/// tags, info, date, analysis, threat level, timestamp).
pub fn manifest(events: &[Value]) -> Result<Value, Error> {
    let mut manifest = Map::new();
    for ev in events {
        let e = &ev["Event"];
        let uuid = uuid_of(ev)?;
        let mut summary = Map::new();
        for key in ["Orgc", "Tag", "info", "date", "analysis", "threat_level_id", "timestamp"] {
            if let Some(v) = e.get(key) {
                summary.insert(key.to_owned(), v.clone());
            }
        }
        manifest.insert(uuid, Value::Object(summary));
    }
    Ok(Value::Object(manifest))
}

/// The `hashes.csv` of `events`, as MISP's feed generator writes it: one
/// line `<md5 of a value>,<event uuid>` per attribute value (each part of a
/// composite `a|b` value on its own line), for MISP's feed correlation.
pub fn hashes(events: &[Value]) -> Result<String, Error> {
    let mut out = String::new();
    for ev in events {
        let uuid = uuid_of(ev)?;
        let attributes = ev["Event"]["Attribute"].as_array().into_iter().flatten();
        let in_objects = ev["Event"]["Object"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|o| o["Attribute"].as_array().into_iter().flatten());
        for a in attributes.chain(in_objects) {
            let (Some(ty), Some(value)) = (a["type"].as_str(), a["value"].as_str()) else { continue };
            let parts: Vec<&str> = if ty.contains('|') { value.split('|').collect() } else { vec![value] };
            for part in parts {
                out.push_str(&crate::md5_hex(part.as_bytes()));
                out.push(',');
                out.push_str(&uuid);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// The uuid of an exported event, as the feed names its file.
pub fn uuid_of(ev: &Value) -> Result<String, Error> {
    ev["Event"]["uuid"]
        .as_str()
        .and_then(uuid_text)
        .ok_or_else(|| Error::field("?", "Event.uuid", "an exported event has no uuid"))
}

/// Writes `events` (MISP event JSON, `{"Event": {...}}`) as a feed in
/// `dir`: one `<uuid>.json` each, `manifest.json` and `hashes.csv`.
/// Returns how many events.
pub fn write(dir: &Path, events: &[Value]) -> Result<usize, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for ev in events {
        let file = dir.join(format!("{}.json", uuid_of(ev)?));
        let bytes = serde_json::to_vec_pretty(ev).map_err(|e| Error::io(&file, std::io::Error::other(e)))?;
        std::fs::write(&file, bytes).map_err(|e| Error::io(&file, e))?;
    }
    let file = dir.join("manifest.json");
    let bytes = serde_json::to_vec_pretty(&manifest(events)?).map_err(|e| Error::io(&file, std::io::Error::other(e)))?;
    std::fs::write(&file, bytes).map_err(|e| Error::io(&file, e))?;
    let file = dir.join("hashes.csv");
    std::fs::write(&file, hashes(events)?).map_err(|e| Error::io(&file, e))?;
    Ok(events.len())
}
