//! The recorded spikes as one table, `spikes.csv` and `spikes.npy`.
//!
//! Probes may overlap (the same population recorded twice, or ranges that
//! share neurons); each neuron's spikes are taken from the first probe, in
//! probe order, that covers it, so no spike appears twice. The table is
//! ordered by step, then population (in the network's order), then neuron,
//! and a neuron that spikes `k` times in a step (a counting source) has `k`
//! rows.

use crate::instance::SpikeProbe;
use crate::output::RunLayout;
use crate::output::clock::Clock;
use crate::recording::{Recording, SpikeEvents};
use neurc_ir::NeuronRange;
use npyz::{DType, TypeWrite, WriterBuilder};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

/// One row of the spike table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) struct Spike {
    pub(crate) step: u64,
    /// Index of the population in [`Instance::populations`].
    pub(crate) population: usize,
    /// Index of the neuron within its population.
    pub(crate) neuron: u32,
}

/// One probe's events, with the neurons an earlier probe already covers.
struct Cursor<'a> {
    population: usize,
    events: &'a SpikeEvents,
    next: usize,
    covered_before: Vec<NeuronRange>,
}

impl Cursor<'_> {
    /// The next event of a neuron no earlier probe covers.
    fn advance(&mut self) -> Option<Spike> {
        while self.next < self.events.steps.len().min(self.events.neurons.len()) {
            let index = self.next;
            self.next += 1;
            let neuron = self.events.neurons[index];
            if !self
                .covered_before
                .iter()
                .any(|r| r.start <= neuron && neuron < r.end)
            {
                return Some(Spike {
                    step: self.events.steps[index],
                    population: self.population,
                    neuron,
                });
            }
        }
        None
    }
}

/// Every recorded spike once, in table order: a k-way merge of the probes'
/// event lists (each already in (step, neuron) order), so the table is
/// never held in memory.
pub(crate) struct MergedSpikes<'a> {
    cursors: Vec<Cursor<'a>>,
    heap: BinaryHeap<Reverse<(Spike, usize)>>,
}

impl<'a> MergedSpikes<'a> {
    /// The spikes of `recording`, whose spike lists belong to `probes`.
    pub(crate) fn new(probes: &[SpikeProbe], recording: &'a Recording) -> Self {
        let mut cursors: Vec<Cursor<'a>> = probes
            .iter()
            .zip(&recording.spikes)
            .enumerate()
            .map(|(index, (probe, events))| Cursor {
                population: probe.population,
                events,
                next: 0,
                covered_before: probes[..index]
                    .iter()
                    .filter(|earlier| earlier.population == probe.population)
                    .map(|earlier| earlier.neurons)
                    .collect(),
            })
            .collect();
        let heap = cursors
            .iter_mut()
            .enumerate()
            .filter_map(|(index, cursor)| cursor.advance().map(|spike| Reverse((spike, index))))
            .collect();
        MergedSpikes { cursors, heap }
    }
}

impl Iterator for MergedSpikes<'_> {
    type Item = Spike;

    fn next(&mut self) -> Option<Spike> {
        // Ties between probes cannot happen (their neurons are disjoint
        // once covered neurons are skipped); a counting source's repeated
        // rows come from one cursor and so stay together.
        let Reverse((spike, index)) = self.heap.pop()?;
        if let Some(next) = self.cursors[index].advance() {
            self.heap.push(Reverse((next, index)));
        }
        Some(spike)
    }
}

/// The recorded neurons of each population: the union of its probes'
/// ranges, sorted and disjoint.
pub(crate) fn recorded_ranges(instance: &RunLayout) -> Vec<Vec<NeuronRange>> {
    let mut ranges = vec![Vec::<NeuronRange>::new(); instance.populations.len()];
    for probe in &instance.spike_probes {
        if let Some(list) = ranges.get_mut(probe.population) {
            list.push(probe.neurons);
        }
    }
    for list in &mut ranges {
        list.retain(|r| r.start < r.end);
        list.sort_by_key(|r| r.start);
        let mut merged: Vec<NeuronRange> = Vec::with_capacity(list.len());
        for range in list.drain(..) {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        *list = merged;
    }
    ranges
}

/// A population name as a CSV field: quoted (RFC 4180) only if it has to be.
fn csv_field(name: &str) -> String {
    if name.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_owned()
    }
}

