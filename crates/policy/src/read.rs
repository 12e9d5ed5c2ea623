//! Helpers that read typed properties out of an object's JSON, naming the property on error.

use serde_json::{Map, Value};

use model::{Object, StixId, Timestamp};

use crate::Error;

/// An object's JSON map together with its id, for error messages.
pub(crate) struct Props<'a> {
    pub id: &'a StixId,
    pub map: &'a Map<String, Value>,
}

impl<'a> Props<'a> {
    pub fn new(id: &'a StixId, value: &'a Value) -> Result<Self, Error> {
        match value {
            Value::Object(map) => Ok(Props { id, map }),
            _ => Err(Error::invalid(id, "(object)", "must be a JSON object")),
        }
    }

    pub fn sub(&self, prop: &str) -> Result<Option<&'a Map<String, Value>>, Error> {
        match self.map.get(prop) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(Error::invalid(self.id, prop, "must be an object")),
        }
    }

    pub fn get(&self, prop: &str) -> Option<&'a Value> {
        self.map.get(prop)
    }

    pub fn string(&self, prop: &str) -> Result<String, Error> {
        match self.map.get(prop) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(Error::invalid(self.id, prop, "must be a string")),
            None => Err(Error::missing(self.id, prop)),
        }
    }

    pub fn strings(&self, prop: &str, at: &str) -> Result<Vec<String>, Error> {
        match self.map.get(prop) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| Error::invalid(self.id, at, "must be a list of strings")),
            Some(_) => Err(Error::invalid(self.id, at, "must be a list of strings")),
        }
    }

    pub fn id_ref(&self, prop: &str, ty: &str) -> Result<StixId, Error> {
        let raw = self.string(prop)?;
        parse_ref(self.id, &raw, prop, ty)
    }

    pub fn id_refs(&self, prop: &str, ty: &str) -> Result<Vec<StixId>, Error> {
        match self.map.get(prop) {
            None => Err(Error::missing(self.id, prop)),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let at = format!("{prop}[{i}]");
                    let s = v
                        .as_str()
                        .ok_or_else(|| Error::invalid(self.id, &at, "must be an id"))?;
                    parse_ref(self.id, s, &at, ty)
                })
                .collect(),
            Some(_) => Err(Error::invalid(self.id, prop, "must be a list of ids")),
        }
    }

    pub fn timestamp(&self, prop: &str) -> Result<Timestamp, Error> {
        let raw = self.string(prop)?;
        Timestamp::parse(&raw).map_err(|e| Error::invalid(self.id, prop, e))
    }

    pub fn opt_timestamp(&self, prop: &str) -> Result<Option<Timestamp>, Error> {
        match self.map.get(prop) {
            None => Ok(None),
            Some(_) => self.timestamp(prop).map(Some),
        }
    }
}

pub(crate) fn parse_ref(object: &StixId, raw: &str, at: &str, ty: &str) -> Result<StixId, Error> {
    let id = StixId::parse(raw).map_err(|e| Error::invalid(object, at, e))?;
    if id.object_type() != ty {
        return Err(Error::invalid(
            object,
            at,
            format!("must refer to {ty}, not `{}`", id.object_type()),
        ));
    }
    Ok(id)
}

/// Checks the object's type and returns its author and version.
pub(crate) fn authored(object: &Object, ty: &'static str) -> Result<(StixId, Timestamp), Error> {
    if object.object_type() != ty {
        return Err(Error::WrongType {
            object: object.id().to_string(),
            expected: ty,
            found: object.object_type().into(),
        });
    }
    let author = object
        .created_by_ref()
        .cloned()
        .ok_or_else(|| Error::missing(object.id(), "created_by_ref"))?;
    let version = object
        .version()
        .cloned()
        .ok_or_else(|| Error::missing(object.id(), "modified"))?;
    Ok((author, version))
}
