//! A small page layout for the PDF files the server makes: text in two faces of a font built
//! into the binary (Lato, SIL Open Font License 1.1, `server/assets/fonts/OFL.txt`), wrapped to
//! a width, tables whose rows break across pages instead of running off them, a footer with
//! page numbers; drawn with krilla. No system font and no browser is needed at run time.
//!
//! Layout first fills a list of drawing operations per page ([`Pages`]); only then is the
//! PDF written. Tests can so check where everything went without reading a PDF back.

use std::sync::OnceLock;

use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::error::{AppError, AppResult};

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;
pub const MARGIN: f32 = 48.0;
/// Room kept free above the bottom margin for the footer line.
const FOOTER_ROOM: f32 = 18.0;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.3;
/// Space between a table cell's border and its text.
const PAD: f32 = 3.0;
/// How far a quotation's text sits right of the bar at its left.
const QUOTE_INDENT: f32 = 10.0;

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/Lato-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/Lato-Bold.ttf");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
}

/// One face: the font krilla embeds, and its character map and widths for line breaking.
struct FaceData {
    font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Above and below the baseline, in em.
    ascent: f32,
    descent: f32,
}

impl FaceData {
    fn load(bytes: &'static [u8]) -> Option<FaceData> {
        let font = FontRef::new(bytes).ok()?;
        let m = font.metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(m.units_per_em.max(1));
        Some(FaceData {
            font: Font::new(bytes.into(), 0)?,
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
            ascent: m.ascent / units_per_em,
            descent: -m.descent / units_per_em,
        })
    }

    /// A character's glyph (0, the font's "missing" box, where it has none) and its advance
    /// in em.
    fn glyph(&self, c: char) -> (u32, f32) {
        let id = self.charmap.map(c).unwrap_or_default();
        let advance = self.metrics.advance_width(id).unwrap_or(0.0) / self.units_per_em;
        (id.to_u32(), advance)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

struct Faces([FaceData; 2]);

impl Faces {
    fn get(&self, face: Face) -> &FaceData {
        match face {
            Face::Regular => &self.0[0],
            Face::Bold => &self.0[1],
        }
    }
}

/// The fonts, read once per process.
fn faces() -> AppResult<&'static Faces> {
    static FACES: OnceLock<Option<Faces>> = OnceLock::new();
    FACES
        .get_or_init(|| Some(Faces([FaceData::load(REGULAR)?, FaceData::load(BOLD)?])))
        .as_ref()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("the built-in PDF font is unreadable")))
}

/// One drawing operation; `y` grows downwards from the page's top edge.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A line of text with its baseline at `y`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        face: Face,
        /// 0 black .. 255 white.
        gray: u8,
        text: String,
    },
    /// A filled rectangle.
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: u8,
    },
    /// A horizontal rule.
    Rule { x: f32, y: f32, w: f32 },
    /// A stroked line through `points`.
    Line {
        points: Vec<(f32, f32)>,
        width: f32,
        gray: u8,
    },
    /// A filled circle.
    Dot { x: f32, y: f32, r: f32, gray: u8 },
}

/// Where a [`Mark::Label`] sits against its `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// Something drawn in a [`Figure`], in the figure's own coordinates.
#[derive(Clone, Debug)]
pub enum Mark {
    Line {
        points: Vec<(f32, f32)>,
        width: f32,
        gray: u8,
    },
    Dot {
        x: f32,
        y: f32,
        r: f32,
    },
    /// Text with its baseline at `y`; `size` in points (labels are not scaled with the
    /// drawing, so they stay readable).
    Label {
        x: f32,
        y: f32,
        size: f32,
        anchor: Anchor,
        text: String,
    },
}

/// A small drawing (`width` x `height` in its own units, scaled to the width it gets), with
/// a caption above and notes below, both wrapped.
pub struct Figure {
    pub caption: String,
    pub width: f32,
    pub height: f32,
    pub marks: Vec<Mark>,
    pub notes: Vec<String>,
}

