//! The acceptance decision: which of a page's checked objects this node
//! stores, and under which agreement. Agreement records and the author's own
//! identity are kept as they are (a module's record must also pass its
//! module's arrival check, given by the caller); anything else is received
//! under the agreement whose collection it came from, if that agreement is
//! in force here and covers it (`policy::decide`).

use std::collections::{BTreeMap, HashMap};

use model::StixId;
use policy::Decision;
use store::{PeerRecord, PutOptions, Query, Store, Versions};

use crate::provenance::Checked;
use crate::round::Report;

/// The check a partnership module's record passes on arrival, as if it were
/// made here (the server passes its modules' `check_arrival`): the reason
/// to refuse it, if any.
pub type Arrival<'a> = &'a (dyn Fn(&model::Object, &policy::AgreementIndex) -> Result<(), String> + Sync);

/// One page read from a peer, to store what passes.
pub(crate) struct Page<'a> {
    pub(crate) peer: &'a PeerRecord,
    pub(crate) local: &'a StixId,
    /// The cursor's setting and the page's `X-TAXII-Date-Added-Last`: the
    /// cursor once the page is stored.
    pub(crate) cursor: (&'a str, &'a str),
    /// The agreement whose collection the page comes from; none for the
    /// agreement records read from the everything collection.
    pub(crate) agreement: Option<&'a StixId>,
    /// The modules' check of their records on arrival.
    pub(crate) arrival: Arrival<'a>,
}

/// Where an accepted object goes: kept as it is (agreement records, the
/// author's identity), or received under an agreement.
type Batches = BTreeMap<Option<String>, (Vec<model::Object>, Vec<store::Signature>)>;

