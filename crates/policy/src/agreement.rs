//! [`Agreement`]: one version of an `x-entente-agreement` object, read into typed terms.

use serde_json::{json, Map, Value};

use model::tlp::Tlp;
use model::{Object, StixId, Timestamp};

use crate::ids::AGREEMENT_TYPE;
use crate::read::{authored, Props};
use crate::{AgreementId, Error, PartnerId};

/// Whether an agreement covers real data, exercise data or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// Only objects that are not exercise data.
    Real,
    /// Only exercise data.
    Exercise,
    /// Both.
    Both,
}

/// Whether, and to whom, a recipient may pass on an object it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reshare {
    /// Never: the object never leaves the node that received it.
    None,
    /// Only to parties of the agreement it arrived under.
    PartiesOnly,
    /// Under the recipient's own agreements, as for its own objects.
    RecipientAgreements,
}

/// Whether recipients must name the provider when they use the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attribution {
    /// The provider must be credited.
    Required,
    /// The provider must not be named.
    Withheld,
}

/// Actions a recipient may take with the data (FIRST IEP 2.0 "permitted actions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Contact the provider for instructions before acting.
    ContactForInstruction,
    /// Actions not visible outside the recipient's own systems.
    InternallyVisible,
    /// Actions visible outside but not directly to the adversary (e.g. blocking).
    ExternallyVisibleIndirect,
    /// Actions visible to the adversary (e.g. takedowns, sinkholing).
    ExternallyVisibleDirect,
}

macro_rules! names {
    ($ty:ty, $what:literal, $($variant:path => $name:literal),+ $(,)?) => {
        impl $ty {
            /// The name used in JSON.
            pub fn name(self) -> &'static str {
                match self { $($variant => $name),+ }
            }
            /// Parses the name used in JSON.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($name => Some($variant),)+ _ => None }
            }
            fn expected() -> String {
                format!("must be one of {}", [$($name),+].join(", "))
            }
        }
    };
}
names!(DataKind, "data kind", DataKind::Real => "real", DataKind::Exercise => "exercise", DataKind::Both => "both");
names!(Reshare, "re-share", Reshare::None => "none", Reshare::PartiesOnly => "parties-only",
    Reshare::RecipientAgreements => "recipient-agreements");
names!(Attribution, "attribution", Attribution::Required => "required", Attribution::Withheld => "withheld");
names!(Action, "action", Action::ContactForInstruction => "contact-for-instruction",
    Action::InternallyVisible => "internally-visible",
    Action::ExternallyVisibleIndirect => "externally-visible-indirect",
    Action::ExternallyVisibleDirect => "externally-visible-direct");

impl DataKind {
    /// Whether this kind covers an object that is (or is not) exercise data.
    pub fn covers(self, exercise: bool) -> bool {
        match self {
            DataKind::Real => !exercise,
            DataKind::Exercise => exercise,
            DataKind::Both => true,
        }
    }
}

/// What an agreement covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// STIX types covered; empty means all.
    pub object_types: Vec<String>,
    /// Labels (topics) covered: an object is covered if it carries one; empty means all.
    pub labels: Vec<String>,
    /// Real data, exercise data, or both.
    pub data_kind: DataKind,
}

/// How recipients must handle what they receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handling {
    /// Onward sharing.
    pub reshare: Reshare,
    /// Provider attribution.
    pub attribution: Attribution,
    /// Permitted actions (empty: none).
    pub permitted_actions: Vec<Action>,
    /// How long recipients may keep the data, if limited.
    pub retention_days: Option<u32>,
}

/// How often the parties hold meetings of one type (`meeting_cadence` in
/// the terms, optional): one meeting of `meeting_type` in each period of
/// `every_months` months from `valid_from`. The dialogue module reports
/// the meetings held against those planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cadence {
    /// The meeting type, as meetings name it (`senior-dialogue`).
    pub meeting_type: String,
    /// The period, in months (1 to 60): 3 is quarterly.
    pub every_months: u32,
}

