//! Recorded state variables over time.

use crate::figure::{DrawResult, Figure, Plot, draw_axes, draw_legend, population_colour};
use crate::run::{Run, Trace};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Neurons of a trace file drawn.
const NEURONS_SHOWN: usize = 5;

/// Points of a line before it is reduced to the extremes of its buckets.
const LINE_POINTS: usize = 2_000;

/// Some neurons' traces of one recorded variable.
struct Traces {
    /// Per neuron shown: its label and its (time ms, value) points.
    lines: Vec<(String, Vec<(f64, f64)>)>,
    y_desc: String,
    duration_ms: f64,
    threshold: Option<f64>,
}

/// A figure per trace file.
pub(crate) fn traces(run: &Run) -> Vec<Figure> {
    run.traces
        .iter()
        .filter(|t| t.steps() > 0 && t.neurons > 0)
        .map(|t| figure(run, t))
        .collect()
}

fn figure(run: &Run, trace: &Trace) -> Figure {
    let entry = &trace.entry;
    let shown = trace.neurons.min(NEURONS_SHOWN);
    let steps = trace.steps();
    let every = steps.div_ceil(LINE_POINTS / 2).max(1);
    let lines = (0..shown)
        .map(|k| {
            let neuron = entry.neurons[0] as usize + k;
            let value = |step: usize| trace.values[step * trace.neurons + k];
            (
                format!("{} {neuron}", entry.population),
                reduce(steps, every, run.dt_ms(), value),
            )
        })
        .collect();
    let unit = if trace.integer {
        "chip register units"
    } else {
        "SI units"
    };
    let mut caption = format!(
        "{} of {} neurons {}–{} of {}, in {unit}",
        entry.variable,
        if shown < trace.neurons {
            format!("the first {shown} of the {} recorded", trace.neurons)
        } else {
            format!("all {shown} recorded")
        },
        entry.neurons[0],
        entry.neurons[0] as usize + shown - 1,
        entry.population
    );
    if every > 1 {
        caption.push_str(&format!(
            "; each line drawn through the lowest and highest value of every {every} steps"
        ));
    }
    caption.push('.');
    if let Some(threshold) = entry.threshold {
        caption.push_str(&format!(" Dashed: the threshold, {threshold}."));
    }
    let plot = Traces {
        lines,
        y_desc: format!("{} ({unit})", entry.variable),
        duration_ms: run.duration_ms(),
        threshold: entry.threshold,
    };
    let name = entry.file.trim_end_matches(".npy").to_string();
    let title = format!("{} of {}", entry.variable, entry.population);
    Figure::new(name, title, caption, (960, 360), plot)
}

/// The points of a line of `steps` values: all of them, or the lowest and
/// highest of every `every` steps, in their order, so that no excursion
/// (a spike's reset, a peak) is lost.
fn reduce(steps: usize, every: usize, dt_ms: f64, value: impl Fn(usize) -> f64) -> Vec<(f64, f64)> {
    let time = |step: usize| (step + 1) as f64 * dt_ms;
    if every == 1 {
        return (0..steps).map(|s| (time(s), value(s))).collect();
    }
    let mut points = Vec::with_capacity(2 * steps.div_ceil(every));
    for start in (0..steps).step_by(every) {
        let bucket = start..(start + every).min(steps);
        let low = bucket
            .clone()
            .min_by(|&a, &b| value(a).total_cmp(&value(b)));
        let high = bucket.max_by(|&a, &b| value(a).total_cmp(&value(b)));
        if let (Some(low), Some(high)) = (low, high) {
            let (first, second) = if low <= high {
                (low, high)
            } else {
                (high, low)
            };
            points.push((time(first), value(first)));
            points.push((time(second), value(second)));
        }
    }
    points
}

impl Plot for Traces {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let values = self
            .lines
            .iter()
            .flat_map(|(_, p)| p.iter().map(|q| q.1))
            .chain(self.threshold);
        let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
        let pad = ((high - low) * 0.05).max(high.abs().max(1e-12) * 1e-3);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(28)
            .margin_top(24)
            .y_label_area_size(88)
            .x_label_area_size(40)
            .build_cartesian_2d(0.0..self.duration_ms, (low - pad)..(high + pad))?;
        draw_axes(&mut chart, "time (ms)", &self.y_desc)?;
        for (k, (label, points)) in self.lines.iter().enumerate() {
            let colour = population_colour(k);
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(1),
                ))?
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], colour));
        }
        if let Some(threshold) = self.threshold {
            let line = [(0.0, threshold), (self.duration_ms, threshold)];
            chart
                .draw_series(DashedLineSeries::new(line, 6, 4, BLACK.stroke_width(1)))?
                .label("threshold")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], BLACK));
        }
        draw_legend(&mut chart)
    }
}
