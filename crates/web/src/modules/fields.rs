//! What the module pages built from a state share: the page's context
//! ([`Page`]: the caller, the agreement's parties, now, a refused input),
//! action forms of typed fields ([`Page::form`]) that show a refusal next
//! to the field the module named (or atop the form when the module named a
//! property the form has no field for) and keep what was typed, and small
//! helpers for dates and partner names.

use maud::{html, Markup};
use serde_json::{Map, Value};

use super::Fault;
use crate::kit::form::csrf_field;
use crate::session::Signed;

/// The properties whose values say which record a form is about, in the
/// order they are joined into a refusal's `about` ([`about_of`]).
const ABOUT: &[&str] = &["playbook", "crisis", "task", "request", "dispute", "proposal", "statement", "exercise", "inject", "lesson", "action", "placement", "course", "project", "commitment", "delivery", "terms", "offer"];

/// What a refused form was about: the values of its [`ABOUT`] properties,
/// joined by spaces ("" for a form about no record).
pub(super) fn about_of(input: &Map<String, Value>) -> String {
    ABOUT.iter().filter_map(|k| input.get(*k).and_then(Value::as_str)).collect::<Vec<_>>().join(" ")
}

/// A browser's `datetime-local` value (`2026-12-06T18:30`, optionally with
/// seconds) as an RFC 3339 UTC timestamp; any other text unchanged, for
/// the module to refuse by name.
pub(super) fn utc(raw: &str) -> String {
    let b = raw.as_bytes();
    let shaped = |n: usize| b.len() == n && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && raw.chars().filter(char::is_ascii_digit).count() == n - 4 - usize::from(n == 19);
    if shaped(16) {
        format!("{raw}:00Z")
    } else if shaped(19) && b[16] == b':' {
        format!("{raw}Z")
    } else {
        raw.to_owned()
    }
}

/// A timestamp as people read it: `2026-12-06 18:30 UTC` in a `<time>`
/// element; "—" for none.
pub(super) fn when(v: &Value) -> Markup {
    match v.as_str() {
        Some(t) if t.len() >= 16 => html! { time datetime=(t) { (t[..10].to_owned()) " " (t[11..16].to_owned()) " UTC" } },
        Some(t) => html! { (t) },
        None => html! { "—" },
    }
}

/// A JSON value as text: a string as is, a number plainly (a whole
/// float without its `.0`), null as "—".
pub(super) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// The kind of a form field, which decides its input and the type suffix
/// of its name (`typed_input`).
#[derive(Clone, Copy)]
pub(super) enum Kind {
    /// One line of text.
    Line,
    /// Several lines of text.
    Area,
    /// A number (`:number`).
    Number,
    /// A date and time in UTC (`:time`).
    Time,
    /// One of fixed values.
    Choice(&'static [&'static str]),
    /// One of the agreement's parties, by name.
    Party,
    /// Some of the agreement's parties (checkboxes, `:list`: one or more).
    Parties,
    /// A checkbox (`:bool`).
    Check,
    /// A yes/no choice posted as JSON `false`/`true`, with the words for each.
    Flag(&'static str, &'static str),
    /// Values one per line or comma (`:list`).
    List,
    /// JSON (`:json`).
    Json,
}

/// A form field: the property it fills, its label, its kind, required.
#[derive(Clone, Copy)]
pub(super) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// A field the form must be given a value for.
pub(super) const fn req(name: &'static str, label: &'static str, kind: Kind) -> Field {
    Field { name, label, kind, required: true }
}

/// A field that may stay empty.
pub(super) const fn opt(name: &'static str, label: &'static str, kind: Kind) -> Field {
    Field { name, label, kind, required: false }
}

impl Field {
    /// The name the field posts under, with its type suffix.
    fn posted(&self) -> String {
        let suffix = match self.kind {
            Kind::Number => ":number",
            Kind::Time => ":time",
            Kind::Check => ":bool",
            Kind::List | Kind::Parties => ":list",
            Kind::Json | Kind::Flag(..) => ":json",
            _ => "",
        };
        format!("{}{suffix}", self.name)
    }
}

/// The context of a module page.
pub(super) struct Page<'a> {
    /// The caller's partner's id.
    pub me: String,
    /// The CSRF field of the session ([`csrf_field`]).
    pub csrf: Markup,
    pub base: &'a str,
    pub fault: Option<&'a Fault>,
    pub who: &'a dyn Fn(&str) -> String,
    /// The agreement's parties' ids.
    pub parties: Vec<String>,
    /// When the state was derived.
    pub now: String,
    /// The actions the caller's role may not take (`denied` in the JSON):
    /// their forms show disabled, saying who takes them.
    pub denied: Vec<String>,
}

