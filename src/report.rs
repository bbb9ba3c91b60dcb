//! `neurc report`: a run directory's plots and its HTML report.

use crate::Outcome;
use crate::args::ReportArgs;
use crate::output::write_atomically;
use crate::run::fail;
use neurc_report::{Run, figures, page};
use std::path::Path;
use std::time::Instant;

/// Runs `neurc report`.
pub fn run(args: &ReportArgs) -> Outcome {
    write(&args.dir, args.quiet)
}

/// Draws the plots of the run in `dir` into `dir/plots/` (SVG and PNG)
/// and writes `dir/report.html`, every file atomically.
pub fn write(dir: &Path, quiet: bool) -> Outcome {
    let started = Instant::now();
    let run = match Run::load(dir) {
        Ok(run) => run,
        Err(error) => {
            return fail(
                &error.to_string(),
                "give the directory a `neurc run` wrote (it holds manifest.json, report.json and \
                 spikes.npy)",
                false,
            );
        }
    };
    let plots = dir.join("plots");
    if let Err(error) = std::fs::create_dir_all(&plots) {
        return fail(
            &format!("cannot create {}: {error}", plots.display()),
            "make the run directory writable",
            false,
        );
    }
    let mut rendered = Vec::new();
    for figure in figures(&run) {
        let drawn = figure.svg().and_then(|svg| Ok((svg, figure.png()?)));
        let (svg, png) = match drawn {
            Ok(drawn) => drawn,
            Err(error) => return crate::run::internal(&error.to_string()),
        };
        for (extension, bytes) in [("svg", svg.as_bytes()), ("png", &png[..])] {
            let path = plots.join(format!("{}.{extension}", figure.name));
            if let Err(error) = write_atomically(&path, bytes) {
                return fail(
                    &format!("cannot write {}: {error}", path.display()),
                    "make the run directory writable",
                    false,
                );
            }
        }
        rendered.push((figure, svg));
    }
    let html = page(&run, &rendered);
    let path = dir.join("report.html");
    if let Err(error) = write_atomically(&path, html.as_bytes()) {
        return fail(
            &format!("cannot write {}: {error}", path.display()),
            "make the run directory writable",
            false,
        );
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
