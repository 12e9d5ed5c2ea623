//! The resources module's state kept as records arrive
//! ([`partnership::Fold`]): every commitment, delivery, confirmation and
//! correction read once, when it arrives, and kept read ([`Parsed`]), so
//! that a read of the ledger does not parse every entry again. The state
//! is then derived by the same code as [`crate::rules::state`]
//! (`rules::state_with`), which takes what the fold read instead of
//! reading the record; what it does not hold (a record the fold never saw)
//! is read on the spot, so both paths say the same.
//!
//! What this fold does **not** do yet: the per-year aggregates, the
//! running totals and the figures are still summed in one pass over every
//! entry on each read, because the state holds every ledger line and
//! commitment (the page's tables, the CSV export and `needs` read them
//! there); docs/benchmarks.md says what that costs and what is left.
//!
//! A commitment is kept read without its agreement (the fold has none):
//! the receiver is checked against the reader's agreement when the state
//! is derived ([`crate::types::Commitment::checked`]). Only a record's
//! first version counts in the ledger; a kept reading is used only for
//! the version it was read from (else the record is read again).

use std::borrow::Cow;
use std::collections::HashMap;

use model::{StixId, Timestamp};
use partnership::{Context, Error, Fold, Record, Records};
use policy::{Agreement, PartnerId};
use serde_json::Value;

use crate::rules::{first, state_with};
use crate::types::{Commitment, Confirmation, Correction, Delivery, COMMITMENT, CONFIRMATION, CORRECTION, DELIVERY};

/// A record's reading, kept with the version it was read from.
type Kept<T> = HashMap<StixId, (Timestamp, Result<T, Error>)>;

/// The ledger's records, each read once: by id, with the version read.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Commitments, with their receiver when reading got that far.
    commitments: HashMap<StixId, (Timestamp, Option<PartnerId>, Result<Commitment, Error>)>,
    deliveries: Kept<Delivery>,
    confirmations: Kept<Confirmation>,
    corrections: Kept<Correction>,
}

/// `r`'s kept reading if it was read from this version, else `r` read now.
fn kept<'a, T: Clone>(map: &'a Kept<T>, r: &Record, read: fn(&Record) -> Result<T, Error>) -> Result<Cow<'a, T>, Error> {
    match map.get(&r.id) {
        Some((at, k)) if *at == r.modified => k.as_ref().map(Cow::Borrowed).map_err(Clone::clone),
        _ => read(r).map(Cow::Owned),
    }
}

impl Parsed {
    /// Reads `r`'s first version (what the ledger counts), if it is of a
    /// kind kept here.
    pub fn add(&mut self, records: &Records, r: &Record) {
        let r = first(records, r);
        let at = r.modified.clone();
        match r.kind.as_str() {
            COMMITMENT => {
                let (receiver, read) = Commitment::parse(r);
                self.commitments.insert(r.id.clone(), (at, receiver, read));
            }
            DELIVERY => {
                self.deliveries.insert(r.id.clone(), (at, Delivery::read(r)));
            }
            CONFIRMATION => {
                self.confirmations.insert(r.id.clone(), (at, Confirmation::read(r)));
            }
            CORRECTION => {
                self.corrections.insert(r.id.clone(), (at, Correction::read(r)));
            }
            _ => {}
        }
    }

    /// What [`Commitment::read`] says of `r` under `agreement`.
    pub fn commitment(&self, r: &Record, agreement: &Agreement) -> Result<Cow<'_, Commitment>, Error> {
        match self.commitments.get(&r.id) {
            Some((at, receiver, read)) if *at == r.modified => Commitment::checked(r, receiver.as_ref(), read.as_ref().map(Cow::Borrowed).map_err(Clone::clone), agreement),
            _ => Commitment::read(r, agreement).map(Cow::Owned),
        }
    }

    /// What [`Delivery::read`] says of `r`.
    pub fn delivery(&self, r: &Record) -> Result<Cow<'_, Delivery>, Error> {
        kept(&self.deliveries, r, Delivery::read)
    }

    /// What [`Confirmation::read`] says of `r`.
    pub fn confirmation(&self, r: &Record) -> Result<Cow<'_, Confirmation>, Error> {
        kept(&self.confirmations, r, Confirmation::read)
    }

    /// What [`Correction::read`] says of `r`.
    pub fn correction(&self, r: &Record) -> Result<Cow<'_, Correction>, Error> {
        kept(&self.corrections, r, Correction::read)
    }
}

/// The resources module's fold.
#[derive(Debug, Clone, Default)]
pub struct ResourcesFold {
    parsed: Parsed,
}

impl Fold for ResourcesFold {
    fn add(&mut self, record: &Record, records: &Records) -> bool {
        self.parsed.add(records, record);
        true
    }

    fn finish(&self, records: &Records, ctx: &Context<'_>) -> Value {
        state_with(records, ctx, &self.parsed)
    }

    fn boxed_clone(&self) -> Box<dyn Fold> {
        Box::new(self.clone())
    }
}