impl Page<'_> {
    /// Decides on the page's checked objects and stores what passes; writes
    /// the cursor with its last batch. Returns whether agreement records or
    /// identities arrived (the book must be read again).
    pub(crate) fn accept(
        &self,
        store: &dyn Store,
        book: &node::agreements::Book,
        checked: Vec<Checked>,
        report: &mut Report,
    ) -> Result<bool, String> {
        let started = std::time::Instant::now();
        let (peer, local) = (self.peer, self.local);
        let now = model::Timestamp::now();
        let mut parsed = Vec::with_capacity(checked.len());
        for c in checked {
            match c {
                Checked::Own => report.unchanged += 1,
                Checked::Refused(what, why) => report.refuse(peer, &what, why),
                Checked::Signed(o, signature, arrival) => parsed.push((*o, signature, arrival)),
            }
        }
        // Who authored what this node already holds of these objects.
        let ids: Vec<String> = parsed.iter().map(|(o, _, _)| o.id().to_string()).collect();
        let mut authors: HashMap<String, Vec<Option<String>>> = HashMap::new();
        if !ids.is_empty() {
            let q = Query { ids, versions: Versions::ALL, ..Query::default() };
            store
                .scan(&q, &mut |r| {
                    authors.entry(r.id.clone()).or_default().push(r.created_by_ref.clone().or(r.posted_by.clone()));
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
        }
        let index = book.index();
        let holder = StixId::parse(&peer.partner).map_err(|e| format!("the peer's partner: {e}"))?;
        let mut batches = Batches::new();
        let mut book_changed = false;
        for (o, signature, arrival) in parsed {
            let id = o.id().to_string();
            // The author it names; a source's object naming none is its
            // vouching partner's to answer for (the signer).
            let author = match o.created_by_ref() {
                Some(a) => a.clone(),
                None => match StixId::parse(&signature.signer) {
                    Ok(signer) => signer,
                    Err(_) => continue,
                },
            };
            let vouched = signature.signer != author.as_str();
            if vouched && policy::kinds::is_record(o.object_type()) {
                report.refuse(peer, &id, "a partnership record is its author's, signed by it; no one vouches for one".into());
                continue;
            }
            // An object naming no author (an SCO) has one version, whoever
            // sent it: the store's version decision is enough.
            if o.created_by_ref().is_some() && authors.get(&id).is_some_and(|a| a.iter().any(|x| x.as_deref() != Some(author.as_str()))) {
                report.refuse(peer, &id, "earlier versions here have another author; only the author versions an object".into());
                continue;
            }
            let own_identity = o.object_type() == "identity" && o.id() == &author && !vouched;
            if policy::kinds::is_record(o.object_type()) || own_identity {
                // Partnership records go only to the agreement's parties (and
                // whom they name), and an identity signed by its own key is
                // the partner's word. A module's record must be valid for
                // its module, as if it were made here: checked with the page
                // (`provenance::check`, with this same index), else here.
                if let Err(why) = arrival.unwrap_or_else(|| (self.arrival)(&o, index)) {
                    report.refuse(peer, &id, why);
                    continue;
                }
                book_changed |= policy::kinds::rebuilds_index(o.object_type());
                let batch = batches.entry(None).or_default();
                batch.0.push(o);
                batch.1.push(signature);
                continue;
            }
            let mut facts = match policy::ObjectFacts::from_object(&o) {
                Ok(f) => f,
                Err(e) => {
                    report.refuse(peer, &id, format!("release properties: {e}"));
                    continue;
                }
            };
            // It is received under the agreement whose collection it came
            // from (the peer released it under that one alone), which must be
            // in force here too, between the peer's partner and this node's,
            // and cover it (`policy::decide` with this node's partner as the
            // recipient): another agreement covering it could carry other
            // handling rules than the one its sharer chose. A third party's
            // object comes from the peer's partner as its holder: the
            // holder's node already applied the handling rules it arrived
            // under; the author's own markings (TLP, named recipients) are
            // checked again here.
            facts.author = Some(holder.clone());
            let Some(under) = self.agreement else {
                tracing::debug!(peer = %peer.id, object = %id, "sync: not an agreement record, left to the agreement collections");
                continue;
            };
            match policy::decide(&facts, local, &now, std::slice::from_ref(under), index) {
                Decision::Allow { agreement: Some(a) } => {
                    let batch = batches.entry(Some(a.to_string())).or_default();
                    batch.0.push(o);
                    batch.1.push(signature);
                }
                Decision::Allow { agreement: None } => report.refuse(peer, &id, "no agreement carries it".into()),
                Decision::Deny { reasons } => {
                    let why = reasons.first().map(|r| r.to_string()).unwrap_or_else(|| "no agreement covers it".into());
                    report.refuse(peer, &id, format!("no agreement in force with the peer covers it: {why}"));
                }
            }
        }
        let decided = started.elapsed();
        let n = batches.len();
        let mut batches: Vec<_> = batches.into_iter().collect();
        if batches.is_empty() {
            batches.push((None, Default::default())); // the cursor moves even when nothing was kept
        }
        for (i, (agreement, (objects, signatures))) in batches.into_iter().enumerate() {
            let options = PutOptions {
                posted_by: Some(local.to_string()),
                received_under: agreement,
                checkpoint: (i + 1 == n.max(1)).then(|| (self.cursor.0.to_owned(), self.cursor.1.to_owned())),
                signatures,
                ..PutOptions::default()
            };
            let outcomes = node::write::put(store, &objects, &options).map_err(|e| e.to_string())?;
            for (outcome, o) in outcomes.into_iter().zip(&objects) {
                match outcome {
                    store::Outcome::Added(_) => report.added += 1,
                    store::Outcome::Unchanged(_) => report.unchanged += 1,
                    store::Outcome::Conflict(m) | store::Outcome::NotAuthor(m) => report.refuse(peer, &o.id().to_string(), m),
                }
            }
        }
        tracing::debug!(
            peer = %peer.id, decided_ms = decided.as_secs_f64() * 1e3, stored_ms = (started.elapsed() - decided).as_secs_f64() * 1e3,
            "sync: page decided and stored"
        );
        Ok(book_changed)
    }
}

