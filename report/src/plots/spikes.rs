//! What the spike table shows: the raster with the population activity
//! beneath it, population rates over time, and the distributions of
//! inter-spike intervals and of rates.

use crate::figure::{
    DrawResult, Figure, Plot, axis_top, draw_axes, draw_legend, population_colour, text, tick,
};
use crate::run::Run;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// The most spikes a raster draws; beyond, it shows every k-th neuron of
/// each population, and says so.
const RASTER_POINTS: usize = 40_000;

/// Bins across a run for rates over time.
const RATE_BINS: usize = 400;

/// Bins of a histogram.
const HISTOGRAM_BINS: usize = 40;

/// A recorded population as the spike plots see it.
struct Population {
    name: String,
    /// Its index in the spike table.
    index: usize,
    /// Neurons recorded.
    recorded: u32,
    /// The highest neuron index with a spike, plus one: its rows in the
    /// raster.
    rows: u32,
}

/// The populations with recorded spikes.
fn recorded(run: &Run) -> Vec<Population> {
    let mut rows: BTreeMap<u16, u32> = BTreeMap::new();
    for spike in &run.spikes {
        let r = rows.entry(spike.population).or_default();
        *r = (*r).max(spike.neuron + 1);
    }
    run.report
        .populations
        .iter()
        .enumerate()
        .filter(|(_, p)| p.recorded > 0)
        .map(|(index, p)| Population {
            name: p.name.clone(),
            index,
            recorded: p.recorded,
            rows: rows.get(&(index as u16)).copied().unwrap_or(0),
        })
        .collect()
}

/// The width of the bins of rates over time: about [`RATE_BINS`] across
/// the run, a whole number of steps.
fn rate_bin_ms(run: &Run) -> f64 {
    let steps = (run.manifest.steps as f64 / RATE_BINS as f64)
        .ceil()
        .max(1.0);
    steps * run.dt_ms()
}

/// Per population, its rate (Hz per recorded neuron) in bins of `bin_ms`.
fn binned_rates(run: &Run, populations: &[Population], bin_ms: f64) -> Vec<Vec<f64>> {
    let bins = (run.duration_ms() / bin_ms).ceil().max(1.0) as usize;
    let mut counts = vec![vec![0u64; bins]; populations.len()];
    let slot: BTreeMap<usize, usize> = populations
        .iter()
        .enumerate()
        .map(|(k, p)| (p.index, k))
        .collect();
    for spike in &run.spikes {
        if let Some(&k) = slot.get(&usize::from(spike.population)) {
            let bin = ((spike.time_ms / bin_ms) as usize).min(bins - 1);
            counts[k][bin] += 1;
        }
    }
    counts
        .iter()
        .zip(populations)
        .map(|(counts, p)| {
            let per_second = 1e3 / (bin_ms * f64::from(p.recorded.max(1)));
            counts.iter().map(|&c| c as f64 * per_second).collect()
        })
        .collect()
}

/// The raster and the activity beneath it.
struct Raster {
    populations: Vec<(String, u32)>,
    /// (time ms, row, population slot).
    points: Vec<(f64, u32, usize)>,
    duration_ms: f64,
    bin_ms: f64,
    rates: Vec<Vec<f64>>,
}

/// The raster figure, thinned to [`RASTER_POINTS`] spikes.
pub(crate) fn raster(run: &Run) -> Option<Figure> {
    let populations = recorded(run);
    if populations.is_empty() || run.spikes.is_empty() {
        return None;
    }
    let every = run.spikes.len().div_ceil(RASTER_POINTS).max(1) as u32;
    let mut offset = 0;
    let mut offsets = BTreeMap::new();
    for (k, p) in populations.iter().enumerate() {
        offsets.insert(p.index as u16, (k, offset));
        offset += p.rows.div_ceil(every);
    }
    let points: Vec<(f64, u32, usize)> = run
        .spikes
        .iter()
        .filter(|s| s.neuron % every == 0)
        .filter_map(|s| {
            let &(k, base) = offsets.get(&s.population)?;
            Some((s.time_ms, base + s.neuron / every, k))
        })
        .collect();
    let bin_ms = rate_bin_ms(run);
    let caption = if every > 1 {
        format!(
            "Each dot a spike; 1 in {every} neurons of each population shown ({} of {} spikes). \
             Beneath: population rate of all recorded neurons in bins of {bin_ms} ms.",
            points.len(),
            run.spikes.len()
        )
    } else {
        format!(
            "Each dot a spike, all {} of them. Beneath: population rate in bins of {bin_ms} ms.",
            run.spikes.len()
        )
    };
    let rates = binned_rates(run, &populations, bin_ms);
    let plot = Raster {
        populations: populations
            .iter()
            .map(|p| (p.name.clone(), p.rows.div_ceil(every)))
            .collect(),
        points,
        duration_ms: run.duration_ms(),
        bin_ms,
        rates,
    };
    Some(Figure::new(
        "raster",
        "Spike raster",
        caption,
        (960, 640),
        plot,
    ))
}