/// How the parties adopt a joint statement (`statement_procedure` in the
/// terms, optional; absent: unanimity). The statements module applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatementProcedure {
    /// Every co-signer approves the exact final version.
    #[default]
    Unanimity,
    /// The statement passes `silence_days` days after its latest version
    /// unless a co-signer objected in writing before then.
    Silence {
        /// The silence period, in days (1 to 90).
        silence_days: u32,
    },
}

/// The terms of an agreement: everything its author writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementTerms {
    /// Short title.
    pub title: String,
    /// What the partnership shares for.
    pub purpose: String,
    /// The parties (two or more identities, the author among them).
    pub parties: Vec<PartnerId>,
    /// What the agreement covers.
    pub scope: Scope,
    /// The most restrictive TLP level the agreement may carry.
    pub tlp_ceiling: Tlp,
    /// Handling rules.
    pub handling: Handling,
    /// Start of validity.
    pub valid_from: Timestamp,
    /// End of validity (exclusive), if any.
    pub valid_until: Option<Timestamp>,
    /// How often the parties meet, per meeting type (may be empty).
    pub meeting_cadence: Vec<Cadence>,
    /// How joint statements are adopted (unanimity unless it says otherwise).
    pub statement_procedure: StatementProcedure,
}

impl AgreementTerms {
    /// The terms as top-level properties of an agreement object.
    pub fn to_properties(&self) -> Map<String, Value> {
        let mut handling = json!({
            "reshare": self.handling.reshare.name(),
            "attribution": self.handling.attribution.name(),
            "permitted_actions": self.handling.permitted_actions.iter().map(|a| a.name()).collect::<Vec<_>>(),
        });
        if let Some(days) = self.handling.retention_days {
            handling["retention_days"] = json!(days);
        }
        let mut m = Map::new();
        m.insert("title".into(), json!(self.title));
        m.insert("purpose".into(), json!(self.purpose));
        m.insert("party_refs".into(), json!(self.parties));
        m.insert(
            "scope".into(),
            json!({
                "object_types": self.scope.object_types,
                "labels": self.scope.labels,
                "data_kind": self.scope.data_kind.name(),
            }),
        );
        m.insert("tlp_ceiling".into(), json!(self.tlp_ceiling.name()));
        m.insert("handling".into(), handling);
        m.insert("valid_from".into(), json!(self.valid_from.as_str()));
        if let Some(u) = &self.valid_until {
            m.insert("valid_until".into(), json!(u.as_str()));
        }
        if !self.meeting_cadence.is_empty() {
            let cadence: Vec<Value> = self
                .meeting_cadence
                .iter()
                .map(|c| json!({"meeting_type": c.meeting_type, "every_months": c.every_months}))
                .collect();
            m.insert("meeting_cadence".into(), Value::Array(cadence));
        }
        if let StatementProcedure::Silence { silence_days } = self.statement_procedure {
            m.insert("statement_procedure".into(), json!({"mode": "silence", "silence_days": silence_days}));
        }
        m
    }
}

/// One version of an agreement.
#[derive(Debug, Clone)]
pub struct Agreement {
    /// The agreement's id (shared by all its versions).
    pub id: AgreementId,
    /// The proposer, `created_by_ref`: the only party that may version it.
    pub author: PartnerId,
    /// This version, `modified`.
    pub version: Timestamp,
    /// Whether this version revokes the agreement.
    pub revoked: bool,
    /// The terms.
    pub terms: AgreementTerms,
    /// RFC 8785 canonical JSON of this version: what ratifications sign.
    pub canonical: Vec<u8>,
}

