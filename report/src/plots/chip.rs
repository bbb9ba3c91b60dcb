//! What a chip run's report shows: where the load sits on the mesh, where
//! the energy went, and how long each step took.

use crate::figure::{DrawResult, Figure, Plot, axis_top, draw_axes, population_colour, words};
use crate::plots::bars::{Bar, Bars};
use crate::plots::mesh::{CoreMap, Placed};
use crate::run::ChipReport;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Points of the time-per-step line before steps are grouped.
const STEP_POINTS: usize = 1_000;

/// The load on the mesh, if the report places its cores.
pub(crate) fn core_map(chip: &ChipReport) -> Option<Figure> {
    let placed: Vec<Placed> = chip
        .cores
        .iter()
        .filter_map(|c| {
            Some(Placed {
                location: c.location?,
                value: c.utilisation,
            })
        })
        .collect();
    let busiest = chip
        .cores
        .iter()
        .max_by(|a, b| a.utilisation.total_cmp(&b.utilisation))?;
    let about = format!(
        "Colour: the share of the run's chip time the core was busy; the busiest, {}, {:.1} %.",
        busiest.core,
        busiest.utilisation * 100.0
    );
    let map = CoreMap::new(chip.system.mesh?, &placed, "busy (%)")?;
    Some(map.figure("core_map", "Load on the mesh", &about))
}

/// Energy by operation, as bars of its share, largest first.
pub(crate) fn energy(chip: &ChipReport) -> Option<Figure> {
    let mut parts: Vec<_> = chip
        .operations
        .iter()
        .filter(|o| o.energy_pj > 0.0)
        .collect();
    if parts.is_empty() {
        return None;
    }
    parts.sort_by(|a, b| b.share.total_cmp(&a.share));
    let bars = Bars {
        bars: parts
            .iter()
            .map(|o| Bar {
                label: format!(
                    "{}  {:.1} %  ({:.3} µJ)",
                    words(&o.operation),
                    o.share * 100.0,
                    o.energy_pj * 1e-6
                ),
                share: o.share,
                mark: None,
            })
            .collect(),
        x_desc: "share of the energy (%)".to_string(),
    };
    let caption = format!(
        "Where the run's {:.3} µJ went ({:.2} nJ per step): each kind of operation's count \
         times its energy, and the static power over the chip time.",
        chip.totals.energy_pj * 1e-6,
        chip.totals.energy_per_step_nj
    );
    let size = (760, bars.height());
    Some(Figure::new(
        "energy",
        "Energy by operation",
        caption,
        size,
        bars,
    ))
}

/// Chip time per step.
struct StepTimes {
    /// (first step, mean, lowest, highest) of each group of steps, ns.
    groups: Vec<(f64, f64, f64, f64)>,
    steps: f64,
    grouped: bool,
}

/// The time-per-step figure.
pub(crate) fn step_times(chip: &ChipReport) -> Option<Figure> {
    let times = &chip.per_step.time_ps;
    if times.is_empty() {
        return None;
    }
    let every = times.len().div_ceil(STEP_POINTS).max(1);
    let groups: Vec<(f64, f64, f64, f64)> = times
        .chunks(every)
        .enumerate()
        .map(|(g, chunk)| {
            let ns: Vec<f64> = chunk.iter().map(|&t| t as f64 * 1e-3).collect();
            let mean = ns.iter().sum::<f64>() / ns.len() as f64;
            let low = ns.iter().copied().fold(f64::INFINITY, f64::min);
            let high = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            ((g * every) as f64, mean, low, high)
        })
        .collect();
    let mut caption = format!(
        "Each step lasts until every core is done, every message has arrived and the barrier \
         ({:.1} ns) has swept the mesh; {:.1} ns per step on average.",
        chip.system.barrier_ps as f64 * 1e-3,
        chip.totals.time_per_step_ns
    );
    if every > 1 {
        caption.push_str(&format!(
            " The line is the mean of every {every} steps, the band their lowest and highest."
        ));
    }
    let plot = StepTimes {
        groups,
        steps: times.len() as f64,
        grouped: every > 1,
    };
    Some(Figure::new(
        "step_time",
        "Chip time per step",
        caption,
        (960, 320),
        plot,
    ))
}

impl Plot for StepTimes {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let high = axis_top(self.groups.iter().map(|g| g.3), 1.05);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(28)
            .y_label_area_size(64)
            .x_label_area_size(40)
            .build_cartesian_2d(0.0..self.steps, 0.0..high)?;
        draw_axes(&mut chart, "step", "chip time (ns)")?;
        let colour = population_colour(0);
        if self.grouped {
            let upper = self.groups.iter().map(|g| (g.0, g.3));
            let lower = self.groups.iter().rev().map(|g| (g.0, g.2));
            let band: Vec<(f64, f64)> = upper.chain(lower).collect();
            chart.draw_series(std::iter::once(Polygon::new(
                band,
                colour.mix(0.2).filled(),
            )))?;
        }
        chart.draw_series(LineSeries::new(
            self.groups.iter().map(|g| (g.0, g.1)),
            colour.stroke_width(1),
        ))?;
        Ok(())
    }
}