impl Plot for Raster {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let height = area.dim_in_pixel().1;
        let (upper, lower) = area.split_vertically(height * 7 / 10);
        let rows = self.populations.iter().map(|p| p.1).sum::<u32>().max(1);
        let mut chart = ChartBuilder::on(&upper)
            .margin(12)
            .margin_right(28)
            .y_label_area_size(64)
            .x_label_area_size(8)
            .build_cartesian_2d(0.0..self.duration_ms, 0.0..f64::from(rows))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_desc("neuron (by population)")
            .y_label_formatter(&tick)
            .label_style(text(12))
            .axis_desc_style(text(14))
            .draw()?;
        for (k, (name, _)) in self.populations.iter().enumerate() {
            let colour = population_colour(k);
            chart
                .draw_series(self.points.iter().filter(|p| p.2 == k).map(|&(t, row, _)| {
                    Circle::new((t, f64::from(row) + 0.5), 1, colour.filled())
                }))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        draw_legend(&mut chart)?;
        draw_rates(&lower, &self.rates, self.bin_ms, self.duration_ms, true)
    }
}

/// Population rates over time as lines, on `area`.
fn draw_rates<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rates: &[Vec<f64>],
    bin_ms: f64,
    duration_ms: f64,
    beneath: bool,
) -> DrawResult<DB> {
    let top = axis_top(rates.iter().flatten().copied(), 1.05);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_right(28)
        .margin_top(if beneath { 0 } else { 24 })
        .y_label_area_size(64)
        .x_label_area_size(40)
        .build_cartesian_2d(0.0..duration_ms, 0.0..top)?;
    draw_axes(&mut chart, "time (ms)", "rate (Hz)")?;
    for (k, rates) in rates.iter().enumerate() {
        let colour = population_colour(k);
        let steps = rates.iter().enumerate().flat_map(|(i, &r)| {
            let start = i as f64 * bin_ms;
            [(start, r), ((start + bin_ms).min(duration_ms), r)]
        });
        chart.draw_series(LineSeries::new(steps, colour.stroke_width(1)))?;
    }
    Ok(())
}

/// Population rates over time.
struct Rates {
    names: Vec<String>,
    rates: Vec<Vec<f64>>,
    bin_ms: f64,
    duration_ms: f64,
}

/// The rates figure.
pub(crate) fn rates(run: &Run) -> Option<Figure> {
    let populations = recorded(run);
    if populations.is_empty() {
        return None;
    }
    let bin_ms = rate_bin_ms(run);
    let rates = binned_rates(run, &populations, bin_ms);
    let caption = format!(
        "Spikes per recorded neuron per second in bins of {bin_ms} ms, one line per population."
    );
    let plot = Rates {
        names: populations.iter().map(|p| p.name.clone()).collect(),
        rates,
        bin_ms,
        duration_ms: run.duration_ms(),
    };
    Some(Figure::new(
        "rates",
        "Population rates",
        caption,
        (960, 360),
        plot,
    ))
}

impl Plot for Rates {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_rates(area, &self.rates, self.bin_ms, self.duration_ms, false)?;
        legend(area, &self.names)
    }
}

/// A row of coloured names along the top edge of `area`.
fn legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, names: &[String]) -> DrawResult<DB> {
    let mut x = 90;
    for (k, name) in names.iter().enumerate() {
        let colour = population_colour(k);
        area.draw(&Rectangle::new([(x, 4), (x + 10, 14)], colour.filled()))?;
        area.draw(&Text::new(name.clone(), (x + 14, 3), text(12)))?;
        x += 24 + 8 * name.len() as i32;
    }
    Ok(())
}

/// A set of histograms sharing an axis: one per population.
struct Histograms {
    names: Vec<String>,
    x_desc: String,
    edges: Vec<f64>,
    /// Per population, the fraction of its values in each bin.
    fractions: Vec<Vec<f64>>,
}

impl Histograms {
    /// Histograms of `values` (per population) over [0, upper).
    fn new(names: Vec<String>, x_desc: &str, values: &[Vec<f64>], upper: f64) -> Histograms {
        let width = upper / HISTOGRAM_BINS as f64;
        let edges = (0..=HISTOGRAM_BINS).map(|i| i as f64 * width).collect();
        let fractions = values
            .iter()
            .map(|values| {
                let mut counts = vec![0u64; HISTOGRAM_BINS];
                for &v in values {
                    let bin = ((v / width) as usize).min(HISTOGRAM_BINS - 1);
                    counts[bin] += 1;
                }
                let total = values.len().max(1) as f64;
                counts.iter().map(|&c| c as f64 / total).collect()
            })
            .collect();
        Histograms {
            names,
            x_desc: x_desc.to_string(),
            edges,
            fractions,
        }
    }
}