impl Agreement {
    /// Reads an agreement version from a validated object.
    pub fn from_object(object: &Object) -> Result<Agreement, Error> {
        let (author, version) = authored(object, AGREEMENT_TYPE)?;
        let value = object.to_value();
        let terms = read_terms(object.id(), &value)?;
        if !terms.parties.contains(&author) {
            return Err(Error::invalid(
                object.id(),
                "party_refs",
                "must include the author (created_by_ref)",
            ));
        }
        Ok(Agreement {
            id: object.id().clone(),
            author,
            version,
            revoked: object.revoked(),
            terms,
            canonical: crate::jcs::canonicalize(&value)?,
        })
    }

    /// Whether `p` is a party.
    pub fn is_party(&self, p: &PartnerId) -> bool {
        self.terms.parties.contains(p)
    }
}

fn read_terms(id: &StixId, value: &Value) -> Result<AgreementTerms, Error> {
    let p = Props::new(id, value)?;
    let title = p.string("title")?;
    let purpose = p.string("purpose")?;
    let parties = p.id_refs("party_refs", "identity")?;
    let mut distinct = parties.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != parties.len() {
        return Err(Error::invalid(id, "party_refs", "names a party twice"));
    }
    if parties.len() < 2 {
        return Err(Error::invalid(
            id,
            "party_refs",
            "must list at least two identities",
        ));
    }

    let scope_map = p.sub("scope")?.ok_or_else(|| Error::missing(id, "scope"))?;
    let scope_value = Value::Object(scope_map.clone());
    let s = Props::new(id, &scope_value)?;
    let scope = Scope {
        object_types: s.strings("object_types", "scope.object_types")?,
        labels: s.strings("labels", "scope.labels")?,
        data_kind: named(
            id,
            s.get("data_kind"),
            "scope.data_kind",
            DataKind::parse,
            DataKind::expected,
        )?,
    };
    for (i, t) in scope.object_types.iter().enumerate() {
        if StixId::parse(&format!("{t}--00000000-0000-4000-8000-000000000000")).is_err() {
            return Err(Error::invalid(
                id,
                format!("scope.object_types[{i}]"),
                "is not a STIX type name",
            ));
        }
    }

    let tlp_ceiling = named(id, p.get("tlp_ceiling"), "tlp_ceiling", Tlp::parse, || {
        "must be one of clear, green, amber, amber+strict, red".to_string()
    })?;

    let h_map = p
        .sub("handling")?
        .ok_or_else(|| Error::missing(id, "handling"))?;
    let h_value = Value::Object(h_map.clone());
    let h = Props::new(id, &h_value)?;
    let mut permitted_actions = Vec::new();
    for (i, a) in h
        .strings("permitted_actions", "handling.permitted_actions")?
        .iter()
        .enumerate()
    {
        let at = format!("handling.permitted_actions[{i}]");
        permitted_actions
            .push(Action::parse(a).ok_or_else(|| Error::invalid(id, at, Action::expected()))?);
    }
    let retention_days = match h.get("retention_days") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(n) if (1..=u64::from(u32::MAX)).contains(&n) => Some(n as u32),
            _ => {
                return Err(Error::invalid(
                    id,
                    "handling.retention_days",
                    "must be a positive integer",
                ))
            }
        },
    };
    let handling = Handling {
        reshare: named(
            id,
            h.get("reshare"),
            "handling.reshare",
            Reshare::parse,
            Reshare::expected,
        )?,
        attribution: named(
            id,
            h.get("attribution"),
            "handling.attribution",
            Attribution::parse,
            Attribution::expected,
        )?,
        permitted_actions,
        retention_days,
    };

    let valid_from = p.timestamp("valid_from")?;
    let valid_until = p.opt_timestamp("valid_until")?;
    if valid_until.as_ref().is_some_and(|u| *u <= valid_from) {
        return Err(Error::invalid(
            id,
            "valid_until",
            "must be later than valid_from",
        ));
    }
    let meeting_cadence = read_cadence(id, p.get("meeting_cadence"))?;
    let statement_procedure = read_statement_procedure(id, p.get("statement_procedure"))?;
    Ok(AgreementTerms {
        title,
        purpose,
        parties,
        scope,
        tlp_ceiling,
        handling,
        valid_from,
        valid_until,
        meeting_cadence,
        statement_procedure,
    })
}

