//! What a chip run's report shows: where the load sits on the mesh, where
//! the energy went, and how long each step took.

use crate::figure::{DrawResult, Figure, Plot, axis_top, draw_axes, population_colour, text, tick};
use crate::run::{ChipMesh, ChipReport};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Points of the time-per-step line before steps are grouped.
const STEP_POINTS: usize = 1_000;

/// The mesh of the cores in use, coloured by utilisation.
struct CoreMap {
    /// Per cell (column, row) of a core in use, its utilisation.
    cells: Vec<(u32, u32, f64)>,
    columns: u32,
    rows: u32,
    /// Cells per tile along x and y: tile borders are drawn every so many.
    tile_cells: (u32, u32),
    highest: f64,
}

/// The core map, if the report places its cores.
pub(crate) fn core_map(chip: &ChipReport) -> Option<Figure> {
    let mesh = chip.system.mesh?;
    let side = (f64::from(mesh.cores_per_tile).sqrt().ceil() as u32).max(1);
    let tile_rows = mesh.cores_per_tile.div_ceil(side);
    let placed: Vec<([u32; 3], u32, f64)> = chip
        .cores
        .iter()
        .filter_map(|c| {
            let l = c.location?;
            let tile = global_tile(&mesh, l.chip, l.tile);
            Some((tile, l.core, c.utilisation))
        })
        .collect();
    if placed.is_empty() {
        return None;
    }
    let low = |axis: usize| placed.iter().map(|p| p.0[axis]).min().unwrap_or(0);
    let high = |axis: usize| placed.iter().map(|p| p.0[axis]).max().unwrap_or(0);
    let (x0, y0, z0) = (low(0), low(1), low(2));
    let (tiles_x, tiles_y) = (high(0) - x0 + 1, high(1) - y0 + 1);
    let layers = high(2) - z0 + 1;
    let cells: Vec<(u32, u32, f64)> = placed
        .iter()
        .map(|&(tile, core, utilisation)| {
            let column = (tile[0] - x0) * side + core % side;
            let layer_row = ((tile[2] - z0) * tiles_y + (tile[1] - y0)) * tile_rows;
            (column, layer_row + core / side, utilisation)
        })
        .collect();
    let highest = cells.iter().map(|c| c.2).fold(0.0f64, f64::max);
    let busiest = chip
        .cores
        .iter()
        .max_by(|a, b| a.utilisation.total_cmp(&b.utilisation));
    let caption = format!(
        "{} cores in use on {} tiles of {} chip(s); each cell a core, each outlined block a tile \
         of {} cores (x east, y north{}). Colour: the share of the run's chip time the core was \
         busy; the busiest, {}, {:.1} %. Grey: cores not in use.",
        chip.system.cores,
        chip.system.tiles,
        chip.system.chips,
        mesh.cores_per_tile,
        if layers > 1 {
            ", chip layers stacked upwards"
        } else {
            ""
        },
        busiest.map_or("none", |c| c.core.as_str()),
        highest * 100.0
    );
    let (columns, rows) = (tiles_x * side, tiles_y * tile_rows * layers);
    let cell = (760 / columns).min(560 / rows).clamp(2, 40);
    let width = columns * cell + 200;
    let height = rows * cell + 90;
    let plot = CoreMap {
        cells,
        columns,
        rows,
        tile_cells: (side, tile_rows),
        highest,
    };
    Some(Figure::new(
        "core_map",
        "Load on the mesh",
        caption,
        (width, height),
        plot,
    ))
}

/// A tile's coordinates on the system-wide mesh.
fn global_tile(mesh: &ChipMesh, chip: [u32; 3], tile: [u32; 2]) -> [u32; 3] {
    [
        chip[0] * mesh.tiles[0] + tile[0],
        chip[1] * mesh.tiles[1] + tile[1],
        chip[2],
    ]
}

impl Plot for CoreMap {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let width = area.dim_in_pixel().0;
        let (map, bar) = area.split_horizontally(width.saturating_sub(120));
        let mut chart = ChartBuilder::on(&map)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0u32..self.columns, 0u32..self.rows)?;
        let (tx, ty) = self.tile_cells;
        let tile_x = |c: &u32| {
            if c.is_multiple_of(tx) {
                (c / tx).to_string()
            } else {
                String::new()
            }
        };
        let tile_y = |c: &u32| {
            if c.is_multiple_of(ty) {
                (c / ty).to_string()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(self.columns as usize + 1)
            .y_labels(self.rows as usize + 1)
            .x_label_formatter(&tile_x)
            .y_label_formatter(&tile_y)
            .x_desc("tile, east")
            .y_desc("tile, north")
            .label_style(text(11))
            .axis_desc_style(text(12))
            .draw()?;
        let grey = RGBColor(225, 225, 225);
        chart.draw_series((0..self.columns).flat_map(|x| {
            (0..self.rows).map(move |y| Rectangle::new([(x, y), (x + 1, y + 1)], grey.filled()))
        }))?;
        let top = self.highest.max(1e-12);
        chart.draw_series(self.cells.iter().map(|&(x, y, u)| {
            let colour = ViridisRGB.get_color_normalized(u as f32, 0.0, top as f32);
            Rectangle::new([(x, y), (x + 1, y + 1)], colour.filled())
        }))?;
        let tiles = (0..self.columns.div_ceil(tx)).flat_map(|i| {
            (0..self.rows.div_ceil(ty)).map(move |j| {
                let corner = (i * tx, j * ty);
                let far = ((i + 1) * tx, (j + 1) * ty);
                Rectangle::new([corner, far], WHITE.stroke_width(2))
            })
        });
        chart.draw_series(tiles)?;
        colour_bar(&bar, top)
    }
}

