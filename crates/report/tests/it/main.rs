//! The report crate's documents read back: the PDF parsed by an
//! independent reader (lopdf) and its text extracted, hostile strings in
//! HTML escaped and in PDF kept as text.

use report::{Block, Chart, ChartKind, Document, Series};

const HOSTILE: &str = "<script>alert('x')</script> & \"q\" (unbalanced \\ ) ) BT /F1 99 Tf ET";

fn sample(rows: usize) -> Document {
    let mut d = Document::new(format!("Scorecard of {HOSTILE}"));
    d.subtitle = Some("Produced by Aurelia's node\nwindow 90 days".into());
    d.section("Summary").paragraph("Composite 0.81 for Aurelia, up 0.05 since the last review.").bullets(vec!["Reciprocity down".into(), HOSTILE.into()]);
    d.section("Indicators")
        .note("Each figure in [0, 1].")
        .table(vec!["Indicator".into(), "Aurelia".into(), "Borealis".into()], (0..rows).map(|i| vec![format!("row-{i}"), format!("0.{i:02}"), HOSTILE.into()]).collect());
    d.section("Trends").chart(Chart {
        title: "Composite over time".into(),
        kind: ChartKind::Line,
        labels: (1..=12).map(|m| format!("2026-{m:02}")).collect(),
        series: vec![
            Series { name: "Aurelia".into(), values: (0..12).map(|i| if i == 4 { None } else { Some(0.5 + i as f64 / 30.0) }).collect() },
            Series { name: HOSTILE.into(), values: vec![Some(f64::NAN), Some(f64::INFINITY), Some(-3.0), Some(0.7)] },
        ],
        range: (0.0, 1.0),
    });
    d.section("Bars").chart(Chart { title: "Per party".into(), kind: ChartKind::Bar, labels: vec!["A".into(), "B".into()], series: vec![Series { name: "n".into(), values: vec![Some(3.0), Some(7.0)] }], range: (0.0, 10.0) });
    d
}

fn text_of(pdf: &[u8]) -> (usize, String) {
    let doc = lopdf::Document::load_mem(pdf).expect("the PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("its text extracts");
    (pages.len(), text)
}

#[test]
fn the_pdf_parses_and_holds_the_texts() {
    let pdf = sample(5).to_pdf();
    assert!(pdf.starts_with(b"%PDF-"));
    let (pages, text) = text_of(&pdf);
    assert_eq!(pages, 2, "{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in ["Scorecard of", "Summary", "Composite 0.81 for Aurelia, up 0.05", "Reciprocity down", "row-4", "Composite over time", "page 1 of 2", "page 2 of 2", "window 90 days"] {
        assert!(flat.contains(expected), "{expected:?} missing from {flat}");
    }
    // The hostile string is text, whole, not content-stream operators.
    assert!(flat.contains("<script>alert('x')</script> & \"q\" (unbalanced \\ ) ) BT /F1 99 Tf ET"), "{flat}");
}

#[test]
fn a_long_table_runs_onto_more_pages_with_its_header() {
    let pdf = sample(150).to_pdf();
    let doc = lopdf::Document::load_mem(&pdf).expect("parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    assert!(pages.len() >= 3, "{} pages", pages.len());
    for p in &pages[1..pages.len() - 1] {
        let t = doc.extract_text(&[*p]).expect("text");
        assert!(t.contains("Indicator") && t.contains("Borealis"), "page {p} lacks the header: {t}");
    }
    let all = doc.extract_text(&pages).expect("text");
    for i in [0, 75, 149] {
        assert!(all.contains(&format!("row-{i} ")) || all.contains(&format!("row-{i}\n")), "row-{i} missing");
    }
    assert!(all.contains(&format!("page {} of {}", pages.len(), pages.len())));
}

#[test]
fn characters_beyond_winansi_do_not_break_the_file() {
    let mut d = Document::new("Société → 日本 \u{0}\u{7}");
    d.section("É").paragraph("“quoted” – dash — €");
    let (_, text) = text_of(&d.to_pdf());
    assert!(text.contains("Société -> ??"), "{text}");
    assert!(text.contains("€"), "{text}");
}

#[test]
fn html_escapes_every_string() {
    let html = sample(3).to_html();
    assert!(!html.contains("<script>"), "unescaped script");
    assert!(!html.contains("alert('x')"), "unescaped quote");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"));
    assert!(html.contains("<title>Scorecard of &lt;script&gt;"));
    assert!(html.contains("Produced by Aurelia&#39;s node<br>window 90 days"));
    // Self-contained: nothing fetched, no script.
    for banned in ["src=", "href=", "<link", "<script", "@import", "url("] {
        assert!(!html.contains(banned), "{banned} in the page");
    }
    // The chart: SVG, the missing point breaks the line (two paths' worth
    // of moves), and the non-finite values are left out of the values table.
    assert!(html.contains("<svg viewBox"));
    assert_eq!(html.matches("<path d=\"M").count(), 2);
    let first = html.split("<path d=\"").nth(1).expect("a path");
    assert_eq!(first.split('"').next().unwrap_or_default().matches('M').count(), 2);
    assert!(!html.contains("NaN") && !html.contains("inf"), "non-finite values shown");
    assert!(matches!(sample(1).sections[2].blocks[0], Block::Chart(_)));
}

/// DejaVu Sans from Debian's `fonts-dejavu-core` (installed by `.ci/run`):
/// the test fails, naming the package, when the files are not there.
fn dejavu() -> report::Fonts {
    let dir = std::env::var("ENTENTE_PDF_FONT_DIR").unwrap_or_else(|_| "/usr/share/fonts/truetype/dejavu".into());
    let read = |name: &str| std::fs::read(format!("{dir}/{name}")).unwrap_or_else(|e| panic!("{dir}/{name}: {e} (install Debian's fonts-dejavu-core)"));
    report::Fonts::new(read("DejaVuSans.ttf"), read("DejaVuSans-Bold.ttf")).expect("DejaVu Sans is a TrueType pair")
}

#[test]
fn embedded_fonts_show_and_extract_text_beyond_winansi() {
    let names = ["Łódź Voivodeship", "Ελληνική Δημοκρατία", "Україна", "Česká republika"];
    let mut d = sample(60);
    d.title = format!("Scorecard of {}", names[0]);
    d.section("Partners").paragraph(names.join(", ")).table(vec!["Party".into(), "Composite".into()], names.iter().map(|n| vec![(*n).to_owned(), "0.72".into()]).collect());
    let pdf = d.to_pdf_with(&dejavu());
    let (pages, text) = text_of(&pdf);
    assert!(pages >= 2);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in names.iter().copied().chain(["Scorecard of Łódź", "Composite 0.81 for Aurelia, up 0.05", "page 1 of", "row-59"]) {
        assert!(flat.contains(expected), "{expected:?} missing from {flat}");
    }
    assert!(!flat.contains('?'), "a character came out as '?': {flat}");
    assert!(flat.contains(HOSTILE), "{flat}");
    // Subsets, not whole fonts: DejaVu Sans alone is over 700 kB.
    assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    // The standard fonts still say '?' for what WinAnsi lacks.
    let (_, plain) = text_of(&d.to_pdf());
    assert!(plain.contains("?d? Voivodeship") || plain.contains("?ód? Voivodeship"), "{plain}");
}
