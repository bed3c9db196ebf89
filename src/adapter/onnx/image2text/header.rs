//! The VQA header of Pix2Struct models (DePlot, MatCha-ChartQA): the question is wrapped at
//! 80 characters, drawn black on white in a 36-pixel font with 5 pixels of padding, and
//! stacked above the image, both scaled to the wider of the two (Pillow bicubic). This is
//! `transformers`' `render_header` / `render_text`, with the bundled DejaVu Sans in place of
//! the Arial the reference fetches from a hub at run time.
//!
//! The header's size decides the patch grid, so it is computed as Pillow (with its raqm
//! layout engine, as in PyPI's wheels) computes `textbbox`: glyphs shaped with kerning
//! (rustybuzz, HarfBuzz's port), each advance rounded to 1/64 pixel; a line is as wide as
//! its rounded advance or its last glyph's ink, whichever reaches further; lines are
//! `ascent + 4` pixels apart; the box reaches down to the baseline or the lowest ink. The
//! glyphs themselves are rasterised by ab_glyph without hinting, so edge pixels differ a
//! little from FreeType's (the tests state how much).

use std::collections::HashMap;

use ab_glyph::{Font, FontRef, GlyphId, point};
use anyhow::anyhow;
use image::{Rgb, RgbImage};

use super::resample::pil_bicubic;

/// The font evalkit renders headers with (DejaVu Sans, free licence, in assets/fonts).
pub const FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");

/// FreeType's hinted descents of the bundled font's characters at 36 px (Pillow's
/// measurement; unhinted outlines cannot predict hinting's rounding).
const DESCENTS: &str = include_str!("../../../../assets/fonts/DejaVuSans-descents-36px.txt");

/// `render_text`'s defaults.
const TEXT_SIZE: f32 = 36.0;
const PADDING: u32 = 5;
const WRAP_WIDTH: usize = 80;
/// Pillow's default `spacing` between lines of multiline text.
const LINE_SPACING: i32 = 4;

/// A shaped glyph: its id, its pen position in 1/64 pixel and its offsets.
struct Placed {
    id: u16,
    pen64: i64,
    dx64: i64,
    dy64: i64,
}

/// The header font, parsed once.
pub struct HeaderFont {
    face: rustybuzz::Face<'static>,
    font: FontRef<'static>,
    /// 1/64 pixels per font unit.
    scale64: f64,
    /// Pixels per font unit.
    scale: f32,
    /// ab_glyph's scale for a 36-pixel em (its scale is the ascent-to-descent height).
    px_scale: ab_glyph::PxScale,
    /// The font's ascent in whole pixels (FreeType rounds it up).
    ascent: i32,
    /// Hinted descents by glyph, when known (only for the bundled font).
    descents: HashMap<u16, i32>,
}

impl HeaderFont {
    /// The bundled font.
    pub fn bundled() -> anyhow::Result<Self> {
        Self::from_bytes(FONT)
    }

    pub fn from_bytes(bytes: &'static [u8]) -> anyhow::Result<Self> {
        let face = rustybuzz::Face::from_slice(bytes, 0)
            .ok_or_else(|| anyhow!("the header font does not parse"))?;
        let mut descents = HashMap::new();
        if std::ptr::eq(bytes, FONT) {
            for line in DESCENTS.lines().filter(|l| !l.starts_with('#')) {
                let mut parts = line.split_whitespace();
                let (Some(cp), Some(px)) = (parts.next(), parts.next()) else {
                    continue;
                };
                let cp = u32::from_str_radix(cp, 16).ok().and_then(char::from_u32);
                if let (Some(c), Ok(px)) = (cp, px.parse::<i32>())
                    && let Some(id) = face.glyph_index(c)
                {
                    descents.insert(id.0, px);
                }
            }
        }
        let font = FontRef::try_from_slice(bytes)
            .map_err(|e| anyhow!("the header font does not parse: {e}"))?;
        let upem = font.units_per_em().unwrap_or(2048.0);
        let scale = TEXT_SIZE / upem;
        Ok(Self {
            ascent: (font.ascent_unscaled() * scale).ceil() as i32,
            scale64: (TEXT_SIZE as f64 * 64.0) / upem as f64,
            px_scale: (font.height_unscaled() * scale).into(),
            scale,
            face,
            font,
            descents,
        })
    }