/// A vertical bar of the colour scale from 0 to `top` (a utilisation).
fn colour_bar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, top: f64) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_right(40)
        .x_label_area_size(28)
        .y_label_area_size(0)
        .right_y_label_area_size(48)
        .build_cartesian_2d(0.0..1.0, 0.0..top * 100.0)?
        .set_secondary_coord(0.0..1.0, 0.0..top * 100.0);
    chart
        .configure_secondary_axes()
        .y_desc("busy (%)")
        .y_label_formatter(&tick)
        .label_style(text(11))
        .axis_desc_style(text(12))
        .draw()?;
    let steps = 100;
    chart.draw_series((0..steps).map(|i| {
        let (a, b) = (i as f64 / steps as f64, (i + 1) as f64 / steps as f64);
        let colour = ViridisRGB.get_color(a as f32);
        Rectangle::new(
            [(0.0, a * top * 100.0), (1.0, b * top * 100.0)],
            colour.filled(),
        )
    }))?;
    Ok(())
}

/// Energy by operation, as bars of its share.
struct EnergyBars {
    /// (operation, share, energy µJ), largest first.
    parts: Vec<(String, f64, f64)>,
}

/// The energy figure.
pub(crate) fn energy(chip: &ChipReport) -> Option<Figure> {
    let mut parts: Vec<(String, f64, f64)> = chip
        .operations
        .iter()
        .filter(|o| o.energy_pj > 0.0)
        .map(|o| (o.operation.clone(), o.share, o.energy_pj * 1e-6))
        .collect();
    if parts.is_empty() {
        return None;
    }
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    let caption = format!(
        "Where the run's {:.3} µJ went ({:.2} nJ per step): each kind of operation's count \
         times its energy, and the static power over the chip time.",
        chip.totals.energy_pj * 1e-6,
        chip.totals.energy_per_step_nj
    );
    let height = 60 + 30 * parts.len() as u32;
    Some(Figure::new(
        "energy",
        "Energy by operation",
        caption,
        (760, height),
        EnergyBars { parts },
    ))
}

impl Plot for EnergyBars {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.parts.len() as f64;
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(36)
            .y_label_area_size(8)
            .build_cartesian_2d(0.0..100.0, 0.0..n)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .light_line_style(RGBColor(245, 245, 245))
            .bold_line_style(RGBColor(225, 225, 225))
            .x_desc("share of the energy (%)")
            .x_label_formatter(&tick)
            .label_style(text(12))
            .axis_desc_style(text(13))
            .draw()?;
        for (i, (name, share, micro_joules)) in self.parts.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let colour = population_colour(i);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y + 0.15), (share * 100.0, y + 0.85)],
                colour.mix(0.8).filled(),
            )))?;
            let label = format!(
                "{}  {:.1} %  ({micro_joules:.3} µJ)",
                name.replace('_', " "),
                share * 100.0
            );
            let x = if *share > 0.6 {
                1.0
            } else {
                share * 100.0 + 1.0
            };
            chart.draw_series(std::iter::once(Text::new(label, (x, y + 0.72), text(12))))?;
        }
        Ok(())
    }
}

/// Chip time per step.
struct StepTimes {
    /// (first step, mean, lowest, highest) of each group of steps, ns.
    groups: Vec<(f64, f64, f64, f64)>,
    steps: f64,
    grouped: bool,
}

/// The time-per-step figure.
pub(crate) fn step_times(chip: &ChipReport) -> Option<Figure> {
    let times = &chip.per_step.time_ps;
    if times.is_empty() {
        return None;
    }
    let every = times.len().div_ceil(STEP_POINTS).max(1);
    let groups: Vec<(f64, f64, f64, f64)> = times
        .chunks(every)
        .enumerate()
        .map(|(g, chunk)| {
            let ns: Vec<f64> = chunk.iter().map(|&t| t as f64 * 1e-3).collect();
            let mean = ns.iter().sum::<f64>() / ns.len() as f64;
            let low = ns.iter().copied().fold(f64::INFINITY, f64::min);
            let high = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            ((g * every) as f64, mean, low, high)
        })
        .collect();
    let mut caption = format!(
        "Each step lasts until every core is done, every message has arrived and the barrier \
         ({:.1} ns) has swept the mesh; {:.1} ns per step on average.",
        chip.system.barrier_ps as f64 * 1e-3,
        chip.totals.time_per_step_ns
    );
    if every > 1 {
        caption.push_str(&format!(
            " The line is the mean of every {every} steps, the band their lowest and highest."
        ));
    }
    let plot = StepTimes {
        groups,
        steps: times.len() as f64,
        grouped: every > 1,
    };
    Some(Figure::new(
        "step_time",
        "Chip time per step",
        caption,
        (960, 320),
        plot,
    ))
}

impl Plot for StepTimes {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let high = axis_top(self.groups.iter().map(|g| g.3), 1.05);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(28)
            .y_label_area_size(64)
            .x_label_area_size(40)
            .build_cartesian_2d(0.0..self.steps, 0.0..high)?;
        draw_axes(&mut chart, "step", "chip time (ns)")?;
        let colour = population_colour(0);
        if self.grouped {
            let upper = self.groups.iter().map(|g| (g.0, g.3));
            let lower = self.groups.iter().rev().map(|g| (g.0, g.2));
            let band: Vec<(f64, f64)> = upper.chain(lower).collect();
            chart.draw_series(std::iter::once(Polygon::new(
                band,
                colour.mix(0.2).filled(),
            )))?;
        }
        chart.draw_series(LineSeries::new(
            self.groups.iter().map(|g| (g.0, g.1)),
            colour.stroke_width(1),
        ))?;
        Ok(())
    }
}
