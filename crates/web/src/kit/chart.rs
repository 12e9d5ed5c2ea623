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
/// and a text summary for screen readers. `title` names the chart. Every
/// column is labelled when there are at most 12 and the longest label fits
/// its column (about 6.5 units a character at the labels' size), else
/// every seventh from the last.
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
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * 6.5;
    let every = labels.len() <= 12 && widest <= step;
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
        if every || i % 7 == labels.len().saturating_sub(1) % 7 {
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

/// One line of a [`lines`] chart: its name, its points (x, y in percent
/// from 0 to 100, and what the point's tooltip says), an expected line
/// from one point to another drawn dashed in the same colour, and a
/// sentence for the caption (screen readers read it).
pub(crate) struct Line {
    pub name: String,
    pub points: Vec<(i64, f64, String)>,
    pub expected: Option<[(i64, f64); 2]>,
    pub summary: String,
}

/// A line chart of percentages over `x` from `x_from` to `x_to` (any unit,
/// such as microseconds; a point outside is clamped to the edge): the y
/// axis from 0 to 100 % with a grid line each 25 %, `x_labels` placed on
/// the x axis, one solid line with a dot per point for each of `lines` and
/// its expected line dashed, a legend and a caption. `title` names the
/// chart.
pub(crate) fn lines(title: &str, x_from: i64, x_to: i64, x_labels: &[(i64, String)], lines: &[Line]) -> Markup {
    let (w, h, left, right, top, bottom) = (720.0_f64, 240.0_f64, 48.0_f64, 24.0_f64, 10.0_f64, 30.0_f64);
    let span = (x_to - x_from).max(1) as f64;
    let x = |v: i64| left + (w - left - right) * ((v.clamp(x_from, x_to.max(x_from)) - x_from) as f64 / span);
    let y = |p: f64| top + (h - top - bottom) * (1.0 - p.clamp(0.0, 100.0) / 100.0);
    let path = |pts: &[(f64, f64)]| pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect::<Vec<_>>().join(" ");
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) width="100%" {
                title { (title) }
                @for g in [0.0, 25.0, 50.0, 75.0, 100.0] {
                    line x1=(left) y1=(format!("{:.1}", y(g))) x2=(w - right) y2=(format!("{:.1}", y(g))) stroke=(if g == 0.0 { "#888" } else { "#ddd" }) {}
                    text x=(left - 6.0) y=(format!("{:.1}", y(g) + 4.0)) text-anchor="end" font-size="11" fill="#444" { (g) " %" }
                }
                @for (at, label) in x_labels {
                    // Labels at the ends run inwards, not off the chart.
                    @let anchor = if *at <= x_from { "start" } else if *at >= x_to { "end" } else { "middle" };
                    text x=(format!("{:.1}", x(*at))) y=(h - 10.0) text-anchor=(anchor) font-size="11" fill="#444" { (label) }
                }
                @for (k, l) in lines.iter().enumerate() {
                    @let colour = PALETTE[k % PALETTE.len()];
                    @if let Some([a, b]) = l.expected {
                        polyline.expected points=(path(&[(x(a.0), y(a.1)), (x(b.0), y(b.1))])) fill="none" stroke=(colour) stroke-width="1.5" stroke-dasharray="6 4" { title { (l.name) ": expected" } }
                    }
                    @let pts: Vec<(f64, f64)> = l.points.iter().map(|(a, b, _)| (x(*a), y(*b))).collect();
                    @if pts.len() > 1 {
                        polyline.progress points=(path(&pts)) fill="none" stroke=(colour) stroke-width="2.5" {}
                    }
                    @for ((px, py), (_, _, tip)) in pts.iter().zip(&l.points) {
                        circle cx=(format!("{px:.1}")) cy=(format!("{py:.1}")) r="3.5" fill=(colour) { title { (tip) } }
                    }
                }
            }
            figcaption {
                (title) "."
                @if !lines.is_empty() {
                    ul.legend {
                        @for (k, l) in lines.iter().enumerate() {
                            li {
                                svg width="24" height="12" aria-hidden="true" { line x1="0" y1="6" x2="24" y2="6" stroke=(PALETTE[k % PALETTE.len()]) stroke-width="2.5" {} }
                                " " (l.name) ": " (l.summary)
                            }
                        }
                        li { svg width="24" height="12" aria-hidden="true" { line x1="0" y1="6" x2="24" y2="6" stroke="#444" stroke-width="1.5" stroke-dasharray="6 4" {} } " dashed: the progress expected on a straight line from the start to the due date" }
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
pub(crate) fn values_over_time(title: &str, labels: &[String], series: &[(String, Vec<Option<f64>>)]) -> Markup {
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

#[cfg(test)]
mod tests {
    use super::{lines, Line};

    /// Points land where their percentage and time put them (0 % at the
    /// axis, 100 % at the top, clamped into the chart), the expected line
    /// is dashed, and a hostile name is escaped.
    #[test]
    fn a_line_chart_places_points_and_dashes_the_expected_line() {
        let l = Line { name: "<b>kpi</b>".into(), points: vec![(0, 0.0, "start".into()), (50, 50.0, "mid".into()), (200, 150.0, "past".into())], expected: Some([(0, 0.0), (100, 100.0)]), summary: "50 %".into() };
        let svg = lines("t", 0, 100, &[(0, "from".into()), (100, "to".into())], &[l]).into_string();
        // Width 720 − 48 − 24 = 648; height 240 − 10 − 30 = 200.
        assert!(svg.contains("points=\"48.0,210.0 372.0,110.0 696.0,10.0\""), "{svg}");
        assert!(svg.contains("class=\"expected\" points=\"48.0,210.0 696.0,10.0\"") && svg.contains("stroke-dasharray=\"6 4\""), "{svg}");
        assert!(svg.contains("&lt;b&gt;kpi&lt;/b&gt;") && !svg.contains("<b>kpi"), "{svg}");
        assert!(svg.contains(">100 %<") && svg.contains(">0 %<"), "{svg}");
    }
}
