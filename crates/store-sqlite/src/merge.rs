//! Reading a collection by merging its membership rows with the objects
//! table, rather than joining them. The join finds each member's object by
//! descending the objects B-tree from its root, row after row: a sixth of a
//! paged read's time at a million objects (docs/benchmarks.md). But members
//! added as objects arrive point at objects stored in that same order, so
//! one cursor over the objects, stepping forward, reaches most of them; it
//! seeks afresh (one descent, what the join pays every row) only for a
//! member out of that order or further on than a few steps. A collection
//! whose members joined in no relation to their objects' order (shuffled)
//! seeks every row and reads about as fast as the join: 1.1× its time at
//! 100,000 members, against 0.55× for members in arrival order and 0.8×
//! in reverse (a release build, pages of 1,000).
//!
//! Both statements run on one connection, so they read the same snapshot.

use rusqlite::{params_from_iter, types::Value as SqlValue, Connection};
use store::{DateAdded, Error, Query, Record, Result};

use crate::{blank, from_where, offer, refill_meta, sql_err, Decide, COLUMNS};

/// Whether `q` can be read this way: within a collection, filtered on what
/// the membership rows hold (dates, types, versions) and on `spec_version`
/// (checked here). Ids go through their own index, and authors and
/// observables through the join.
pub(crate) fn applies(q: &Query) -> bool {
    q.collection.is_some() && q.ids.is_empty() && q.authors.is_empty() && q.observables.is_empty()
}

/// How many objects the cursor steps over looking for the next member
/// before seeking it instead: a few rows share a page, so a short step
/// costs no more than a descent, while a member far ahead (a sparse
/// collection) is not worth walking to.
const STEPS: usize = 4;

/// [`crate::SqliteStore::walk`] for a query that [`applies`]: `q` is what
/// is read (every version when `d` chooses among them), `d` decides.
pub(crate) fn walk(
    c: &Connection,
    q: &Query,
    d: &Decide<'_>,
    limit: Option<usize>,
    f: &mut dyn FnMut(&Record) -> std::result::Result<bool, String>,
) -> Result<()> {
    let members_only = Query { spec_versions: Vec::new(), gate: None, ..q.clone() };
    let (clause, mut params) = from_where(&members_only, false);
    let mut sql = format!("SELECT m.date_added, m.object, m.is_first, m.is_last{clause}");
    // The statement may stop itself only when nothing is filtered out later.
    if let (Some(limit), true) = (limit, q.spec_versions.is_empty()) {
        sql.push_str(" LIMIT ?");
        params.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    }
    let mut members = c.prepare_cached(&sql).map_err(sql_err)?;
    let mut seek = c
        .prepare_cached(&format!("SELECT o.date_added, {COLUMNS} FROM objects o WHERE o.date_added >= ? ORDER BY o.date_added"))
        .map_err(sql_err)?;
    let mut members = members.query(params_from_iter(params)).map_err(sql_err)?;
    let mut r = blank();
    // Offers the object row of the member added at `added`, whose flags
    // (first, last in the collection) the membership row gave.
    let mut take = |row: &rusqlite::Row<'_>, (added, flags): (i64, (bool, bool)), r: &mut Record| -> Result<bool> {
        refill_meta(row, r).map_err(sql_err)?;
        r.date_added = DateAdded(added);
        if !q.spec_versions.is_empty() && !q.spec_versions.contains(&r.spec_version) {
            return Ok(true);
        }
        offer(c, row, r, d, flags, f)
    };
    type Member = (i64, i64, (bool, bool));
    let next_member = |members: &mut rusqlite::Rows<'_>| -> Result<Option<Member>> {
        match members.next().map_err(sql_err)? {
            Some(m) => Ok(Some((
                m.get(0).map_err(sql_err)?,
                m.get(1).map_err(sql_err)?,
                (m.get(2).map_err(sql_err)?, m.get(3).map_err(sql_err)?),
            ))),
            None => Ok(None),
        }
    };
    let mut member = next_member(&mut members)?;
    // Each turn seeks the current member's object, then steps to the
    // following members' objects for as long as they lie a few rows ahead.
    while let Some((added, object, flags)) = member {
        let mut objects = seek.query([object]).map_err(sql_err)?;
        let mut at = match objects.next().map_err(sql_err)? {
            Some(row) => {
                let at: i64 = row.get(0).map_err(sql_err)?;
                // A member's object always exists (a foreign key), and this
                // snapshot holds both.
                if at != object {
                    return Err(Error::Internal(format!("collection member {added} has no object {object}")));
                }
                if !take(row, (added, flags), &mut r)? {
                    return Ok(());
                }
                at
            }
            None => return Err(Error::Internal(format!("collection member {added} has no object {object}"))),
        };
        member = next_member(&mut members)?;
        'stepping: while let Some((added, object, flags)) = member {
            if object <= at {
                break; // out of the objects' order: seek it
            }
            for _ in 0..STEPS {
                let Some(row) = objects.next().map_err(sql_err)? else { break 'stepping };
                at = row.get(0).map_err(sql_err)?;
                if at == object {
                    if !take(row, (added, flags), &mut r)? {
                        return Ok(());
                    }
                    member = next_member(&mut members)?;
                    continue 'stepping;
                }
                if at > object {
                    break 'stepping;
                }
            }
            break; // further on than a few steps: seek it
        }
    }
    Ok(())
}
