//! A figure: a plot drawn once for every backend, rendered to SVG (for the
//! HTML report) and to PNG, with text set in the embedded DejaVu Sans so
//! that no font of the system is needed.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::sync::OnceLock;
use thiserror::Error;

/// A plot's drawing failed.
#[derive(Debug, Error)]
#[error("cannot draw the {figure} plot: {reason}")]
pub struct RenderError {
    /// The figure's name.
    pub figure: String,
    /// What went wrong.
    pub reason: String,
}

/// What a plot draws with, on any backend.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A plot: draws itself onto a drawing area of any backend.
pub trait Plot {
    /// Draws onto `area`, which has the figure's size.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// A plot with what the report says about it: the unit a layer of neurc
/// adds to show itself.
pub struct Figure {
    /// File stem: `plots/<name>.svg` and `.png`.
    pub name: String,
    /// Heading.
    pub title: String,
    /// What it shows, and how it was reduced if it was.
    pub caption: String,
    /// Pixels.
    pub size: (u32, u32),
    plot: Box<dyn Render>,
}

impl Figure {
    /// A figure of `plot`.
    pub fn new(
        name: impl Into<String>,
        title: impl Into<String>,
        caption: impl Into<String>,
        size: (u32, u32),
        plot: impl Plot + 'static,
    ) -> Figure {
        Figure {
            name: name.into(),
            title: title.into(),
            caption: caption.into(),
            size,
            plot: Box::new(plot),
        }
    }

    /// The figure as an SVG document.
    pub fn svg(&self) -> Result<String, RenderError> {
        register_font();
        let mut out = String::new();
        {
            let area = SVGBackend::with_string(&mut out, self.size).into_drawing_area();
            self.plot
                .svg(&area)
                .and_then(|()| area.present().map_err(|e| e.to_string()))
                .map_err(|reason| self.error(reason))?;
        }
        Ok(out)
    }

    /// The figure as a PNG image.
    pub fn png(&self) -> Result<Vec<u8>, RenderError> {
        register_font();
        let (width, height) = self.size;
        let mut pixels = vec![0u8; width as usize * height as usize * 3];
        {
            let area = BitMapBackend::with_buffer(&mut pixels, self.size).into_drawing_area();
            self.plot
                .bitmap(&area)
                .and_then(|()| area.present().map_err(|e| e.to_string()))
                .map_err(|reason| self.error(reason))?;
        }
        encode_png(&pixels, self.size).map_err(|reason| self.error(reason))
    }

    fn error(&self, reason: String) -> RenderError {
        RenderError {
            figure: self.name.clone(),
            reason,
        }
    }
}

/// A [`Plot`] drawn on the two backends a figure is rendered with.
trait Render {
    fn svg(&self, area: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>;
    fn bitmap(&self, area: &DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>;
}

impl<P: Plot> Render for P {
    fn svg(&self, area: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String> {
        area.fill(&WHITE).map_err(|e| e.to_string())?;
        self.draw(area).map_err(|e| e.to_string())
    }

    fn bitmap(&self, area: &DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String> {
        area.fill(&WHITE).map_err(|e| e.to_string())?;
        self.draw(area).map_err(|e| e.to_string())
    }
}

/// The family every text of the plots is set in.
pub const FONT: &str = "sans-serif";

/// Registers DejaVu Sans as [`FONT`], once.
fn register_font() {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        // The embedded font is a valid TrueType file; were it refused,
        // text would be left out, and the plots drawn all the same.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// RGB pixels as a PNG file.
fn encode_png(pixels: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// The colour of the `k`th population: a qualitative palette that stays
/// distinct in print and for the common forms of colour blindness (Okabe
/// and Ito 2008), cycled.
pub fn population_colour(k: usize) -> RGBColor {
    const PALETTE: [RGBColor; 8] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
        RGBColor(240, 228, 66),
    ];
    PALETTE[k % PALETTE.len()]
}

/// A name of the files (`synaptic_ops`) as words (`synaptic ops`), for
/// the report's tables and labels.
pub fn words(name: &str) -> String {
    name.replace('_', " ")
}

/// Text in the plots' font at `size` pixels.
pub fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

/// An axis label: up to six decimals without trailing zeros, or in
/// scientific notation for magnitudes below a thousandth.
pub fn tick(x: &f64) -> String {
    if *x != 0.0 && x.abs() < 1e-3 {
        return format!("{x:.2e}");
    }
    let fixed = format!("{x:.6}");
    let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" { "0" } else { trimmed }.to_string()
}

/// The axes of a chart of real numbers: light horizontal grid lines,
/// labels in [`tick`]'s form, and the axis descriptions.
pub fn draw_axes<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    x_desc: &str,
    y_desc: &str,
) -> DrawResult<DB> {
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(RGBColor(245, 245, 245))
        .bold_line_style(RGBColor(225, 225, 225))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(text(12))
        .axis_desc_style(text(14))
        .draw()
}

/// The top of a value axis that starts at 0: the largest of `values`
/// times `headroom`, and above 0 however the values lie.
pub fn axis_top(values: impl IntoIterator<Item = f64>, headroom: f64) -> f64 {
    values.into_iter().fold(0.0f64, f64::max).max(1e-9) * headroom
}

/// The legend of a chart's labelled series, in its upper right corner.
pub fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .label_font(text(12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
}
