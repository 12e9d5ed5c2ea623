//! What a partner may see, counted for its dashboard: latest versions by
//! type and by author (through its release gate), and what intelligence
//! arrived on each of the last [`DAYS`] days per author (the platform's
//! own records, of an Entente type (`policy::kinds::PREFIX`), are counted
//! by type, not as arrivals). Counting reads every visible
//! object, so a partner's counts are kept and reused while the store has
//! had nothing added ([`Dashboards`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use model::{StixId, Timestamp};
use policy::AgreementIndex;
use store::{Query, Store, Versions};

use crate::release::{Reader, Through};

/// How many days the arrivals table and chart cover.
pub const DAYS: usize = 30;

const DAY_MICROS: i64 = 86_400_000_000;

/// How long a partner's counts are reused at most.
const FRESH_MICROS: i64 = 60_000_000;

/// A write may carry a date added a little before it commits: a count
/// trusts nothing added within this long before it began.
const SLACK_MICROS: i64 = 2_000_000;

/// The dashboards counted lately, per partner. A load reuses its partner's
/// counts while nothing was added to the store since (one indexed probe),
/// the agreements' index is the same one, and they are under a minute old;
/// otherwise it counts again. A deletion shows within that minute.
#[derive(Default)]
pub struct Dashboards {
    counted: Mutex<HashMap<String, Arc<Counts>>>,
}

impl Dashboards {
    /// What `partner` may see through `index`, counted: the counts kept
    /// when still good (nothing added since, the same index, under a minute
    /// old), else counted again through the partner's release gate and
    /// kept. Counts show no object, so they are not entries in the release
    /// log. Blocking.
    pub fn count(&self, store: &dyn Store, index: &Arc<AgreementIndex>, partner: &StixId) -> store::Result<Arc<Counts>> {
        let cached = self.get(partner.as_str()).filter(|c| c.index == Arc::as_ptr(index) as usize && Timestamp::now().micros() - c.at < FRESH_MICROS);
        // Reused when nothing was added since it was counted (an indexed probe).
        let unchanged = |c: &Counts| {
            let probe = Query { added_after: Some(c.at - SLACK_MICROS), versions: Versions::ALL, limit: Some(1), ..Query::default() };
            store.query(&probe).map(|p| p.records.is_empty())
        };
        let counts = match cached {
            Some(c) if unchanged(&c)? => c,
            _ => {
                let reader = Reader::new(partner.clone(), index.clone(), Through::AnyShare);
                let now = Timestamp::now().micros();
                let mut counts = Counts { at: now, index: Arc::as_ptr(index) as usize, ..Counts::default() };
                let q = Query { versions: Versions::LAST, gate: Some(reader.gate()), ..Query::default() };
                store.scan(&q, &mut |r| {
                    counts.add(now, r.object_type, r.created_by_ref.unwrap_or_default(), r.date_added.0);
                    Ok(())
                })?;
                Arc::new(counts)
            }
        };
        self.keep(partner.as_str(), counts.clone());
        Ok(counts)
    }

    fn get(&self, partner: &str) -> Option<Arc<Counts>> {
        self.counted.lock().unwrap_or_else(|p| p.into_inner()).get(partner).cloned()
    }

    fn keep(&self, partner: &str, counts: Arc<Counts>) {
        let mut counted = self.counted.lock().unwrap_or_else(|p| p.into_inner());
        let now = Timestamp::now().micros();
        counted.retain(|_, c| now - c.at < FRESH_MICROS);
        counted.insert(partner.to_owned(), counts);
    }
}

/// What the dashboard counts in one pass over the visible objects.
#[derive(Default)]
pub struct Counts {
    /// When it was counted (microseconds).
    pub at: i64,
    /// The agreements' index it was counted under (its address).
    index: usize,
    /// Latest versions by object type.
    pub by_type: BTreeMap<String, usize>,
    /// Latest versions by author (`""` for none named).
    pub by_author: BTreeMap<String, usize>,
    /// Per author, intelligence (new objects or new versions, platform
    /// records left out) added on each of the last [`DAYS`] days, oldest
    /// first: index `DAYS - 1` is the last 24 hours.
    pub arrivals: BTreeMap<String, [u64; DAYS]>,
}

impl Counts {
    fn add(&mut self, now: i64, object_type: String, author: String, date_added: i64) {
        let platform = object_type.starts_with(policy::kinds::PREFIX);
        *self.by_type.entry(object_type).or_default() += 1;
        let age = now.saturating_sub(date_added).max(0) / DAY_MICROS;
        if let Ok(age) = usize::try_from(age) {
            if age < DAYS && !platform {
                self.arrivals.entry(author.clone()).or_insert([0; DAYS])[DAYS - 1 - age] += 1;
            }
        }
        *self.by_author.entry(author).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arrivals are intelligence by day: a platform record counts by
    /// type and author, not as an arrival; an object counts on its day.
    #[test]
    fn platform_records_are_not_arrivals() {
        let now = 100 * DAY_MICROS;
        let mut counts = Counts::default();
        counts.add(now, "x-entente-agreement".into(), "identity--a".into(), now - 10);
        counts.add(now, "indicator".into(), "identity--a".into(), now - 10);
        counts.add(now, "indicator".into(), "identity--a".into(), now - 3 * DAY_MICROS - 10);
        counts.add(now, "malware".into(), "identity--b".into(), now - (DAYS as i64) * DAY_MICROS - 10);
        let a = counts.arrivals["identity--a"];
        assert_eq!((a[DAYS - 1], a[DAYS - 4], a.iter().sum::<u64>()), (1, 1, 2), "{a:?}");
        assert!(!counts.arrivals.contains_key("identity--b"), "older than the window");
        assert_eq!((counts.by_type["x-entente-agreement"], counts.by_author["identity--a"], counts.by_author["identity--b"]), (1, 3, 1));
    }
}
