//! The single writer: batch puts with per-object outcomes, deletes, and the
//! `date_added` clock.

use rusqlite::{params, Connection, OptionalExtension};
use store::{same_json, DateAdded, Outcome, Result, Versions};

use crate::sql_err;

pub(crate) struct Writer {
    conn: Connection,
    /// The last `date_added` handed out (microseconds).
    last: i64,
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// An existing version of an object: (version, date_added, is_first, is_last).
type Existing = (i64, i64, bool, bool);

impl Writer {
    pub(crate) fn new(conn: Connection) -> Result<Writer> {
        let last: Option<i64> =
            conn.query_row("SELECT max(date_added) FROM objects", [], |r| r.get(0)).map_err(sql_err)?;
        Ok(Writer { conn, last: last.unwrap_or(0) })
    }


    pub(crate) fn put(&mut self, objects: &[model::Object]) -> Result<Vec<Outcome>> {
        let mut out = Vec::with_capacity(objects.len());
        let tx = self.conn.transaction().map_err(sql_err)?;
        {
            let mut versions_of = tx
                .prepare_cached("SELECT version, date_added, is_first, is_last FROM objects WHERE id = ?")
                .map_err(sql_err)?;
            let mut json_at = tx.prepare_cached("SELECT json FROM objects WHERE date_added = ?").map_err(sql_err)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO objects (date_added, id, type, version, version_text, spec_version,
                     created_by_ref, is_first, is_last, revoked, json)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .map_err(sql_err)?;
            let mut clear_last =
                tx.prepare_cached("UPDATE objects SET is_last = 0 WHERE id = ? AND is_last = 1").map_err(sql_err)?;
            let mut clear_first =
                tx.prepare_cached("UPDATE objects SET is_first = 0 WHERE id = ? AND is_first = 1").map_err(sql_err)?;

            for obj in objects {
                let id = obj.id().as_str();
                let existing: Vec<Existing> = versions_of
                    .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .map_err(sql_err)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(sql_err)?;
                // Objects without a version (SCOs) have exactly one.
                let same = match obj.version() {
                    Some(v) => existing.iter().find(|e| e.0 == v.micros()),
                    None => existing.first(),
                };
                if let Some(&(_, date_added, _, _)) = same {
                    let stored: Vec<u8> = json_at.query_row([date_added], |r| r.get(0)).map_err(sql_err)?;
                    out.push(if same_json(&stored, obj.json()) {
                        Outcome::Unchanged(DateAdded(date_added))
                    } else {
                        Outcome::Conflict(format!(
                            "{id}: a different object with this id and version is already stored"
                        ))
                    });
                    continue;
                }
                let date_added = {
                    self.last = now_micros().max(self.last + 1);
                    self.last
                };
                let (version, version_text) = match obj.version() {
                    Some(v) => (v.micros(), v.as_str().to_owned()),
                    None => (date_added, DateAdded(date_added).to_string()),
                };
                let is_last = existing.iter().all(|e| e.0 < version);
                let is_first = existing.iter().all(|e| e.0 > version);
                if is_last && !existing.is_empty() {
                    clear_last.execute([id]).map_err(sql_err)?;
                }
                if is_first && !existing.is_empty() {
                    clear_first.execute([id]).map_err(sql_err)?;
                }
                insert
                    .execute(params![
                        date_added,
                        id,
                        obj.object_type(),
                        version,
                        version_text,
                        obj.spec_version(),
                        obj.created_by_ref().map(|r| r.as_str()),
                        is_first,
                        is_last,
                        obj.revoked(),
                        obj.json(),
                    ])
                    .map_err(sql_err)?;
                out.push(Outcome::Added(DateAdded(date_added)));
            }
        }
        tx.commit().map_err(sql_err)?;
        Ok(out)
    }

    pub(crate) fn delete(&mut self, id: &model::StixId, versions: &Versions) -> Result<u64> {
        let tx = self.conn.transaction().map_err(sql_err)?;
        let existing: Vec<Existing> = {
            let mut stmt = tx
                .prepare_cached("SELECT version, date_added, is_first, is_last FROM objects WHERE id = ?")
                .map_err(sql_err)?;
            let rows = stmt
                .query_map([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .map_err(sql_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(sql_err)?
        };
        let doomed: Vec<&Existing> =
            existing.iter().filter(|e| versions.selects(e.2, e.3, e.0)).collect();
        for e in &doomed {
            tx.execute("DELETE FROM objects WHERE date_added = ?", [e.1]).map_err(sql_err)?;
        }
        if !doomed.is_empty() {
            // Recompute first and last among what remains.
            let remaining = |pick: &str| -> Result<Option<i64>> {
                tx.query_row(&format!("SELECT {pick}(version) FROM objects WHERE id = ?"), [id.as_str()], |r| r.get(0))
                    .optional()
                    .map(Option::flatten)
                    .map_err(sql_err)
            };
            if let (Some(min), Some(max)) = (remaining("min")?, remaining("max")?) {
                tx.execute(
                    "UPDATE objects SET is_first = (version = ?2), is_last = (version = ?3) WHERE id = ?1",
                    params![id.as_str(), min, max],
                )
                .map_err(sql_err)?;
            }
        }
        tx.commit().map_err(sql_err)?;
        Ok(doomed.len() as u64)
    }
}

#[cfg(test)]
impl Writer {
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}
