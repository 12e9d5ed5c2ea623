//! Badges: a version's TLP (as the release decision reads it from its
//! markings, granular ones included; unmarked is shown as the level it
//! counts as) and its PAP label, at a glance on every row and page; and
//! the values of an indicator on a warning list, with the list's name.

use maud::{html, Markup};
use store::Record;

/// The TLP badge of a stored version, from its release facts: the most
/// restrictive TLP marking, "unmarked (counts as AMBER)" without one, and
/// "unknown marking" when it carries a marking the node does not know
/// (which the decision treats as a denial to everyone but its author).
pub(crate) fn tlp(r: &Record) -> Markup {
    let facts = model::StixId::parse(&r.id).ok().and_then(|id| policy::ObjectFacts::decode(id, None, &r.facts));
    match facts {
        Some(f) if f.unknown_marking => html! { span.tlp.unknown title="a marking this node does not know: withheld from everyone but its author" { "unknown marking" } },
        Some(f) => match f.tlp {
            Some(t) => html! { span class={ "tlp tlp-" (t.name().replace('+', "-")) } { (t) } },
            None => html! { span.tlp.unmarked title={ "no TLP marking: counts as " (policy::UNMARKED_TLP) } { "unmarked" } },
        },
        None => html! {},
    }
}

/// The values of an object on a warning list, each with the list's name
/// ([`node::warninglists::flags`]): likely benign, or a false positive.
pub(crate) fn warning_lists(flagged: &[(String, String)]) -> Markup {
    html! {
        @for (i, (value, list)) in flagged.iter().enumerate() {
            @if i > 0 { "; " }
            span.warninglist title="on a warning list: likely benign, or a false positive" { "⚠ " code { (value) } " is on " em { (list) } }
        }
    }
}

/// The PAP badge of a version whose labels carry one (`PAP:GREEN`, as MISP
/// tags are imported), else nothing.
pub(crate) fn pap(json: &serde_json::Value) -> Markup {
    let pap = json.get("labels").and_then(serde_json::Value::as_array).into_iter().flatten().filter_map(serde_json::Value::as_str).find(|l| l.to_ascii_lowercase().starts_with("pap:"));
    match pap {
        Some(l) => html! { " " span.pap { (l.to_ascii_uppercase()) } },
        None => html! {},
    }
}
