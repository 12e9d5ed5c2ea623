//! Reports a person reads (docs/assessment.md#the-report): a small
//! document model — a title, a subtitle, sections of paragraphs, notes,
//! bullet lists, tables and line or bar charts — rendered to one
//! self-contained HTML page ([`Document::to_html`], `html.rs`: no script,
//! no external file, every string escaped) and to a PDF ([`Document::to_pdf`],
//! `pdf.rs`: A4, the standard Helvetica fonts in WinAnsi encoding, or with
//! [`Document::to_pdf_with`] a TrueType pair the caller passes ([`Fonts`])
//! embedded as subsets with a ToUnicode map (`face.rs`), so its text is
//! extractable and searchable in any script the fonts cover; text wrapped to the page, tables
//! broken across pages with their header repeated, numbered pages).
//!
//! Every string is treated as text, whoever wrote it: partners' names and
//! notes end up in these documents. HTML escapes them; the PDF writes them
//! as string objects (delimiters escaped by `pdf-writer`), control
//! characters dropped; with the standard fonts, characters outside WinAnsi
//! shown as `?`; with embedded fonts, characters they lack as their
//! .notdef glyph (a box).
//!
//! Pure: bytes out, no I/O; the callers (node, the pages, the binary) decide
//! what goes in and where the bytes go.

mod face;
pub use face::Fonts;
mod html;
pub use html::STYLE;
mod metrics;
mod pdf;

/// A document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Its title: the first line, and the PDF's and page's title.
    pub title: String,
    /// A line under the title (who produced it, when, over what).
    pub subtitle: Option<String>,
    /// Its sections, in order.
    pub sections: Vec<Section>,
}

/// A section: a heading and its blocks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    /// The heading.
    pub heading: String,
    /// The blocks, in order.
    pub blocks: Vec<Block>,
}

/// One block of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph; a line break in it starts a new line.
    Paragraph(String),
    /// A smaller paragraph: how to read what is around it.
    Note(String),
    /// A bullet list.
    Bullets(Vec<String>),
    /// A table.
    Table(Table),
    /// A chart.
    Chart(Chart),
}

/// A table: a header row and rows of text cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The header cells.
    pub head: Vec<String>,
    /// The rows; a row shorter than the header is padded with empty cells.
    pub rows: Vec<Vec<String>>,
}

/// A chart of values over labelled points.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// What it shows.
    pub title: String,
    /// Lines or grouped bars.
    pub kind: ChartKind,
    /// The points' labels (dates, names), in order.
    pub labels: Vec<String>,
    /// The series: a name and one value per label (`None`: no value there;
    /// a non-finite value counts as none).
    pub series: Vec<Series>,
    /// The value axis, bottom to top; values outside are drawn at its ends.
    pub range: (f64, f64),
}

/// Lines or bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// One line per series; a missing value breaks the line.
    Line,
    /// One group of bars per label, a bar per series.
    Bar,
}

/// One series of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name, in the legend.
    pub name: String,
    /// One value per label.
    pub values: Vec<Option<f64>>,
}

impl Document {
    /// A document with `title` and nothing else.
    pub fn new(title: impl Into<String>) -> Document {
        Document { title: title.into(), ..Document::default() }
    }

    /// Adds a section and returns it to be filled.
    pub fn section(&mut self, heading: impl Into<String>) -> &mut Section {
        self.sections.push(Section { heading: heading.into(), blocks: Vec::new() });
        let last = self.sections.len() - 1;
        &mut self.sections[last]
    }

    /// The document as one self-contained HTML page.
    pub fn to_html(&self) -> String {
        html::render(self)
    }

    /// The document as a PDF file's bytes, in the standard fonts.
    pub fn to_pdf(&self) -> Vec<u8> {
        pdf::render(self, None)
    }

    /// The document as a PDF file's bytes, `fonts` embedded (subsets).
    pub fn to_pdf_with(&self, fonts: &Fonts) -> Vec<u8> {
        pdf::render(self, Some(fonts))
    }
}

impl Section {
    /// Adds a paragraph.
    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Section {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    /// Adds a note.
    pub fn note(&mut self, text: impl Into<String>) -> &mut Section {
        self.blocks.push(Block::Note(text.into()));
        self
    }

    /// Adds a bullet list.
    pub fn bullets(&mut self, items: Vec<String>) -> &mut Section {
        self.blocks.push(Block::Bullets(items));
        self
    }

    /// Adds a table.
    pub fn table(&mut self, head: Vec<String>, rows: Vec<Vec<String>>) -> &mut Section {
        self.blocks.push(Block::Table(Table { head, rows }));
        self
    }

    /// Adds a chart.
    pub fn chart(&mut self, chart: Chart) -> &mut Section {
        self.blocks.push(Block::Chart(chart));
        self
    }
}

impl Chart {
    /// The value of series `s` at point `i`, clamped to the range; `None`
    /// when missing or not finite.
    fn at(&self, s: usize, i: usize) -> Option<f64> {
        let (lo, hi) = self.bounds();
        self.series.get(s)?.values.get(i).copied().flatten().filter(|v| v.is_finite()).map(|v| v.clamp(lo, hi))
    }

    /// The range, made usable: finite, bottom below top.
    fn bounds(&self) -> (f64, f64) {
        let (lo, hi) = self.range;
        if lo.is_finite() && hi.is_finite() && hi > lo {
            (lo, hi)
        } else {
            (0.0, 1.0)
        }
    }

    /// Where `v` falls on the axis, 0 at the bottom and 1 at the top.
    fn frac(&self, v: f64) -> f64 {
        let (lo, hi) = self.bounds();
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    }
}

/// Series colours (Okabe–Ito, told apart with the common colour-vision
/// deficiencies), as RGB in [0, 1] and as hex.
const PALETTE: [([f32; 3], &str); 6] = [
    ([0.0, 0.447, 0.698], "#0072B2"),
    ([0.902, 0.624, 0.0], "#E69F00"),
    ([0.0, 0.62, 0.451], "#009E73"),
    ([0.8, 0.475, 0.655], "#CC79A7"),
    ([0.337, 0.706, 0.914], "#56B4E9"),
    ([0.835, 0.369, 0.0], "#D55E00"),
];

/// A value axis label: the value with at most two decimals.
fn tick(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}
