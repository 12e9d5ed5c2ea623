//! Text for the PDF's standard fonts: WinAnsi encoding (the characters a
//! Type 1 standard font can show, `?` for the rest, control characters
//! dropped) and the widths of Helvetica's glyphs (the font's published
//! metrics, in thousandths of the font size) to wrap lines.

/// Helvetica's widths of the printable ASCII characters, space (32) to
/// tilde (126).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0 to 9
    278, 278, 584, 584, 584, 556, 1015, // : to @
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // A to Z
    278, 278, 278, 469, 556, 333, // [ to `
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // a to z
    334, 260, 334, 584, // { to ~
];

/// Helvetica-Bold's widths of the same characters.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0 to 9
    333, 333, 584, 584, 584, 611, 975, // : to @
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // A to Z
    333, 278, 333, 584, 556, 333, // [ to `
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, // a to z
    389, 280, 389, 584, // { to ~
];

/// The WinAnsi bytes of `s`: ASCII and Latin-1 as themselves, the
/// typographic marks WinAnsi has at 0x80–0x9F, a few arrows and signs as
/// ASCII, control characters (tabs and line breaks included: the layout
/// breaks lines itself) dropped, anything else `?`.
pub(crate) fn encode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push(b' '),
            c if c.is_control() => {}
            c if (c as u32) < 0x7f => out.push(c as u8),
            c if (0xa0..=0xff).contains(&(c as u32)) => out.push(c as u32 as u8),
            '€' => out.push(0x80),
            '‚' => out.push(0x82),
            '„' => out.push(0x84),
            '…' => out.push(0x85),
            '•' => out.push(0x95),
            '‘' => out.push(0x91),
            '’' => out.push(0x92),
            '“' => out.push(0x93),
            '”' => out.push(0x94),
            '–' => out.push(0x96),
            '—' => out.push(0x97),
            '™' => out.push(0x99),
            '→' => out.extend(b"->"),
            '←' => out.extend(b"<-"),
            '↑' => out.push(b'^'),
            '↓' => out.push(b'v'),
            '≤' => out.extend(b"<="),
            '≥' => out.extend(b">="),
            '−' => out.push(b'-'),
            '\u{a0}' | '\u{2009}' | '\u{202f}' => out.push(b' '),
            _ => out.push(b'?'),
        }
    }
    out
}

/// The width of WinAnsi bytes at `size` points, bold or not. Characters
/// beyond ASCII are counted as wide as a digit (most Latin letters are
/// within a tenth of it).
pub(crate) fn width(bytes: &[u8], size: f32, bold: bool) -> f32 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let units: u32 = bytes.iter().map(|&b| if (32..127).contains(&b) { u32::from(table[usize::from(b - 32)]) } else { 556 }).sum();
    units as f32 * size / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_latin_and_drops_controls() {
        assert_eq!(encode("Café → 5\u{7}\n"), b"Caf\xe9 -> 5".to_vec());
        assert_eq!(encode("日本"), b"??".to_vec());
        assert_eq!(encode("(a) \\ b"), b"(a) \\ b".to_vec());
    }

    #[test]
    fn wrapping_respects_the_width() {
        let face = crate::face::Face::Standard;
        let text = "the quick brown fox jumps over the lazy dog again and again";
        let lines = face.wrap(text, 10.0, false, 100.0);
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(width(&encode(l), 10.0, false) <= 100.0, "{l:?}");
        }
        assert_eq!(lines.join(" "), text);
        // A word longer than a line is cut, nothing lost.
        let long = "W".repeat(40);
        let cut = face.wrap(&long, 10.0, true, 50.0);
        assert!(cut.len() > 1);
        assert_eq!(cut.concat(), long);
        assert!(cut.iter().all(|l| width(&encode(l), 10.0, true) <= 50.0));
    }
}
