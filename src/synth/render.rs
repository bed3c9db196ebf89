//! Draws a synthetic chart's table to PNG with plotters and the bundled DejaVu Sans.
//!
//! Rendering needs no system library or font: the TTF is compiled in (`include_bytes!`) and
//! registered with plotters' `ab_glyph` text backend once per process. Pixels go to an RGB
//! buffer that is encoded here with the `image` crate, so the same table and style always
//! give the same bytes. Titles, axis labels, tick labels, legends and (when the style asks)
//! value labels all come from the table.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::rng::SplitMix64;
use super::table::{ChartType, Table};

/// The bundled font (DejaVu Sans, free licence: `assets/fonts/DejaVuSans-LICENSE.txt`).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The family name the font is registered under.
const FAMILY: &str = "sans-serif";

/// Image size in pixels.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 600;

/// Colours with the names questions use for them (Tableau 10, easy to tell apart).
pub const PALETTE: [(&str, (u8, u8, u8)); 8] = [
    ("blue", (31, 119, 180)),
    ("orange", (255, 127, 14)),
    ("green", (44, 160, 44)),
    ("red", (214, 39, 40)),
    ("purple", (148, 103, 189)),
    ("brown", (140, 86, 75)),
    ("pink", (227, 119, 194)),
    ("gray", (127, 127, 127)),
];

/// How a table is drawn, decided before the questions (legend questions name colours).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Style {
    /// Palette indices, distinct: one per series, or one per slice for pie charts.
    pub colors: Vec<usize>,
    /// Whether marks carry their values as text.
    pub show_values: bool,
}

impl Style {
    /// A random style for `table` drawn as `kind`. Value labels are left out where they
    /// would crowd the chart (many grouped bars, three lines).
    pub fn random(table: &Table, kind: ChartType, rng: &mut SplitMix64) -> Style {
        let marks = match kind {
            ChartType::Pie => table.categories.len(),
            _ => table.series.len(),
        };
        let mut colors = rng.sample(PALETTE.len(), marks.min(PALETTE.len()));
        if kind == ChartType::Pie {
            // Slices read best in palette order; the starting colour still varies.
            let first = rng.index(PALETTE.len());
            colors = (0..marks).map(|i| (first + i) % PALETTE.len()).collect();
        }
        let crowded = match kind {
            ChartType::GroupedBar => table.categories.len() * table.series.len() > 12,
            ChartType::Line => table.series.len() > 2,
            _ => false,
        };
        let show_values = !crowded && rng.chance(0.5);
        Style {
            colors,
            show_values,
        }
    }

    fn color(&self, i: usize) -> RGBColor {
        let (r, g, b) = self
            .colors
            .get(i)
            .and_then(|c| PALETTE.get(*c))
            .map_or((0, 0, 0), |(_, rgb)| *rgb);
        RGBColor(r, g, b)
    }
}

/// Registers the bundled font with plotters, once per process.
fn register_font() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    anyhow::ensure!(
        ok,
        "the bundled font assets/fonts/DejaVuSans.ttf does not load"
    );
    Ok(())
}

/// Draws `table` as a `kind` chart in `style` and returns the PNG bytes.
pub fn render_png(table: &Table, kind: ChartType, style: &Style) -> anyhow::Result<Vec<u8>> {
    register_font()?;
    let mut pixels = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let backend = BitMapBackend::with_buffer_and_format(&mut pixels, (WIDTH, HEIGHT))
            .map_err(|e| anyhow::anyhow!("cannot set up the drawing buffer: {e}"))?;
        let root = backend.into_drawing_area();
        draw(&root, table, kind, style)
            .map_err(|e| anyhow::anyhow!("cannot draw the {} chart: {e}", kind.name()))?;
        root.present()
            .map_err(|e| anyhow::anyhow!("cannot finish the {} chart: {e}", kind.name()))?;
    }
    encode_png(&pixels)
}

