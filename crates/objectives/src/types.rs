//! The objectives module's record kinds — objectives with their KPIs,
//! endorsements, progress reports — and how each is read from a record,
//! every fault named by its property as a path (`kpis[2].baseline`).
//!
//! These checks look at one record and its agreement only (what
//! `Module::validate` may do): checks against other records (the objective
//! a report names exists, the reporter is the KPI's reporting party) are
//! the actions' ([`crate::actions`]), and the state ignores what fails them.

use model::{StixId, Timestamp};
use partnership::{Error, Record};
use policy::PartnerId;
use serde_json::Value;

/// The `extension-definition` (`new-sdo`) the module's record types are defined by.
pub const EXTENSION: &str = "extension-definition--03015b4f-83bd-4a70-8a2c-a6177efecc89";

/// An objective: a title, a description and KPIs, proposed by a party.
pub const OBJECTIVE: &str = "x-entente-objective";
/// A party's endorsement of one exact version of an objective (`partnership::consent`).
pub const ENDORSEMENT: &str = "x-entente-endorsement";
/// A value of one KPI at a time, by the KPI's reporting party.
pub const REPORT: &str = "x-entente-progress-report";

/// The largest magnitude a KPI's numbers may have: far beyond any count or
/// duration a KPI measures, and small enough that differences of two of
/// them stay exact enough and finite.
pub const MAX_MAGNITUDE: f64 = 1e15;
/// At most this many KPIs per objective.
pub const MAX_KPIS: usize = 100;
/// At most this many characters in a title, a KPI's name or unit.
pub const MAX_SHORT: usize = 300;

/// Which way a KPI should move from its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The target is above the baseline.
    Increase,
    /// The target is below the baseline.
    Decrease,
}

impl Direction {
    /// `increase` or `decrease`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Increase => "increase",
            Direction::Decrease => "decrease",
        }
    }
}

/// One key performance indicator of an objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    /// Unique within its objective; reports name the KPI by it.
    pub name: String,
    /// What the values count (`hours`, `exercises per year`).
    pub unit: String,
    /// The value when the objective was proposed.
    pub baseline: f64,
    /// The value to reach; never the baseline.
    pub target: f64,
    /// Which way the target lies from the baseline.
    pub direction: Direction,
    /// When the target is due; not before the objective was created.
    pub due: Timestamp,
    /// Its weight in the objective's progress; above 0.
    pub weight: f64,
    /// The party that reports its values (a party of the agreement).
    pub reporting_party: PartnerId,
}

/// One version of an objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    /// A short title.
    pub title: String,
    /// What the parties want to achieve, and why.
    pub description: Option<String>,
    /// One or more KPIs, names unique.
    pub kpis: Vec<Kpi>,
    /// Whether its author closed it with this version.
    pub closed: bool,
    /// Why it was closed, if its author said.
    pub closing_note: Option<String>,
}

/// A progress report: the value of one KPI at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The objective.
    pub objective: StixId,
    /// The KPI's name.
    pub kpi: String,
    /// The value measured.
    pub value: f64,
    /// When it was measured; not after the report was made.
    pub measured_at: Timestamp,
    /// A remark, if any.
    pub note: Option<String>,
}

fn short(record: &Record, path: &str, value: Option<&Value>) -> Result<String, Error> {
    let text = value.and_then(Value::as_str).ok_or_else(|| Error::invalid(&record.id, path, "is required (a string)"))?;
    if text.trim().is_empty() {
        return Err(Error::invalid(&record.id, path, "must not be empty"));
    }
    if text.chars().count() > MAX_SHORT {
        return Err(Error::invalid(&record.id, path, format!("must be at most {MAX_SHORT} characters")));
    }
    Ok(text.to_owned())
}

/// A number within [`MAX_MAGNITUDE`], or an error naming `path`.
pub fn number(object: &StixId, path: &str, value: Option<&Value>) -> Result<f64, Error> {
    let n = value.and_then(Value::as_f64).ok_or_else(|| Error::invalid(object, path, "is required (a number)"))?;
    if !n.is_finite() || n.abs() > MAX_MAGNITUDE {
        return Err(Error::invalid(object, path, format!("must be a number between -{MAX_MAGNITUDE:e} and {MAX_MAGNITUDE:e}")));
    }
    Ok(n)
}

fn opt_text(record: &Record, path: &str, value: Option<&Value>) -> Result<Option<String>, Error> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::invalid(&record.id, path, "must be a string")),
    }
}

