//! Which partners a caller may know of — need to know: its own, the
//! node's, and those it shares an agreement with. The REST API's
//! `GET /api/v1/partners` and the pages' partners page show the same list.

use crate::Caller;

/// The partners `caller` may know of among `all`: its own, the node's
/// (`node_partner`), and those named by the agreements of `index` it is a
/// party to. The node's administrator knows all.
pub fn known_to(all: Vec<store::PartnerRecord>, index: &policy::AgreementIndex, caller: &Caller, node_partner: &str) -> Vec<store::PartnerRecord> {
    let node_admin = caller.node_admin;
    let mut known = std::collections::BTreeSet::from([caller.partner.to_string(), node_partner.to_owned()]);
    if !node_admin {
        let me = &caller.partner;
        for id in index.ids() {
            if let Some(a) = index.agreement(&id).filter(|a| a.is_party(me)) {
                known.extend(a.terms.parties.iter().map(|p| p.to_string()));
            }
        }
    }
    all.into_iter().filter(|p| node_admin || known.contains(&p.id)).collect()
}
