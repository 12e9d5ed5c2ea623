//! The one read path: every object a node hands to a partner — TAXII
//! listings, the REST API, the web pages, detection and correlation,
//! exports — goes out through here, which applies the reader's release
//! gate ([`Reader::gate`], set on the store query, or the reader's decision
//! again on what was read another way) and appends the release-log entry
//! ([`audit`]: the recipient, the channel and, per version, the agreement
//! used) in the same call. What it returns is a [`Released`], which only
//! this module builds: no page, endpoint or command can hand out an object
//! without both. A release that cannot be logged is not made.

use std::sync::Arc;

use audit::{Draft, Items, SharedLog};
use model::{StixId, Timestamp};
use store::{Page, Query, Record, Store};

use crate::release::Reader;
use crate::{Error, Result};

/// What was read for a reader and may be handed to it: the reader's gate
/// let it through and the release log recorded it. Only this module makes
/// one.
#[derive(Debug)]
pub struct Released<T>(T);

impl<T> Released<T> {
    /// The released value, to hand out.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Released<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Where a release goes out: the log it is recorded in, the reader it goes
/// to and the channel it goes out by (`taxii`, `api`, `web`, `export`, …).
#[derive(Clone, Copy)]
pub struct Out<'a> {
    /// The release log.
    pub log: &'a SharedLog,
    /// The recipient's reader.
    pub reader: &'a Arc<Reader>,
    /// The path out, as the log names it.
    pub channel: &'a str,
}

impl<'a> Out<'a> {
    /// Releases to `reader` on `channel`, recorded in `log`.
    pub fn new(log: &'a SharedLog, reader: &'a Arc<Reader>, channel: &'a str) -> Out<'a> {
        Out { log, reader, channel }
    }

    /// Releases `records` (read through the reader's gate, or read another
    /// way and decided here again): those the reader may see, in their
    /// order, logged as one entry (none when there is none).
    pub fn records(&self, records: Vec<Record>) -> Result<Released<Vec<Record>>> {
        let mut items = Items::with_capacity(records.len());
        let mut kept = Vec::with_capacity(records.len());
        for r in records {
            if item(self.reader, &r, &mut items)? {
                kept.push(r);
            }
        }
        self.append(items)?;
        Ok(Released(kept))
    }

    /// Releases the versions of a module's scope new to the reader's
    /// cached scope (`read`, each with what the caller parsed from it):
    /// those the reader may see, in their order, itemised in one entry
    /// whose reason `summary` writes from what was kept (the whole scope's
    /// count and digest: `crate::modules`). The entry is appended even when
    /// no version is new: a view hands the reader its scope again.
    pub fn scope<T>(&self, read: Vec<(Record, T)>, summary: impl FnOnce(&[(Record, T)]) -> String) -> Result<Released<Vec<(Record, T)>>> {
        let mut items = Items::with_capacity(read.len());
        let mut kept = Vec::with_capacity(read.len());
        for (r, t) in read {
            if item(self.reader, &r, &mut items)? {
                kept.push((r, t));
            }
        }
        let mut draft = Draft::release(self.reader.partner.clone(), self.channel, items);
        draft.reason = Some(summary(&kept));
        append(self.log, draft)?;
        Ok(Released(kept))
    }

    /// Releases one record; refused (logged as a refusal of the request for
    /// it) as `not_found` when the reader may not see it.
    pub fn record(&self, record: Record, not_found: &str) -> Result<Released<Record>> {
        let id = StixId::parse(&record.id).map_err(|e| Error::Internal(format!("stored id {:?}: {e}", record.id)))?;
        match self.records(vec![record])?.into_inner().pop() {
            Some(r) => Ok(Released(r)),
            None => Err(self.refuse(&id, not_found)),
        }
    }

    /// One page of `query` as the reader may see it (the gate set here, so
    /// refused versions never count towards the page), released.
    pub fn page(&self, store: &dyn Store, mut query: Query) -> Result<Released<Page>> {
        query.gate = Some(self.reader.gate());
        let mut page = store.query(&query)?;
        page.records = self.records(std::mem::take(&mut page.records))?.into_inner();
        Ok(Released(page))
    }

    /// Every version of `query` the reader may see, in the store's order
    /// (the gate set here), released.
    pub fn all(&self, store: &dyn Store, mut query: Query) -> Result<Released<Vec<Record>>> {
        query.gate = Some(self.reader.gate());
        let mut read = Vec::new();
        store.scan(&query, &mut |r| {
            read.push(r);
            Ok(())
        })?;
        self.records(read)
    }

    /// The versions of one object the reader may see, oldest first, without
    /// releasing them yet: [`Out::versions`] and [`Out::latest`] release
    /// what they hand out; none at all is refused as `not_found`.
    fn visible(&self, store: &dyn Store, id: &StixId, not_found: &str) -> Result<Vec<Record>> {
        let query = Query {
            ids: vec![id.to_string()],
            versions: store::Versions::ALL,
            gate: Some(self.reader.gate()),
            ..Query::default()
        };
        let mut read = Vec::new();
        store.scan(&query, &mut |r| {
            read.push(r);
            Ok(())
        })?;
        read.sort_by_key(|r| r.version_micros);
        if read.is_empty() {
            return Err(self.refuse(id, not_found));
        }
        Ok(read)
    }

    /// Refuses (and logs the refusal) as `not_found` unless the reader may
    /// see some version of object `id`; releases nothing.
    pub fn must_see(&self, store: &dyn Store, id: &StixId, not_found: &str) -> Result<()> {
        self.visible(store, id, not_found).map(|_| ())
    }

    /// Every version of object `id` the reader may see, oldest first,
    /// released; none is refused (and logged) as `not_found`.
    pub fn versions(&self, store: &dyn Store, id: &StixId, not_found: &str) -> Result<Released<Vec<Record>>> {
        let read = self.visible(store, id, not_found)?;
        self.records(read)
    }

    /// The latest version of object `id` the reader may see, released
    /// alone; none is refused (and logged) as `not_found`.
    pub fn latest(&self, store: &dyn Store, id: &StixId, not_found: &str) -> Result<Released<Record>> {
        let mut read = self.visible(store, id, not_found)?;
        let latest = read.pop().ok_or_else(|| Error::NotFound(not_found.to_owned()))?;
        self.record(latest, not_found)
    }

    /// Visits one page of `query` as the reader may see it (the gate set
    /// here), handing each version to `take` as it is read into `out`, and
    /// records the page as one entry before `out` is released: the streamed
    /// TAXII listings. Returns `out`, how many versions it took and whether
    /// more follow.
    pub fn visit<S>(&self, store: &dyn Store, mut query: Query, mut out: S, mut take: impl FnMut(&mut S, &Record)) -> Result<Released<Visited<S>>> {
        query.gate = Some(self.reader.gate());
        let mut items = Items::with_capacity(query.limit.unwrap_or(1000).min(1000));
        let reader = self.reader;
        let more = store.visit(&query, &mut |r| {
            if item(reader, r, &mut items).map_err(|e| e.to_string())? {
                take(&mut out, r);
            }
            Ok(())
        })?;
        let count = items.len();
        self.append(items)?;
        Ok(Released(Visited { out, count, more }))
    }

    /// Streams every version of `query` the reader may see (the gate set
    /// here) to `emit`, recording them in entries of at most `per_entry`
    /// versions: the exports, too large to hold. Returns how many went out.
    pub fn stream(
        &self,
        store: &dyn Store,
        mut query: Query,
        per_entry: usize,
        emit: &mut dyn FnMut(&Record) -> std::result::Result<(), String>,
    ) -> Result<u64> {
        query.gate = Some(self.reader.gate());
        let per_entry = per_entry.max(1);
        let mut items = Items::with_capacity(per_entry.min(1000));
        let mut sent = 0u64;
        store.scan(&query, &mut |r| {
            if !item(self.reader, &r, &mut items).map_err(|e| e.to_string())? {
                return Ok(());
            }
            emit(&r)?;
            sent += 1;
            if items.len() >= per_entry {
                self.append(std::mem::replace(&mut items, Items::with_capacity(per_entry.min(1000)))).map_err(|e| e.to_string())?;
            }
            Ok(())
        })?;
        self.append(items)?;
        Ok(sent)
    }

    /// Records the refusal of an explicit request for `object` and returns
    /// the not-found error to answer: the entry names the object asked for
    /// in its reason and carries no item (no version was released, and
    /// which versions exist is not the log's to say).
    pub fn refuse(&self, object: &StixId, not_found: &str) -> Error {
        let reason = format!("request for {object}: not released to the recipient, or no such object");
        match append(self.log, Draft::deny(self.reader.partner.clone(), self.channel, &reason, Vec::new())) {
            Ok(()) => Error::NotFound(not_found.to_owned()),
            Err(e) => e,
        }
    }

    fn append(&self, items: Items) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        append(self.log, Draft::release(self.reader.partner.clone(), self.channel, items))
    }
}