impl Plot for Histograms {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let upper = self.edges.last().copied().unwrap_or(1.0);
        let top = axis_top(self.fractions.iter().flatten().copied(), 1.1);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(28)
            .margin_top(24)
            .y_label_area_size(64)
            .x_label_area_size(40)
            .build_cartesian_2d(0.0..upper, 0.0..top)?;
        draw_axes(&mut chart, &self.x_desc, "fraction")?;
        for (k, fractions) in self.fractions.iter().enumerate() {
            let colour = population_colour(k);
            let outline = fractions
                .iter()
                .enumerate()
                .flat_map(|(i, &f)| [(self.edges[i], f), (self.edges[i + 1], f)]);
            let closed = std::iter::once((0.0, 0.0))
                .chain(outline)
                .chain(std::iter::once((upper, 0.0)));
            chart
                .draw_series(AreaSeries::new(closed, 0.0, colour.mix(0.25)).border_style(colour))?;
        }
        legend(area, &self.names)
    }
}

/// The inter-spike intervals of each recorded population, milliseconds.
fn intervals(run: &Run, populations: &[Population]) -> Vec<Vec<f64>> {
    let mut last: BTreeMap<(u16, u32), f64> = BTreeMap::new();
    let slot: BTreeMap<u16, usize> = populations
        .iter()
        .enumerate()
        .map(|(k, p)| (p.index as u16, k))
        .collect();
    let mut out = vec![Vec::new(); populations.len()];
    for spike in &run.spikes {
        let Some(&k) = slot.get(&spike.population) else {
            continue;
        };
        if let Some(before) = last.insert((spike.population, spike.neuron), spike.time_ms) {
            out[k].push(spike.time_ms - before);
        }
    }
    out
}

/// The value below which `share` of `values` lie.
fn quantile(values: &[f64], share: f64) -> f64 {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get(((sorted.len() as f64 - 1.0) * share).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

/// The inter-spike interval histograms.
pub(crate) fn isi(run: &Run) -> Option<Figure> {
    let populations = recorded(run);
    let intervals = intervals(run, &populations);
    let all: Vec<f64> = intervals.iter().flatten().copied().collect();
    if all.is_empty() {
        return None;
    }
    let upper = quantile(&all, 0.99).max(run.dt_ms());
    let beyond = all.iter().filter(|&&v| v >= upper).count();
    let caption = format!(
        "Intervals between a neuron's successive spikes, {} in all, as fractions of each \
         population's; the last bin holds the {beyond} intervals of {upper:.1} ms and more \
         (the top 1 %).",
        all.len()
    );
    let names = populations.iter().map(|p| p.name.clone()).collect();
    let plot = Histograms::new(names, "inter-spike interval (ms)", &intervals, upper);
    Some(Figure::new(
        "isi",
        "Inter-spike intervals",
        caption,
        (640, 360),
        plot,
    ))
}

/// The per-neuron rate histograms, silent recorded neurons included.
pub(crate) fn rate_histogram(run: &Run) -> Option<Figure> {
    let populations = recorded(run);
    if populations.is_empty() {
        return None;
    }
    let mut counts: BTreeMap<(u16, u32), u64> = BTreeMap::new();
    for spike in &run.spikes {
        *counts.entry((spike.population, spike.neuron)).or_default() += 1;
    }
    let seconds = run.manifest.duration_s.max(f64::MIN_POSITIVE);
    let rates: Vec<Vec<f64>> = populations
        .iter()
        .map(|p| {
            let mut rates: Vec<f64> = counts
                .range((p.index as u16, 0)..=(p.index as u16, u32::MAX))
                .map(|(_, &c)| c as f64 / seconds)
                .collect();
            let silent = (p.recorded as usize).saturating_sub(rates.len());
            rates.extend(std::iter::repeat_n(0.0, silent));
            rates
        })
        .collect();
    let upper = rates
        .iter()
        .flatten()
        .copied()
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.0001;
    let caption =
        "Each recorded neuron's mean rate over the run, as fractions of its population's \
                   recorded neurons (silent ones in the first bin)."
            .to_string();
    let names = populations.iter().map(|p| p.name.clone()).collect();
    let plot = Histograms::new(names, "rate (Hz)", &rates, upper);
    Some(Figure::new(
        "rate_histogram",
        "Rates of single neurons",
        caption,
        (640, 360),
        plot,
    ))
}