/// Encodes an RGB buffer of `WIDTH x HEIGHT` as PNG.
fn encode_png(pixels: &[u8]) -> anyhow::Result<Vec<u8>> {
    use image::ImageEncoder as _;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        // Measured on 30 charts: no row filter with default compression is the fastest in a
        // debug build (68 ms a chart, against 150 ms for fast adaptive) and small (24 KB).
        image::codecs::png::CompressionType::Default,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(pixels, WIDTH, HEIGHT, image::ExtendedColorType::Rgb8)?;
    Ok(out)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn draw(root: &Area, table: &Table, kind: ChartType, style: &Style) -> DrawResult {
    root.fill(&WHITE)?;
    match kind {
        ChartType::Bar | ChartType::GroupedBar | ChartType::StackedBar => {
            bars(root, table, kind == ChartType::StackedBar, style)
        }
        ChartType::Line => lines(root, table, style),
        ChartType::Scatter => scatter(root, table, style),
        ChartType::Pie => pie(root, table, style),
    }
}

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font())
}

/// The top of a value axis: the largest value plus headroom (more under a legend).
fn axis_top(max: f64, legend: bool) -> f64 {
    let top = max * if legend { 1.35 } else { 1.12 };
    if top > 0.0 { top } else { 1.0 }
}

/// A value-axis tick label: at most two decimals, trailing zeros dropped (`50`, `2.5`).
fn tick(v: &f64) -> String {
    let text = format!("{v:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Text for a value label: the number as the table writes it.
fn label_text(table: &Table, s: usize, c: usize) -> String {
    table.series.get(s).map_or_else(String::new, |x| x.text(c))
}

/// Category axes count in hundredths of a category: plotters formats tick labels of integer
/// axes with key points, which is how category names are put under bars and months.
const UNIT: i32 = 100;

/// The name of category `i`, or nothing off the ends.
fn category_at(names: &[String], i: i32) -> String {
    usize::try_from(i)
        .ok()
        .and_then(|i| names.get(i))
        .cloned()
        .unwrap_or_default()
}

/// Bar, grouped-bar and stacked-bar charts: category `c` spans `c * UNIT..(c + 1) * UNIT`.
fn bars(root: &Area, table: &Table, stacked: bool, style: &Style) -> DrawResult {
    let n = table.categories.len();
    let k = table.series.len();
    let legend = k > 1;
    let max = if stacked {
        (0..n)
            .map(|c| table.series.iter().map(|s| s.float(c)).sum::<f64>())
            .fold(0.0, f64::max)
    } else {
        table
            .series
            .iter()
            .flat_map(|s| (0..n).map(move |c| s.float(c)))
            .fold(0.0, f64::max)
    };
    let top = axis_top(max, legend);
    let centres: Vec<i32> = (0..n as i32).map(|c| c * UNIT + UNIT / 2).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(&table.title, font(24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d((0..n as i32 * UNIT).with_key_points(centres), 0f64..top)?;
    let names = &table.categories;
    let formatter = |x: &i32| category_at(names, x.div_euclid(UNIT));
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&formatter)
        .y_label_formatter(&tick)
        .x_desc(&table.x_label)
        .y_desc(&table.y_label)
        .axis_desc_style(font(17))
        .label_style(font(14))
        .light_line_style(WHITE)
        .draw()?;
    let plot_height = chart.plotting_area().dim_in_pixel().1 as f64;
    let width = UNIT * 7 / 10 / if stacked { 1 } else { k.max(1) as i32 };
    for s in 0..k {
        let color = style.color(s);
        let mut rects = Vec::with_capacity(n);
        let mut labels = Vec::new();
        for c in 0..n {
            let v = table.series[s].float(c);
            let left = c as i32 * UNIT + UNIT * 15 / 100;
            let (x0, y0) = if stacked {
                let below: f64 = table.series[..s].iter().map(|x| x.float(c)).sum();
                (left, below)
            } else {
                (left + width * s as i32, 0.0)
            };
            rects.push(Rectangle::new(
                [(x0, y0), (x0 + width, y0 + v)],
                color.filled(),
            ));
            if style.show_values {
                let text = label_text(table, s, c);
                if stacked {
                    // Inside the segment, when it is tall enough to hold the text.
                    if v / top * plot_height >= 16.0 {
                        let at = (x0 + width / 2, y0 + v / 2.0);
                        let pos = Pos::new(HPos::Center, VPos::Center);
                        labels.push(Text::new(text, at, font(12).pos(pos).color(&WHITE)));
                    }
                } else {
                    let at = (x0 + width / 2, y0 + v);
                    let pos = Pos::new(HPos::Center, VPos::Bottom);
                    labels.push(Text::new(text, at, font(12).pos(pos)));
                }
            }
        }
        let drawn = chart.draw_series(rects)?;
        if legend {
            let name = table.series[s].name.clone();
            drawn.label(name).legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled())
            });
        }
        chart.draw_series(labels)?;
    }
    if legend {
        draw_legend(&mut chart)?;
    }
    Ok(())
}