/// What [`Out::visit`] read.
#[derive(Debug)]
pub struct Visited<S> {
    /// What the visitor built.
    pub out: S,
    /// How many versions it took.
    pub count: usize,
    /// Whether more follow the page.
    pub more: bool,
}

/// Records that `partner` was handed back `object`, which it has just
/// authored through an action on `channel` (its own: no agreement).
pub fn authored(log: &SharedLog, partner: &StixId, channel: &str, object: &model::Object) -> Result<Released<()>> {
    let mut items = Items::with_capacity(1);
    let version = object.version().map(Timestamp::as_str).unwrap_or_default();
    items.push_stored(object.id().as_str(), version, None).map_err(Error::Log)?;
    append(log, Draft::release(partner.clone(), channel, items))?;
    Ok(Released(()))
}

/// Adds the log item of one record if the reader may see it (true), else
/// leaves it out (false). A stored id or version the log cannot name (a
/// damaged store) is an error: a release that cannot be logged is not made.
fn item(reader: &Reader, r: &Record, items: &mut Items) -> Result<bool> {
    let Some(agreement) = reader.released_under(r) else { return Ok(false) };
    items
        .push_stored(&r.id, &r.version, agreement.as_ref())
        .map_err(|e| Error::Log(format!("the release log cannot name stored version {:?} of {:?}: {e}", r.version, r.id)))?;
    Ok(true)
}

fn append(log: &SharedLog, draft: Draft) -> Result<()> {
    log.append(draft).map(|_| ()).map_err(|e| Error::Log(e.to_string()))
}

#[cfg(test)]
mod tests;