impl<'a> Page<'a> {
    /// The context from `render`'s state JSON (its `at` and `parties`).
    pub(super) fn new(signed: &'a Signed, base: &'a str, json: &Value, fault: Option<&'a Fault>, who: &'a dyn Fn(&str) -> String) -> Self {
        let parties = json["parties"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
        let denied = json["denied"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
        Page { me: signed.caller.partner.as_str().to_owned(), csrf: csrf_field(signed), base, fault, who, parties, now: json["at"].as_str().unwrap_or_default().to_owned(), denied }
    }

    /// The caller's partner's id.
    pub(super) fn me(&self) -> &str {
        &self.me
    }

    /// A partner's name from a JSON id.
    pub(super) fn name(&self, v: &Value) -> String {
        v.as_str().map_or_else(|| "—".to_owned(), |id| (self.who)(id))
    }

    /// Partners' names from a JSON list of ids, joined.
    pub(super) fn names(&self, v: &Value) -> String {
        let list: Vec<String> = v.as_array().into_iter().flatten().filter_map(Value::as_str).map(|id| (self.who)(id)).collect();
        if list.is_empty() {
            "—".to_owned()
        } else {
            list.join(", ")
        }
    }

    /// Whether the timestamp `v` is before now.
    pub(super) fn past(&self, v: &Value) -> bool {
        v.as_str().is_some_and(|t| t < self.now.as_str())
    }

    /// The refusal of this form (`action` about `about`), if it was.
    fn fault_of(&self, action: &str, about: &str) -> Option<&'a Fault> {
        self.fault.filter(|f| f.action == action && f.about == about)
    }

    /// A form posting `action` about `about` (the record ids its hidden
    /// fields name, joined by spaces as [`about_of`] joins them), with
    /// `hidden` fields and `fields`, under a `legend`. A refusal shows next
    /// to its field, or atop the form if no field has that name; the
    /// fields keep what was typed.
    pub(super) fn form(&self, action: &str, about: &str, legend: &str, hidden: &[(&str, &str)], fields: &[Field], button: &str) -> Markup {
        let fault = self.fault_of(action, about);
        let typed = |posted: &str| fault.and_then(|f| f.pairs.iter().find(|(k, _)| k == posted)).map(|(_, v)| v.clone());
        let owns = |x: &Field, property: &str| property == x.name || property.starts_with(&format!("{}[", x.name)) || property.starts_with(&format!("{}.", x.name));
        let stray = fault.filter(|f| !fields.iter().any(|x| owns(x, &f.field)));
        let slug: String = format!("{action}-{about}").chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
        let denied = self.denied.iter().any(|d| d == action);
        html! {
            form.action method="post" action={ (self.base) "/actions/" (action) } {
                (self.csrf)
                fieldset disabled[denied] {
                    legend { (legend) }
                    @if denied { p.note { "A liaison of your party takes this step." } }
                    @if let Some(f) = stray { p.error role="alert" { "Check the field " code { (f.field) } ": " (f.message) } }
                    @for (k, v) in hidden { input type="hidden" name=(k) value=(v); }
                    @for x in fields {
                        @let posted = x.posted();
                        @let id = format!("{slug}-{}", x.name);
                        @let value = typed(&posted);
                        @let error = fault.filter(|f| owns(x, &f.field));
                        div.field {
                            @match x.kind {
                                Kind::Check => {
                                    label { input id=(id) type="checkbox" name=(posted) checked[value.is_some()]; " " (x.label) }
                                }
                                Kind::Parties => {
                                    span.label { (x.label) }
                                    @for p in &self.parties {
                                        label { input type="checkbox" name=(posted) value=(p) checked[fault.is_some_and(|f| f.pairs.iter().any(|(k, v)| k == &posted && v == p))]; " " ((self.who)(p)) }
                                    }
                                }
                                _ => {
                                    label for=(id) { (x.label) @if !x.required { " (optional)" } }
                                    @match x.kind {
                                        Kind::Area | Kind::List | Kind::Json => {
                                            textarea id=(id) name=(posted) rows="3" required[x.required] { (value.unwrap_or_default()) }
                                        }
                                        Kind::Choice(options) => {
                                            select id=(id) name=(posted) required[x.required] {
                                                @if !x.required { option value="" { "—" } }
                                                @for o in options { option value=(o) selected[value.as_deref() == Some(*o)] { (o) } }
                                            }
                                        }
                                        Kind::Flag(off, on) => {
                                            select id=(id) name=(posted) {
                                                option value="false" selected[value.as_deref() == Some("false")] { (off) }
                                                option value="true" selected[value.as_deref() == Some("true")] { (on) }
                                            }
                                        }
                                        Kind::Party => {
                                            select id=(id) name=(posted) required[x.required] {
                                                @if !x.required { option value="" { "—" } }
                                                @for p in &self.parties { option value=(p) selected[value.as_deref() == Some(p.as_str())] { ((self.who)(p)) } }
                                            }
                                        }
                                        Kind::Number => { input id=(id) type="number" step="any" name=(posted) value=[value] required[x.required]; }
                                        Kind::Time => { input id=(id) type="datetime-local" name=(posted) value=[value] required[x.required]; small { " UTC" } }
                                        _ => { input id=(id) type="text" name=(posted) value=[value] required[x.required]; }
                                    }
                                }
                            }
                            @if let Some(f) = error { p.error role="alert" { "Check the field " code { (f.field) } ": " (f.message) } }
                        }
                    }
                    button type="submit" { (button) }
                }
            }
        }
    }
}

/// A page context for the pages' unit tests: the caller's partner `me`,
/// parties A and B (`identity--a`, `identity--b`, named "Alpha" and
/// "Bravo"), now at 2026-06-01 12:00 UTC.
#[cfg(test)]
pub(super) fn test_page<'a>(me: &str, fault: Option<&'a Fault>, who: &'a dyn Fn(&str) -> String) -> Page<'a> {
    Page { me: me.to_owned(), csrf: html! { input type="hidden" name="csrf" value="t"; }, base: "/m", fault, who, parties: vec!["identity--a".into(), "identity--b".into()], now: "2026-06-01T12:00:00Z".into(), denied: Vec::new() }
}

/// Names for [`test_page`].
#[cfg(test)]
pub(super) fn test_names(id: &str) -> String {
    match id {
        "identity--a" => "Alpha".to_owned(),
        "identity--b" => "Bravo".to_owned(),
        other => other.to_owned(),
    }
}

/// Fields one after another, from arrays of them (a form of repeated
/// rows built at compile time: a playbook's tasks, an exercise's injects).
pub(crate) const fn join<const N: usize>(parts: &[&[Field]]) -> [Field; N] {
    let mut out = [opt("", "", Kind::Line); N];
    let (mut n, mut i) = (0, 0);
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[n] = parts[i][j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(n == N, "every field placed");
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// A form for an action the caller's role may not take shows disabled,
    /// saying who takes it; the others stay as they were.
    #[test]
    fn a_form_the_role_may_not_use_is_disabled() {
        let mut page = super::test_page("identity--a", None, &super::test_names);
        page.denied = vec!["commit".into()];
        let fields = [super::opt("note", "Note", super::Kind::Line)];
        let denied = page.form("commit", "", "Pledge", &[], &fields, "Pledge").into_string();
        assert!(denied.contains("<fieldset disabled>") && denied.contains("A liaison of your party takes this step."), "{denied}");
        let open = page.form("deliver", "", "Deliver", &[], &fields, "Deliver").into_string();
        assert!(open.contains("<fieldset>") && !open.contains("A liaison"), "{open}");
    }

    /// A `datetime-local` value becomes UTC RFC 3339; anything else stays.
    #[test]
    fn local_times_become_utc() {
        assert_eq!(super::utc("2026-12-06T18:30"), "2026-12-06T18:30:00Z");
        assert_eq!(super::utc("2026-12-06T18:30:15"), "2026-12-06T18:30:15Z");
        assert_eq!(super::utc("2026-12-06T18:30:00Z"), "2026-12-06T18:30:00Z");
        assert_eq!(super::utc("tomorrow"), "tomorrow");
        assert_eq!(super::utc("2026-12-06Tab:30"), "2026-12-06Tab:30");
    }

    /// The ids a form is about, joined in a fixed order.
    #[test]
    fn about_joins_the_record_ids() {
        let input = json!({ "task": "t1", "crisis": "c1", "note": "x" });
        assert_eq!(super::about_of(input.as_object().unwrap()), "c1 t1");
        assert_eq!(super::about_of(json!({ "title": "x" }).as_object().unwrap()), "");
    }
}