/// A table cell: its text (`\n` starts a new line), how many columns it spans, its face.
pub struct Cell {
    pub text: String,
    pub span: usize,
    pub face: Face,
    /// Drawn on a light grey ground (a hidden figure, a header).
    pub shaded: bool,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            span: 1,
            face: Face::Regular,
            shaded: false,
        }
    }

    pub fn bold(text: impl Into<String>) -> Cell {
        Cell {
            face: Face::Bold,
            ..Cell::new(text)
        }
    }

    /// Spans `n` columns.
    pub fn spanning(self, n: usize) -> Cell {
        Cell {
            span: n.max(1),
            ..self
        }
    }

    pub fn shaded(self) -> Cell {
        Cell {
            shaded: true,
            ..self
        }
    }
}

/// A table: column widths as shares of the text width, a header row repeated on every page
/// the table continues on, and the rows.
pub struct Table {
    pub widths: Vec<f32>,
    pub header: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
}

/// Text and tables laid out on pages as they are added.
pub struct Layout {
    faces: &'static Faces,
    pages: Vec<Vec<Op>>,
    /// The top of the free space on the last page.
    y: f32,
    /// The body text size.
    pub size: f32,
}

/// The laid-out pages, ready to be written.
pub struct Pages {
    faces: &'static Faces,
    pub pages: Vec<Vec<Op>>,
}

impl Layout {
    pub fn new() -> AppResult<Layout> {
        Ok(Layout {
            faces: faces()?,
            pages: vec![Vec::new()],
            y: MARGIN,
            size: 9.5,
        })
    }

    /// Where text may go: left edge and width.
    pub const fn text_width() -> f32 {
        PAGE_WIDTH - 2.0 * MARGIN
    }

    const fn bottom() -> f32 {
        PAGE_HEIGHT - MARGIN - FOOTER_ROOM
    }

