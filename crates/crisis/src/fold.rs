//! The crisis module's state kept as records arrive ([`partnership::Fold`]):
//! per crisis, the records naming it filed once — each task's updates in
//! order with their author, the timeline's events by time, the few other
//! records (acknowledgements, situation reports, assistance, reviews) by
//! id — so that a read of the common picture costs the crisis's tasks and
//! its newest events, not its history. What counts at the read's `now`
//! (records dated after it do not; service levels) is judged when the
//! picture is read, by the same code as [`crate::rules::state`]
//! (`rules::state_with`), only the records handed to it differ.

use std::collections::{BTreeSet, HashMap};

use model::{StixId, Timestamp};
use partnership::{Context, Fold, Record, Records};
use serde_json::Value;

use crate::rules::{state_with, Of};
use crate::types::{self, CRISIS, CRISIS_REF, ENDORSEMENT, PLAYBOOK, TASK_UPDATE};

/// The crisis module's fold.
#[derive(Debug, Clone, Default)]
pub struct CrisisFold {
    crises: HashMap<String, Filed>,
}

/// What names one crisis (whether or not the crisis itself arrived yet).
#[derive(Debug, Clone, Default)]
struct Filed {
    /// Per task key, its updates by (created, id), each with its author and
    /// whether it says it is an exercise.
    updates: HashMap<String, Vec<(Timestamp, StixId, String, bool)>>,
    /// Every record naming it, by (created, id): those that say they are
    /// not an exercise, and those that say they are.
    events: [BTreeSet<(Timestamp, StixId)>; 2],
    /// The records that are not task updates.
    others: Vec<StixId>,
}

impl Fold for CrisisFold {
    fn add(&mut self, r: &Record, _: &Records) -> bool {
        if r.kind == PLAYBOOK || r.kind == ENDORSEMENT || r.kind == CRISIS {
            // Read from the records themselves when the picture is read.
            return true;
        }
        let Some(crisis) = r.properties.get(CRISIS_REF).and_then(Value::as_str) else { return true };
        let filed = self.crises.entry(crisis.to_owned()).or_default();
        let exercise = types::is_exercise(r);
        filed.events[usize::from(exercise)].insert((r.created.clone(), r.id.clone()));
        if r.kind != TASK_UPDATE {
            filed.others.push(r.id.clone());
            return true;
        }
        if let Some(task) = r.properties.get("task").and_then(Value::as_str) {
            let list = filed.updates.entry(task.to_owned()).or_default();
            let at = list.partition_point(|(t, id, ..)| (t, id) < (&r.created, &r.id));
            list.insert(at, (r.created.clone(), r.id.clone(), r.author.as_str().to_owned(), exercise));
        }
        true
    }

    fn finish(&self, records: &Records, ctx: &Context<'_>) -> Value {
        let empty = Filed::default();
        state_with(records, ctx, &|c: &Record| -> Box<dyn Of<'_> + '_> {
            let filed = self.crises.get(c.id.as_str()).unwrap_or(&empty);
            Box::new(Kept { filed, records, exercise: types::is_exercise(c), now: ctx.now.clone() })
        })
    }

    fn boxed_clone(&self) -> Box<dyn Fold> {
        Box::new(self.clone())
    }
}

/// [`Of`] from what the fold filed for one crisis.
struct Kept<'a> {
    filed: &'a Filed,
    records: &'a Records,
    exercise: bool,
    now: Timestamp,
}

impl<'a> Of<'a> for Kept<'a> {
    fn others(&self) -> Vec<&'a Record> {
        let mut others: Vec<&Record> = self.filed.others.iter().filter_map(|id| self.records.get(id)).collect();
        others.sort_by(|a, b| (&a.kind, &a.created, &a.id).cmp(&(&b.kind, &b.created, &b.id)));
        others
    }

    fn ignored(&self) -> usize {
        self.filed.events[usize::from(!self.exercise)].len()
    }

    fn updates(&self, key: &str, assignee: &str, assigned: &Timestamp) -> (usize, Option<&'a Record>, Option<&'a Record>) {
        let Some(list) = self.filed.updates.get(key) else { return (0, None, None) };
        let mut counted = list.iter().filter(|(t, _, by, exercise)| t <= &self.now && *exercise == self.exercise && by == assignee && t >= assigned);
        let Some(first) = counted.next() else { return (0, None, None) };
        let (mut n, mut last) = (1, first);
        for u in counted {
            n += 1;
            last = u;
        }
        (n, self.records.get(&first.1), self.records.get(&last.1))
    }

    fn events(&self, n: usize) -> (usize, Vec<&'a Record>) {
        let set = &self.filed.events[usize::from(self.exercise)];
        // Records dated after now do not count yet: they are the newest, few or none.
        let later = set.iter().rev().take_while(|(t, _)| t > &self.now).count();
        let mut newest: Vec<&Record> = set.iter().rev().skip(later).take(n).filter_map(|(_, id)| self.records.get(id)).collect();
        newest.reverse();
        (set.len() - later, newest)
    }
}
