//! `neurc report`: the plots and the HTML report of a run directory or of
//! a chip directory written by `neurc compile`.

use crate::Outcome;
use crate::args::ReportArgs;
use crate::output::write_atomically;
use crate::run::fail;
use neurc_report::{Figure, LoadError, Mapping, Run, figures, mapping_figures, mapping_page, page};
use std::path::Path;
use std::time::Instant;

/// What a report is made of.
enum Source {
    Run(Box<Run>),
    Mapping(Box<Mapping>),
}

impl Source {
    /// The run or the mapping in `dir`.
    fn load(dir: &Path) -> Result<Source, LoadError> {
        if Mapping::is_in(dir) {
            Mapping::load(dir).map(|mapping| Source::Mapping(Box::new(mapping)))
        } else {
            Run::load(dir).map(|run| Source::Run(Box::new(run)))
        }
    }

    fn figures(&self) -> Vec<Figure> {
        match self {
            Source::Run(run) => figures(run),
            Source::Mapping(mapping) => mapping_figures(mapping),
        }
    }

    fn page(&self, rendered: &[(Figure, String)]) -> String {
        match self {
            Source::Run(run) => page(run, rendered),
            Source::Mapping(mapping) => mapping_page(mapping, rendered),
        }
    }
}

/// Runs `neurc report`.
pub fn run(args: &ReportArgs) -> Outcome {
    write(&args.dir, args.quiet)
}

/// Draws the plots of the run or mapping in `dir` into `dir/plots/` (SVG
/// and PNG) and writes `dir/report.html`, every file atomically.
pub fn write(dir: &Path, quiet: bool) -> Outcome {
    let started = Instant::now();
    let source = match Source::load(dir) {
        Ok(source) => source,
        Err(error) => {
            return fail(
                &error.to_string(),
                "give the directory a `neurc run` wrote (it holds manifest.json, report.json and \
                 spikes.npy) or one `neurc compile` wrote (resources.json, quantization.json)",
                false,
            );
        }
    };
    let unwritable = |what: &str, path: &Path, error: std::io::Error| {
        fail(
            &format!("cannot {what} {}: {error}", path.display()),
            "make the run directory writable",
            false,
        )
    };
    let plots = dir.join("plots");
    if let Err(error) = std::fs::create_dir_all(&plots) {
        return unwritable("create", &plots, error);
    }
    let mut rendered = Vec::new();
    for figure in source.figures() {
        let drawn = figure.svg().and_then(|svg| Ok((svg, figure.png()?)));
        let (svg, png) = match drawn {
            Ok(drawn) => drawn,
            Err(error) => return crate::run::internal(&error.to_string()),
        };
        for (extension, bytes) in [("svg", svg.as_bytes()), ("png", &png[..])] {
            let path = plots.join(format!("{}.{extension}", figure.name));
            if let Err(error) = write_atomically(&path, bytes) {
                return unwritable("write", &path, error);
            }
        }
        rendered.push((figure, svg));
    }
    let html = source.page(&rendered);
    let path = dir.join("report.html");
    if let Err(error) = write_atomically(&path, html.as_bytes()) {
        return unwritable("write", &path, error);
    }
    if !quiet {
        eprintln!(
            "wrote {} and {} plots in {} ({:.2} s)",
            path.display(),
            rendered.len(),
            plots.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Outcome::Ok
}