    fn shape(&self, line: &str) -> (Vec<Placed>, i64) {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(line);
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        let shaped = rustybuzz::shape(&self.face, &[], buffer);
        let round = |units: i32| (units as f64 * self.scale64 + 0.5).floor() as i64;
        let mut pen = 0i64;
        let mut out = Vec::with_capacity(shaped.len());
        for (info, pos) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
            out.push(Placed {
                id: info.glyph_id as u16,
                pen64: pen,
                dx64: round(pos.x_offset),
                dy64: round(pos.y_offset),
            });
            pen += round(pos.x_advance);
        }
        (out, pen)
    }

    /// Ink extent of a glyph in font units: (max x, min y).
    fn ink(&self, id: u16) -> Option<(f32, f32)> {
        self.face
            .glyph_bounding_box(rustybuzz::ttf_parser::GlyphId(id))
            .map(|b| (b.x_max as f32, b.y_min as f32))
    }

    /// Pillow's `textbbox((0, 0), text)[2:]` of one line: (right, bottom).
    fn line_box(&self, (glyphs, advance): &(Vec<Placed>, i64)) -> (i32, i32) {
        let mut right = pixel(*advance);
        let mut bottom = self.ascent;
        for g in glyphs {
            if let Some((max_x, min_y)) = self.ink(g.id) {
                let origin = pixel(g.pen64 + g.dx64);
                right = right.max(origin + (max_x * self.scale).ceil() as i32);
                let descent = self.descents.get(&g.id).copied().unwrap_or_else(|| {
                    // Not a character of the table: round, with overshoot (< 0.6 px) on
                    // the baseline, as hinting mostly does.
                    let d = -(min_y * self.scale);
                    if d < 0.6 { 0 } else { d.round() as i32 }
                });
                bottom = bottom.max(self.ascent + descent - pixel(g.dy64));
            }
        }
        (right, bottom)
    }

    /// The size of the text box of wrapped lines (Pillow's `textbbox` right and bottom).
    pub fn text_box(&self, lines: &[String]) -> (u32, u32) {
        let shaped: Vec<_> = lines.iter().map(|l| self.shape(l)).collect();
        self.shaped_box(&shaped)
    }

    fn shaped_box(&self, lines: &[(Vec<Placed>, i64)]) -> (u32, u32) {
        if lines.iter().all(|(g, _)| g.is_empty()) && lines.len() <= 1 {
            return (0, 0);
        }
        let step = self.ascent + LINE_SPACING;
        let mut right = 0;
        let mut bottom = 0;
        for (i, line) in lines.iter().enumerate() {
            let (r, b) = self.line_box(line);
            right = right.max(r);
            bottom = bottom.max(b + i as i32 * step);
        }
        (right.max(0) as u32, bottom.max(0) as u32)
    }

    /// `render_text`: the wrapped text, black on white, with 5 pixels of padding.
    pub fn render_text(&self, text: &str) -> RgbImage {
        let lines: Vec<_> = wrap(text, WRAP_WIDTH)
            .iter()
            .map(|l| self.shape(l))
            .collect();
        let (w, h) = self.shaped_box(&lines);
        let mut img = RgbImage::from_pixel(w + 2 * PADDING, h + 2 * PADDING, Rgb([255; 3]));
        let step = self.ascent + LINE_SPACING;
        for (i, (glyphs, _)) in lines.iter().enumerate() {
            let baseline = PADDING as i32 + self.ascent + i as i32 * step;
            for g in glyphs {
                let x = PADDING as i32 + pixel(g.pen64 + g.dx64);
                let y = baseline - pixel(g.dy64);
                let glyph =
                    GlyphId(g.id).with_scale_and_position(self.px_scale, point(x as f32, y as f32));
                let Some(outlined) = self.font.outline_glyph(glyph) else {
                    continue;
                };
                let bounds = outlined.px_bounds();
                outlined.draw(|gx, gy, coverage| {
                    let px = bounds.min.x as i32 + gx as i32;
                    let py = bounds.min.y as i32 + gy as i32;
                    if px < 0 || py < 0 || px >= img.width() as i32 || py >= img.height() as i32 {
                        return;
                    }
                    let ink = (coverage.clamp(0.0, 1.0) * 255.0).round() as u8;
                    let p = img.get_pixel_mut(px as u32, py as u32);
                    for c in p.0.iter_mut() {
                        *c = (*c).min(255 - ink);
                    }
                });
            }
        }
        img
    }

    /// `render_header`: the question's header above the image, both scaled to the wider.
    pub fn render_header(&self, image: &RgbImage, text: &str) -> RgbImage {
        let header = self.render_text(text);
        let width = header.width().max(image.width());
        let scaled = |h: u32, w: u32| (h as f64 * (width as f64 / w as f64)) as u32;
        let image_height = scaled(image.height(), image.width()).max(1);
        let header_height = scaled(header.height(), header.width()).max(1);
        let mut out = RgbImage::from_pixel(width, image_height + header_height, Rgb([255; 3]));
        let header = pil_bicubic(&header, width, header_height);
        let body = pil_bicubic(image, width, image_height);
        image::imageops::replace(&mut out, &header, 0, 0);
        image::imageops::replace(&mut out, &body, 0, header_height as i64);
        out
    }
}