/// The series legend, upper right, on a translucent white box.
fn draw_legend<'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, Y>>,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(font(14))
        .draw()?;
    Ok(())
}

/// Line charts: month `c` at `c * UNIT`, with a marker on each value.
fn lines(root: &Area, table: &Table, style: &Style) -> DrawResult {
    let n = table.categories.len();
    let k = table.series.len();
    let legend = k > 1;
    let max = table
        .series
        .iter()
        .flat_map(|s| (0..n).map(move |c| s.float(c)))
        .fold(0.0, f64::max);
    let top = axis_top(max, legend);
    let ticks: Vec<i32> = (0..n as i32).map(|c| c * UNIT).collect();
    let last = (n as i32 - 1) * UNIT;
    let mut chart = ChartBuilder::on(root)
        .caption(&table.title, font(24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(
            (-UNIT * 4 / 10..last + UNIT * 4 / 10).with_key_points(ticks),
            0f64..top,
        )?;
    let names = &table.categories;
    let formatter = |x: &i32| category_at(names, (x + UNIT / 2).div_euclid(UNIT));
    chart
        .configure_mesh()
        .x_label_formatter(&formatter)
        .y_label_formatter(&tick)
        .x_desc(&table.x_label)
        .y_desc(&table.y_label)
        .axis_desc_style(font(17))
        .label_style(font(14))
        .light_line_style(WHITE)
        .draw()?;
    for s in 0..k {
        let color = style.color(s);
        let points: Vec<(i32, f64)> = (0..n)
            .map(|c| (c as i32 * UNIT, table.series[s].float(c)))
            .collect();
        let drawn = chart.draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(2),
        ))?;
        if legend {
            let name = table.series[s].name.clone();
            drawn.label(name).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        }
        chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
        if style.show_values {
            let pos = Pos::new(HPos::Center, VPos::Bottom);
            chart.draw_series(points.iter().enumerate().map(|(c, (x, y))| {
                Text::new(
                    label_text(table, s, c),
                    (*x, *y + top * 0.015),
                    font(12).pos(pos),
                )
            }))?;
        }
    }
    if legend {
        draw_legend(&mut chart)?;
    }
    Ok(())
}