/// Writes `spikes.csv` and returns the number of rows.
pub(crate) fn write_csv(
    instance: &RunLayout,
    recording: &Recording,
    out: &mut impl Write,
) -> io::Result<u64> {
    let clock = Clock::new(instance.dt);
    let names: Vec<String> = instance
        .populations
        .iter()
        .map(|p| csv_field(&p.name))
        .collect();
    writeln!(out, "step,time_ms,population,neuron")?;
    let mut rows = 0;
    for spike in MergedSpikes::new(&instance.spike_probes, recording) {
        writeln!(
            out,
            "{},{},{},{}",
            spike.step,
            clock.time(spike.step),
            names[spike.population],
            spike.neuron
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// A row of `spikes.npy`.
struct NpyRow {
    step: u64,
    time_ms: f64,
    population: u16,
    neuron: u32,
}

/// The structured dtype of `spikes.npy`: little-endian and packed, so
/// `np.load` gives the same named columns on any machine.
const SPIKE_DESCR: &str =
    "[('step', '<u8'), ('time_ms', '<f8'), ('population', '<u2'), ('neuron', '<u4')]";

fn spike_dtype() -> io::Result<DType> {
    DType::parse(SPIKE_DESCR)
}

/// Writes [`NpyRow`]s in the layout of [`spike_dtype`] (npyz can derive
/// this, but only with a feature that pulls in a proc-macro crate).
struct NpyRowWriter;

impl TypeWrite for NpyRowWriter {
    type Value = NpyRow;

    fn write_one<W: Write>(&self, mut writer: W, row: &NpyRow) -> io::Result<()> {
        let mut bytes = [0u8; 22];
        bytes[0..8].copy_from_slice(&row.step.to_le_bytes());
        bytes[8..16].copy_from_slice(&row.time_ms.to_le_bytes());
        bytes[16..18].copy_from_slice(&row.population.to_le_bytes());
        bytes[18..22].copy_from_slice(&row.neuron.to_le_bytes());
        writer.write_all(&bytes)
    }
}

impl npyz::Serialize for NpyRow {
    type TypeWriter = NpyRowWriter;

    fn writer(dtype: &DType) -> Result<NpyRowWriter, npyz::DTypeError> {
        match spike_dtype() {
            Ok(expected) if expected == *dtype => Ok(NpyRowWriter),
            _ => Err(npyz::DTypeError::custom(format!(
                "a spike row is written as {SPIKE_DESCR}, not {}",
                dtype.descr()
            ))),
        }
    }
}

/// Writes `spikes.npy` with `rows` rows (the count [`write_csv`] returned:
/// the shape goes in the header, before the data). The population column
/// is an index into `report.json`'s `populations` list, which has the
/// network's order.
pub(crate) fn write_npy(
    instance: &RunLayout,
    recording: &Recording,
    rows: u64,
    out: &mut impl Write,
) -> io::Result<()> {
    let clock = Clock::new(instance.dt);
    let mut writer = npyz::WriteOptions::<NpyRow>::new()
        .dtype(spike_dtype()?)
        .shape(&[rows])
        .writer(out)
        .begin_nd()?;
    for spike in MergedSpikes::new(&instance.spike_probes, recording) {
        writer.push(&NpyRow {
            step: spike.step,
            time_ms: clock.milliseconds(spike.step),
            // `write_run` has checked that every index fits.
            population: spike.population as u16,
            neuron: spike.neuron,
        })?;
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_only_when_csv_needs_it() {
        assert_eq!(csv_field("exc"), "exc");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
