//! A document as a PDF (A4 portrait) written with `pdf-writer`: Helvetica
//! and Helvetica-Bold, two of the fourteen standard fonts every reader has,
//! in WinAnsi encoding, so the file embeds no font, or a TrueType pair the
//! caller passes, embedded as subsets with a ToUnicode map (`face.rs`), for
//! text beyond WinAnsi; either way its text can be extracted, searched and
//! read aloud. A small layout engine: lines wrapped
//! to the text width, a new page when a block does not fit, tables broken
//! between rows with the header repeated, charts drawn with lines and
//! rectangles, "page N of M" at the foot of every page.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::face::{clean, Face, Fonts};
use crate::{tick, Block, Chart, ChartKind, Document, Table, PALETTE};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// The lowest a line may start: room is kept for the page number.
const FLOOR: f32 = MARGIN + 14.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// The file's bytes, with the standard fonts or `fonts` embedded.
pub(crate) fn render(doc: &Document, fonts: Option<&Fonts>) -> Vec<u8> {
    let mut l = Layout::new(Face::new(fonts));
    l.text(&doc.title, 18.0, true, 0.0, 24.0);
    if let Some(s) = &doc.subtitle {
        l.colour(0.33);
        l.text(s, 10.0, false, 0.0, 13.0);
        l.colour(0.0);
    }
    l.gap(8.0);
    for section in &doc.sections {
        // A heading is not left alone at the foot of a page.
        l.room(60.0);
        l.gap(8.0);
        l.text(&section.heading, 13.0, true, 0.0, 17.0);
        l.rule();
        l.gap(4.0);
        for block in &section.blocks {
            match block {
                Block::Paragraph(t) => {
                    l.text(t, 10.0, false, 0.0, 13.5);
                    l.gap(5.0);
                }
                Block::Note(t) => {
                    l.colour(0.33);
                    l.text(t, 8.5, false, 0.0, 11.0);
                    l.colour(0.0);
                    l.gap(5.0);
                }
                Block::Bullets(items) => {
                    for item in items {
                        l.bullet(item);
                    }
                    l.gap(5.0);
                }
                Block::Table(t) => {
                    l.table(t);
                    l.gap(8.0);
                }
                Block::Chart(c) => {
                    l.chart(c);
                    l.gap(8.0);
                }
            }
        }
    }
    l.write(&doc.title)
}

/// Pages being laid out, the cursor going down the last.
struct Layout {
    pages: Vec<Content>,
    y: f32,
    face: Face,
}

impl Layout {
    fn new(face: Face) -> Layout {
        Layout { pages: vec![Content::new()], y: PAGE_H - MARGIN, face }
    }

    fn page(&mut self) -> &mut Content {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = PAGE_H - MARGIN;
    }

