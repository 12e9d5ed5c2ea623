//! Charts drawn on the server as inline SVG: no script, no external file,
//! every label escaped by maud like any other text. Colours are SVG
//! presentation attributes (`fill`), which the pages' CSP allows, unlike
//! inline `style`.

use maud::{html, Markup};

/// Series colours, distinguishable for the common colour-vision
/// deficiencies (Okabe–Ito), in order; series beyond them reuse them.
const PALETTE: [&str; 7] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"];

/// A stacked bar chart: one bar per column (`labels`, oldest first), each
/// stacked from `series` (name and one count per column), with a legend
/// and a text summary for screen readers. `title` names the chart.
pub(crate) fn stacked_bars(title: &str, labels: &[String], series: &[(String, Vec<u64>)]) -> Markup {
    let (w, h, left, bottom, top) = (720.0_f64, 220.0_f64, 44.0_f64, 28.0_f64, 8.0_f64);
    let columns = labels.len().max(1);
    let totals: Vec<u64> = (0..labels.len()).map(|i| series.iter().map(|(_, v)| v.get(i).copied().unwrap_or(0)).sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let right = 20.0_f64;
    let step = (w - left - right) / columns as f64;
    let bar = (step * 0.8).max(1.0);
    let scale = (h - bottom - top) / max as f64;
    let sum: u64 = totals.iter().sum();
    // (x, y, height, colour, tooltip) of each stacked segment; (x, label) of each axis label.
    let (mut rects, mut ticks) = (Vec::new(), Vec::new());
    for (i, label) in labels.iter().enumerate() {
        let x = left + step * i as f64 + (step - bar) / 2.0;
        let mut y = h - bottom;
        for (k, (name, values)) in series.iter().enumerate() {
            let n = values.get(i).copied().unwrap_or(0);
            if n > 0 {
                let height = n as f64 * scale;
                y -= height;
                rects.push((x, y, height, PALETTE[k % PALETTE.len()], format!("{label}: {n} from {name}")));
            }
        }
        if i % 7 == labels.len().saturating_sub(1) % 7 {
            ticks.push((x + bar / 2.0, label));
        }
    }
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) width="100%" {
                title { (title) }
                line x1=(left) y1=(h - bottom) x2=(w - right) y2=(h - bottom) stroke="#888" {}
                text x=(left - 6.0) y=(top + 10.0) text-anchor="end" font-size="11" fill="#444" { (max) }
                text x=(left - 6.0) y=(h - bottom) text-anchor="end" font-size="11" fill="#444" { "0" }
                @for (x, y, height, colour, tip) in &rects {
                    rect x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(format!("{bar:.1}")) height=(format!("{height:.1}")) fill=(colour) { title { (tip) } }
                }
                @for (x, label) in &ticks {
                    text x=(format!("{x:.1}")) y=(h - 10.0) text-anchor="middle" font-size="11" fill="#444" { (label) }
                }
            }
            figcaption {
                (title) ": " (sum) " in all."
                @if !series.is_empty() {
                    ul.legend {
                        @for (k, (name, values)) in series.iter().enumerate() {
                            li {
                                svg width="12" height="12" aria-hidden="true" { rect width="12" height="12" fill=(PALETTE[k % PALETTE.len()]) {} }
                                " " (name) " (" (values.iter().sum::<u64>()) ")"
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A line chart of values in [0, 1]: one line per series (name and one
/// value per column, `None` where there is none: the line breaks there),
/// columns `labels` oldest first, with a legend and a text summary of each
/// series' latest value for screen readers. `title` names the chart.
pub(crate) fn lines(title: &str, labels: &[String], series: &[(String, Vec<Option<f64>>)]) -> Markup {
    let (w, h, left, bottom, top, right) = (720.0_f64, 220.0_f64, 44.0_f64, 28.0_f64, 8.0_f64, 20.0_f64);
    let columns = labels.len().max(2);
    let step = (w - left - right) / (columns - 1) as f64;
    let y = |v: f64| top + (1.0 - v.clamp(0.0, 1.0)) * (h - bottom - top);
    let x = |i: usize| left + step * i as f64;
    // Each series as runs of consecutive points (a missing value breaks it).
    let paths: Vec<(&str, Vec<String>, Vec<(f64, f64, String)>)> = series
        .iter()
        .enumerate()
        .map(|(k, (name, values))| {
            let (mut runs, mut run, mut dots) = (Vec::new(), Vec::new(), Vec::new());
            for (i, v) in values.iter().enumerate() {
                match v {
                    Some(v) => {
                        run.push(format!("{:.1},{:.1}", x(i), y(*v)));
                        dots.push((x(i), y(*v), format!("{name}, {}: {v:.2}", labels.get(i).map(String::as_str).unwrap_or(""))));
                    }
                    None if !run.is_empty() => runs.push(std::mem::take(&mut run).join(" ")),
                    None => {}
                }
            }
            if !run.is_empty() {
                runs.push(run.join(" "));
            }
            (PALETTE[k % PALETTE.len()], runs, dots)
        })
        .collect();
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) width="100%" {
                title { (title) }
                line x1=(left) y1=(h - bottom) x2=(w - right) y2=(h - bottom) stroke="#888" {}
                line x1=(left) y1=(y(1.0)) x2=(w - right) y2=(y(1.0)) stroke="#ddd" {}
                line x1=(left) y1=(y(0.5)) x2=(w - right) y2=(y(0.5)) stroke="#ddd" {}
                text x=(left - 6.0) y=(y(1.0) + 4.0) text-anchor="end" font-size="11" fill="#444" { "1" }
                text x=(left - 6.0) y=(y(0.5) + 4.0) text-anchor="end" font-size="11" fill="#444" { "0.5" }
                text x=(left - 6.0) y=(h - bottom) text-anchor="end" font-size="11" fill="#444" { "0" }
                @for (colour, runs, dots) in &paths {
                    @for points in runs {
                        polyline points=(points) fill="none" stroke=(colour) stroke-width="2" {}
                    }
                    @for (cx, cy, tip) in dots {
                        circle cx=(format!("{cx:.1}")) cy=(format!("{cy:.1}")) r="3" fill=(colour) { title { (tip) } }
                    }
                }
                @for (i, label) in labels.iter().enumerate() {
                    // The first and last labels inside the chart, not cut at its edges.
                    text x=(format!("{:.1}", x(i))) y=(h - 10.0) text-anchor=(if i == 0 { "start" } else if i + 1 == labels.len() { "end" } else { "middle" }) font-size="11" fill="#444" { (label) }
                }
            }
            figcaption {
                (title) "."
                ul.legend {
                    @for (k, (name, values)) in series.iter().enumerate() {
                        li {
                            svg width="12" height="12" aria-hidden="true" { rect width="12" height="12" fill=(PALETTE[k % PALETTE.len()]) {} }
                            " " (name) ": "
                            @match values.iter().rev().flatten().next() { Some(v) => { (format!("{v:.2}")) " latest" } None => { "no value" } }
                        }
                    }
                }
            }
        }
    }
}
