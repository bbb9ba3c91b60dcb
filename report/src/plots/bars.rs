//! Labelled horizontal bars of shares from 0 to 100 %, one per row, each
//! with its label written beside (or on) it.

use crate::figure::{DrawResult, Plot, population_colour, text, tick};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One bar.
pub(crate) struct Bar {
    /// What is written beside it.
    pub(crate) label: String,
    /// Its length, a share.
    pub(crate) share: f64,
    /// A mark across it at this share (a maximum beside a mean), if any.
    pub(crate) mark: Option<f64>,
}

/// Bars, top to bottom, over a share axis described by `x_desc`.
pub(crate) struct Bars {
    pub(crate) bars: Vec<Bar>,
    pub(crate) x_desc: String,
}

impl Bars {
    /// The height of a figure of these bars, pixels.
    pub(crate) fn height(&self) -> u32 {
        70 + 32 * self.bars.len() as u32
    }
}

impl Plot for Bars {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.bars.len() as f64;
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(36)
            .y_label_area_size(8)
            .build_cartesian_2d(0.0..100.0, 0.0..n)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .light_line_style(RGBColor(245, 245, 245))
            .bold_line_style(RGBColor(225, 225, 225))
            .x_desc(self.x_desc.as_str())
            .x_label_formatter(&tick)
            .label_style(text(12))
            .axis_desc_style(text(13))
            .draw()?;
        for (i, bar) in self.bars.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let colour = population_colour(i);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y + 0.15), (bar.share * 100.0, y + 0.85)],
                colour.mix(0.8).filled(),
            )))?;
            if let Some(mark) = bar.mark {
                chart.draw_series(std::iter::once(PathElement::new(
                    [(mark * 100.0, y + 0.05), (mark * 100.0, y + 0.95)],
                    BLACK.stroke_width(2),
                )))?;
            }
            // Long bars carry their label inside, short ones beside them.
            let end = bar.mark.unwrap_or(bar.share).max(bar.share);
            let x = if end > 0.55 { 1.0 } else { end * 100.0 + 1.0 };
            let label = Text::new(bar.label.clone(), (x, y + 0.72), text(12));
            chart.draw_series(std::iter::once(label))?;
        }
        Ok(())
    }
}
