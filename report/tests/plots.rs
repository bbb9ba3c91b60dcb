//! The plots of synthetic runs: every figure renders to an SVG document and
//! a PNG image of its stated size, and what is drawn follows the data: a
//! population's dots appear in its colour in proportion to its spikes, a
//! trace moves when its values do, and a chip run's map shows its cores.

use neurc_report::{Figure, Run, figures, page};
use serde_json::json;
use std::path::PathBuf;

/// The colour of the first population (the palette's first).
const FIRST: [u8; 3] = [0, 114, 178];
/// The colour of the second population.
const SECOND: [u8; 3] = [213, 94, 0];

/// A run of `steps` steps of 0.1 ms with two populations of 100 neurons,
/// the given spikes, one trace of `v` for neurons 0..3 and, if given, a
/// chip section.
fn run(spikes: Vec<(u64, u16, u32)>, trace: Vec<f64>, chip: Option<serde_json::Value>) -> Run {
    let steps = 1000u64;
    let manifest = json!({
        "neurc": "0.1.0", "target": "cpu", "precision": "f64", "seed": 1,
        "dt_s": 1e-4, "duration_s": 0.1, "steps": steps,
        "inputs": [{"path": "model.snn", "blake3": "00"}],
        "outputs": [],
        "traces": [{"file": "a_v.npy", "population": "a", "variable": "v", "neurons": [0, 3]}],
    });
    let count = |p: u16| spikes.iter().filter(|s| s.1 == p).count();
    let mut report = json!({
        "target": "cpu", "precision": "f64", "threads": 1,
        "populations": [
            {"name": "a", "model": "Lif", "size": 100, "source": false,
             "spikes": count(0), "rate_hz": 1.0, "cv_isi": null, "recorded": 100},
            {"name": "b", "model": "Lif", "size": 100, "source": false,
             "spikes": count(1), "rate_hz": 1.0, "cv_isi": null, "recorded": 100},
        ],
    });
    if let Some(chip) = chip {
        report["chip"] = chip;
    }
    let manifest = serde_json::from_value(manifest).expect("a manifest");
    let report = serde_json::from_value(report).expect("a report");
    Run {
        dir: PathBuf::from("synthetic"),
        manifest,
        report,
        spikes: spikes
            .into_iter()
            .map(|(step, population, neuron)| neurc_report::Spike {
                step,
                time_ms: step as f64 * 0.1,
                population,
                neuron,
            })
            .collect(),
        traces: vec![neurc_report::Trace {
            entry: serde_json::from_value(
                json!({"file": "a_v.npy", "population": "a", "variable": "v", "neurons": [0, 3]}),
            )
            .expect("a trace entry"),
            neurons: 3,
            values: trace,
            integer: false,
        }],
        mapping: None,
    }
}

/// Spikes of population `p`: neuron `i` at steps `i + k * period`.
fn regular(p: u16, neurons: u32, period: u64) -> Vec<(u64, u16, u32)> {
    (0..neurons)
        .flat_map(|i| {
            (0..)
                .map(move |k| u64::from(i) + k * period)
                .take_while(|&s| s < 1000)
                .map(move |s| (s, p, i))
        })
        .collect()
}

fn sine_trace(scale: f64) -> Vec<f64> {
    (0..1000)
        .flat_map(|t| (0..3).map(move |n| scale * (t as f64 * 0.01 + n as f64).sin()))
        .collect()
}

/// The decoded RGB pixels of a PNG, with its size.
fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(png);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("a PNG frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// Pixels within a few levels of `colour`.
fn count_colour(pixels: &[u8], colour: [u8; 3]) -> usize {
    pixels
        .chunks_exact(3)
        .filter(|p| p.iter().zip(colour).all(|(&a, b)| a.abs_diff(b) <= 8))
        .count()
}

/// Pixels that are not white.
fn inked(pixels: &[u8]) -> usize {
    pixels
        .chunks_exact(3)
        .filter(|p| p != &[255, 255, 255])
        .count()
}

fn figure<'a>(figures: &'a [Figure], name: &str) -> &'a Figure {
    figures
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {name} figure among {:?}", names(figures)))
}

