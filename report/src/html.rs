//! The run's report as one HTML file: its plots inlined as SVG, its tables
//! as HTML, no script and nothing fetched, so it reads the same offline,
//! in any browser, years later.

use crate::figure::{Figure, words};
use crate::mapping::Mapping;
use crate::run::{ChipReport, Run};
use std::fmt::Write;

/// Rows of the table of the busiest cores.
const BUSIEST_CORES: usize = 10;

/// The page of `run`, with `figures` and their SVG documents.
pub fn page(run: &Run, figures: &[(Figure, String)]) -> String {
    let m = &run.manifest;
    let r = &run.report;
    let input = m
        .inputs
        .first()
        .map_or("a compiled image", |i| i.path.as_str());
    let lead = format!(
        "{}, {}, {} steps of {} ms ({} s simulated), seed {}, {} thread(s).",
        m.target,
        m.precision,
        m.steps,
        number(run.dt_ms()),
        number(m.duration_s),
        m.seed,
        r.threads,
    );
    let mut nav = vec![("summary", "Summary")];
    if r.chip.is_some() {
        nav.push(("chip", "Chip"));
    }
    if run.mapping.is_some() {
        nav.extend([("resources", "Resources"), ("quantization", "Quantization")]);
    }
    nav.extend([("plots", "Plots"), ("manifest", "Manifest")]);
    let mut body = String::new();
    summary(&mut body, run);
    if let Some(chip) = &r.chip {
        chip_tables(&mut body, chip);
    }
    if let Some(mapping) = &run.mapping {
        resource_tables(&mut body, mapping);
        quantization_tables(&mut body, mapping);
    }
    plots(&mut body, figures);
    manifest(&mut body, run);
    let source = format!("the run in {}", run.dir.display());
    document(input, &lead, &nav, &body, &m.neurc, &source)
}

/// The page of a chip mapping, with `figures` and their SVG documents.
pub fn mapping_page(mapping: &Mapping, figures: &[(Figure, String)]) -> String {
    let r = &mapping.resources;
    let lead = format!(
        "Mapped onto {}: {} of {} cores on {} tiles of {} chip(s), {} synapses.",
        r.target,
        grouped(r.cores_used),
        grouped(r.cores_available),
        r.tiles_used,
        r.chips_used,
        grouped(r.synapses)
    );
    let nav = [
        ("resources", "Resources"),
        ("quantization", "Quantization"),
        ("plots", "Plots"),
    ];
    let mut body = String::new();
    resource_tables(&mut body, mapping);
    quantization_tables(&mut body, mapping);
    plots(&mut body, figures);
    let title = format!("Chip mapping in {}", mapping.dir.display());
    let source = format!("the mapping in {}", mapping.dir.display());
    document(
        &title,
        &lead,
        &nav,
        &body,
        env!("CARGO_PKG_VERSION"),
        &source,
    )
}

