//! The PDF's fonts: the standard Helvetica pair in WinAnsi (nothing
//! embedded; characters outside WinAnsi shown as `?`), or a TrueType pair
//! the caller passes in ([`Fonts`], e.g. DejaVu Sans from Debian's
//! `fonts-dejavu-core`), embedded as subsets (only the glyphs used, by
//! `subsetter`) in CID-keyed Type 0 fonts with a ToUnicode map, so any
//! script the font covers (Polish, Greek, Cyrillic…) is shown, and
//! extracted, searched and read aloud as written. Text is kept as `str`
//! in the layout and encoded when shown: WinAnsi bytes, or two-byte glyph
//! ids of the subset.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Name, Pdf, Rect, Ref, Str};

use crate::metrics;

/// A TrueType regular and bold pair to embed (the bytes of `.ttf` files).
#[derive(Clone)]
pub struct Fonts {
    regular: Vec<u8>,
    bold: Vec<u8>,
}

impl Fonts {
    /// The pair, each checked to be a TrueType font with a Unicode cmap and
    /// horizontal metrics; the error names which one is not.
    pub fn new(regular: Vec<u8>, bold: Vec<u8>) -> Result<Fonts, String> {
        for (which, data) in [("regular", &regular), ("bold", &bold)] {
            let face = ttf_parser::Face::parse(data, 0).map_err(|e| format!("the {which} font: {e}"))?;
            if face.glyph_index('a').is_none() || face.tables().hmtx.is_none() {
                return Err(format!("the {which} font has no Unicode cmap or no horizontal metrics"));
            }
        }
        Ok(Fonts { regular, bold })
    }
}

/// One embedded font: its glyphs as used so far.
pub(crate) struct Font {
    data: Vec<u8>,
    units: f32,
    /// Per character: its glyph in the font and its advance (font units).
    glyphs: RefCell<HashMap<char, (u16, u16)>>,
    /// Glyphs used, renumbered for the subset (0 is .notdef).
    remapper: RefCell<subsetter::GlyphRemapper>,
    /// What each new glyph id shows, for the ToUnicode map.
    unicode: RefCell<BTreeMap<u16, char>>,
}

impl Font {
    fn new(data: Vec<u8>) -> Font {
        let units = ttf_parser::Face::parse(&data, 0).map_or(1000.0, |f| f32::from(f.units_per_em()));
        Font { data, units, glyphs: RefCell::new(HashMap::new()), remapper: RefCell::new(subsetter::GlyphRemapper::new()), unicode: RefCell::new(BTreeMap::new()) }
    }

    fn glyph(&self, c: char) -> (u16, u16) {
        if let Some(g) = self.glyphs.borrow().get(&c) {
            return *g;
        }
        let g = match ttf_parser::Face::parse(&self.data, 0) {
            Ok(face) => {
                let gid = face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
                (gid.0, face.glyph_hor_advance(gid).unwrap_or(0))
            }
            Err(_) => (0, 0),
        };
        self.glyphs.borrow_mut().insert(c, g);
        g
    }
}

/// The fonts a PDF is written with.
pub(crate) enum Face {
    Standard,
    Embedded(Box<[Font; 2]>),
}

/// Characters as the layout keeps them: control characters dropped, tabs
/// as spaces (the layout breaks lines itself).
pub(crate) fn clean(s: &str) -> String {
    s.chars().filter_map(|c| if c == '\t' { Some(' ') } else if c.is_control() { None } else { Some(c) }).collect()
}

impl Face {
    pub(crate) fn new(fonts: Option<&Fonts>) -> Face {
        match fonts {
            None => Face::Standard,
            Some(f) => Face::Embedded(Box::new([Font::new(f.regular.clone()), Font::new(f.bold.clone())])),
        }
    }

    /// The width of `s` at `size` points.
    pub(crate) fn width(&self, s: &str, size: f32, bold: bool) -> f32 {
        match self {
            Face::Standard => metrics::width(&metrics::encode(s), size, bold),
            Face::Embedded(f) => {
                let font = &f[usize::from(bold)];
                let units: u32 = s.chars().map(|c| u32::from(font.glyph(c).1)).sum();
                units as f32 * size / font.units
            }
        }
    }

