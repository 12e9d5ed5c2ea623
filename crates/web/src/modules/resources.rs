//! The resources module's page: the terms in force (unit and cost-share
//! key) and proposals awaiting acceptance, the ledger (each party's
//! pledged, confirmed, pending, disputed and received value and balance;
//! each commitment against what was delivered; each delivery and its
//! confirmation), each year's fair share against actual per party as a
//! bar chart and a table, the declared figures, projects and requests for
//! support; and the forms to commit, deliver, confirm, propose and accept
//! terms and declare figures.

use maud::{html, Markup};
use serde_json::Value;

use super::fields::{opt, req, text, when, Kind, Page};

const RESOURCE_KINDS: &[&str] = &["money", "equipment", "capability", "personnel", "training", "hosting", "intelligence"];

/// A value in the terms' unit, two decimals at most.
fn amount(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
        None => "—".to_owned(),
    }
}

/// A share (0..1) as a percentage.
fn percent(v: &Value) -> String {
    v.as_f64().map_or_else(|| "—".to_owned(), |x| format!("{:.1} %", x * 100.0))
}

/// Rows of the commitments and deliveries tables a page shows.
pub(super) const TABLE_PAGE: usize = 50;

/// Which page of the commitments and of the deliveries table to show: 0
/// is the newest [`TABLE_PAGE`] rows, 1 the ones before, and so on
/// (`?commitments=1&deliveries=2`). The CSV exports hold every row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Pages {
    pub commitments: usize,
    pub deliveries: usize,
}

impl Pages {
    /// The pages named in the query; the newest where none is, or a bad one.
    pub(super) fn from_query(query: &std::collections::HashMap<String, String>) -> Pages {
        let at = |k: &str| query.get(k).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
        Pages { commitments: at("commitments"), deliveries: at("deliveries") }
    }
}

/// Page `page` (0 the newest) of `rows` in their order: the slice shown
/// and whether older and newer pages exist among them. The state holds
/// the newest rows of a long table only (`resources::rules::WINDOW`);
/// older ones are in the CSV files.
fn window(rows: &[Value], page: usize) -> (&[Value], bool, bool) {
    let end = rows.len().saturating_sub(page.saturating_mul(TABLE_PAGE));
    let start = end.saturating_sub(TABLE_PAGE);
    (&rows[start..end], start > 0, page > 0 && !rows.is_empty())
}

