//! Object-path evaluation: key, index and `[*]` steps, `_hex`/`_bin` value
//! decoding, and `_ref`/`_refs` dereferencing within one observation.

use base64::Engine as _;
use serde_json::Value;

use super::Observation;
use crate::ast::PathStep;
use crate::error::{Error, Result};

/// A value reached by a path.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    /// A value inside the JSON.
    Json(&'a Value),
    /// Decoded `_hex` / `_bin` property.
    Bytes(Vec<u8>),
    /// A dereferenced `_refs` list.
    List(Vec<&'a Value>),
}

fn decode_suffixed(name: &str, v: &Value) -> Result<Option<Vec<u8>>> {
    let hex = name.ends_with("_hex");
    if !hex && !name.ends_with("_bin") {
        return Ok(None);
    }
    let Value::String(s) = v else {
        return Err(Error::eval(format!("property '{name}' is not a string")));
    };
    if hex {
        if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::eval(format!(
                "invalid hex in property '{name}': {s}"
            )));
        }
        let out = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect();
        Ok(Some(out))
    } else {
        // Like Python's non-validating b64decode: ignore characters outside the alphabet.
        let cleaned: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
            .collect();
        let cleaned = cleaned.trim_end_matches('=');
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(cleaned)
            .map(Some)
            .map_err(|e| Error::eval(format!("invalid base64 in property '{name}': {e}")))
    }
}

fn deref_one<'a>(obs: &Observation<'a>, r: &'a Value, prop: &str) -> Result<Vec<&'a Value>> {
    let Value::String(id) = r else {
        let which = if prop.ends_with("_refs") { "A" } else { "The" };
        return Err(Error::eval(format!(
            "{which} value of reference property '{prop}' was not a string! Got {r}"
        )));
    };
    Ok(obs.resolve(id))
}

/// Takes one key step (with decoding and dereferencing) from every value.
fn key_step<'a>(obs: &Observation<'a>, vals: Vec<Val<'a>>, key: &str) -> Result<Vec<Val<'a>>> {
    let mut out = Vec::new();
    for v in vals {
        let Val::Json(Value::Object(m)) = v else {
            continue;
        };
        let Some(x) = m.get(key) else { continue };
        if let Some(bytes) = decode_suffixed(key, x)? {
            out.push(Val::Bytes(bytes));
            continue;
        }
        if key.ends_with("_ref") {
            out.extend(deref_one(obs, x, key)?.into_iter().map(Val::Json));
        } else if key.ends_with("_refs") {
            let Value::Array(items) = x else {
                return Err(Error::eval(format!(
                    "The value of reference list property '{key}' was not a list! Got {x}"
                )));
            };
            let mut objs = Vec::new();
            for r in items {
                objs.extend(deref_one(obs, r, key)?);
            }
            if !objs.is_empty() {
                out.push(Val::List(objs));
            }
        } else {
            out.push(Val::Json(x));
        }
    }
    Ok(out)
}

/// A key that neither decodes (`_hex`, `_bin`) nor dereferences (`_ref`, `_refs`).
fn plain_key(k: &str) -> bool {
    !(k.ends_with("_hex") || k.ends_with("_bin") || k.ends_with("_ref") || k.ends_with("_refs"))
}

/// The common case of [`eval_path`], without allocating: a path of plain keys
/// and fixed indexes reaches at most one value. `None` for any other path.
fn plain_path<'a>(root: &'a Value, steps: &[PathStep]) -> Option<Option<&'a Value>> {
    let mut v = root;
    for step in steps {
        let next = match step {
            PathStep::Key(k) if plain_key(k) => v.as_object().and_then(|m| m.get(k.as_str())),
            PathStep::Index(i) => match (v, usize::try_from(*i)) {
                (Value::Array(a), Ok(i)) => a.get(i),
                _ => None,
            },
            _ => return None,
        };
        // Once nothing is reached, nothing further is (and nothing fails).
        match next {
            Some(n) => v = n,
            None => return Some(None),
        }
    }
    Some(Some(v))
}

/// Evaluates `steps` from a root object; returns every value reached.
pub fn eval_path<'a>(
    obs: &Observation<'a>,
    root: &'a Value,
    steps: &[PathStep],
) -> Result<Vec<Val<'a>>> {
    if let Some(v) = plain_path(root, steps) {
        return Ok(v.map(Val::Json).into_iter().collect());
    }
    let mut vals = vec![Val::Json(root)];
    for step in steps {
        vals = match step {
            PathStep::Key(k) => key_step(obs, vals, k)?,
            PathStep::Index(i) => {
                let Ok(i) = usize::try_from(*i) else {
                    vals.clear();
                    continue;
                };
                vals.into_iter()
                    .filter_map(|v| match v {
                        Val::Json(Value::Array(a)) => a.get(i).map(Val::Json),
                        Val::List(l) => l.get(i).copied().map(Val::Json),
                        _ => None,
                    })
                    .collect()
            }
            PathStep::AnyIndex => {
                let mut out = Vec::new();
                for v in vals {
                    match v {
                        Val::Json(Value::Array(a)) => out.extend(a.iter().map(Val::Json)),
                        Val::List(l) => out.extend(l.into_iter().map(Val::Json)),
                        _ => {}
                    }
                }
                out
            }
        };
        if vals.is_empty() {
            break;
        }
    }
    Ok(vals)
}
