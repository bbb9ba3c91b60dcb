//! Reading the model and compiling it, with diagnostics printed the way the
//! user asked.

use crate::Outcome;
use crate::args::ModelArgs;
use crate::output::print_diagnostics;
use neurc_compiler::diagnostic::Diagnostic;
use neurc_compiler::lower::{self, Compilation};
use neurc_ir::Network;

/// Reads and compiles the model; on any error prints the diagnostics and
/// returns the exit outcome.
pub fn compile(args: &ModelArgs) -> Result<(Compilation, Network), Outcome> {
    let text = read(&args.file, args.json)?;
    let options = lower::Options {
        overrides: args.overrides.clone(),
        allow_imports_outside: args.allow_imports_outside,
    };
    let mut compilation = lower::compile(&args.file, &text, &options);
    match compilation.network.take() {
        Some(network) => Ok((compilation, network)),
        None => {
            print_diagnostics(&compilation.diagnostics, &compilation.sources, args.json);
            Err(Outcome::UserError)
        }
    }
}

/// Reads a source file, reporting an unreadable one as a user error.
pub fn read(path: &std::path::Path, json: bool) -> Result<String, Outcome> {
    std::fs::read_to_string(path).map_err(|error| {
        let d = Diagnostic::error(
            "neurc::io::read",
            format!("cannot read `{}`: {error}", path.display()),
        )
        .help("check the path; model files are UTF-8 text");
        print_diagnostics(&[d], &Default::default(), json);
        Outcome::UserError
    })
}

/// Parses a size such as `4GiB`, `500 MB`, `1e9` into bytes.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let number = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[number.len()..];
    let number: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size: write e.g. 4GiB, 500MB or 1000000"))?;
    let scale = match unit.trim() {
        "" | "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit `{other}`: use B, kB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    let bytes = number * scale;
    if !(0.0..=u64::MAX as f64).contains(&bytes) {
        return Err(format!("`{text}` is not a size"));
    }
    Ok(bytes as u64)
}

/// Parses a time such as `1s`, `200 ms` or `0.5 s` into seconds.
pub fn parse_time(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let number = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let symbol = text[number.len()..].trim();
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a time: write e.g. 1s, 200ms or \"500 ms\""))?;
    let unit = neurc_ir::units::lookup_unit(symbol)
        .filter(|u| u.dimension == neurc_ir::Dimension::TIME)
        .ok_or_else(|| format!("`{text}` needs a time unit: s, ms or us"))?;
    let seconds = value * unit.scale;
    if !(seconds.is_finite() && seconds >= 0.0) {
        return Err(format!("`{text}` is not a duration >= 0"));
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::{parse_bytes, parse_time};

    #[test]
    fn times_take_a_unit_with_or_without_a_space() {
        assert_eq!(parse_time("1s"), Ok(1.0));
        assert_eq!(parse_time("200 ms"), Ok(0.2));
        assert!(parse_time("200").is_err());
        assert!(parse_time("2 mV").is_err());
        assert!(parse_time("-1 s").is_err());
    }

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_bytes("4GiB"), Ok(4 << 30));
        assert_eq!(parse_bytes("500 MB"), Ok(500_000_000));
        assert_eq!(parse_bytes("1e3"), Ok(1000));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5 parsecs").is_err());
    }
}