/// FreeType's PIXEL(): 1/64 pixel to the nearest pixel.
fn pixel(v64: i64) -> i32 {
    ((v64 + 32) >> 6) as i32
}

/// Python's `textwrap.TextWrapper(width).wrap(text)` with its defaults: tabs expanded to
/// 8 columns, every whitespace character made a space, words split after hyphens inside
/// words, words longer than a line broken, whitespace dropped at line ends and at the start
/// of every line but the first.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let chunks = split_chunks(&munge_whitespace(text));
    let mut chunks: Vec<Vec<char>> = chunks.into_iter().rev().collect();
    let is_space = |c: &Vec<char>| c.iter().all(|&ch| ch == ' ');
    let mut lines: Vec<String> = Vec::new();
    while !chunks.is_empty() {
        let mut line: Vec<Vec<char>> = Vec::new();
        let mut len = 0;
        if !lines.is_empty() && chunks.last().is_some_and(is_space) {
            chunks.pop();
        }
        while let Some(next) = chunks.last() {
            if len + next.len() <= width {
                len += next.len();
                line.push(chunks.pop().unwrap_or_default());
            } else {
                break;
            }
        }
        if chunks.last().is_some_and(|c| c.len() > width) {
            let space_left = width.saturating_sub(len).max(1);
            if let Some(chunk) = chunks.pop() {
                let mut end = space_left;
                if chunk.len() > space_left
                    && let Some(h) = chunk[..space_left].iter().rposition(|&c| c == '-')
                    && h > 0
                    && chunk[..h].iter().any(|&c| c != '-')
                {
                    end = h + 1;
                }
                line.push(chunk[..end].to_vec());
                chunks.push(chunk[end..].to_vec());
            }
        }
        if line.last().is_some_and(is_space) {
            line.pop();
        }
        if !line.is_empty() {
            lines.push(line.concat().into_iter().collect());
        }
    }
    lines
}

/// Tabs expanded (8 columns), then every whitespace character a space.
fn munge_whitespace(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    let mut column = 0;
    for c in text.chars() {
        match c {
            '\t' => {
                let n = 8 - column % 8;
                out.extend(std::iter::repeat_n(' ', n));
                column += n;
            }
            '\n' | '\r' => {
                out.push(' ');
                column = 0;
            }
            '\x0b' | '\x0c' | ' ' => {
                out.push(' ');
                column += 1;
            }
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

/// Runs of spaces and words; a word splits after a hyphen that has two letters before it
/// and a letter (or letter, hyphen, letter) after it, as textwrap's `wordsep_re` does.
fn split_chunks(text: &[char]) -> Vec<Vec<char>> {
    let letter = |c: Option<&char>| c.is_some_and(|c| c.is_alphabetic());
    let mut chunks = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let space = text[i] == ' ';
        let start = i;
        while i < text.len() && (text[i] == ' ') == space {
            i += 1;
            if !space && text[i - 1] == '-' && i >= 3 {
                let before = letter(text.get(i - 3)) && letter(text.get(i - 2));
                let after = letter(text.get(i))
                    && (letter(text.get(i + 1))
                        || (text.get(i + 1) == Some(&'-') && letter(text.get(i + 2))));
                if before && after {
                    break;
                }
            }
        }
        chunks.push(text[start..i].to_vec());
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_follows_python_textwrap() {
        let w = |t: &str| wrap(t, 80);
        assert_eq!(w(""), Vec::<String>::new());
        assert_eq!(w("  a  b  "), vec!["  a  b"]);
        assert_eq!(
            w(
                "In which year was the difference between the highest and the lowest value of the blue line the greatest, and by how much?"
            ),
            vec![
                "In which year was the difference between the highest and the lowest value of the",
                "blue line the greatest, and by how much?"
            ]
        );
        // Hyphenated words break after a hyphen; over-long words are cut at the width.
        assert_eq!(wrap("aa chart-to-table", 12), vec!["aa chart-to-", "table"]);
        assert_eq!(wrap("x-3 a-b", 3), vec!["x-3", "a-b"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        // Tabs expand to the next multiple of 8; newlines become spaces.
        assert_eq!(wrap("ab\tc\nd", 80), vec!["ab      c d"]);
    }
}