/// A whole page: its head, `title`, `lead`, links to the `nav` sections
/// (id, name), `body` and a footer naming the version and the source.
fn document(
    title: &str,
    lead: &str,
    nav: &[(&str, &str)],
    body: &str,
    version: &str,
    source: &str,
) -> String {
    let links: Vec<String> = nav
        .iter()
        .map(|(id, name)| format!("<a href=\"#{id}\">{}</a>", escape(name)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>neurc: {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>{title}</h1><p class=\"lead\">{lead}</p></header>\n\
         <nav>{links}</nav>\n{body}\
         <footer>Written by neurc {version} from {source}.</footer>\n</body>\n</html>\n",
        title = escape(title),
        lead = escape(lead),
        links = links.join(" · "),
        version = escape(version),
        source = escape(source),
    )
}

/// The plots, each inlined with its caption and links to its files.
fn plots(out: &mut String, figures: &[(Figure, String)]) {
    out.push_str("<section id=\"plots\"><h2>Plots</h2>\n");
    if figures.is_empty() {
        out.push_str("<p>Nothing was recorded to plot.</p>\n");
    }
    for (figure, svg) in figures {
        let _ = write!(
            out,
            "<figure id=\"{name}\"><h3>{title}</h3>\n{svg}\n<figcaption>{caption} \
             <a href=\"plots/{name}.svg\">SVG</a> · <a href=\"plots/{name}.png\">PNG</a>\
             </figcaption></figure>\n",
            name = escape(&figure.name),
            title = escape(&figure.title),
            svg = strip_xml_declaration(svg),
            caption = escape(&figure.caption),
        );
    }
    out.push_str("</section>\n");
}

/// Where the network went: populations, and each resource's use.
fn resource_tables(out: &mut String, mapping: &Mapping) {
    let r = &mapping.resources;
    out.push_str("<section id=\"resources\"><h2>Resources</h2>\n");
    let rows = r.populations.iter().map(|p| {
        vec![
            p.population.clone(),
            grouped(u64::from(p.neurons)),
            p.compartments_per_neuron.to_string(),
            grouped(p.cores),
            words(&p.binding),
        ]
    });
    table(
        out,
        "Populations on cores",
        &[
            "population",
            "neurons",
            "compartments per neuron",
            "cores",
            "binding limit",
        ],
        rows,
    );
    let rows = r.limits.iter().map(|(resource, &limit)| {
        let total = r.totals.get(resource).copied().unwrap_or(0);
        let capacity = limit.saturating_mul(r.cores_used).max(1);
        vec![
            words(resource),
            grouped(total),
            grouped(limit),
            format!("{:.1} %", 100.0 * total as f64 / capacity as f64),
        ]
    });
    table(
        out,
        "Resources of the cores in use",
        &[
            "resource",
            "used in all",
            "limit per core",
            "use of the cores in use",
        ],
        rows,
    );
    out.push_str("</section>\n");
}

/// What quantization did to the parameters and the weights.
fn quantization_tables(out: &mut String, mapping: &Mapping) {
    let q = &mapping.quantization;
    out.push_str("<section id=\"quantization\"><h2>Quantization</h2>\n");
    for p in &q.populations {
        let rows = p.parameters.iter().map(|x| {
            vec![
                x.name.clone(),
                number(x.float),
                x.fixed.to_string(),
                number(x.effective),
                format!("{:.2e}", x.relative_error),
            ]
        });
        let caption = format!("{} ({})", p.population, p.model);
        table(
            out,
            &caption,
            &[
                "parameter",
                "asked for",
                "stored",
                "effective",
                "relative error",
            ],
            rows,
        );
    }
    let rows = q.projections.iter().map(|p| {
        vec![
            p.projection.clone(),
            grouped(p.synapses),
            format!(
                "{}, {} bits, exponent {}, delay {} bits",
                p.sign_mode.to_lowercase(),
                p.weight_bits,
                p.weight_exponent,
                p.delay_bits
            ),
            format!("{:.2e}", p.max_relative_error),
            format!("{:.2e}", p.rms_relative_error),
            grouped(p.clipped),
            grouped(p.rounded_to_zero),
        ]
    });
    table(
        out,
        "Weights",
        &[
            "projection",
            "synapses",
            "format",
            "max relative error",
            "rms relative error",
            "clipped",
            "rounded to zero",
        ],
        rows,
    );
    out.push_str("</section>\n");
}

/// The summary: the run's counts, wall times, populations, projections.
fn summary(out: &mut String, run: &Run) {
    let r = &run.report;
    out.push_str("<section id=\"summary\"><h2>Summary</h2>\n");
    let mut facts: Vec<(String, String)> = r
        .counts
        .iter()
        .map(|(k, v)| (words(k), grouped(*v)))
        .collect();
    facts.extend(
        r.wall_s
            .iter()
            .map(|(k, v)| (format!("wall time: {k}"), format!("{v:.3} s"))),
    );
    facts.extend(r.memory.iter().map(|(k, v)| (words(k), memory(k, *v))));
    table(
        out,
        "Run",
        &["figure", "value"],
        facts.iter().map(|(k, v)| vec![k.clone(), v.clone()]),
    );
    let populations = r.populations.iter().map(|p| {
        vec![
            p.name.clone(),
            p.model.clone(),
            grouped(u64::from(p.size)),
            if p.source { "yes" } else { "no" }.to_string(),
            grouped(p.spikes),
            format!("{:.3}", p.rate_hz),
            p.cv_isi.map_or("–".to_string(), |c| format!("{c:.3}")),
            grouped(u64::from(p.recorded)),
        ]
    });
    table(
        out,
        "Populations",
        &[
            "population",
            "model",
            "neurons",
            "source",
            "spikes",
            "rate (Hz)",
            "CV of ISI",
            "recorded",
        ],
        populations,
    );
    if !r.projections.is_empty() {
        let projections = r.projections.iter().map(|p| {
            vec![
                p.name.clone(),
                grouped(p.synapses),
                grouped(p.synaptic_events),
            ]
        });
        table(
            out,
            "Projections",
            &["projection", "synapses", "synaptic events"],
            projections,
        );
    }
    out.push_str("</section>\n");
}

/// The chip's resources, time, energy and busiest cores.
fn chip_tables(out: &mut String, chip: &ChipReport) {
    let _ = writeln!(
        out,
        "<section id=\"chip\"><h2>Chip: {} in {} arithmetic</h2>",
        escape(&chip.target),
        escape(&chip.arithmetic)
    );
    let s = &chip.system;
    let t = &chip.totals;
    let resources = [
        ("chips", grouped(u64::from(s.chips))),
        ("tiles", grouped(u64::from(s.tiles))),
        ("cores", grouped(u64::from(s.cores))),
        ("compartments", grouped(s.compartments)),
        ("synapses", grouped(s.synapses)),
        ("barrier", format!("{:.1} ns", s.barrier_ps as f64 * 1e-3)),
        ("chip time", format!("{:.3} ms", t.time_ps as f64 * 1e-9)),
        (
            "chip time per step",
            format!("{:.1} ns", t.time_per_step_ns),
        ),
        (
            "chip time over simulated time",
            format!("{:.4}", t.real_time_factor),
        ),
        ("energy", format!("{:.3} µJ", t.energy_pj * 1e-6)),
        (
            "dynamic energy",
            format!("{:.3} µJ", t.dynamic_energy_pj * 1e-6),
        ),
        ("energy per step", format!("{:.2} nJ", t.energy_per_step_nj)),
    ];
    table(
        out,
        "Resources, time and energy",
        &["figure", "value"],
        resources
            .iter()
            .map(|(k, v)| vec![k.to_string(), v.clone()]),
    );
    let mut operations: Vec<_> = chip.operations.iter().collect();
    operations.sort_by(|a, b| b.share.total_cmp(&a.share));
    let rows = operations.iter().map(|o| {
        vec![
            words(&o.operation),
            o.count.map_or("–".to_string(), grouped),
            format!("{:.3}", o.energy_pj * 1e-6),
            format!("{:.1} %", o.share * 100.0),
        ]
    });
    table(
        out,
        "Energy by operation",
        &["operation", "count", "energy (µJ)", "share"],
        rows,
    );
    let rows = chip
        .neurobench
        .iter()
        .map(|(k, v)| vec![words(k), number(*v)]);
    table(out, "NeuroBench figures", &["figure", "value"], rows);
    let mut cores: Vec<_> = chip.cores.iter().collect();
    cores.sort_by(|a, b| b.utilisation.total_cmp(&a.utilisation));
    let rows = cores.iter().take(BUSIEST_CORES).map(|c| {
        vec![
            c.core.clone(),
            format!("{:.1} %", c.utilisation * 100.0),
            grouped(u64::from(c.compartments)),
            grouped(c.synapses),
            grouped(c.synaptic_ops),
            grouped(c.spikes),
        ]
    });
    let caption = format!(
        "The busiest cores ({} of {})",
        cores.len().min(BUSIEST_CORES),
        cores.len()
    );
    table(
        out,
        &caption,
        &[
            "core",
            "busy",
            "compartments",
            "synapses",
            "synaptic ops",
            "spikes",
        ],
        rows,
    );
    out.push_str("</section>\n");
}

/// What ran, from which files, and what the run wrote.
fn manifest(out: &mut String, run: &Run) {
    let m = &run.manifest;
    out.push_str("<section id=\"manifest\"><h2>Manifest</h2>\n");
    let files = m
        .inputs
        .iter()
        .map(|f| ("input", f))
        .chain(m.outputs.iter().map(|f| ("output", f)));
    table(
        out,
        "Files (blake3 digests)",
        &["role", "file", "blake3"],
        files.map(|(role, f)| vec![role.to_string(), f.path.clone(), f.blake3.clone()]),
    );
    if !m.overrides.is_empty() {
        let rows = m.overrides.iter().map(|o| vec![o.to_string()]);
        table(out, "Overrides (--set)", &["override"], rows);
    }
    out.push_str("</section>\n");
}

/// An HTML table with a caption.
fn table(
    out: &mut String,
    caption: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) {
    let _ = write!(
        out,
        "<table><caption>{}</caption>\n<thead><tr>",
        escape(caption)
    );
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// `text` with the characters HTML gives a meaning escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An SVG document without its XML declaration, to inline in HTML.
fn strip_xml_declaration(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map_or(svg, |(_, body)| body.trim_start()),
        None => svg,
    }
}

/// An integer with thin spaces between groups of three digits.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

/// A real number in a short, exact-enough form.
fn number(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{x:.0}")
    } else if x.abs() >= 0.01 {
        format!("{x:.4}").trim_end_matches('0').to_string()
    } else {
        format!("{x:.4e}")
    }
}

/// A memory figure: bytes in MB, other figures as numbers.
fn memory(key: &str, value: f64) -> String {
    if key.ends_with("_bytes") {
        format!("{:.1} MB", value / 1e6)
    } else {
        number(value)
    }
}

const STYLE: &str = "
body { font-family: 'DejaVu Sans', Verdana, sans-serif; margin: 0 auto; max-width: 1000px;
       padding: 0 16px 32px; color: #1a1a1a; background: #fff; line-height: 1.45; }
header h1 { font-size: 1.5em; margin: 24px 0 4px; word-break: break-all; }
.lead { margin: 0 0 8px; color: #444; }
nav { margin: 8px 0 16px; font-size: 0.95em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 1.1em; margin: 16px 0 4px; }
table { border-collapse: collapse; margin: 12px 0 20px; font-size: 0.9em; }
caption { text-align: left; font-weight: bold; padding-bottom: 4px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
td { font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
figure { margin: 16px 0 28px; }
figure svg { max-width: 100%; height: auto; display: block; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #333; margin-top: 4px; }
footer { margin-top: 32px; font-size: 0.85em; color: #666; }
code { font-size: 0.95em; }
";
