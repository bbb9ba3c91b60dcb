//! Results a person can look at: the plots of a run directory (spike
//! raster, rates, traces, interval and rate distributions; for a chip run,
//! the load on the mesh, the energy by operation and the time per step) or
//! of a chip mapping (its cores on the mesh, its use of each resource),
//! rendered to SVG and PNG without any library of the system, and the
//! self-contained HTML page that shows them with the run's figures.

mod figure;
mod html;
mod mapping;
mod plots;
mod run;

pub use figure::{Figure, Plot, RenderError};
pub use html::{mapping_page, page};
pub use mapping::Mapping;
pub use plots::{figures, mapping_figures};
pub use run::{LoadError, Run, Spike, Trace};