    /// Starts a new page unless `h` points fit above the floor.
    fn room(&mut self, h: f32) {
        if self.y - h < FLOOR && self.y < PAGE_H - MARGIN {
            self.new_page();
        }
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    fn colour(&mut self, grey: f32) {
        self.page().set_fill_gray(grey);
    }

    /// One line of text at (x, baseline y).
    fn show(&mut self, x: f32, y: f32, text: &str, size: f32, bold: bool) {
        let bytes = self.face.encode(text, bold);
        let c = self.page();
        c.begin_text();
        c.set_font(if bold { BOLD } else { REGULAR }, size);
        c.next_line(x, y);
        c.show(Str(&bytes));
        c.end_text();
    }

    /// Text wrapped to the width left after `indent`, each paragraph line
    /// (`\n`) starting a new line, `leading` points a line.
    fn text(&mut self, text: &str, size: f32, bold: bool, indent: f32, leading: f32) {
        for para in text.split('\n') {
            for line in self.face.wrap(&clean(para), size, bold, TEXT_W - indent) {
                self.room(leading);
                self.y -= leading;
                let y = self.y + (leading - size) / 2.0;
                self.show(MARGIN + indent, y, &line, size, bold);
            }
        }
    }

    fn bullet(&mut self, item: &str) {
        self.room(13.5);
        let y = self.y - 13.5 + (13.5 - 10.0) / 2.0;
        self.show(MARGIN + 4.0, y, "•", 10.0, false);
        self.text(item, 10.0, false, 16.0, 13.5);
    }

    fn rule(&mut self) {
        let y = self.y - 2.0;
        let c = self.page();
        c.set_stroke_gray(0.75);
        c.set_line_width(0.5);
        c.move_to(MARGIN, y);
        c.line_to(PAGE_W - MARGIN, y);
        c.stroke();
        self.y -= 2.0;
    }

    /// A table at 8 points: columns sized to their content within the text
    /// width, cells wrapped, rows kept whole, the header repeated on each
    /// page the table runs onto.
    fn table(&mut self, t: &Table) {
        const SIZE: f32 = 8.0;
        const LEAD: f32 = 10.0;
        const PAD: f32 = 3.0;
        let ncols = t.head.len().max(t.rows.iter().map(Vec::len).max().unwrap_or(0));
        if ncols == 0 {
            return;
        }
        let cell = |row: &[String], i: usize| clean(row.get(i).map_or("", String::as_str));
        let face = &self.face;
        // Natural widths (whole text on one line) and the longest words.
        let mut natural = vec![0.0_f32; ncols];
        let mut word = vec![0.0_f32; ncols];
        // The header and the first column are bold; a point to spare keeps
        // rounding from breaking a cell that fits.
        for (r, row) in std::iter::once(&t.head).chain(&t.rows).enumerate() {
            for (i, n) in natural.iter_mut().enumerate() {
                let bold = r == 0 || i == 0;
                let text = cell(row, i);
                *n = n.max(face.width(&text, SIZE, bold) + 2.0 * PAD + 1.0);
                let longest = text.split(' ').map(|w| face.width(w, SIZE, bold)).fold(0.0, f32::max);
                word[i] = word[i].max(longest + 2.0 * PAD);
            }
        }
        let total: f32 = natural.iter().sum();
        let mut widths: Vec<f32> = if total <= TEXT_W {
            natural.clone()
        } else {
            natural.iter().zip(&word).map(|(n, w)| w.max(TEXT_W * n / total).min(*n)).collect()
        };
        let sum: f32 = widths.iter().sum();
        if sum > TEXT_W {
            widths.iter_mut().for_each(|w| *w *= TEXT_W / sum);
        }
        let lay = |row: &[String], bold: bool| -> Vec<Vec<String>> { (0..ncols).map(|i| face.wrap(&cell(row, i), SIZE, bold || i == 0, widths[i] - 2.0 * PAD)).collect() };
        let height = |cells: &Vec<Vec<String>>| cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * LEAD + 2.0 * PAD;
        let head = lay(&t.head, true);
        let head_h = height(&head);
        let rows: Vec<_> = t.rows.iter().map(|r| lay(r, false)).collect();
        self.room(head_h + rows.first().map_or(0.0, &height));
        self.row(&head, &widths, head_h, true);
        for r in &rows {
            let h = height(r);
            if self.y - h < FLOOR {
                self.new_page();
                self.row(&head, &widths, head_h, true);
            }
            self.row(r, &widths, h, false);
        }
    }

    fn row(&mut self, cells: &[Vec<String>], widths: &[f32], h: f32, header: bool) {
        let top = self.y;
        let c = self.page();
        if header {
            c.set_fill_gray(0.93);
            c.rect(MARGIN, top - h, widths.iter().sum(), h);
            c.fill_nonzero();
            c.set_fill_gray(0.0);
        }
        c.set_stroke_gray(0.7);
        c.set_line_width(0.4);
        let mut x = MARGIN;
        for w in widths {
            c.rect(x, top - h, *w, h);
            x += w;
        }
        c.stroke();
        let mut x = MARGIN;
        for (i, lines) in cells.iter().enumerate() {
            for (k, line) in lines.iter().enumerate() {
                let y = top - 3.0 - 10.0 * (k as f32 + 1.0) + 2.0;
                self.show(x + 3.0, y, line, 8.0, header || i == 0);
            }
            x += widths[i];
        }
        self.y -= h;
    }

    /// A chart 200 points high with its title above and legend below.
    fn chart(&mut self, ch: &Chart) {
        let (plot_h, left) = (150.0_f32, 34.0_f32);
        let legend_rows = ch.series.len().div_ceil(3).max(1) as f32;
        self.room(16.0 + plot_h + 22.0 + 12.0 * legend_rows);
        self.text(&ch.title, 10.0, true, 0.0, 14.0);
        self.y -= 4.0;
        let (x0, x1, ytop) = (MARGIN + left, PAGE_W - MARGIN, self.y);
        let ybot = ytop - plot_h;
        let (lo, hi) = ch.bounds();
        let y_of = |v: f64| ybot + ch.frac(v) as f32 * plot_h;
        for k in 0..=4 {
            let v = lo + (hi - lo) * f64::from(k) / 4.0;
            let y = y_of(v);
            let c = self.page();
            c.set_stroke_gray(if k == 0 { 0.45 } else { 0.88 });
            c.set_line_width(0.5);
            c.move_to(x0, y);
            c.line_to(x1, y);
            c.stroke();
            let label = tick(v);
            let w = self.face.width(&label, 7.5, false);
            self.colour(0.3);
            self.show(x0 - 4.0 - w, y - 2.5, &label, 7.5, false);
            self.colour(0.0);
        }
        let n = ch.labels.len().max(1);
        let step = (x1 - x0) / n as f32;
        let every = n.div_ceil(10);
        for (i, label) in ch.labels.iter().enumerate() {
            if i % every == (n - 1) % every {
                let text = clean(label);
                let w = self.face.width(&text, 7.0, false).min(step * every as f32);
                self.colour(0.3);
                self.show(x0 + step * (i as f32 + 0.5) - w / 2.0, ybot - 10.0, &text, 7.0, false);
                self.colour(0.0);
            }
        }
        let groups = ch.series.len().max(1) as f32;
        for s in 0..ch.series.len() {
            let [r, g, b] = PALETTE[s % PALETTE.len()].0;
            let c = self.page();
            c.set_stroke_rgb(r, g, b);
            c.set_fill_rgb(r, g, b);
            c.set_line_width(1.5);
            match ch.kind {
                ChartKind::Line => {
                    let mut pen = false;
                    let mut points = Vec::new();
                    for i in 0..ch.labels.len() {
                        match ch.at(s, i) {
                            Some(v) => {
                                let (x, y) = (x0 + step * (i as f32 + 0.5), y_of(v));
                                if pen {
                                    c.line_to(x, y);
                                } else {
                                    c.move_to(x, y);
                                }
                                pen = true;
                                points.push((x, y));
                            }
                            None => pen = false,
                        }
                    }
                    if !points.is_empty() {
                        c.stroke();
                    }
                    for (x, y) in points {
                        c.rect(x - 1.8, y - 1.8, 3.6, 3.6);
                    }
                    c.fill_nonzero();
                }
                ChartKind::Bar => {
                    let bar = step * 0.8 / groups;
                    for i in 0..ch.labels.len() {
                        if let Some(v) = ch.at(s, i) {
                            let x = x0 + step * i as f32 + step * 0.1 + bar * s as f32;
                            let top = y_of(v);
                            c.rect(x, ybot, bar, (top - ybot).max(0.3));
                        }
                    }
                    c.fill_nonzero();
                }
            }
            c.set_fill_gray(0.0);
        }
        self.y = ybot - 22.0;
        // The legend, three series a line.
        for (s, ser) in ch.series.iter().enumerate() {
            let col = (s % 3) as f32;
            if s % 3 == 0 && s > 0 {
                self.y -= 12.0;
            }
            let x = MARGIN + col * TEXT_W / 3.0;
            let [r, g, b] = PALETTE[s % PALETTE.len()].0;
            let y = self.y;
            let c = self.page();
            c.set_fill_rgb(r, g, b);
            c.rect(x, y, 8.0, 8.0);
            c.fill_nonzero();
            c.set_fill_gray(0.0);
            let name = self.face.wrap(&clean(&ser.name), 8.0, false, TEXT_W / 3.0 - 14.0).into_iter().next().unwrap_or_default();
            self.show(x + 12.0, y + 1.0, &name, 8.0, false);
        }
        self.y -= 12.0;
    }

    /// The file: catalog, page tree, fonts, pages with their numbers,
    /// document information (title, producer).
    fn write(mut self, title: &str) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first = 6;
        let count = self.pages.len();
        let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(first + 2 * i as i32)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().copied()).count(count as i32);
        let clean: String = title.chars().filter(|c| !c.is_control()).collect();
        pdf.document_info(info).title(TextStr(&clean)).producer(TextStr("Entente"));
        let pages = std::mem::take(&mut self.pages);
        for (i, mut content) in pages.into_iter().enumerate() {
            let (page_id, content_id) = (page_ids[i], Ref::new(page_ids[i].get() + 1));
            let foot_text = format!("page {} of {}", i + 1, count);
            let w = self.face.width(&foot_text, 8.0, false);
            let foot = self.face.encode(&foot_text, false);
            content.set_fill_gray(0.4);
            content.begin_text();
            content.set_font(REGULAR, 8.0);
            content.next_line(PAGE_W - MARGIN - w, MARGIN - 20.0);
            content.show(Str(&foot));
            content.end_text();
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
            page.parent(tree);
            page.contents(content_id);
            let mut resources = page.resources();
            resources.fonts().pair(REGULAR, regular).pair(BOLD, bold);
            resources.finish();
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        // The fonts last: an embedded subset holds every glyph shown.
        self.face.write(&mut pdf, regular, bold, first + 2 * count as i32);
        pdf.finish()
    }
}