    fn fresh(&self) -> bool {
        self.y <= MARGIN
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Starts a new page unless `height` still fits on this one (or this one is empty).
    fn make_room(&mut self, height: f32) {
        if self.y + height > Self::bottom() && !self.fresh() {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// `text` broken into lines no wider than `width`: at spaces, at `\n`, and inside a word
    /// only where the word alone is wider than the line.
    pub fn wrap(&self, text: &str, face: Face, size: f32, width: f32) -> Vec<String> {
        let f = self.faces.get(face);
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split_whitespace() {
                let joined = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if f.width(&joined, size) <= width {
                    line = joined;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word wider than the line is cut where it fills the line.
                for c in word.chars() {
                    let mut longer = line.clone();
                    longer.push(c);
                    if f.width(&longer, size) > width && !line.is_empty() {
                        lines.push(std::mem::replace(&mut line, c.to_string()));
                    } else {
                        line = longer;
                    }
                }
            }
            lines.push(line);
        }
        lines
    }

    fn line_height(size: f32) -> f32 {
        size * LEADING
    }

    /// A text line's baseline below the top of its line box.
    fn baseline(&self, face: Face, size: f32) -> f32 {
        let f = self.faces.get(face);
        let lead = (Self::line_height(size) - (f.ascent + f.descent) * size) / 2.0;
        lead + f.ascent * size
    }

    /// Wrapped text over the whole text width, breaking pages between lines.
    pub fn paragraph(&mut self, text: &str, face: Face, size: f32, gray: u8) {
        let lh = Self::line_height(size);
        let base = self.baseline(face, size);
        for line in self.wrap(text, face, size, Self::text_width()) {
            self.make_room(lh);
            self.push(Op::Text {
                x: MARGIN,
                y: self.y + base,
                size,
                face,
                gray,
                text: line,
            });
            self.y += lh;
        }
        self.y += size * 0.4;
    }

    /// A heading, kept on one page with room for a few lines after it.
    pub fn heading(&mut self, text: &str, size: f32) {
        let lines = self.wrap(text, Face::Bold, size, Self::text_width()).len() as f32;
        self.make_room(
            size * 0.6 + lines * Self::line_height(size) + 4.0 * Self::line_height(self.size),
        );
        if !self.fresh() {
            self.y += size * 0.6;
        }
        self.paragraph(text, Face::Bold, size, 0);
    }

    /// A quotation under its label (a comment under its question): the label in small grey
    /// bold type, the text indented behind a bar, both wrapped. The label never ends a page
    /// alone: it moves on with the quote's first lines; a long quote then breaks between its
    /// lines, its bar continued on the next page.
    pub fn quote(&mut self, label: &str, text: &str) {
        let size = self.size;
        let label_size = size * 0.9;
        let width = Self::text_width() - QUOTE_INDENT;
        let x = MARGIN + QUOTE_INDENT;
        let labels = self.wrap(label, Face::Bold, label_size, width);
        let lines = self.wrap(text, Face::Regular, size, width);
        let (llh, lh) = (Self::line_height(label_size), Self::line_height(size));
        self.make_room(labels.len() as f32 * llh + lines.len().min(2) as f32 * lh);
        let base = self.baseline(Face::Bold, label_size);
        for line in labels {
            self.make_room(llh);
            self.push(Op::Text {
                x,
                y: self.y + base,
                size: label_size,
                face: Face::Bold,
                gray: 90,
                text: line,
            });
            self.y += llh;
        }
        let base = self.baseline(Face::Regular, size);
        for line in lines {
            self.make_room(lh);
            // The bar, one line's height at a time, so it follows the text across a break.
            self.push(Op::Rect {
                x: MARGIN,
                y: self.y,
                w: 2.0,
                h: lh,
                gray: 170,
            });
            self.push(Op::Text {
                x,
                y: self.y + base,
                size,
                face: Face::Regular,
                gray: 0,
                text: line,
            });
            self.y += lh;
        }
        self.y += size * 0.8;
    }

    /// A table; a row taller than the rest of the page goes to the next page, and one taller
    /// than a whole page is cut between its lines.
    pub fn table(&mut self, table: &Table) {
        let size = self.size;
        let lh = Self::line_height(size);
        let total: f32 = table.widths.iter().sum::<f32>().max(f32::EPSILON);
        let widths: Vec<f32> = table
            .widths
            .iter()
            .map(|w| w / total * Self::text_width())
            .collect();
        let header = self.row_lines(&table.header, &widths, size);
        let header_height = header.height(lh);
        self.make_room(header_height + lh + 2.0 * PAD);
        self.draw_row(&header, 0, header.lines(), lh, true);
        for row in &table.rows {
            let laid = self.row_lines(row, &widths, size);
            let mut from = 0;
            let all = laid.lines();
            // Keep a row whole when a page can hold it.
            let whole = laid.height(lh) <= Self::bottom() - MARGIN - header_height;
            if whole && self.y + laid.height(lh) > Self::bottom() {
                self.new_page();
                self.draw_row(&header, 0, header.lines(), lh, true);
            }
            loop {
                let fit = ((Self::bottom() - self.y - 2.0 * PAD) / lh)
                    .floor()
                    .max(1.0) as usize;
                let to = all.min(from + fit);
                self.draw_row(&laid, from, to, lh, false);
                from = to;
                if from >= all {
                    break;
                }
                self.new_page();
                self.draw_row(&header, 0, header.lines(), lh, true);
            }
        }
        self.y += size * 0.8;
    }

    fn row_lines(&self, cells: &[Cell], widths: &[f32], size: f32) -> RowLines {
        let mut x = MARGIN;
        let mut col = 0;
        let mut out = Vec::new();
        for cell in cells {
            let w: f32 = widths.iter().skip(col).take(cell.span).sum();
            col += cell.span;
            out.push(CellLines {
                x,
                w,
                face: cell.face,
                shaded: cell.shaded,
                lines: self.wrap(&cell.text, cell.face, size, (w - 2.0 * PAD).max(1.0)),
            });
            x += w;
        }
        RowLines { cells: out, size }
    }

    /// Lines `from..to` of a row at the current position, with its ground and a rule under it.
    fn draw_row(&mut self, row: &RowLines, from: usize, to: usize, lh: f32, header: bool) {
        let h = (to - from) as f32 * lh + 2.0 * PAD;
        let top = self.y;
        for cell in &row.cells {
            if cell.shaded || header {
                self.push(Op::Rect {
                    x: cell.x,
                    y: top,
                    w: cell.w,
                    h,
                    gray: if header { 225 } else { 238 },
                });
            }
            let base = self.baseline(cell.face, row.size);
            for (i, line) in cell.lines.iter().enumerate().take(to).skip(from) {
                self.push(Op::Text {
                    x: cell.x + PAD,
                    y: top + PAD + (i - from) as f32 * lh + base,
                    size: row.size,
                    face: cell.face,
                    gray: 0,
                    text: line.clone(),
                });
            }
        }
        self.push(Op::Rule {
            x: MARGIN,
            y: top + h,
            w: Self::text_width(),
        });
        self.y = top + h;
    }

    /// Figures side by side, `per_row` to a row; a row never splits across pages, and every
    /// mark is kept inside its figure's box.
    pub fn figures(&mut self, figures: &[Figure], per_row: usize) {
        let per_row = per_row.max(1);
        let gap = 14.0;
        let cell = (Self::text_width() - gap * (per_row - 1) as f32) / per_row as f32;
        let (caption_size, note_size) = (8.5, 7.0);
        for row in figures.chunks(per_row) {
            let laid: Vec<(Vec<String>, f32, Vec<String>)> = row
                .iter()
                .map(|f| {
                    let caption = self.wrap(&f.caption, Face::Bold, caption_size, cell);
                    let scale = cell / f.width.max(1.0);
                    let notes: Vec<String> = f
                        .notes
                        .iter()
                        .flat_map(|n| self.wrap(n, Face::Regular, note_size, cell))
                        .collect();
                    (caption, scale, notes)
                })
                .collect();
            let height = row
                .iter()
                .zip(&laid)
                .map(|(f, (caption, scale, notes))| {
                    caption.len() as f32 * Self::line_height(caption_size)
                        + f.height * scale
                        + notes.len() as f32 * Self::line_height(note_size)
                })
                .fold(0.0, f32::max);
            self.make_room(height);
            let top = self.y;
            for (i, (f, (caption, scale, notes))) in row.iter().zip(laid).enumerate() {
                let x0 = MARGIN + i as f32 * (cell + gap);
                let mut y = top;
                let base = self.baseline(Face::Bold, caption_size);
                for line in caption {
                    self.push(Op::Text {
                        x: x0,
                        y: y + base,
                        size: caption_size,
                        face: Face::Bold,
                        gray: 0,
                        text: line,
                    });
                    y += Self::line_height(caption_size);
                }
                let at = |x: f32, yy: f32| (x0 + x * scale, y + yy * scale);
                for mark in &f.marks {
                    let op = match mark {
                        Mark::Line {
                            points,
                            width,
                            gray,
                        } => Op::Line {
                            points: points.iter().map(|(x, yy)| at(*x, *yy)).collect(),
                            width: *width,
                            gray: *gray,
                        },
                        Mark::Dot { x, y: yy, r } => {
                            let (x, yy) = at(*x, *yy);
                            Op::Dot {
                                x,
                                y: yy,
                                r: *r,
                                gray: 0,
                            }
                        }
                        Mark::Label {
                            x,
                            y: yy,
                            size,
                            anchor,
                            text,
                        } => {
                            let (x, yy) = at(*x, *yy);
                            let w = self.faces.get(Face::Regular).width(text, *size);
                            let left = match anchor {
                                Anchor::Start => x,
                                Anchor::Middle => x - w / 2.0,
                                Anchor::End => x - w,
                            };
                            Op::Text {
                                x: left.clamp(x0, (x0 + cell - w).max(x0)),
                                y: yy,
                                size: *size,
                                face: Face::Regular,
                                gray: 0,
                                text: self.shortened(text, *size, cell),
                            }
                        }
                    };
                    self.push(op);
                }
                y += f.height * scale;
                let base = self.baseline(Face::Regular, note_size);
                for line in notes {
                    self.push(Op::Text {
                        x: x0,
                        y: y + base,
                        size: note_size,
                        face: Face::Regular,
                        gray: 60,
                        text: line,
                    });
                    y += Self::line_height(note_size);
                }
            }
            self.y = top + height + 8.0;
        }
    }

    /// Adds `footer` and "page i of n" to every page.
    pub fn finish(mut self, footer: &str) -> Pages {
        let size = 7.5;
        let n = self.pages.len();
        let y = PAGE_HEIGHT - MARGIN;
        for i in 0..n {
            let number = format!("page {} of {n}", i + 1);
            let room =
                Self::text_width() - self.faces.get(Face::Regular).width(&number, size) - 12.0;
            let left = self.shortened(footer, size, room);
            if let Some(page) = self.pages.get_mut(i) {
                page.push(Op::Text {
                    x: MARGIN,
                    y,
                    size,
                    face: Face::Regular,
                    gray: 70,
                    text: left,
                });
                let w = self.faces.get(Face::Regular).width(&number, size);
                page.push(Op::Text {
                    x: PAGE_WIDTH - MARGIN - w,
                    y,
                    size,
                    face: Face::Regular,
                    gray: 70,
                    text: number,
                });
            }
        }
        Pages {
            faces: self.faces,
            pages: self.pages,
        }
    }

    /// `text` on one line no wider than `width`, cut with "…" where it is longer.
    fn shortened(&self, text: &str, size: f32, width: f32) -> String {
        let f = self.faces.get(Face::Regular);
        if f.width(text, size) <= width {
            return text.to_string();
        }
        let mut out = String::new();
        for c in text.chars() {
            if f.width(&format!("{out}{c}…"), size) > width {
                break;
            }
            out.push(c);
        }
        out.push('…');
        out
    }
}

struct CellLines {
    x: f32,
    w: f32,
    face: Face,
    shaded: bool,
    lines: Vec<String>,
}

struct RowLines {
    cells: Vec<CellLines>,
    size: f32,
}

impl RowLines {
    fn lines(&self) -> usize {
        self.cells
            .iter()
            .map(|c| c.lines.len())
            .max()
            .unwrap_or(0)
            .max(1)
    }

    fn height(&self, lh: f32) -> f32 {
        self.lines() as f32 * lh + 2.0 * PAD
    }
}

impl Pages {
    /// The box an operation covers: left, top, right, bottom.
    pub fn bounds(&self, op: &Op) -> (f32, f32, f32, f32) {
        match op {
            Op::Text {
                x,
                y,
                size,
                face,
                text,
                ..
            } => {
                let f = self.faces.get(*face);
                (
                    *x,
                    y - f.ascent * size,
                    x + f.width(text, *size),
                    y + f.descent * size,
                )
            }
            Op::Rect { x, y, w, h, .. } => (*x, *y, x + w, y + h),
            Op::Rule { x, y, w } => (*x, *y, x + w, *y),
            Op::Line { points, .. } => points.iter().fold(
                (f32::MAX, f32::MAX, f32::MIN, f32::MIN),
                |(l, t, r, b), (x, y)| (l.min(*x), t.min(*y), r.max(*x), b.max(*y)),
            ),
            Op::Dot { x, y, r, .. } => (x - r, y - r, x + r, y + r),
        }
    }

    /// The PDF file, titled `title` in its metadata.
    pub fn write(&self, title: &str) -> AppResult<Vec<u8>> {
        let fail = |what: &str| AppError::Unexpected(anyhow::anyhow!("PDF: {what}"));
        let mut doc = Document::new();
        doc.set_metadata(
            Metadata::new()
                .title(title.to_string())
                .creator("Worklife".to_string()),
        );
        let settings =
            PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or_else(|| fail("page size"))?;
        for ops in &self.pages {
            let mut page = doc.start_page_with(settings.clone());
            let mut surface = page.surface();
            for op in ops {
                match op {
                    Op::Text {
                        x,
                        y,
                        size,
                        face,
                        gray,
                        text,
                    } => {
                        let f = self.faces.get(*face);
                        // One glyph per character, each mapped back to its character so the
                        // text can be searched and copied (pdftotext reads it).
                        let glyphs: Vec<KrillaGlyph> = text
                            .char_indices()
                            .map(|(at, c)| {
                                let (id, advance) = f.glyph(c);
                                KrillaGlyph {
                                    glyph_id: GlyphId::new(id),
                                    text_range: at..at + c.len_utf8(),
                                    x_advance: advance,
                                    x_offset: 0.0,
                                    y_offset: 0.0,
                                    y_advance: 0.0,
                                    location: None,
                                }
                            })
                            .collect();
                        surface.set_stroke(None);
                        surface.set_fill(Some(fill(*gray)));
                        surface.draw_glyphs(
                            Point::from_xy(*x, *y),
                            &glyphs,
                            f.font.clone(),
                            text,
                            *size,
                            false,
                        );
                    }
                    Op::Rect { x, y, w, h, gray } => {
                        if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                            let mut pb = PathBuilder::new();
                            pb.push_rect(rect);
                            if let Some(path) = pb.finish() {
                                surface.set_stroke(None);
                                surface.set_fill(Some(fill(*gray)));
                                surface.draw_path(&path);
                            }
                        }
                    }
                    Op::Line {
                        points,
                        width,
                        gray,
                    } => {
                        let mut pb = PathBuilder::new();
                        for (i, (x, y)) in points.iter().enumerate() {
                            if i == 0 {
                                pb.move_to(*x, *y);
                            } else {
                                pb.line_to(*x, *y);
                            }
                        }
                        if let Some(path) = pb.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                paint: luma::Color::new(*gray).into(),
                                width: *width,
                                ..Stroke::default()
                            }));
                            surface.draw_path(&path);
                        }
                    }
                    Op::Dot { x, y, r, gray } => {
                        if let Some(path) = circle(*x, *y, *r) {
                            surface.set_stroke(None);
                            surface.set_fill(Some(fill(*gray)));
                            surface.draw_path(&path);
                        }
                    }
                    Op::Rule { x, y, w } => {
                        let mut pb = PathBuilder::new();
                        pb.move_to(*x, *y);
                        pb.line_to(x + w, *y);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                paint: luma::Color::new(150).into(),
                                width: 0.5,
                                ..Stroke::default()
                            }));
                            surface.draw_path(&path);
                        }
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        doc.finish().map_err(|e| fail(&format!("{e:?}")))
    }
}

