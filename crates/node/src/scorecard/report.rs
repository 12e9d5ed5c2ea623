//! The scorecard report for a partnership's review board
//! (docs/assessment.md#the-report): [`review`] gathers what it says — the
//! scorecard as the viewer's node computes it, the viewer's own snapshots
//! of the module `scorecard` up to then (read through
//! `crate::modules::view_at`, the viewer's gate, logged) for the trend and
//! the last review, and what changed since that one
//! (`scorecard::changes`); [`document`] writes it as a `report::Document`
//! (summary first, then what changed, the indicators, the pairs, trends,
//! actions, method), which the pages, the REST API and `entente scorecard
//! --report` render to HTML or PDF. Names come from the caller (the node's
//! partner registry); every string stays text (`report` escapes).

use std::collections::BTreeMap;

use model::{StixId, Timestamp};
use report::{Chart, ChartKind, Document, Series};
use scorecard::changes::{Change, Movement, Row};
use scorecard::{Figure, Indicator, Scorecard, Status};
use serde_json::Value;

use super::Ask;
use crate::modules::{self, Error, Modules, Node};

/// The most changes the report lists (the largest first); the rest are counted.
pub const MOST_CHANGES: usize = 60;

/// What a report says.
#[derive(Debug, Clone)]
pub struct Review {
    /// The agreement's id.
    pub agreement: String,
    /// Its title.
    pub title: String,
    /// The viewer (whose node computed it).
    pub viewer: String,
    /// The scorecard.
    pub card: Scorecard,
    /// The last review: the viewer's latest snapshot before the
    /// scorecard's time, and the changes since.
    pub last: Option<Last>,
    /// The viewer's snapshots up to the scorecard's time, oldest first:
    /// when and each party's composite then.
    pub history: Vec<(Timestamp, BTreeMap<String, Option<f64>>)>,
}

/// The last review.
#[derive(Debug, Clone)]
pub struct Last {
    /// The snapshot's id.
    pub id: String,
    /// Its time.
    pub at: Timestamp,
    /// The figures that moved since.
    pub changes: Vec<Change>,
}

/// The scorecard of `agreement` as `me` sees it at `ask`, with the last
/// review and the trend from `me`'s own snapshots (a partner's snapshot is
/// its node's view, from other evidence: comparing with it would show the
/// difference of views, not of time).
pub fn review(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str) -> Result<Review, Error> {
    let card = super::listing(node, modules, me, agreement, ask, channel, super::Lists::None)?;
    let module = modules::find(modules, "scorecard")?;
    let scope = modules::view_at(node, me, agreement, &*module, channel, ask.at.clone())?;
    let title = scope.agreement.terms.title.clone();
    let mine = own_snapshots(&scope, me, card.at, None);
    let history = mine.iter().map(|(at, r)| (at.clone(), composites(r))).collect();
    let last = mine.iter().rev().find(|(at, _)| at.micros() < card.at).map(|(at, r)| {
        let props = Value::Object(r.properties.clone());
        Last { id: r.id.to_string(), at: at.clone(), changes: ::scorecard::changes::changes(&card, &props) }
    });
    Ok(Review { agreement: agreement.to_string(), title, viewer: me.to_string(), card, last, history })
}

/// `me`'s own snapshots of `agreement` up to `at` (microseconds), of the
/// window `window_days` (any, with `None`), oldest first: when, and each
/// party's composite then. Read from the module `scorecard`'s state at
/// `at` (`crate::modules::view_at`: the viewer's gate, logged). The trend
/// the scorecard page draws: records, not a computation.
#[allow(clippy::type_complexity)]
pub fn trend(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, at: &Timestamp, window_days: Option<i64>, channel: &str) -> Result<Vec<(Timestamp, BTreeMap<String, Option<f64>>)>, Error> {
    let module = modules::find(modules, "scorecard")?;
    let scope = modules::view_at(node, me, agreement, &*module, channel, at.clone())?;
    Ok(own_snapshots(&scope, me, at.micros(), window_days).iter().map(|(t, r)| (t.clone(), composites(r))).collect())
}

/// `me`'s snapshots in `scope` up to `at`, of the window `window_days` if
/// given, by time (then id).
fn own_snapshots<'a>(scope: &'a modules::Scope, me: &StixId, at: i64, window_days: Option<i64>) -> Vec<(Timestamp, &'a partnership::Record)> {
    let mut mine: Vec<(Timestamp, &partnership::Record)> = scope
        .records
        .of_kind(::scorecard::SNAPSHOT)
        .filter(|r| &r.author == me)
        .filter(|r| window_days.is_none_or(|d| r.properties.get("window_days").and_then(Value::as_i64) == Some(d)))
        .filter_map(|r| Some((Timestamp::parse(r.properties.get("at")?.as_str()?).ok()?, r)))
        .filter(|(t, _)| t.micros() <= at)
        .collect();
    mine.sort_by(|a, b| (a.0.micros(), a.1.id.as_str()).cmp(&(b.0.micros(), b.1.id.as_str())));
    mine
}

