//! A document as one self-contained HTML page: inline CSS, charts as
//! inline SVG, no script and nothing fetched. Every string of the document
//! goes through [`escape`]: the text of partners is hostile until proven
//! otherwise, and nothing here is ever passed through unescaped.

use std::fmt::Write;

use crate::{tick, Block, Chart, ChartKind, Document, Table, PALETTE};

/// The page's one style element: print-friendly, readable on a narrow
/// screen. A server that serves the page allows it by its hash
/// (`Content-Security-Policy: style-src 'sha256-…'`).
pub const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.45}\
h1{font-size:1.6rem;margin-bottom:.2rem}p.subtitle{color:#555;margin-top:0}h2{font-size:1.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}\
p.note{font-size:.85rem;color:#555}.wide{overflow-x:auto}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}\
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f2f2f2}\
figure{margin:1rem 0}figcaption{font-size:.9rem;color:#333}@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,figure{break-inside:avoid}}";

/// The page.
pub(crate) fn render(doc: &Document) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(out, "<title>{}</title><style>{STYLE}</style></head><body>", escape(&doc.title));
    let _ = write!(out, "<h1>{}</h1>", escape(&doc.title));
    if let Some(s) = &doc.subtitle {
        let _ = write!(out, "<p class=\"subtitle\">{}</p>", lines(s));
    }
    for section in &doc.sections {
        let _ = write!(out, "<section><h2>{}</h2>", escape(&section.heading));
        for block in &section.blocks {
            match block {
                Block::Paragraph(t) => {
                    let _ = write!(out, "<p>{}</p>", lines(t));
                }
                Block::Note(t) => {
                    let _ = write!(out, "<p class=\"note\">{}</p>", lines(t));
                }
                Block::Bullets(items) => {
                    out.push_str("<ul>");
                    for i in items {
                        let _ = write!(out, "<li>{}</li>", lines(i));
                    }
                    out.push_str("</ul>");
                }
                Block::Table(t) => table(&mut out, t),
                Block::Chart(c) => chart(&mut out, c),
            }
        }
        out.push_str("</section>");
    }
    out.push_str("</body></html>\n");
    out
}

/// Text escaped for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Escaped text whose line breaks are kept.
fn lines(s: &str) -> String {
    escape(s).replace('\n', "<br>")
}

fn table(out: &mut String, t: &Table) {
    let width = t.head.len().max(t.rows.iter().map(Vec::len).max().unwrap_or(0));
    out.push_str("<div class=\"wide\"><table><thead><tr>");
    for i in 0..width {
        let _ = write!(out, "<th scope=\"col\">{}</th>", lines(t.head.get(i).map_or("", String::as_str)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        out.push_str("<tr>");
        for i in 0..width {
            let cell = lines(row.get(i).map_or("", String::as_str));
            if i == 0 {
                let _ = write!(out, "<th scope=\"row\">{cell}</th>");
            } else {
                let _ = write!(out, "<td>{cell}</td>");
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// The chart as SVG, with a legend and, for screen readers and copying,
/// its values as a table in a `details` element.
fn chart(out: &mut String, c: &Chart) {
    let (w, h, left, right, top, bottom) = (720.0_f64, 240.0_f64, 44.0_f64, 16.0_f64, 10.0_f64, 30.0_f64);
    let n = c.labels.len().max(1);
    let step = (w - left - right) / n as f64;
    let y = |v: f64| h - bottom - c.frac(v) * (h - top - bottom);
    let (lo, hi) = c.bounds();
    let _ = write!(out, "<figure><svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>", t = escape(&c.title));
    for k in 0..=4 {
        let v = lo + (hi - lo) * k as f64 / 4.0;
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{x2}\" y2=\"{y:.1}\" stroke=\"{stroke}\"/><text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#444\">{label}</text>",
            y = y(v),
            x2 = w - right,
            stroke = if k == 0 { "#888" } else { "#e4e4e4" },
            tx = left - 6.0,
            ty = y(v) + 4.0,
            label = tick(v)
        );
    }
    let every = n.div_ceil(12);
    for (i, label) in c.labels.iter().enumerate() {
        if i % every == (n - 1) % every {
            let _ = write!(out, "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">{}</text>", left + step * (i as f64 + 0.5), h - 10.0, escape(label));
        }
    }
    let series = c.series.len().max(1);
    for (s, ser) in c.series.iter().enumerate() {
        let colour = PALETTE[s % PALETTE.len()].1;
        match c.kind {
            ChartKind::Line => {
                let mut path = String::new();
                let mut pen = false;
                for i in 0..c.labels.len() {
                    match c.at(s, i) {
                        Some(v) => {
                            let (x, yy) = (left + step * (i as f64 + 0.5), y(v));
                            let _ = write!(path, "{}{x:.1} {yy:.1} ", if pen { "L" } else { "M" });
                            let _ = write!(out, "<circle cx=\"{x:.1}\" cy=\"{yy:.1}\" r=\"3\" fill=\"{colour}\"><title>{}: {}, {v:.2}</title></circle>", escape(&ser.name), escape(&c.labels[i]));
                            pen = true;
                        }
                        None => pen = false,
                    }
                }
                if !path.is_empty() {
                    let _ = write!(out, "<path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>", path.trim_end());
                }
            }
            ChartKind::Bar => {
                let bar = step * 0.8 / series as f64;
                for i in 0..c.labels.len() {
                    if let Some(v) = c.at(s, i) {
                        let x = left + step * i as f64 + step * 0.1 + bar * s as f64;
                        let (y0, y1) = (y(lo), y(v));
                        let _ = write!(
                            out,
                            "<rect x=\"{x:.1}\" y=\"{y1:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {}, {v:.2}</title></rect>",
                            (y0 - y1).max(0.0),
                            escape(&ser.name),
                            escape(&c.labels[i])
                        );
                    }
                }
            }
        }
    }
    out.push_str("</svg><figcaption>");
    let _ = write!(out, "<strong>{}</strong>", escape(&c.title));
    for (s, ser) in c.series.iter().enumerate() {
        let _ = write!(out, " <svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" fill=\"{}\"/></svg> {}", PALETTE[s % PALETTE.len()].1, escape(&ser.name));
    }
    out.push_str("</figcaption><details><summary>Values</summary>");
    let mut t = Table { head: std::iter::once(String::new()).chain(c.labels.iter().cloned()).collect(), rows: Vec::new() };
    for (s, ser) in c.series.iter().enumerate() {
        t.rows.push(std::iter::once(ser.name.clone()).chain((0..c.labels.len()).map(|i| c.at(s, i).map_or("—".to_owned(), |v| format!("{v:.2}")))).collect());
    }
    table(out, &t);
    out.push_str("</details></figure>");
}