fn names(figures: &[Figure]) -> Vec<&str> {
    figures.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn every_figure_renders_at_its_size_in_both_formats() {
    let spikes = [regular(0, 100, 50), regular(1, 100, 30)].concat();
    let run = run(spikes, sine_trace(0.01), None);
    let figures = figures(&run);
    assert_eq!(
        names(&figures),
        ["raster", "rates", "a_v", "isi", "rate_histogram"]
    );
    for f in &figures {
        let svg = f.svg().expect("an SVG");
        assert!(svg.contains("<svg"), "{}: {svg:.200}", f.name);
        let (w, h) = f.size;
        assert!(svg.contains(&format!("width=\"{w}\"")), "{}", f.name);
        assert!(svg.contains(&format!("height=\"{h}\"")), "{}", f.name);
        let (width, height, pixels) = decode(&f.png().expect("a PNG"));
        assert_eq!((width, height), f.size, "{}", f.name);
        // Axes, labels and data: a real share of the image is drawn, but
        // not all of it.
        let share = inked(&pixels) as f64 / (width * height) as f64;
        assert!(share > 0.01 && share < 0.9, "{}: {share}", f.name);
    }
}

#[test]
fn the_raster_draws_each_population_in_proportion_to_its_spikes() {
    let sparse = run(
        [regular(0, 100, 200), regular(1, 100, 200)].concat(),
        sine_trace(1.0),
        None,
    );
    let dense = run(
        [regular(0, 100, 200), regular(1, 100, 25)].concat(),
        sine_trace(1.0),
        None,
    );
    // The dots: the raster's upper part, above the rates.
    let pixels = |run: &Run| {
        let (width, height, pixels) =
            decode(&figure(&figures(run), "raster").png().expect("a PNG"));
        pixels[..(width * height * 3 * 6 / 10) as usize].to_vec()
    };
    let (before, after) = (pixels(&sparse), pixels(&dense));
    // Population a is unchanged; b has eight times the spikes.
    let (a0, a1) = (count_colour(&before, FIRST), count_colour(&after, FIRST));
    let (b0, b1) = (count_colour(&before, SECOND), count_colour(&after, SECOND));
    assert!(a0 > 100 && b0 > 100, "both drawn: {a0} {b0}");
    assert!(a1.abs_diff(a0) * 10 < a0, "a unchanged: {a0} then {a1}");
    assert!(b1 > 3 * b0, "b grows with its spikes: {b0} then {b1}");
}

#[test]
fn a_silent_population_leaves_no_dots() {
    let run = run(regular(0, 100, 40), sine_trace(1.0), None);
    let figures = figures(&run);
    let raster = decode(&figure(&figures, "raster").png().expect("a PNG")).2;
    assert!(count_colour(&raster, FIRST) > 100);
    // b's legend swatch and its flat rate line at zero are all of its colour.
    assert!(
        count_colour(&raster, SECOND) < 2_000,
        "{}",
        count_colour(&raster, SECOND)
    );
}

#[test]
fn a_trace_plot_follows_its_values() {
    let small = run(regular(0, 10, 100), sine_trace(0.01), None);
    let flat = run(regular(0, 10, 100), vec![0.005; 3000], None);
    let draw = |run: &Run| decode(&figure(&figures(run), "a_v").png().expect("a PNG")).2;
    let (wavy, level) = (draw(&small), draw(&flat));
    assert_ne!(wavy, level);
    // Three sine waves cover more of the plot than three coincident lines.
    let lines = |p: &[u8]| {
        count_colour(p, FIRST) + count_colour(p, SECOND) + count_colour(p, [0, 158, 115])
    };
    assert!(
        lines(&wavy) > 2 * lines(&level),
        "{} {}",
        lines(&wavy),
        lines(&level)
    );
}

#[test]
fn a_long_raster_is_thinned_and_says_so() {
    // 100 neurons spiking every step: 200 000 spikes, more than a raster draws.
    let spikes: Vec<_> = (0..1000u64)
        .flat_map(|s| (0..100).flat_map(move |i| [(s, 0, i), (s, 1, i)]))
        .collect();
    let run = run(spikes, sine_trace(1.0), None);
    let figures = figures(&run);
    let raster = figure(&figures, "raster");
    assert!(
        raster.caption.contains("1 in 5 neurons"),
        "{}",
        raster.caption
    );
    assert!(
        raster.caption.contains("of 200000 spikes"),
        "{}",
        raster.caption
    );
}

/// A chip section: four cores on two tiles of one chip, the first twice
/// as busy as the others.
fn chip() -> serde_json::Value {
    let core = |name: &str, tile: u32, index: u32, utilisation: f64| {
        json!({"core": name, "location": {"chip": [0, 0, 0], "tile": [tile, 0], "core": index},
               "compartments": 10, "synapses": 100, "utilisation": utilisation,
               "synaptic_ops": 1000, "spikes": 10})
    };
    json!({
        "target": "loihi", "arithmetic": "hardware",
        "system": {"chips": 1, "tiles": 2, "cores": 4, "compartments": 40, "synapses": 400,
                   "barrier_ps": 113000,
                   "mesh": {"tiles": [8, 4], "cores_per_tile": 4, "chips": [1, 1, 1]}},
        "totals": {"time_ps": 5000000, "time_per_step_ns": 5.0, "real_time_factor": 0.05,
                   "energy_pj": 1.0e6, "dynamic_energy_pj": 5.0e5, "energy_per_step_nj": 1.0,
                   "counts": {"synaptic_ops": 4000, "active_updates": 400}},
        "operations": [
            {"operation": "synaptic_ops", "energy_pj": 6.0e5, "share": 0.6},
            {"operation": "static_power", "energy_pj": 4.0e5, "share": 0.4},
        ],
        "neurobench": {"synaptic_operations": 4000.0},
        "cores": [core("c0", 0, 0, 0.8), core("c1", 0, 1, 0.4), core("c4", 1, 0, 0.4),
                  core("c5", 1, 1, 0.4)],
        "per_step": {"time_ps": (0..1000).map(|i| 4000 + (i % 7) * 300).collect::<Vec<_>>(),
                     "energy_pj": vec![1000.0; 1000], "spikes": vec![1; 1000]},
    })
}

#[test]
fn a_chip_run_shows_its_mesh_energy_and_step_times() {
    let run = run(regular(0, 10, 100), sine_trace(1.0), Some(chip()));
    let figures = figures(&run);
    assert_eq!(&names(&figures)[5..], ["core_map", "energy", "step_time"]);
    let map = figure(&figures, "core_map");
    assert!(
        map.caption.contains("the busiest, c0, 80.0 %"),
        "{}",
        map.caption
    );
    let (_, _, pixels) = decode(&map.png().expect("a PNG"));
    // The busiest core is drawn in the top of the colour scale (viridis
    // yellow), the three at half its load in the scale's middle (halfway
    // between viridis's 4th and 5th colours), three times the area.
    let yellow = count_colour(&pixels, [254, 232, 37]);
    let middle = count_colour(&pixels, [35, 145, 140]);
    assert!(yellow > 500, "{yellow}");
    assert!(middle > 2 * yellow, "{middle} {yellow}");
}

#[test]
fn the_page_inlines_every_figure_and_fetches_nothing() {
    let run = run(regular(0, 10, 100), sine_trace(1.0), Some(chip()));
    let figures = figures(&run);
    let rendered: Vec<(Figure, String)> = figures
        .into_iter()
        .map(|f| {
            let svg = f.svg().expect("an SVG");
            (f, svg)
        })
        .collect();
    let html = page(&run, &rendered);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<figure").count(), rendered.len());
    assert_eq!(html.matches("<svg").count(), rendered.len());
    assert!(!html.contains("<?xml"));
    assert!(!html.contains("<script"));
    assert!(no_fetch(&html));
    for (f, _) in &rendered {
        assert!(html.contains(&format!("href=\"plots/{}.png\"", f.name)));
    }
    assert!(html.contains("Energy by operation"));
    assert!(html.contains("c0"));
}

/// Whether nothing in `html` is loaded from elsewhere: no `src`
/// attribute, no stylesheet link, no `url(` in styles (the SVG namespace
/// URI is a name, not a fetch).
fn no_fetch(html: &str) -> bool {
    !html.contains(" src=") && !html.contains("<link") && !html.contains("url(")
}