impl Kpi {
    /// Reads `kpis[i]` of an objective created at `record.created`.
    fn read(record: &Record, i: usize, value: &Value) -> Result<Kpi, Error> {
        let path = |p: &str| format!("kpis[{i}].{p}");
        let Value::Object(map) = value else {
            return Err(Error::invalid(&record.id, format!("kpis[{i}]"), "must be an object"));
        };
        let name = short(record, &path("name"), map.get("name"))?;
        let unit = short(record, &path("unit"), map.get("unit"))?;
        let baseline = number(&record.id, &path("baseline"), map.get("baseline"))?;
        let target = number(&record.id, &path("target"), map.get("target"))?;
        if target == baseline {
            return Err(Error::invalid(&record.id, path("target"), format!("must differ from the baseline ({baseline})")));
        }
        let direction = match map.get("direction").and_then(Value::as_str) {
            Some("increase") => Direction::Increase,
            Some("decrease") => Direction::Decrease,
            _ => return Err(Error::invalid(&record.id, path("direction"), "must be `increase` or `decrease`")),
        };
        match direction {
            Direction::Increase if target < baseline => {
                return Err(Error::invalid(&record.id, path("target"), format!("must be above the baseline ({baseline}) for a KPI to increase")));
            }
            Direction::Decrease if target > baseline => {
                return Err(Error::invalid(&record.id, path("target"), format!("must be below the baseline ({baseline}) for a KPI to decrease")));
            }
            _ => {}
        }
        let raw = map.get("due").and_then(Value::as_str).ok_or_else(|| Error::invalid(&record.id, path("due"), "is required (a timestamp)"))?;
        let due = Timestamp::parse(raw).map_err(|e| Error::invalid(&record.id, path("due"), e))?;
        if due < record.created {
            return Err(Error::invalid(&record.id, path("due"), format!("is before the objective was created ({})", record.created)));
        }
        let weight = number(&record.id, &path("weight"), map.get("weight"))?;
        if weight <= 0.0 {
            return Err(Error::invalid(&record.id, path("weight"), "must be above 0"));
        }
        let party = map
            .get("reporting_party_ref")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid(&record.id, path("reporting_party_ref"), "is required (an identity id)"))?;
        let reporting_party = StixId::parse(party).map_err(|e| Error::invalid(&record.id, path("reporting_party_ref"), e))?;
        if reporting_party.object_type() != "identity" {
            return Err(Error::invalid(&record.id, path("reporting_party_ref"), "must name an identity"));
        }
        Ok(Kpi { name, unit, baseline, target, direction, due, weight, reporting_party })
    }
}

impl Objective {
    /// Reads an objective's version: title, KPIs and closure, each KPI
    /// checked on its own (not yet against the agreement's parties:
    /// [`Objective::check_parties`]).
    pub fn read(record: &Record) -> Result<Objective, Error> {
        let title = short(record, "title", record.properties.get("title"))?;
        let description = opt_text(record, "description", record.properties.get("description"))?;
        let Some(Value::Array(list)) = record.properties.get("kpis") else {
            return Err(Error::invalid(&record.id, "kpis", "is required (a list of KPIs)"));
        };
        if list.is_empty() {
            return Err(Error::invalid(&record.id, "kpis", "must name at least one KPI"));
        }
        if list.len() > MAX_KPIS {
            return Err(Error::invalid(&record.id, "kpis", format!("must name at most {MAX_KPIS} KPIs")));
        }
        let mut kpis: Vec<Kpi> = Vec::with_capacity(list.len());
        for (i, value) in list.iter().enumerate() {
            let kpi = Kpi::read(record, i, value)?;
            if let Some(j) = kpis.iter().position(|k| k.name == kpi.name) {
                return Err(Error::invalid(&record.id, format!("kpis[{i}].name"), format!("repeats the name of kpis[{j}]")));
            }
            kpis.push(kpi);
        }
        let closed = match record.properties.get("closed") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(Error::invalid(&record.id, "closed", "must be true or false")),
        };
        let closing_note = opt_text(record, "closing_note", record.properties.get("closing_note"))?;
        Ok(Objective { title, description, kpis, closed, closing_note })
    }

    /// Every KPI's reporting party is a party of `agreement`.
    pub fn check_parties(&self, record: &Record, agreement: &policy::Agreement) -> Result<(), Error> {
        for (i, kpi) in self.kpis.iter().enumerate() {
            if !agreement.is_party(&kpi.reporting_party) {
                return Err(Error::invalid(
                    &record.id,
                    format!("kpis[{i}].reporting_party_ref"),
                    format!("{} is not a party to {}", kpi.reporting_party, agreement.id),
                ));
            }
        }
        Ok(())
    }

    /// The KPI called `name`.
    pub fn kpi(&self, name: &str) -> Option<&Kpi> {
        self.kpis.iter().find(|k| k.name == name)
    }
}

impl Report {
    /// Reads a progress report: the objective and KPI it names, a value,
    /// when it was measured (not after the report was made).
    pub fn read(record: &Record) -> Result<Report, Error> {
        let objective = record.reference("objective_ref", OBJECTIVE)?;
        let kpi = short(record, "kpi", record.properties.get("kpi"))?;
        let value = number(&record.id, "value", record.properties.get("value"))?;
        let measured_at = record.opt_time("measured_at")?.ok_or_else(|| Error::invalid(&record.id, "measured_at", "is required (a timestamp)"))?;
        if measured_at > record.created {
            return Err(Error::invalid(&record.id, "measured_at", format!("is after the report was made ({})", record.created)));
        }
        let note = opt_text(record, "note", record.properties.get("note"))?;
        Ok(Report { objective, kpi, value, measured_at, note })
    }
}