/// A circle as four Bézier curves.
fn circle(x: f32, y: f32, r: f32) -> Option<krilla::geom::Path> {
    // The control points' distance that makes a quarter circle of a cubic curve.
    let k = 0.552_284_8 * r;
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.cubic_to(x + r, y + k, x + k, y + r, x, y + r);
    pb.cubic_to(x - k, y + r, x - r, y + k, x - r, y);
    pb.cubic_to(x - r, y - k, x - k, y - r, x, y - r);
    pb.cubic_to(x + k, y - r, x + r, y - k, x + r, y);
    pb.close();
    pb.finish()
}

fn fill(gray: u8) -> Fill {
    Fill {
        paint: luma::Color::new(gray).into(),
        ..Fill::default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn long_table(rows: usize) -> Table {
        Table {
            widths: vec![0.5, 0.1, 0.4],
            header: vec![Cell::bold("Question"), Cell::bold("n"), Cell::bold("Answers")],
            rows: (0..rows)
                .map(|i| {
                    vec![
                        Cell::new(format!(
                            "Question {i}: my workload is {} and I can finish what I am given in a normal working day",
                            "very ".repeat(i % 7)
                        )),
                        Cell::new("12"),
                        Cell::new("Strongly disagree 8%\nDisagree 17%\nNeither 25%\nAgree 33%\nStrongly agree 17%"),
                    ]
                })
                .collect(),
        }
    }

    #[test]
    fn long_text_wraps_inside_the_page_and_breaks_onto_several_pages() {
        let mut l = Layout::new().unwrap();
        l.heading(
            &format!("Acme/{}: wave 2026-Q3", "Engineering/".repeat(30)),
            16.0,
        );
        l.paragraph(
            &"A long paragraph that must wrap. ".repeat(200),
            Face::Regular,
            9.5,
            0,
        );
        l.table(&long_table(120));
        // One cell taller than a whole page: it is cut between lines, never runs off.
        l.table(&Table {
            widths: vec![1.0],
            header: vec![Cell::bold("Notes")],
            rows: vec![vec![Cell::new("line\n".repeat(150))]],
        });
        // Small charts in rows of three, with labels that would stick out of their box.
        let figure = |i: usize| Figure {
            caption: format!("Scale {i} with a caption long enough to wrap onto a second line"),
            width: 300.0,
            height: 170.0,
            marks: vec![
                Mark::Line {
                    points: vec![(34.0, 18.0), (292.0, 140.0)],
                    width: 1.2,
                    gray: 30,
                },
                Mark::Dot {
                    x: 292.0,
                    y: 140.0,
                    r: 1.8,
                },
                Mark::Label {
                    x: 299.0,
                    y: 10.0,
                    size: 6.5,
                    anchor: Anchor::Start,
                    text: "a label far too long to fit at the right edge".into(),
                },
                Mark::Label {
                    x: 0.0,
                    y: 160.0,
                    size: 6.5,
                    anchor: Anchor::End,
                    text: "2026-Q1".into(),
                },
            ],
            notes: vec!["2026-Q2: hidden (fewer than 5 people answered)".into()],
        };
        l.figures(&(0..20).map(figure).collect::<Vec<_>>(), 3);
        // A word longer than the line is cut too.
        l.paragraph(&"x".repeat(500), Face::Bold, 12.0, 0);
        let pages = l.finish(&format!("Worklife report, {}", "Acme/Eng/".repeat(40)));
        assert!(pages.pages.len() >= 5, "{} pages", pages.pages.len());
        let mut texts = 0;
        for (p, ops) in pages.pages.iter().enumerate() {
            assert!(!ops.is_empty(), "page {p} is empty");
            for op in ops {
                let (l, t, r, b) = pages.bounds(op);
                assert!(
                    l >= MARGIN - 0.01
                        && r <= PAGE_WIDTH - MARGIN + 0.01
                        && t >= MARGIN - 4.0
                        && b <= PAGE_HEIGHT - MARGIN + 4.0,
                    "page {p}: {op:?} at {:?} leaves the text box",
                    (l, t, r, b)
                );
                texts += usize::from(matches!(op, Op::Text { .. }));
            }
        }
        // Every line of the 120 rows was drawn: nothing dropped at a page break.
        let drawn: usize = pages
            .pages
            .iter()
            .flatten()
            .filter(|op| matches!(op, Op::Text { text, .. } if text.starts_with("Strongly agree")))
            .count();
        assert_eq!(drawn, 120);
        let notes = pages
            .pages
            .iter()
            .flatten()
            .filter(|op| matches!(op, Op::Text { text, .. } if text == "line"))
            .count();
        assert_eq!(notes, 150);
        assert!(texts > 1000);
        let pdf = pages.write("test").unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn long_quotes_wrap_inside_the_page_and_keep_their_label_with_their_text() {
        let mut l = Layout::new().unwrap();
        l.paragraph(&"Some text before. ".repeat(300), Face::Regular, 9.5, 0);
        // Comments of 2,000 characters, one of them a single word.
        let long = format!("{}the very last words", "a long comment ".repeat(132));
        assert_eq!(long.chars().count(), 1999);
        for i in 0..12 {
            let text = if i == 5 {
                "y".repeat(2000)
            } else {
                long.clone()
            };
            l.quote(&format!("Question {i}: what would you change?"), &text);
        }
        let pages = l.finish("footer");
        assert!(pages.pages.len() >= 4, "{} pages", pages.pages.len());
        for (p, ops) in pages.pages.iter().enumerate() {
            for op in ops {
                let (l, t, r, b) = pages.bounds(op);
                assert!(
                    l >= MARGIN - 0.01
                        && r <= PAGE_WIDTH - MARGIN + 0.01
                        && t >= MARGIN - 4.0
                        && b <= PAGE_HEIGHT - MARGIN + 4.0,
                    "page {p}: {op:?} leaves the text box"
                );
            }
            // A label is never a page's last text line (besides the footer).
            let texts: Vec<&str> = ops
                .iter()
                .filter_map(|op| match op {
                    Op::Text { text, size, .. } if *size > 8.0 => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            assert!(
                !texts.last().is_some_and(|t| t.starts_with("Question ")),
                "page {p} ends with a label"
            );
        }
        let all: Vec<String> = pages
            .pages
            .iter()
            .flatten()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            all.iter()
                .filter(|t| t.ends_with("the very last words"))
                .count(),
            11
        );
        // The one-word comment is cut into lines, none of its 2,000 letters lost.
        let ys: usize = all
            .iter()
            .filter(|t| !t.is_empty() && t.chars().all(|c| c == 'y'))
            .map(|t| t.chars().count())
            .sum();
        assert_eq!(ys, 2000);
        assert!(pages.write("test").unwrap().starts_with(b"%PDF-"));
    }

    #[test]
    fn a_row_that_fits_on_a_page_is_never_split() {
        let mut l = Layout::new().unwrap();
        l.table(&long_table(60));
        let pages = l.finish("footer");
        for ops in &pages.pages {
            // Every row's first line and its last share a page.
            let starts = ops
                .iter()
                .filter(|op| matches!(op, Op::Text { text, .. } if text.starts_with("Question ")))
                .count();
            let ends = ops
                .iter()
                .filter(
                    |op| matches!(op, Op::Text { text, .. } if text.starts_with("Strongly agree")),
                )
                .count();
            assert_eq!(starts, ends);
        }
    }
}
