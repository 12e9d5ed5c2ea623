//! The store conformance suite's case for an import of history
//! ([`PutOptions::added_at`]): batches dated in the past keep `date_added`
//! strictly increasing, and a reader paging by `added_after` misses none.

use std::sync::Arc;

use model::Timestamp;

use super::{all_records, check_paging, id, indicator, put_ok, AUTHOR_A};
use crate::{DateAdded, Outcome, PutOptions, Query, Registry, Store, Versions};

/// Import of history ([`PutOptions::added_at`]): batches dated in the past,
/// in date order, take those dates (their collection memberships too) while
/// the store holds nothing newer; a batch dated before what the store holds
/// is dated after it instead, never below; a later batch without a date is
/// dated now; and a reader that paged by `added_after` before the later
/// batches misses none of them.
pub fn backdated_history_keeps_dates_increasing<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let now = Timestamp::now().micros();
    let day = 86_400_000_000;
    let at = |n: i64| PutOptions { added_at: Some(DateAdded(now - n * day)), collection: Some("c1".into()), ..PutOptions::default() };
    let first = store.put(&(0..3).map(|n| indicator(n, 0, AUTHOR_A)).collect::<Vec<_>>(), &at(90)).unwrap();
    let dates: Vec<i64> = first.iter().map(|o| match o { Outcome::Added(d) => d.0, other => panic!("{other:?}") }).collect();
    assert!((now - 90 * day..now - 90 * day + 1000).contains(&dates[0]), "the first batch is dated when its history says: {dates:?}");
    assert!(dates.windows(2).all(|w| w[0] < w[1]) && dates[2] < now - 89 * day, "{dates:?}");
    let members = all_records(&*store, &Query { collection: Some("c1".into()), versions: Versions::ALL, ..Query::default() });
    assert!(members.iter().all(|r| r.date_added.0 < now - 89 * day), "memberships are dated with their batch");
    let second = store.put(&[indicator(3, 0, AUTHOR_A)], &at(30)).unwrap();
    let Outcome::Added(second) = second[0] else { panic!("{second:?}") };
    assert!((now - 30 * day..now - 30 * day + 1000).contains(&second.0), "{second:?}");
    // A reader pages everything so far, and remembers where it stopped.
    let seen = all_records(&*store, &Query { versions: Versions::ALL, ..Query::default() });
    let stopped = seen.last().unwrap().date_added.0;
    // History older than what the store holds is dated after it.
    let late = store.put(&[indicator(4, 0, AUTHOR_A)], &at(60)).unwrap();
    let Outcome::Added(late) = late[0] else { panic!("{late:?}") };
    assert!(late.0 > stopped && late.0 < now - 29 * day, "dated just after the latest held: {late:?}");
    // A date in the future is not taken: a batch is never dated after now.
    let future = PutOptions { added_at: Some(DateAdded(now + 10 * day)), ..PutOptions::default() };
    let Outcome::Added(f) = store.put(&[indicator(5, 0, AUTHOR_A)], &future).unwrap()[0] else { panic!() };
    assert!(f.0 < now + day, "{f:?}");
    let Outcome::Added(fresh) = put_ok(&*store, &[indicator(6, 0, AUTHOR_A)])[0] else { panic!() };
    assert!(fresh.0 >= now && fresh > f);
    // What arrived after the reader stopped: every later batch, in order.
    let after = all_records(&*store, &Query { versions: Versions::ALL, added_after: Some(stopped), ..Query::default() });
    assert_eq!(after.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), vec![id(4), id(5), id(6)]);
    check_paging(&*store, 7);
}
