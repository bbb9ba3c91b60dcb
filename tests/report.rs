//! `neurc report` and `neurc run --report`: the plots and the HTML page of
//! a real run, checked for structure and opened in headless Chromium.

use crate::run::{neurc, scratch, stderr};
use std::path::Path;
use std::process::Command;

/// The plots the page links to, in its order.
fn linked_plots(html: &str) -> Vec<String> {
    html.split("href=\"plots/")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(file, _)| file.to_string()))
        .collect()
}

/// Runs cuba for 200 ms on `target` into `dir` with `--report`.
fn cuba_with_report(dir: &Path, target: &str) {
    let out = neurc(&[
        "run",
        "examples/cuba.snn",
        "--target",
        target,
        "--duration",
        "200ms",
        "-o",
        dir.to_str().expect("a UTF-8 path"),
        "--report",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("report.html"), "{}", stderr(&out));
}

#[test]
fn a_run_with_report_writes_the_page_and_every_plot_it_links() {
    let dir = scratch("report");
    cuba_with_report(&dir, "cpu");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for tag in ["html", "body", "section", "figure", "table", "svg"] {
        let opened = html.matches(&format!("<{tag}")).count();
        let closed = html.matches(&format!("</{tag}>")).count();
        assert_eq!(
            opened, closed,
            "<{tag}> opened {opened} times, closed {closed}"
        );
    }
    let linked = linked_plots(&html);
    let figures = html.matches("<figure").count();
    assert_eq!(figures, 5, "raster, rates, exc_v, isi, rate_histogram");
    assert_eq!(linked.len(), 2 * figures);
    for file in &linked {
        let bytes = std::fs::read(dir.join("plots").join(file)).expect("a linked plot");
        assert!(bytes.len() > 1000, "{file}: {} bytes", bytes.len());
    }
    // Nothing is fetched: no scripts, images or stylesheets from elsewhere.
    for fetch in ["<script", " src=", "<link", "url("] {
        assert!(!html.contains(fetch), "the page has {fetch}");
    }
    // Its figures are cuba's: both populations and the recorded voltage.
    for text in ["exc", "inh", "Spike raster", "v of exc", "LifCuba"] {
        assert!(html.contains(text), "{text}");
    }
}

#[test]
fn report_refuses_a_directory_that_is_not_a_run() {
    let dir = scratch("report-not-a-run");
    let out = neurc(&["report", dir.to_str().expect("a UTF-8 path")]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("manifest.json"), "{message}");
    assert!(message.contains("neurc run"), "{message}");
    assert!(!dir.join("report.html").exists());
}

/// Debian's Chromium, if the machine has it.
fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

#[test]
fn the_page_opens_in_headless_chromium_without_console_errors() {
    let Some(browser) = chromium() else {
        eprintln!(
            "skipped: no Chromium on this machine (.ci/run installs Debian's chromium package; \
             it could not here)"
        );
        return;
    };
    let dir = scratch("report-browser");
    cuba_with_report(&dir, "cpu");
    let page = std::fs::canonicalize(dir.join("report.html")).expect("the page");
    let shot = dir.join("screenshot.png");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,3600",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Chromium starts");
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    // The page's own messages are logged as CONSOLE lines; it has none.
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "{console:#?}");
    let png = std::fs::read(&shot).expect("a screenshot");
    let decoder = png::Decoder::new(&png[..]);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((info.width, info.height), (1280, 3600));
    let channels = info.color_type.samples();
    let inked = pixels[..info.buffer_size()]
        .chunks_exact(channels)
        .filter(|p| p[..3] != [255, 255, 255])
        .count();
    let share = inked as f64 / f64::from(info.width * info.height);
    // Text, tables and plots cover a good part of the page, not all of it.
    assert!(share > 0.03 && share < 0.6, "inked share {share}");
}

#[test]
fn a_compile_with_report_shows_its_cores_resources_and_quantization() {
    let dir = scratch("report-compile");
    let out = neurc(&[
        "compile",
        "examples/cuba.snn",
        "--target",
        "loihi",
        "-o",
        dir.to_str().expect("a UTF-8 path"),
        "--report",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert_eq!(html.matches("<figure").count(), 2);
    for file in linked_plots(&html) {
        assert!(dir.join("plots").join(&file).is_file(), "{file}");
    }
    let resources: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("resources.json")).expect("resources"))
            .expect("JSON");
    let cores = resources["cores_used"].as_u64().expect("cores_used");
    // Numbers are grouped by thin spaces.
    let plain = html.replace('\u{2009}', "");
    let lead = format!(
        "Mapped onto loihi: {cores} of {} cores",
        resources["cores_available"]
    );
    assert!(plain.contains(&lead), "{lead}");
    // Both populations' parameters and every projection's weights.
    for text in [
        "exc (LifCuba)",
        "inh (LifCuba)",
        "exc -&gt; inh",
        "rounded to zero",
    ] {
        assert!(html.contains(text), "{text}");
    }
}

/// The trace plots draw the threshold the manifest gives; on either
/// target the recorded voltage (taken after the reset) never exceeds it
/// and comes close to it before the neurons spike.
#[test]
fn recorded_voltages_reach_but_never_pass_the_manifest_threshold() {
    for target in ["cpu", "loihi"] {
        let dir = scratch(&format!("threshold-{target}"));
        cuba_with_report(&dir, target);
        let run = neurc_report::Run::load(&dir).expect("the run");
        let v = run
            .traces
            .iter()
            .find(|t| t.entry.variable == "v")
            .expect("a v trace");
        let threshold = v.entry.threshold.expect("a threshold");
        if target == "cpu" {
            assert_eq!(threshold, -0.05, "v_th of examples/cuba.snn");
        }
        let high = v.values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let low = v.values.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(high <= threshold, "{target}: {high} above {threshold}");
        assert!(
            high > threshold - 0.1 * (threshold - low),
            "{target}: {high} never near {threshold}"
        );
        let html = std::fs::read_to_string(dir.join("report.html")).expect("the page");
        assert!(html.contains("Dashed: the threshold"), "{target}");
        // A chip run keeps its mapping, and its page shows the mapping's
        // resource and quantization tables.
        let mapped = target == "loihi";
        assert_eq!(run.mapping.is_some(), mapped, "{target}");
        assert_eq!(html.contains("Populations on cores"), mapped, "{target}");
        assert_eq!(html.contains("exc (LifCuba)"), mapped, "{target}");
    }
}
