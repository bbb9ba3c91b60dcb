//! The figures of a run. [`figures`] is the one place a plot is added to
//! the report: a layer of neurc that records something new writes a
//! function giving its [`Figure`] and lists it there.

mod bars;
mod chip;
mod mesh;
mod resources;
mod spikes;
mod traces;

use crate::figure::Figure;
use crate::mapping::Mapping;
use crate::run::Run;

/// Every figure `run` has data for, in the order the report shows them.
pub fn figures(run: &Run) -> Vec<Figure> {
    let mut figures = Vec::new();
    figures.extend(spikes::raster(run));
    figures.extend(spikes::rates(run));
    figures.extend(traces::traces(run));
    figures.extend(spikes::isi(run));
    figures.extend(spikes::rate_histogram(run));
    if let Some(chip) = &run.report.chip {
        figures.extend(chip::core_map(chip));
        figures.extend(chip::energy(chip));
        figures.extend(chip::step_times(chip));
    }
    figures
}

/// Every figure of a chip mapping (`neurc compile`'s directory).
pub fn mapping_figures(mapping: &Mapping) -> Vec<Figure> {
    let mut figures = Vec::new();
    figures.extend(resources::resource_map(mapping));
    figures.extend(resources::resource_use(mapping));
    figures
}
