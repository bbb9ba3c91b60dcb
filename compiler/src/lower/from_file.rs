//! `from_file("synapses.csv")`: a projection's synapses listed in a CSV file.
//!
//! The file has a header naming its columns: `pre,post` and optionally
//! `weight` (a dimensionless multiplier of the projection's `weight`, like a
//! `dense` entry) and `delay_ms` (the delay in milliseconds). `pre` and
//! `post` are neuron indices within the projection's pre and post ranges.

use super::connect::directory_of;
use super::network::NetworkBuilder;
use super::value::{Report, Value, eval};
use crate::diagnostic::Diagnostic;
use crate::front::ast::Expr;
use neurc_ir::Rule;

/// The columns a synapse file may have.
const COLUMNS: [&str; 4] = ["pre", "post", "weight", "delay_ms"];

/// Reads the file named by `e` into a list rule; whether its indices fit a
/// projection's neurons is checked per projection.
pub fn read(b: &mut NetworkBuilder<'_>, e: &Expr) -> Option<Rule> {
    let value = b.diagnostics.ok(eval(e, b.consts))?;
    let Value::Str(path) = value else {
        b.diagnostics.push(
            Diagnostic::error(
                "neurc::connect::file_path",
                "`from_file` needs a file path in quotes",
            )
            .label(e.loc.0, "not a string")
            .help("e.g. `from_file(\"synapses.csv\")`, relative to this file's folder"),
        );
        return None;
    };
    let full = directory_of(b, e.loc.0).join(&path);
    let text = match std::fs::read_to_string(&full) {
        Ok(text) => text,
        Err(error) => {
            b.diagnostics.push(
                Diagnostic::error(
                    "neurc::connect::file_unreadable",
                    format!("cannot read `{path}`: {error}"),
                )
                .label(e.loc.0, "this file")
                .help(format!(
                    "paths are relative to the folder of the file that names them; looked for `{}`",
                    full.display()
                )),
            );
            return None;
        }
    };
    match parse(&text) {
        Ok((pairs, weights, delays)) => Some(Rule::List {
            path,
            pairs,
            weights,
            delays,
        }),
        Err(message) => {
            b.diagnostics.push(
                Diagnostic::error("neurc::connect::file_format", format!("`{path}`: {message}"))
                    .label(e.loc.0, "in this file")
                    .help("the file needs a header `pre,post` (optionally `,weight` and `,delay_ms`) and one synapse per line"),
            );
            None
        }
    }
}

type Columns = (Vec<(u32, u32)>, Option<Vec<f64>>, Option<Vec<f64>>);

/// Parses the CSV text; errors name the line.
fn parse(text: &str) -> Result<Columns, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or("the file is empty")?;
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let column = |name: &str| names.iter().position(|n| *n == name);
    if let Some(unknown) = names.iter().find(|n| !COLUMNS.contains(n)) {
        return Err(format!(
            "line 1: unknown column `{unknown}` (columns: {})",
            COLUMNS.join(", ")
        ));
    }
    let (Some(pre_col), Some(post_col)) = (column("pre"), column("post")) else {
        return Err("line 1: the header must name the columns `pre` and `post`".into());
    };
    let (weight_col, delay_col) = (column("weight"), column("delay_ms"));
    let mut pairs = Vec::new();
    let mut weights = weight_col.map(|_| Vec::new());
    let mut delays = delay_col.map(|_| Vec::new());
    for (index, line) in lines {
        let n = index + 1;
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != names.len() {
            return Err(format!(
                "line {n}: {} fields, but the header has {}",
                fields.len(),
                names.len()
            ));
        }
        let neuron = |col: usize| -> Result<u32, String> {
            fields[col]
                .parse()
                .map_err(|_| format!("line {n}: `{}` is not a neuron index", fields[col]))
        };
        let number = |col: usize| -> Result<f64, String> {
            fields[col]
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("line {n}: `{}` is not a finite number", fields[col]))
        };
        pairs.push((neuron(pre_col)?, neuron(post_col)?));
        if let (Some(col), Some(w)) = (weight_col, weights.as_mut()) {
            w.push(number(col)?);
        }
        if let (Some(col), Some(d)) = (delay_col, delays.as_mut()) {
            let ms = number(col)?;
            if ms < 0.0 {
                return Err(format!("line {n}: a delay cannot be negative"));
            }
            d.push(ms * 1e-3);
        }
    }
    Ok((pairs, weights, delays))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_pairs_weights_and_delays() {
        let (pairs, w, d) = parse("pre,post,weight,delay_ms\n0,1,2.5,1.5\n2,0,-1,1\n").unwrap();
        assert_eq!(pairs, vec![(0, 1), (2, 0)]);
        assert_eq!(w, Some(vec![2.5, -1.0]));
        assert_eq!(d, Some(vec![1.5e-3, 1e-3]));
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            parse("pre,post\n0,1\n0,x\n").unwrap_err(),
            "line 3: `x` is not a neuron index"
        );
        assert!(
            parse("pre,post,w\n")
                .unwrap_err()
                .contains("unknown column `w`")
        );
        assert!(parse("").is_err());
    }
}
