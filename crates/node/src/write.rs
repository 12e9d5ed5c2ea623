//! The one write path for partner input: what a partner gives the node
//! (TAXII add, the REST API's and the pages' share) is parsed and accepted
//! ([`release::accept_from`], and authored as the partner where it names
//! no author), stored so that only its author versions it
//! ([`store::PutOptions::only_author`]), its recalls spread
//! ([`release::spread_recalls`]) and the agreements' index forgotten when
//! it changed ([`Node::wrote`]), in one call ([`Node::put_from`]). What
//! arrives otherwise (sync from peers, `entente import`) is stored through
//! [`put`], which spreads recalls the same way.

use model::Object;
use policy::PartnerId;
use store::{Outcome, PutOptions, Store};

use crate::release;
use crate::Node;

/// Where partner input goes.
#[derive(Debug, Clone, Default)]
pub struct To {
    /// A registry collection to add it to.
    pub collection: Option<String>,
    /// The agreements to share it under (ids the caller checked the partner
    /// is a party to).
    pub shares: Vec<String>,
    /// Whether an object that names no author is authored as the partner
    /// (the REST API and the pages; TAXII stores objects as they are).
    pub author_unnamed: bool,
}

/// What became of one object of the input, in input order.
#[derive(Debug)]
pub enum Fate {
    /// Refused before storing: the message names the object and property.
    Invalid(String),
    /// Offered to the store: the object and what the store did with it.
    Offered(Object, Outcome),
}

impl Node {
    /// `partner` gives the node `raws` for `to`: each is parsed and
    /// accepted on its own (the valid rest is kept), then stored as one
    /// batch posted by the partner, only the author versioning, recalls
    /// spread and the index forgotten if it changed. Blocking.
    pub fn put_from(&self, partner: &PartnerId, raws: &[&[u8]], to: &To) -> store::Result<Vec<Fate>> {
        let keys = self.agreements.keys(&*self.store)?;
        let mut fates: Vec<Option<Fate>> = Vec::with_capacity(raws.len());
        let mut valid = Vec::new();
        for raw in raws {
            let accepted = release::accept_from(raw, &self.limits, partner.as_str())
                .and_then(|o| if to.author_unnamed { release::authored_as(o, partner.as_str()) } else { Ok(o) })
                .and_then(|o| sourced_by(o, partner, &keys));
            match accepted {
                Ok(o) => {
                    fates.push(None);
                    valid.push(o);
                }
                Err(message) => fates.push(Some(Fate::Invalid(message))),
            }
        }
        let options = PutOptions {
            collection: to.collection.clone(),
            shares: to.shares.clone(),
            posted_by: Some(partner.to_string()),
            only_author: true,
            holds_sources: true,
            ..PutOptions::default()
        };
        let outcomes = self.put(&valid, &options)?;
        let mut offered = valid.into_iter().zip(outcomes);
        Ok(fates
            .into_iter()
            .map(|f| f.or_else(|| offered.next().map(|(o, outcome)| Fate::Offered(o, outcome))))
            .map(|f| f.unwrap_or_else(|| Fate::Invalid("the store answered nothing for this object".into())))
            .collect())
    }

    /// Stores `objects` with `options` ([`put`]) and forgets the agreements'
    /// index if they change it. Blocking.
    pub fn put(&self, objects: &[Object], options: &PutOptions) -> store::Result<Vec<Outcome>> {
        let outcomes = put(&*self.store, objects, options)?;
        self.wrote(objects);
        Ok(outcomes)
    }
}

/// `object` as `partner` may give it: its own (`created_by_ref` names the
/// partner), or a source's that `partner` holds and answers for on this
/// node (an author that is not a partner here — a vendor, an open feed, a
/// community — or none: [`store::PutOptions::holds_sources`]). Refused
/// when it names another partner as author (no one speaks for a partner:
/// a partner is an identity whose own key this node holds, `keys`, or
/// Entente itself) and when a source's identity carries a key (a
/// partner's key comes from its operator, `entente partner add`).
pub fn sourced_by(object: Object, partner: &PartnerId, keys: &policy::PartyKeys) -> Result<Object, String> {
    let Some(author) = object.created_by_ref().filter(|a| *a != partner) else { return Ok(object) };
    if keys.get(author).is_some() || author.as_str() == policy::ext::ENTENTE_IDENTITY {
        return Err(format!(
            "{}: created_by_ref names {author}, a partner of this node, not the submitting partner: no one speaks for a partner",
            object.id()
        ));
    }
    if object.object_type() == "identity" && !matches!(policy::ext::public_key_of(&object), Ok(None)) {
        return Err(format!(
            "{}: an identity with a key is a partner's, added by the node's operator (entente partner add --identity), not shared",
            object.id()
        ));
    }
    Ok(object)
}

/// Stores `objects` with `options` and spreads the recalls among them
/// ([`release::spread_recalls`]): every write of objects goes through here.
/// Blocking.
pub fn put(store: &dyn Store, objects: &[Object], options: &PutOptions) -> store::Result<Vec<Outcome>> {
    let outcomes = store.put(objects, options)?;
    release::spread_recalls(store, objects, &outcomes)?;
    Ok(outcomes)
}