/// Scatter plots: one labelled point per row (x = first series, y = second).
fn scatter(root: &Area, table: &Table, style: &Style) -> DrawResult {
    let (Some(xs), Some(ys)) = (table.series.first(), table.series.get(1)) else {
        return Err("a scatter table needs two value columns".into());
    };
    let n = table.categories.len();
    let x_top = axis_top(xs.max() as f64 / xs.scale() as f64, false);
    let y_top = axis_top(ys.max() as f64 / ys.scale() as f64, false);
    let mut chart = ChartBuilder::on(root)
        .caption(&table.title, font(24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x_top, 0f64..y_top)?;
    chart
        .configure_mesh()
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .x_desc(&table.x_label)
        .y_desc(&table.y_label)
        .axis_desc_style(font(17))
        .label_style(font(14))
        .light_line_style(WHITE)
        .draw()?;
    let color = style.color(0);
    let points: Vec<(f64, f64)> = (0..n).map(|c| (xs.float(c), ys.float(c))).collect();
    chart.draw_series(points.iter().map(|p| Circle::new(*p, 6, color.filled())))?;
    let texts: Vec<String> = (0..n)
        .map(|c| {
            let name = table.categories.get(c).cloned().unwrap_or_default();
            if style.show_values {
                format!("{name} ({}, {})", xs.text(c), ys.text(c))
            } else {
                name
            }
        })
        .collect();
    // A label goes right of its point unless it would run into a point or the edge there.
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let px = |(x, y): (f64, f64)| (x / x_top * f64::from(w), y / y_top * f64::from(h));
    let labels: Vec<Text<(f64, f64), String>> = points
        .iter()
        .zip(&texts)
        .map(|(p, text)| {
            let (x, y) = px(*p);
            let width = 8.0 * text.chars().count() as f64 + 12.0;
            let blocked = x + width > f64::from(w)
                || points.iter().any(|q| {
                    let (qx, qy) = px(*q);
                    q != p && qx > x && qx - x < width && (qy - y).abs() < 16.0
                });
            let (hpos, dx) = if blocked {
                (HPos::Right, -x_top * 0.012)
            } else {
                (HPos::Left, x_top * 0.012)
            };
            let pos = Pos::new(hpos, VPos::Center);
            Text::new(text.clone(), (p.0 + dx, p.1), font(13).pos(pos))
        })
        .collect();
    chart.draw_series(labels)?;
    Ok(())
}

/// Pie charts: slices clockwise from 12 o'clock, each labelled with its name (and share).
fn pie(root: &Area, table: &Table, style: &Style) -> DrawResult {
    let Some(shares) = table.series.first() else {
        return Err("a pie table needs a value column".into());
    };
    let area = root.margin(16, 16, 16, 16).titled(&table.title, font(24))?;
    let (w, h) = area.dim_in_pixel();
    let centre = (w as i32 / 2, h as i32 / 2);
    let radius = f64::from(h.min(w)) * 0.36;
    let sizes: Vec<f64> = (0..table.categories.len())
        .map(|c| shares.float(c))
        .collect();
    let colors: Vec<RGBColor> = (0..sizes.len()).map(|c| style.color(c)).collect();
    let labels: Vec<String> = table
        .categories
        .iter()
        .enumerate()
        .map(|(c, name)| {
            if style.show_values {
                format!("{name} ({}%)", shares.text(c))
            } else {
                name.clone()
            }
        })
        .collect();
    let mut pie = Pie::new(&centre, &radius, &sizes, &colors, &labels);
    pie.start_angle(-90.0);
    pie.label_style(font(16).color(&BLACK));
    pie.label_offset(12.0);
    area.draw(&pie)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chart_type_renders_a_png_deterministically() {
        for (i, kind) in ChartType::ALL.into_iter().enumerate() {
            let mut rng = SplitMix64::new(i as u64);
            let table = super::super::table::random_table(kind, &mut rng);
            let style = Style::random(&table, kind, &mut rng);
            let png = render_png(&table, kind, &style).unwrap();
            let img = image::load_from_memory(&png).unwrap().to_rgb8();
            assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
            // Something besides the white background was drawn, in the chart's colours.
            let (r, g, b) = PALETTE[style.colors[0]].1;
            assert!(
                img.pixels().any(|p| p.0 == [r, g, b]),
                "{kind:?}: no pixel in the first colour"
            );
            let dark = img.pixels().filter(|p| p.0.iter().all(|c| *c < 80)).count();
            assert!(
                dark > 500,
                "{kind:?}: hardly any text or axes ({dark} dark pixels)"
            );
            assert_eq!(png, render_png(&table, kind, &style).unwrap(), "{kind:?}");
        }
    }
}