/// A snapshot's composite per party.
fn composites(r: &partnership::Record) -> BTreeMap<String, Option<f64>> {
    r.properties.get("parties").and_then(Value::as_array).into_iter().flatten().filter_map(|p| Some((p["party"].as_str()?.to_owned(), p["composite"].as_f64()))).collect()
}

/// A figure as the report shows it: the value with n and interval, or why
/// there is none.
fn cell(f: &Figure) -> String {
    match (f.status, f.value) {
        (Status::Measured, Some(v)) => match f.interval {
            Some([lo, hi]) => format!("{v:.2} (n {}; {lo:.2}–{hi:.2})", f.n),
            None => format!("{v:.2} (n {})", f.n),
        },
        (Status::Absent, _) => "absent".into(),
        _ => format!("too few (n {})", f.n),
    }
}

fn value(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

fn date(t: &Timestamp) -> String {
    t.as_str().get(..10).unwrap_or_default().to_owned()
}

/// The report as a document; `name` gives a party's name from its id.
pub fn document(r: &Review, name: &dyn Fn(&str) -> String) -> Document {
    let card = &r.card;
    let at = Timestamp::from_micros(card.at);
    let row_name = |row: &Row| match row {
        Row::Party(p) => name(p),
        Row::Pair(a, b) => format!("{} → {}", name(a), name(b)),
    };
    let mut doc = Document::new(format!("Partnership scorecard: {}", r.title));
    doc.subtitle = Some(format!(
        "As {}'s node computed it at {}, over the {} days before.\nAgreement {}. Produced by Entente from the partnership's own records; every figure can be checked from its evidence on the scorecard page.",
        name(&r.viewer),
        at,
        card.window_days,
        r.agreement
    ));

    // Summary first.
    let s = doc.section("Summary");
    let composites: Vec<String> = card.parties.iter().map(|p| format!("{} {}", name(&p.party), value(p.composite.value))).collect();
    s.paragraph(format!("Composite score of each party (0 to 1, a weighted geometric mean of its measured indicators): {}.", composites.join("; ")));
    let counted = |status: Status| card.parties.iter().flat_map(|p| &p.figures).filter(|f| f.status == status).count();
    s.paragraph(format!(
        "Of the {} party figures, {} are measured, {} have too few observations to show (fewer than {}) and {} cannot be measured from the evidence this node holds.",
        card.parties.len() * Indicator::ALL.len(),
        counted(Status::Measured),
        counted(Status::TooFew),
        ::scorecard::MIN_N,
        counted(Status::Absent)
    ));
    match &r.last {
        Some(last) => {
            let n = |m: Movement| last.changes.iter().filter(|c| c.movement == m).count();
            s.paragraph(format!(
                "Since the last review ({}, snapshot {}): {} figures up, {} down, {} newly measured, {} no longer measured.",
                date(&last.at),
                last.id,
                n(Movement::Up),
                n(Movement::Down),
                n(Movement::New),
                n(Movement::Gone)
            ));
            let moves: Vec<String> = last
                .changes
                .iter()
                .filter(|c| matches!(c.row, Row::Party(_)) && matches!(c.movement, Movement::Up | Movement::Down))
                .take(5)
                .map(|c| format!("{}: {} {} from {} to {}", row_name(&c.row), c.figure, c.movement.word(), value(c.then), value(c.now)))
                .collect();
            if !moves.is_empty() {
                s.bullets(moves);
            }
        }
        None => {
            s.paragraph("No earlier snapshot by this node: this is the first review. Snapshots are taken on the node's schedule or with `entente scorecard --snapshot`; the next report compares with them.");
        }
    }
    if card.exercise_set_aside > 0 {
        s.note(format!("{} exercise items were set aside: exercise data never counts.", card.exercise_set_aside));
    }

    // What changed.
    let s = doc.section("What changed since the last review");
    match &r.last {
        Some(last) if !last.changes.is_empty() => {
            s.note(format!(
                "Each figure against the snapshot of {} (this node's own, {}). Listed when it moved by {} or more, gained a value or lost one; largest first, parties before pairs.",
                date(&last.at),
                last.id,
                ::scorecard::changes::STEP
            ));
            let rows = last.changes.iter().take(MOST_CHANGES).map(|c| vec![row_name(&c.row), c.figure.clone(), value(c.then), value(c.now), c.movement.word().to_owned()]).collect();
            s.table(vec!["Row".into(), "Figure".into(), "Then".into(), "Now".into(), "Change".into()], rows);
            if last.changes.len() > MOST_CHANGES {
                s.note(format!("{} more changes are not listed.", last.changes.len() - MOST_CHANGES));
            }
        }
        Some(last) => {
            s.paragraph(format!("No figure moved by {} or more since the snapshot of {}.", ::scorecard::changes::STEP, date(&last.at)));
        }
        None => {
            s.paragraph("Nothing to compare with yet.");
        }
    }

    // Indicators per party.
    let s = doc.section("Indicators per party");
    s.note("Value (n observations; 95 % interval). \"Too few\": fewer observations than the minimum, no value shown. \"Absent\": the evidence source is missing (see Actions).");
    let mut head = vec!["Indicator".to_owned(), "Weight".to_owned()];
    head.extend(card.parties.iter().map(|p| name(&p.party)));
    let mut rows: Vec<Vec<String>> = Indicator::ALL
        .iter()
        .map(|i| {
            let mut row = vec![i.name().to_owned(), format!("{}", card.weights.get(i).copied().unwrap_or(1.0))];
            row.extend(card.parties.iter().map(|p| p.figures.iter().find(|f| f.indicator == *i).map_or_else(String::new, cell)));
            row
        })
        .collect();
    let mut composite = vec!["composite".to_owned(), String::new()];
    composite.extend(card.parties.iter().map(|p| value(p.composite.value)));
    rows.push(composite);
    s.table(head, rows);

    // Pairs.
    let s = doc.section("Per pair");
    s.note("What the first party gave the second, and what the second made of it. Trust: the second's beta-reputation estimate of the first (0.5 with no evidence).");
    let rows = card
        .pairs
        .iter()
        .map(|p| {
            let measured: Vec<&Figure> = p.figures.iter().filter(|f| f.value.is_some()).collect();
            let best = measured.iter().max_by(|a, b| a.value.partial_cmp(&b.value).unwrap_or(std::cmp::Ordering::Equal));
            let worst = measured.iter().min_by(|a, b| a.value.partial_cmp(&b.value).unwrap_or(std::cmp::Ordering::Equal));
            let show = |f: Option<&&Figure>| f.map_or_else(|| "—".to_owned(), |f| format!("{} {}", f.indicator.name(), value(f.value)));
            vec![format!("{} → {}", name(&p.from), name(&p.to)), value(p.composite.value), format!("{:.2} ({} events)", p.trust.value, p.trust.events), show(best), show(worst), measured.len().to_string()]
        })
        .collect();
    s.table(vec!["Pair".into(), "Composite".into(), "Trust".into(), "Strongest".into(), "Weakest".into(), "Measured".into()], rows);

    // Trends.
    let s = doc.section("Trends");
    let mut labels: Vec<String> = r.history.iter().map(|(t, _)| date(t)).collect();
    labels.push(format!("{} (now)", date(&at)));
    let series = card
        .parties
        .iter()
        .map(|p| Series { name: name(&p.party), values: r.history.iter().map(|(_, c)| c.get(&p.party).copied().flatten()).chain(std::iter::once(p.composite.value)).collect() })
        .collect();
    if r.history.is_empty() {
        s.paragraph("No snapshots yet: the trend starts with the first one.");
    } else {
        s.note(format!("Each party's composite at each of this node's {} snapshots, and now.", r.history.len()));
    }
    s.chart(Chart { title: "Composite per party over time".into(), kind: ChartKind::Line, labels, series, range: (0.0, 1.0) });
    let bars = Indicator::ALL
        .iter()
        .filter(|i| card.parties.iter().any(|p| p.figures.iter().any(|f| f.indicator == **i && f.value.is_some())))
        .copied()
        .collect::<Vec<_>>();
    if !bars.is_empty() {
        s.chart(Chart {
            title: "Measured indicators per party now".into(),
            kind: ChartKind::Bar,
            labels: bars.iter().map(|i| i.name().to_owned()).collect(),
            series: card.parties.iter().map(|p| Series { name: name(&p.party), values: bars.iter().map(|i| p.figures.iter().find(|f| f.indicator == *i).and_then(|f| f.value)).collect() }).collect(),
            range: (0.0, 1.0),
        });
    }

    // Actions.
    let s = doc.section("Actions for the review");
    let mut actions = Vec::new();
    for p in &card.parties {
        for f in p.figures.iter().filter(|f| f.value.is_some_and(|v| v < 0.5)) {
            actions.push(format!("{}: {} is {} — agree what would raise it and who acts.", name(&p.party), f.indicator.name(), value(f.value)));
        }
    }
    if let Some(last) = &r.last {
        for c in last.changes.iter().filter(|c| matches!(c.row, Row::Party(_)) && c.movement == Movement::Down && c.figure != "composite").take(10) {
            actions.push(format!("{}: {} fell from {} to {} since the last review — ask why.", row_name(&c.row), c.figure, value(c.then), value(c.now)));
        }
    }
    let mut absent: BTreeMap<Indicator, String> = BTreeMap::new();
    let mut too_few: BTreeMap<Indicator, Vec<String>> = BTreeMap::new();
    for p in &card.parties {
        for f in &p.figures {
            match f.status {
                Status::Absent => {
                    absent.entry(f.indicator).or_insert_with(|| f.note.clone().unwrap_or_default());
                }
                Status::TooFew => too_few.entry(f.indicator).or_default().push(name(&p.party)),
                Status::Measured => {}
            }
        }
    }
    for (i, why) in &absent {
        actions.push(format!("{} cannot be measured: {}", i.name(), why));
    }
    for (i, who) in &too_few {
        actions.push(format!("{}: too few observations for {} to judge — more evidence, or a longer window.", i.name(), who.join(", ")));
    }
    if actions.is_empty() {
        s.paragraph("No indicator is below 0.5, none fell, every one is measured.");
    } else {
        s.bullets(actions);
    }

    // Method.
    let s = doc.section("Method and limits");
    s.paragraph(format!(
        "Indicators are proportions over the {} days before {} from the evidence this node holds and may see: what each party released to the other, the recipients' sightings, opinions and notes, and the partnership's own records (objectives, crises, exercises, dialogue and disputes, resources). Each is shown with its n and a 95 % Wilson interval; none is shown below n = {}. Two nodes with the same evidence compute the same figures; timeliness and novelty are known only on the recipient's node. The composite is a weighted geometric mean, so one failing indicator cannot hide behind good ones. Every formula, its source and its limits: docs/assessment.md.",
        card.window_days,
        at,
        ::scorecard::MIN_N
    ));
    doc
}

/// What a report is rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One self-contained HTML page.
    Html,
    /// A PDF.
    Pdf,
}