/// The optional `statement_procedure`: `{"mode": "unanimity"}` or
/// `{"mode": "silence", "silence_days": 1..=90}`.
fn read_statement_procedure(id: &StixId, v: Option<&Value>) -> Result<StatementProcedure, Error> {
    const AT: &str = "statement_procedure";
    let map = match v {
        None => return Ok(StatementProcedure::Unanimity),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(Error::invalid(id, AT, "must be {mode: unanimity} or {mode: silence, silence_days}")),
    };
    if let Some(k) = map.keys().find(|k| !["mode", "silence_days"].contains(&k.as_str())) {
        return Err(Error::invalid(id, format!("{AT}.{k}"), "is not a statement procedure property (mode, silence_days)"));
    }
    match map.get("mode").and_then(Value::as_str) {
        Some("unanimity") if !map.contains_key("silence_days") => Ok(StatementProcedure::Unanimity),
        Some("unanimity") => Err(Error::invalid(id, format!("{AT}.silence_days"), "is only for the silence procedure")),
        Some("silence") => match map.get("silence_days").and_then(Value::as_u64) {
            Some(n @ 1..=90) => Ok(StatementProcedure::Silence { silence_days: n as u32 }),
            _ => Err(Error::invalid(id, format!("{AT}.silence_days"), "must be a whole number of days from 1 to 90")),
        },
        _ => Err(Error::invalid(id, format!("{AT}.mode"), "must be unanimity or silence")),
    }
}

/// The optional `meeting_cadence`: a list of `{meeting_type, every_months}`,
/// each type once.
fn read_cadence(id: &StixId, v: Option<&Value>) -> Result<Vec<Cadence>, Error> {
    let items = match v {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(Error::invalid(
                id,
                "meeting_cadence",
                "must be a list of {meeting_type, every_months}",
            ))
        }
    };
    let mut out: Vec<Cadence> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |p: &str| format!("meeting_cadence[{i}]{p}");
        let Value::Object(map) = item else {
            return Err(Error::invalid(id, at(""), "must be an object"));
        };
        if let Some(k) = map.keys().find(|k| !["meeting_type", "every_months"].contains(&k.as_str())) {
            return Err(Error::invalid(id, at(&format!(".{k}")), "is not a cadence property (meeting_type, every_months)"));
        }
        let meeting_type = match map.get("meeting_type").and_then(Value::as_str) {
            Some(t) if !t.trim().is_empty() && t.chars().count() <= 100 => t.to_owned(),
            _ => return Err(Error::invalid(id, at(".meeting_type"), "must be a name of 1 to 100 characters")),
        };
        if out.iter().any(|c| c.meeting_type == meeting_type) {
            return Err(Error::invalid(id, at(".meeting_type"), "names a meeting type twice"));
        }
        let every_months = match map.get("every_months").and_then(Value::as_u64) {
            Some(n @ 1..=60) => n as u32,
            _ => return Err(Error::invalid(id, at(".every_months"), "must be a whole number of months from 1 to 60")),
        };
        out.push(Cadence { meeting_type, every_months });
    }
    Ok(out)
}

fn named<T>(
    id: &StixId,
    v: Option<&Value>,
    at: &str,
    parse: impl Fn(&str) -> Option<T>,
    expected: impl Fn() -> String,
) -> Result<T, Error> {
    match v {
        None => Err(Error::missing(id, at)),
        Some(Value::String(s)) => parse(s).ok_or_else(|| Error::invalid(id, at, expected())),
        Some(_) => Err(Error::invalid(id, at, expected())),
    }
}

#[cfg(test)]
mod tests;
