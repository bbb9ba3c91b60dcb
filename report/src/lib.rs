//! Results a person can look at: the plots of a run directory (spike
//! raster, rates, traces, interval and rate distributions; for a chip run,
//! the load on the mesh, the energy by operation and the time per step),
//! rendered to SVG and PNG without any library of the system, and the
//! self-contained HTML page that shows them with the run's figures.

mod figure;
mod html;
mod plots;
mod run;

pub use figure::{Figure, Plot, RenderError};
pub use html::page;
pub use plots::figures;
pub use run::{LoadError, Run, Spike, Trace};
