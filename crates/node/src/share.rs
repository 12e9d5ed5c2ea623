//! Sharing: a partner's objects stored and shared under agreements it is a
//! party to, through the one write path ([`Node::put_from`]), each object
//! reported ([`Shared`]). The REST API's `POST /api/v1/objects` and the
//! pages' share call it.

use model::StixId;
use serde_json::{json, Value};
use store::{Outcome, Role};

use crate::write::{Fate, To};
use crate::{Caller, Node};

/// Whether the caller's role may share (store objects under agreements):
/// the REST API's rule, which the web pages follow.
pub fn may_share(caller: &Caller) -> bool {
    caller.can(Role::Analyst)
}

/// What became of one object of a share request.
#[derive(Debug)]
pub enum Shared {
    /// Not a valid STIX object (or its release facts cannot be read): the
    /// position in the request and why, naming the property at fault.
    Invalid {
        /// The object's position in the request.
        index: usize,
        /// Why it is not valid.
        message: String,
    },
    /// A valid object: `status` is `stored`, `unchanged` or `refused`
    /// (`message` then says why).
    Object {
        /// The object's id.
        id: String,
        /// Its version (`modified`), if versioned.
        version: Option<String>,
        /// `stored`, `unchanged` or `refused`.
        status: &'static str,
        /// Why, when not stored.
        message: Option<String>,
    },
}

impl Shared {
    /// As the REST API reports it.
    pub fn to_json(&self) -> Value {
        match self {
            Shared::Invalid { index, message } => json!({ "index": index, "status": "refused", "message": message }),
            Shared::Object { id, version, status, message } => {
                let mut v = json!({ "id": id, "version": version, "status": status });
                if let Some(m) = message {
                    v["message"] = json!(m);
                }
                v
            }
        }
    }
}

/// The agreements of `requested` (raw ids) that `me` is a party to, as
/// ids; the first one it is not is the error, as a message naming the
/// property (`agreements`).
pub fn agreements_of(index: &policy::AgreementIndex, me: &StixId, requested: &[String]) -> Result<Vec<String>, String> {
    requested
        .iter()
        .map(|raw_id| {
            StixId::parse(raw_id)
                .ok()
                .filter(|id| index.agreement(id).is_some_and(|a| a.is_party(me)))
                .map(|id| id.to_string())
                .ok_or_else(|| format!("`agreements`: {raw_id} is not an agreement your partner is party to"))
        })
        .collect()
}

impl Node {
    /// Stores `partner`'s objects (each raw JSON) and shares them under
    /// `shares` (agreement ids from [`agreements_of`]): each object is
    /// validated, only its author may version it, recalls spread to the
    /// agreements of earlier versions, and the valid rest is kept when some
    /// are refused. Also answers whether an object already stored was
    /// offered under agreements (so detection's indicators must be read
    /// again). The caller's role is checked by the interfaces
    /// ([`may_share`]). Blocking.
    pub fn share(&self, partner: &StixId, objects: &[&[u8]], shares: Vec<String>) -> store::Result<(Vec<Shared>, bool)> {
        let to = To { shares, author_unnamed: true, ..To::default() };
        let shared = !to.shares.is_empty();
        let fates = self.put_from(partner, objects, &to)?;
        let reoffered = shared && fates.iter().any(|f| matches!(f, Fate::Offered(_, Outcome::Unchanged(_))));
        let results = fates
            .into_iter()
            .enumerate()
            .map(|(i, fate)| match fate {
                Fate::Invalid(message) => Shared::Invalid { index: i, message },
                Fate::Offered(o, outcome) => {
                    let (status, message) = match outcome {
                        Outcome::Added(_) => ("stored", None),
                        Outcome::Unchanged(_) => ("unchanged", Some("already stored".to_owned())),
                        Outcome::Conflict(m) | Outcome::NotAuthor(m) => ("refused", Some(m)),
                    };
                    Shared::Object { id: o.id().to_string(), version: o.version().map(|v| v.as_str().to_owned()), status, message }
                }
            })
            .collect();
        Ok((results, reoffered))
    }
}
