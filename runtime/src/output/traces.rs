//! Recorded state traces, one `.npy` file per trace probe: `f64`, shape
//! `(steps, neurons)`, C order, row `t` holding the values at the end of
//! step `t` of the probe's neurons in ascending order.

use crate::output::RunLayout;
use npyz::WriterBuilder;
use std::collections::HashSet;
use std::io::{self, Write};

/// The file name of each trace probe: `<population>_<variable>.npy`, with
/// characters that are not safe in a file name replaced by `_`, and `_2`,
/// `_3`, … added to names already taken (two probes of one variable, or
/// names that collide once cleaned).
pub(crate) fn file_names(instance: &RunLayout) -> Vec<String> {
    let mut taken = HashSet::new();
    instance
        .trace_probes
        .iter()
        .map(|probe| {
            let population = instance
                .populations
                .get(probe.population)
                .map_or("population", |p| p.name.as_str());
            let stem = format!("{}_{}", clean(population), clean(&probe.variable));
            let mut name = format!("{stem}.npy");
            let mut suffix = 2;
            while !taken.insert(name.clone()) {
                name = format!("{stem}_{suffix}.npy");
                suffix += 1;
            }
            name
        })
        .collect()
}

/// Keeps letters, digits, `-` and `_`; anything else (a path separator, a
/// dot of a qualified name, a space) becomes `_`.
fn clean(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes one trace of `steps × neurons` values (step-major) as `.npy`:
/// `float64`, or `int64` for a chip's registers (whole numbers below 2^53
/// in magnitude, so the conversion is exact).
pub(crate) fn write_npy(
    values: &[f64],
    steps: u64,
    neurons: u32,
    integer: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let shape = [steps, u64::from(neurons)];
    if integer {
        let mut writer = npyz::WriteOptions::<i64>::new()
            .dtype(npyz::DType::parse("'<i8'")?)
            .shape(&shape)
            .writer(out)
            .begin_nd()?;
        writer.extend(values.iter().map(|&v| v as i64))?;
        return writer.finish();
    }
    let mut writer = npyz::WriteOptions::<f64>::new()
        .dtype(npyz::DType::parse("'<f8'")?)
        .shape(&shape)
        .writer(out)
        .begin_nd()?;
    writer.extend(values.iter().copied())?;
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::small_network;

    #[test]
    fn names_are_cleaned_and_made_unique() {
        let (mut instance, _) = small_network();
        let probe = instance.trace_probes[0].clone();
        instance.trace_probes.push(probe.clone());
        instance.trace_probes.push(probe);
        instance.populations[1].name = "a/b".to_owned();
        let mut probe = instance.trace_probes[0].clone();
        probe.population = 1;
        probe.variable = "v.x".to_owned();
        instance.trace_probes.push(probe);
        instance.populations[2].name = "a_b".to_owned();
        let mut probe = instance.trace_probes[0].clone();
        probe.population = 2;
        instance.trace_probes.push(probe);
        assert_eq!(
            file_names(&crate::output::RunLayout::of(&instance)),
            [
                "exc_v.npy",
                "a_b_v.npy",
                "exc_v_2.npy",
                "exc_v_3.npy",
                "a_b_v_x.npy",
                "a_b_v_2.npy"
            ]
        );
    }
}