    /// `s` as the bytes a content stream shows with this face's font.
    pub(crate) fn encode(&self, s: &str, bold: bool) -> Vec<u8> {
        match self {
            Face::Standard => metrics::encode(s),
            Face::Embedded(f) => {
                let font = &f[usize::from(bold)];
                let mut out = Vec::with_capacity(2 * s.len());
                for c in clean(s).chars() {
                    let (gid, _) = font.glyph(c);
                    let new = font.remapper.borrow_mut().remap(gid);
                    if gid != 0 {
                        font.unicode.borrow_mut().entry(new).or_insert(c);
                    }
                    out.extend_from_slice(&new.to_be_bytes());
                }
                out
            }
        }
    }

    /// `text` broken into lines no wider than `max` points: at spaces, or
    /// inside a word too long for a line.
    pub(crate) fn wrap(&self, text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let mut candidate = line.clone();
            if !candidate.is_empty() {
                candidate.push(' ');
            }
            candidate.push_str(word);
            if self.width(&candidate, size, bold) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: split it where it must be.
            for c in word.chars() {
                line.push(c);
                if self.width(&line, size, bold) > max && line.chars().count() > 1 {
                    let last = line.pop().unwrap_or(' ');
                    lines.push(std::mem::replace(&mut line, last.to_string()));
                }
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// Writes the two fonts as `regular` and `bold`, using the references
    /// from `next` on for the objects an embedded font needs; returns the
    /// next free reference.
    pub(crate) fn write(&self, pdf: &mut Pdf, regular: Ref, bold: Ref, mut next: i32) -> i32 {
        let Face::Embedded(fonts) = self else {
            pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
            pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
            return next;
        };
        for (k, (font, id)) in fonts.iter().zip([regular, bold]).enumerate() {
            let mut alloc = || {
                next += 1;
                Ref::new(next - 1)
            };
            let (cid, descriptor, file, cmap) = (alloc(), alloc(), alloc(), alloc());
            let remapper = font.remapper.borrow();
            let Ok(face) = ttf_parser::Face::parse(&font.data, 0) else { continue };
            let scale = 1000.0 / font.units;
            let postscript = face
                .names()
                .into_iter()
                .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
                .and_then(|n| n.to_string())
                .unwrap_or_else(|| if k == 0 { "Embedded".into() } else { "Embedded-Bold".into() });
            // A subset's name carries a six-letter tag (ISO 32000 9.6.4).
            let name = format!("{}+{}", if k == 0 { "ENTREG" } else { "ENTBLD" }, postscript.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', ""));
            let subset = subsetter::subset(&font.data, 0, &remapper).unwrap_or_default();
            pdf.type0_font(id).base_font(Name(name.as_bytes())).encoding_predefined(Name(b"Identity-H")).descendant_font(cid).to_unicode(cmap);
            let mut c = pdf.cid_font(cid);
            c.subtype(CidFontType::Type2)
                .base_font(Name(name.as_bytes()))
                .system_info(SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 })
                .font_descriptor(descriptor)
                .default_width(0.0)
                .cid_to_gid_map_predefined(Name(b"Identity"));
            // The subset's glyphs in their new order, each with its width.
            let advances: Vec<f32> = remapper.remapped_gids().map(|old| f32::from(face.glyph_hor_advance(ttf_parser::GlyphId(old)).unwrap_or(0)) * scale).collect();
            c.widths().consecutive(0, advances);
            drop(c);
            let b = face.global_bounding_box();
            let mut flags = FontFlags::NON_SYMBOLIC;
            if face.is_monospaced() {
                flags |= FontFlags::FIXED_PITCH;
            }
            pdf.font_descriptor(descriptor)
                .name(Name(name.as_bytes()))
                .flags(flags)
                .bbox(Rect::new(f32::from(b.x_min) * scale, f32::from(b.y_min) * scale, f32::from(b.x_max) * scale, f32::from(b.y_max) * scale))
                .italic_angle(face.italic_angle())
                .ascent(f32::from(face.ascender()) * scale)
                .descent(f32::from(face.descender()) * scale)
                .cap_height(f32::from(face.capital_height().unwrap_or(face.ascender())) * scale)
                .stem_v(if k == 0 { 80.0 } else { 140.0 })
                .font_file2(file);
            pdf.stream(file, &subset).pair(Name(b"Length1"), subset.len() as i32);
            let mut map = UnicodeCmap::new(Name(b"Entente-UTF16"), SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"UCS"), supplement: 0 });
            for (g, ch) in font.unicode.borrow().iter() {
                map.pair(*g, *ch);
            }
            pdf.cmap(cmap, &map.finish());
        }
        next
    }
}