/// How many rows a table has in all: the state's count (`ledger_count`,
/// `commitments_count`), else the rows it holds.
fn count(state: &Value, key: &str, held: usize) -> usize {
    state[format!("{key}_count")].as_u64().map_or(held, |n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// Links to the older and newer pages of a table (`key` in the query), the other table's page kept.
fn pager(p: &Page<'_>, key: &str, pages: &Pages, older: bool, newer: bool, total: usize, held: usize) -> Markup {
    let page = if key == "commitments" { pages.commitments } else { pages.deliveries };
    let link = |to: usize| {
        let (c, d) = if key == "commitments" { (to, pages.deliveries) } else { (pages.commitments, to) };
        format!("{}?commitments={c}&deliveries={d}#{key}", p.base)
    };
    html! {
        @let beyond = !older && total > held;
        @if older || newer || beyond {
            p.pager {
                (total) " in all, " (TABLE_PAGE) " a page. "
                @if newer { a href=(link(page - 1)) { "Newer" } " " }
                @if older { a href=(link(page + 1)) { "Older" } " " }
                @if beyond { "The " (held) " newest are shown here, older ones in the CSV. " }
                "· every row: " a href={ (p.base) "/files/" (if key == "commitments" { "commitments" } else { "ledger" }) ".csv" } { "CSV" }
            }
        }
    }
}

/// The resources module's page from its state (`resources::rules::state`),
/// the commitments and deliveries tables a page at a time (`pages`).
pub(super) fn page(p: &Page<'_>, state: &Value, pages: &Pages) -> Markup {
    let unit = state["terms"]["unit"].as_str().unwrap_or("units").to_owned();
    let commitments = state["commitments"].as_array().cloned().unwrap_or_default();
    let ledger = state["ledger"].as_array().cloned().unwrap_or_default();
    let (commitment_rows, older_commitments, newer_commitments) = window(&commitments, pages.commitments);
    let (ledger_rows, older_deliveries, newer_deliveries) = window(&ledger, pages.deliveries);
    html! {
        h3 { "Terms" }
        @if state["terms"].is_object() {
            p { "In force: values in " strong { (unit) } ", costs shared by the " strong { (text(&state["terms"]["key"])) } " key (version " (when(&state["terms"]["version"])) ")." }
        } @else { p { "No terms are in force yet: commitments cannot be valued until every party accepts one proposal." } }
        @for t in state["proposals"].as_array().into_iter().flatten().filter(|t| t["in_force"] != true) {
            @let tid = t["id"].as_str().unwrap_or_default();
            article.terms {
                p { "Proposed by " (p.name(&t["author"])) ": unit " (text(&t["terms"]["unit"])) ", key " (text(&t["terms"]["cost_share"]["method"])) "; accepted by " (p.names(&t["accepted_by"])) ", awaiting " (p.names(&t["awaiting"])) }
                @if t["awaiting"].as_array().is_some_and(|a| a.iter().any(|x| x.as_str() == Some(p.me()))) {
                    (p.form("accept-terms", tid, "Accept these terms for your party", &[("terms", tid), ("version", t["version"].as_str().unwrap_or_default())], &[], "Accept"))
                }
            }
        }

        h3 { "Ledger" }
        p.files { "Export as CSV: " a href={ (p.base) "/files/ledger.csv" } { "the ledger" } " · " a href={ (p.base) "/files/commitments.csv" } { "the commitments" } " · " a href={ (p.base) "/files/figures.csv" } { "the burden-sharing figures" } }
        table {
            thead { tr { th { "Party" } th.num { "Pledged" } th.num { "Confirmed" } th.num { "Pending" } th.num { "Disputed" } th.num { "Received" } th.num { "Balance" } } }
            tbody {
                @for b in state["balances"].as_array().into_iter().flatten() {
                    tr { td { (p.name(&b["party"])) } @for k in ["pledged", "confirmed", "pending", "disputed", "received", "balance"] { td.num { (amount(&b[k])) } } }
                }
            }
        }
        h4 id="commitments" { "Commitments" }
        @if commitments.is_empty() { p { "No commitment yet." } } @else {
            (pager(p, "commitments", pages, older_commitments, newer_commitments, count(state, "commitments", commitments.len()), commitments.len()))
            table {
                thead { tr { th { "From" } th { "To" } th { "Resource" } th.num { "Committed" } th.num { "Delivered" } th.num { "Outstanding" } th.num { "Value" } th { "Due" } } }
                tbody {
                    @for c in commitment_rows {
                        tr {
                            td { (p.name(&c["giver"])) }
                            td { (p.name(&c["receiver"])) }
                            td { (text(&c["resource"])) @if let Some(d) = c["description"].as_str() { br; small { (d) } } }
                            td.num { (amount(&c["quantity"])) " " (text(&c["measure"])) @if c["correction"].is_object() { " " small { "(corrected: " (text(&c["correction"]["reason"])) ")" } } }
                            td.num { (amount(&c["delivered"])) }
                            td.num { (amount(&c["outstanding"])) }
                            td.num { (amount(&c["value"])) @if let Some(why) = c["unvalued"]["reason"].as_str() { small { " not valued: " (why) } } }
                            td { (when(&c["due"])) @if c["complete"] != true && p.past(&c["due"]) { " " strong.deny { "overdue" } } }
                        }
                    }
                }
            }
        }
        @for c in commitments.iter().filter(|c| c["giver"].as_str() == Some(p.me()) && c["complete"] != true && c["cancelled"] != true) {
            @let cid = c["id"].as_str().unwrap_or_default();
            (p.form("deliver", cid, &format!("Record a delivery: {} {} to {}", amount(&c["outstanding"]), text(&c["measure"]), p.name(&c["receiver"])), &[("commitment", cid)], &[
                req("quantity", "Quantity", Kind::Number),
                opt("delivered_at", "Delivered at (now if empty)", Kind::Time),
                opt("note", "Note", Kind::Line),
            ], "Record"))
        }
        h4 id="deliveries" { "Deliveries" }
        @if ledger.is_empty() { p { "No delivery yet." } } @else {
            (pager(p, "deliveries", pages, older_deliveries, newer_deliveries, count(state, "ledger", ledger.len()), ledger.len()))
            table {
                thead { tr { th { "From" } th { "To" } th { "Resource" } th.num { "Delivered" } th.num { "Value" } th { "At" } th { "Status" } } }
                tbody {
                    @for e in ledger_rows {
                        tr {
                            td { (p.name(&e["giver"])) } td { (p.name(&e["receiver"])) }
                            td { (text(&e["resource"])) @if e["source"].is_object() { br; (source(p, &e["source"])) } }
                            td.num { (amount(&e["quantity"])) " " (text(&e["measure"])) }
                            td.num { (amount(&e["value"])) @if let Some(why) = e["unvalued"]["reason"].as_str() { small { " not valued: " (why) } } }
                            td { (when(&e["delivered_at"])) }
                            td { (text(&e["status"])) @if let Some(n) = e["note"].as_str() { br; small { (n) } } }
                        }
                    }
                }
            }
        }
        @for e in ledger.iter().filter(|e| e["receiver"].as_str() == Some(p.me()) && e["status"] == "awaiting-confirmation" && e["source"].is_null()) {
            @let did = e["id"].as_str().unwrap_or_default();
            (p.form("confirm", did, &format!("Confirm or dispute the delivery from {}", p.name(&e["giver"])), &[("delivery", did)], &[
                req("verdict", "Verdict", Kind::Choice(&["confirmed", "disputed"])),
                opt("note", "Note", Kind::Line),
            ], "Answer"))
        }

        h3 { "Fair share against actual" }
        @for y in state["periods"].as_array().into_iter().flatten() { (period(p, y, &unit)) }
        @if state["periods"].as_array().is_none_or(Vec::is_empty) { p { "Nothing valued yet." } }

        h3 { "Joint projects" }
        @let projects = state["projects"].as_array().cloned().unwrap_or_default();
        @if projects.is_empty() { p { "No joint project yet." } }
        @for x in &projects { (project(p, x)) }
        (p.form("propose-project", "", "Propose a joint project you lead", &[], &PROJECT_FIELDS, "Propose"))

        h3 { "Capacity building: requests and offers" }
        @let requests = state["requests"].as_array().cloned().unwrap_or_default();
        @if requests.is_empty() { p { "No request for support yet." } }
        @for r in &requests { (request(p, r)) }
        (p.form("request-support", "", "Ask the other parties for support", &[], &[
            req("resource", "Resource", Kind::Choice(RESOURCE_KINDS)),
            req("quantity", "Quantity", Kind::Number),
            opt("currency", "Currency (money)", Kind::Line),
            opt("category", "Category (in kind)", Kind::Line),
            opt("description", "Description", Kind::Area),
            req("needed_by", "Needed by", Kind::Time),
        ], "Request"))

        h3 { "Commit a resource" }
        (p.form("commit", "", "Pledge a resource to another party", &[], &[
            req("resource", "Resource", Kind::Choice(RESOURCE_KINDS)),
            req("quantity", "Quantity", Kind::Number),
            opt("currency", "Currency (money)", Kind::Line),
            opt("category", "Category (in kind)", Kind::Line),
            req("receiver", "Receiver", Kind::Party),
            req("year", "Year", Kind::Number),
            req("due", "Due", Kind::Time),
            req("description", "Description", Kind::Line),
        ], "Commit"))
        (p.form("declare-figures", "", "Declare your figures for a year", &[], &[
            req("year", "Year", Kind::Number),
            req("currency", "Currency", Kind::Line),
            req("gni", "Gross national income", Kind::Number),
            req("population", "Population", Kind::Number),
            opt("gdp", "Gross domestic product", Kind::Number),
            opt("defence_spending", "Defence spending", Kind::Number),
        ], "Declare"))
        (p.form("propose-terms", "", "Propose terms", &[], &[
            req("unit", "Unit of value (such as EUR)", Kind::Line),
            req("cost_share", "Cost-share key (JSON, such as {\"method\": \"gni\"})", Kind::Json),
            opt("in_kind_rates", "In-kind rates (JSON: [{\"kind\", \"category\", \"rate\"}]; kind assistance with the unit of crisis requests as category)", Kind::Json),
            opt("exchange_rates", "Exchange rates (JSON: [{\"currency\", \"year\", \"rate\"}])", Kind::Json),
            opt("exchange_source", "Source of the exchange rates", Kind::Line),
        ], "Propose"))
    }
}

/// A project's fields: three milestone rows (a row left empty is left out).
const PROJECT_FIELDS: [super::fields::Field; 13] = [
    req("title", "Title", Kind::Line),
    opt("description", "Description", Kind::Area),
    req("budget", "Budget (in the terms' unit)", Kind::Number),
    req("participants", "Participating parties", Kind::Parties),
    opt("milestones[0].name", "Milestone 1", Kind::Line),
    opt("milestones[0].due", "Milestone 1 due", Kind::Time),
    opt("milestones[0].deliverable", "Milestone 1 deliverable", Kind::Line),
    opt("milestones[1].name", "Milestone 2", Kind::Line),
    opt("milestones[1].due", "Milestone 2 due", Kind::Time),
    opt("milestones[1].deliverable", "Milestone 2 deliverable", Kind::Line),
    opt("milestones[2].name", "Milestone 3", Kind::Line),
    opt("milestones[2].due", "Milestone 3 due", Kind::Time),
    opt("milestones[2].deliverable", "Milestone 3 deliverable", Kind::Line),
];

const PROJECT_STATUSES: &[&str] = &["active", "completed", "cancelled"];

/// A joint project: its lead, budget against pledged and funded, each
/// party's contribution, milestones; for its lead the update form, for a
/// participant the form to pledge to it.
/// Where an in-kind entry came from: a link to the crisis or the exchange
/// on its module's page under the same agreement.
fn source(p: &Page<'_>, src: &Value) -> Markup {
    let module = src["module"].as_str().unwrap_or_default();
    let of = src["of"].as_str().unwrap_or_default();
    let base = p.base.strip_suffix("/resources").unwrap_or(p.base);
    let (label, anchor) = match module {
        "crisis" => ("crisis assistance", format!("crisis-{of}")),
        _ => ("exchange", of.to_owned()),
    };
    html! { small.source { "in kind, from " a href={ (base) "/" (module) "#" (anchor) } { (label) } " (" (text(&src["record"])) ")" } }
}

fn project(p: &Page<'_>, x: &Value) -> Markup {
    let xid = x["id"].as_str().unwrap_or_default();
    let participant = x["participants"].as_array().is_some_and(|l| l.iter().any(|v| v.as_str() == Some(p.me())));
    html! {
        article.project {
            h4 { (text(&x["title"])) " " span.state { "(" (text(&x["status"])) ")" } }
            p.hint { "Led by " (p.name(&x["lead"])) " with " (p.names(&x["participants"])) "; budget " (amount(&x["budget"])) ", pledged " (amount(&x["pledged"])) ", funded " (amount(&x["funded"])) " (" (percent(&x["funded_share"])) ")" }
            @if let Some(d) = x["description"].as_str() { p { (d) } }
            @if let Some(c) = x["contributions"].as_array().filter(|l| !l.is_empty()) {
                table {
                    thead { tr { th { "Party" } th.num { "Pledged" } th.num { "Funded" } } }
                    tbody { @for k in c { tr { td { (p.name(&k["party"])) } td.num { (amount(&k["pledged"])) } td.num { (amount(&k["funded"])) } } } }
                }
            }
            ul { @for m in x["milestones"].as_array().into_iter().flatten() {
                li { (text(&m["name"])) ", due " (when(&m["due"])) @if let Some(d) = m["deliverable"].as_str() { " — " (d) } @if m["done"] == true { " — done" } @if m["overdue"] == true { " " strong.deny { "overdue" } } }
            } }
            @if x["lead"].as_str() == Some(p.me()) {
                (p.form("update-project", xid, "Update this project", &[("project", xid)], &[
                    opt("status", "Status", Kind::Choice(PROJECT_STATUSES)),
                    opt("budget", "Budget", Kind::Number),
                    opt("description", "Description", Kind::Area),
                ], "Update"))
            }
            @if participant || x["lead"].as_str() == Some(p.me()) {
                (p.form("commit", xid, "Pledge to this project", &[("project", xid)], &[
                    req("resource", "Resource", Kind::Choice(RESOURCE_KINDS)),
                    req("quantity", "Quantity", Kind::Number),
                    opt("currency", "Currency (money)", Kind::Line),
                    opt("category", "Category (in kind)", Kind::Line),
                    req("receiver", "Receiver", Kind::Party),
                    req("year", "Year", Kind::Number),
                    req("due", "Due", Kind::Time),
                    req("description", "Description", Kind::Line),
                ], "Pledge"))
            }
        }
    }
}

/// A request for support with its offers: for another party the form to
/// offer, for the requester a match button per offer not yet matched, for
/// an offerer whose offer was matched the form to commit it.
fn request(p: &Page<'_>, r: &Value) -> Markup {
    let rid = r["id"].as_str().unwrap_or_default();
    let mine = r["requester"].as_str() == Some(p.me());
    let offers = r["offers"].as_array().cloned().unwrap_or_default();
    html! {
        article.request {
            h4 { (p.name(&r["requester"])) " asks for " (amount(&r["quantity"])) " " (text(&r["measure"])) " of " (text(&r["resource"])) }
            p.hint { "Needed by " (when(&r["needed_by"])) "; offered " (amount(&r["offered"])) ", matched " (amount(&r["matched"])) ", committed " (amount(&r["committed"])) ", delivered " (amount(&r["delivered"]))
                @if r["covered"] == true { " — " span.ok { "covered" } } }
            @if let Some(d) = r["description"].as_str() { p { (d) } }
            @if !offers.is_empty() {
                table {
                    thead { tr { th { "Offer by" } th.num { "Quantity" } th { "Note" } th { "Matched" } } }
                    tbody { @for o in &offers { tr { td { (p.name(&o["offerer"])) } td.num { (amount(&o["quantity"])) } td { (text(&o["note"])) } td { @if o["matched"] == true { "yes" } @else { "no" } } } } }
                }
            }
            @if mine {
                @for o in offers.iter().filter(|o| o["matched"] != true) {
                    @let oid = o["id"].as_str().unwrap_or_default();
                    (p.form("match-offer", oid, &format!("Accept the offer of {} by {}", amount(&o["quantity"]), p.name(&o["offerer"])), &[("offer", oid)], &[], "Match"))
                }
            } @else {
                (p.form("offer-support", rid, "Offer support against this request", &[("request", rid)], &[req("quantity", "Quantity", Kind::Number), opt("note", "Note", Kind::Line)], "Offer"))
                @for o in offers.iter().filter(|o| o["matched"] == true && o["offerer"].as_str() == Some(p.me()) && o["commitments"].as_array().is_none_or(Vec::is_empty)) {
                    @let oid = o["id"].as_str().unwrap_or_default();
                    (p.form("commit", oid, "Commit your matched offer", &[("offer", oid), ("receiver", r["requester"].as_str().unwrap_or_default()), ("resource", r["resource"].as_str().unwrap_or_default())], &[
                        req("quantity", "Quantity", Kind::Number),
                        opt("currency", "Currency (money)", Kind::Line),
                        opt("category", "Category (in kind)", Kind::Line),
                        req("year", "Year", Kind::Number),
                        req("due", "Due", Kind::Time),
                        req("description", "Description", Kind::Line),
                    ], "Commit"))
                }
            }
        }
    }
}

/// One year: the chart of each party's fair share (the key's target
/// amount) beside what it contributed, and the table.
fn period(p: &Page<'_>, y: &Value, unit: &str) -> Markup {
    let rows = y["parties"].as_array().cloned().unwrap_or_default();
    let (labels, series) = chart(p, &rows);
    html! {
        h4 { (text(&y["year"])) ": " (amount(&y["total"])) " " (unit) " contributed" }
        @if let Some(e) = y["key_error"].as_str() { p.error { "The key gives no fair share: " (e) } }
        (crate::kit::chart::stacked_bars(&format!("Fair share against actual, {} ({unit})", text(&y["year"])), &labels, &series))
        table {
            thead { tr { th { "Party" } th.num { "Fair share" } th.num { "Actual share" } th.num { "Fair amount" } th.num { "Contributed" } th.num { "Balance" } th { "Position" } } }
            tbody {
                @for r in &rows {
                    tr {
                        td { (p.name(&r["party"])) @if r["carried"] == true { " " small { "(figures of " (text(&r["figures_year"])) ")" } } }
                        td.num { (percent(&r["target_share"])) } td.num { (percent(&r["actual_share"])) }
                        td.num { (amount(&r["target_amount"])) } td.num { (amount(&r["contributed"])) } td.num { (amount(&r["balance"])) }
                        td { (text(&r["position"])) }
                    }
                }
            }
        }
    }
}

/// Two bars per party, its fair share's amount and its contribution, both
/// labelled with its name (the colour and the legend tell them apart): the
/// stacked chart with one series in each column.
fn chart(p: &Page<'_>, rows: &[Value]) -> (Vec<String>, Vec<(String, Vec<u64>)>) {
    let whole = |v: &Value| v.as_f64().filter(|x| x.is_finite() && *x > 0.0).map_or(0, |x| x.round() as u64);
    let mut labels = Vec::new();
    let (mut fair, mut actual) = (Vec::new(), Vec::new());
    for r in rows {
        let name = p.name(&r["party"]);
        labels.push(name.clone());
        fair.push(whole(&r["target_amount"]));
        actual.push(0);
        labels.push(name);
        fair.push(0);
        actual.push(whole(&r["contributed"]));
    }
    (labels, vec![("fair share".to_owned(), fair), ("actual".to_owned(), actual)])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fields::{test_names, test_page};

    /// The chart pairs each party's fair share with its contribution; the
    /// table says who is under; a delivery to the caller gets a confirm
    /// form, a commitment of the caller's a deliver form.
    #[test]
    fn fair_share_against_actual() {
        let state = json!({
            "terms": { "unit": "EUR", "key": "gni", "version": "2026-01-01T00:00:00Z" }, "proposals": [],
            "balances": [{ "party": "identity--a", "pledged": 300, "confirmed": 0, "pending": 300, "disputed": 0, "received": 0, "balance": -1.5 }],
            "commitments": [{ "id": "c1", "giver": "identity--a", "receiver": "identity--b", "resource": "money", "quantity": 300, "measure": "EUR", "delivered": 100, "outstanding": 200, "value": 300, "due": "2026-05-01T00:00:00Z", "complete": false }],
            "ledger": [{ "id": "d1", "giver": "identity--a", "receiver": "identity--b", "resource": "money", "quantity": 100, "measure": "EUR", "delivered_at": "2026-04-01T00:00:00Z", "status": "awaiting-confirmation" }],
            "periods": [{ "year": 2026, "total": 400, "parties": [
                { "party": "identity--a", "target_share": 0.75, "actual_share": 0.25, "target_amount": 300, "contributed": 100, "balance": -200, "position": "under" },
                { "party": "identity--b", "target_share": 0.25, "actual_share": 0.75, "target_amount": 100, "contributed": 300, "balance": 200, "position": "over" }] }],
        });
        let (labels, series) = super::chart(&test_page("identity--a", None, &test_names), state["periods"][0]["parties"].as_array().unwrap());
        assert_eq!(labels, ["Alpha", "Alpha", "Bravo", "Bravo"]);
        assert_eq!(series[0].1, [300, 0, 100, 0]);
        assert_eq!(series[1].1, [0, 100, 0, 300]);
        let html = super::page(&test_page("identity--a", None, &test_names), &state, &super::Pages::default()).into_string();
        assert!(html.contains("<svg") && html.contains("<title>Alpha: 300 from fair share</title>") && html.contains("<title>Alpha: 100 from actual</title>"), "{html}");
        assert_eq!(html.matches("text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">Bravo</text>").count(), 2, "every column labelled: {html}");
        assert!(html.contains("<td class=\"num\">75.0 %</td><td class=\"num\">25.0 %</td>") && html.contains("<td>under</td>"), "{html}");
        assert!(html.contains("/actions/deliver") && !html.contains("/actions/confirm\""), "{html}");
        assert!(html.contains("<strong class=\"deny\">overdue</strong>"), "due before now, not complete");
        let html = super::page(&test_page("identity--b", None, &test_names), &state, &super::Pages::default()).into_string();
        assert!(html.contains("action=\"/m/actions/confirm\"") && !html.contains("action=\"/m/actions/deliver\""));
    }

    /// An in-kind entry from the crisis module links to the crisis on its
    /// page, shows its value and offers the receiver no confirm form (it is
    /// confirmed in the crisis module); hostile text escaped.
    #[test]
    fn an_in_kind_entry_links_to_its_source() {
        let state = json!({
            "terms": { "unit": "EUR", "key": "equal", "version": "2026-01-01T00:00:00Z" }, "proposals": [], "balances": [], "commitments": [], "periods": [],
            "ledger": [{ "id": "x-entente-crisis-assistance--1", "giver": "identity--a", "receiver": "identity--b", "resource": "assistance", "quantity": 3, "measure": "people<i>",
                "delivered_at": "2026-04-01T00:00:00Z", "status": "awaiting-confirmation", "value": 7500, "note": "responders <script>",
                "source": { "module": "crisis", "record": "x-entente-crisis-assistance--1", "of": "x-entente-crisis--9" } }],
        });
        let html = super::page(&test_page("identity--b", None, &test_names), &state, &super::Pages::default()).into_string();
        assert!(html.contains("in kind, from <a href=\"/m/crisis#crisis-x-entente-crisis--9\">crisis assistance</a>"), "{html}");
        assert!(html.contains("<td class=\"num\">7500</td>"), "{html}");
        assert!(!html.contains("/actions/confirm\""), "no confirm form for another module's entry: {html}");
        assert!(!html.contains("<script>") && !html.contains("<i>"), "{html}");
        // A placement's entry links to the placement on the exchanges page (anchored by its id).
        let mut state = state;
        state["ledger"][0]["source"] = json!({ "module": "exchanges", "record": "x-entente-placement--1", "of": "x-entente-placement--1" });
        let html = super::page(&test_page("identity--b", None, &test_names), &state, &super::Pages::default()).into_string();
        assert!(html.contains("in kind, from <a href=\"/m/exchanges#x-entente-placement--1\">exchange</a>"), "{html}");
    }

    /// The deliveries table a page at a time, the newest first page: 120
    /// deliveries make pages of 50, 50 and 20; the pager keeps the other
    /// table's page and points at the complete CSV.
    #[test]
    fn the_deliveries_table_a_page_at_a_time() {
        let ledger: Vec<serde_json::Value> = (0..120)
            .map(|i| json!({ "id": format!("d{i}"), "giver": "identity--a", "receiver": "identity--a", "resource": "money", "quantity": 1, "measure": "EUR", "delivered_at": "2026-04-01T00:00:00Z", "status": "confirmed", "note": format!("note-{i}-") }))
            .collect();
        let state = json!({ "terms": null, "proposals": [], "balances": [], "commitments": [], "periods": [], "ledger": ledger });
        let at = |pages: super::Pages| super::page(&test_page("identity--a", None, &test_names), &state, &pages).into_string();
        let shown = |html: &str| (0..120).filter(|i| html.contains(&format!("note-{i}-"))).collect::<Vec<_>>();
        let newest = at(super::Pages::default());
        assert_eq!(shown(&newest), (70..120).collect::<Vec<_>>());
        assert!(newest.contains("120 in all, 50 a page.") && newest.contains("href=\"/m?commitments=0&amp;deliveries=1#deliveries\">Older</a>") && !newest.contains(">Newer</a>"), "{newest}");
        assert!(newest.contains("href=\"/m/files/ledger.csv\">CSV</a>"), "{newest}");
        let oldest = at(super::Pages { commitments: 3, deliveries: 2 });
        assert_eq!(shown(&oldest), (0..20).collect::<Vec<_>>());
        assert!(oldest.contains("href=\"/m?commitments=3&amp;deliveries=1#deliveries\">Newer</a>") && !oldest.contains(">Older</a>"), "{oldest}");
        let q: std::collections::HashMap<String, String> = [("deliveries".to_owned(), "x".to_owned()), ("commitments".to_owned(), "4".to_owned())].into();
        assert_eq!(super::Pages::from_query(&q), super::Pages { commitments: 4, deliveries: 0 }, "a bad page is the newest");
    }

    /// A long ledger: the state holds its newest 120 lines of 1,000
    /// (`ledger_count`); the pager counts every line, pages through those
    /// held and, on the oldest page held, says the older ones are in the CSV.
    #[test]
    fn a_ledger_longer_than_the_state_holds_points_at_the_csv() {
        let ledger: Vec<serde_json::Value> = (880..1000)
            .map(|i| json!({ "id": format!("d{i}"), "giver": "identity--a", "receiver": "identity--a", "resource": "money", "quantity": 1, "measure": "EUR", "delivered_at": "2026-04-01T00:00:00Z", "status": "confirmed", "note": format!("note-{i}-") }))
            .collect();
        let state = json!({ "terms": null, "proposals": [], "balances": [], "commitments": [], "periods": [], "ledger": ledger, "ledger_count": 1000 });
        let at = |pages: super::Pages| super::page(&test_page("identity--a", None, &test_names), &state, &pages).into_string();
        let newest = at(super::Pages::default());
        assert!(newest.contains("1000 in all, 50 a page.") && newest.contains(">Older</a>") && !newest.contains("older ones in the CSV"), "{newest}");
        let last_held = at(super::Pages { commitments: 0, deliveries: 2 });
        assert!(last_held.contains("note-880-") && !last_held.contains(">Older</a>") && last_held.contains("The 120 newest are shown here, older ones in the CSV."), "{last_held}");
    }

    /// Projects and capacity building: the lead updates its project and a
    /// participant pledges to it; another party offers against a request,
    /// the requester matches an unmatched offer, the offerer of a matched
    /// offer commits it; partner text is escaped everywhere.
    #[test]
    fn projects_requests_offers_and_the_match() {
        let state = json!({
            "balances": [], "commitments": [], "ledger": [], "periods": [],
            "projects": [{ "id": "x-entente-joint-project--1", "lead": "identity--a", "title": "Range <script>", "status": "active", "participants": ["identity--b"],
                "budget": 1000, "pledged": 400, "funded": 100, "funded_share": 0.1, "description": "<img src=x>",
                "contributions": [{ "party": "identity--b", "pledged": 400, "funded": 100 }],
                "milestones": [{ "name": "M<1>", "due": "2026-05-01T00:00:00Z", "deliverable": "lab", "done": false, "overdue": true }] }],
            "requests": [{ "id": "x-entente-capacity-request--1", "requester": "identity--b", "resource": "training", "measure": "seats", "quantity": 10, "needed_by": "2026-09-01T00:00:00Z",
                "offered": 6, "matched": 4, "committed": 0, "delivered": 0, "covered": false, "description": "SOC <b>analysts</b>",
                "offers": [
                    { "id": "x-entente-capacity-offer--1", "offerer": "identity--a", "quantity": 4, "note": "n<1>", "matched": true, "commitments": [] },
                    { "id": "x-entente-capacity-offer--2", "offerer": "identity--c", "quantity": 2, "note": null, "matched": false, "commitments": [] }] }],
        });
        let a = super::page(&test_page("identity--a", None, &test_names), &state, &super::Pages::default()).into_string();
        assert!(a.contains("Range &lt;script&gt;") && a.contains("&lt;img src=x&gt;") && a.contains("M&lt;1&gt;") && a.contains("SOC &lt;b&gt;analysts&lt;/b&gt;") && a.contains("n&lt;1&gt;"), "{a}");
        assert!(!a.contains("<script>") && !a.contains("<img"), "escaped");
        assert!(a.contains("/actions/update-project") && a.contains("/actions/propose-project") && a.contains("/actions/request-support"), "{a}");
        assert!(a.contains("name=\"milestones[0].due:time\"") && a.contains("name=\"participants:list\""), "typed milestone rows and parties: {a}");
        assert!(a.contains("/actions/offer-support") && !a.contains("/actions/match-offer"), "A offers; only the requester matches");
        assert!(a.contains("value=\"x-entente-capacity-offer--1\"") && a.contains("Commit your matched offer"), "A's matched offer, not yet committed: {a}");
        let b = super::page(&test_page("identity--b", None, &test_names), &state, &super::Pages::default()).into_string();
        assert!(!b.contains("/actions/update-project") && b.contains("Pledge to this project"), "B participates, A leads");
        assert_eq!(b.matches("/actions/match-offer").count(), 1, "only the unmatched offer: {b}");
        assert!(b.contains("value=\"x-entente-capacity-offer--2\"") && !b.contains("/actions/offer-support") && !b.contains("Commit your matched offer"));
    }
}
