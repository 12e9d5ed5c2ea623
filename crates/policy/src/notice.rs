//! [`Ratification`] and [`Notice`]: the objects by which each party acts on an agreement.

use model::{Object, Timestamp};

use crate::ids::{AGREEMENT_TYPE, NOTICE_TYPE, RATIFICATION_TYPE};
use crate::read::{authored, Props};
use crate::{AgreementId, Error, PartnerId};

/// A party's ratification of one agreement version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ratification {
    /// The ratification object's id.
    pub id: model::StixId,
    /// The ratifying party (`created_by_ref`).
    pub author: PartnerId,
    /// The ratification object's own version.
    pub version: Timestamp,
    /// Whether this version of the ratification revokes it.
    pub revoked: bool,
    /// The agreement ratified.
    pub agreement: AgreementId,
    /// The agreement version ratified (its `modified`).
    pub agreement_version: Timestamp,
    /// Base64 Ed25519 signature over the RFC 8785 form of that version.
    pub signature: String,
}

impl Ratification {
    /// Reads a ratification from a validated object.
    pub fn from_object(object: &Object) -> Result<Ratification, Error> {
        let (author, version) = authored(object, RATIFICATION_TYPE)?;
        let value = object.to_value();
        let p = Props::new(object.id(), &value)?;
        Ok(Ratification {
            id: object.id().clone(),
            author,
            version,
            revoked: object.revoked(),
            agreement: p.id_ref("agreement_ref", AGREEMENT_TYPE)?,
            agreement_version: p.timestamp("agreement_version")?,
            signature: p.string("signature")?,
        })
    }
}

/// What a notice announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// The party stops sharing under the agreement until it resumes.
    Suspension,
    /// The party ends its suspension. Without it a suspension could only end
    /// by revoking the notice, which would erase from the record that the
    /// agreement was ever suspended; a resumption keeps the history and can be
    /// announced ahead of time.
    Resumption,
    /// The party leaves the agreement; final.
    Withdrawal,
}

impl NoticeKind {
    /// The name used in JSON (`notice_type`).
    pub fn name(self) -> &'static str {
        match self {
            NoticeKind::Suspension => "suspension",
            NoticeKind::Resumption => "resumption",
            NoticeKind::Withdrawal => "withdrawal",
        }
    }

    /// Parses the name used in JSON.
    pub fn parse(s: &str) -> Option<NoticeKind> {
        match s {
            "suspension" => Some(NoticeKind::Suspension),
            "resumption" => Some(NoticeKind::Resumption),
            "withdrawal" => Some(NoticeKind::Withdrawal),
            _ => None,
        }
    }
}

/// A party's notice of suspension, resumption or withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The notice object's id.
    pub id: model::StixId,
    /// The party giving notice (`created_by_ref`).
    pub author: PartnerId,
    /// The notice object's own version.
    pub version: Timestamp,
    /// Whether this version revokes the notice (a revoked notice has no effect).
    pub revoked: bool,
    /// The agreement concerned.
    pub agreement: AgreementId,
    /// Suspension, resumption or withdrawal.
    pub kind: NoticeKind,
    /// When it takes effect.
    pub effective: Timestamp,
}

impl Notice {
    /// Reads a notice from a validated object.
    pub fn from_object(object: &Object) -> Result<Notice, Error> {
        let (author, version) = authored(object, NOTICE_TYPE)?;
        let value = object.to_value();
        let p = Props::new(object.id(), &value)?;
        let kind = p.string("notice_type")?;
        let kind = NoticeKind::parse(&kind).ok_or_else(|| {
            Error::invalid(
                object.id(),
                "notice_type",
                "must be one of suspension, resumption, withdrawal",
            )
        })?;
        Ok(Notice {
            id: object.id().clone(),
            author,
            version,
            revoked: object.revoked(),
            agreement: p.id_ref("agreement_ref", AGREEMENT_TYPE)?,
            kind,
            effective: p.timestamp("effective")?,
        })
    }
}