impl Format {
    /// `html` or `pdf`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "html" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Pdf => "application/pdf",
        }
    }

    /// Its file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }
}

/// The report's bytes in `format`, parties named from `names` (by
/// identity id; an unknown party by its id).
pub fn render(r: &Review, names: &std::collections::HashMap<String, String>, format: Format) -> Vec<u8> {
    let doc = document(r, &|p: &str| names.get(p).cloned().unwrap_or_else(|| p.to_owned()));
    match format {
        Format::Html => doc.to_html().into_bytes(),
        Format::Pdf => match pdf_fonts() {
            Some(fonts) => doc.to_pdf_with(fonts),
            None => doc.to_pdf(),
        },
    }
}

/// Where the PDF's fonts are looked for unless `ENTENTE_PDF_FONT_DIR` says:
/// Debian's `fonts-dejavu-core`.
pub const FONT_DIR: &str = "/usr/share/fonts/truetype/dejavu";

/// The fonts embedded in PDF reports (docs/assessment.md#the-report):
/// `DejaVuSans.ttf` and `DejaVuSans-Bold.ttf` in `ENTENTE_PDF_FONT_DIR`,
/// else [`FONT_DIR`], read once. `None` (the standard fonts, WinAnsi
/// only, said once in the log) when they are not there or not fonts.
pub fn pdf_fonts() -> Option<&'static report::Fonts> {
    static FONTS: std::sync::OnceLock<Option<report::Fonts>> = std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            let dir = std::env::var("ENTENTE_PDF_FONT_DIR").unwrap_or_else(|_| FONT_DIR.to_owned());
            let read = |name: &str| std::fs::read(std::path::Path::new(&dir).join(name)).map_err(|e| format!("{dir}/{name}: {e}"));
            match read("DejaVuSans.ttf").and_then(|r| Ok((r, read("DejaVuSans-Bold.ttf")?))).and_then(|(r, b)| report::Fonts::new(r, b)) {
                Ok(f) => Some(f),
                Err(e) => {
                    tracing::warn!(error = %e, "PDF reports use the standard fonts: text outside WinAnsi shows as '?'");
                    None
                }
            }
        })
        .as_ref()
}

/// A file name for the report: `scorecard-YYYY-MM-DD.EXT`.
pub fn file_name(r: &Review, format: Format) -> String {
    format!("scorecard-{}.{}", date(&Timestamp::from_micros(r.card.at)), format.extension())
}
