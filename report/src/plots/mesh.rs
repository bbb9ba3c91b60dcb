//! A map of a chip system's cores: one cell per core, grouped in tiles,
//! tiles laid out as on the mesh, chips side by side as their coordinates
//! place them, coloured by a figure of each core (its load in a run, its
//! use of a resource in a mapping).

use crate::figure::{DrawResult, Figure, Plot, text, tick};
use crate::run::{ChipMesh, CoreLocation};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A core and its figure, a share from 0 to 1.
pub(crate) struct Placed {
    pub(crate) location: CoreLocation,
    pub(crate) value: f64,
}

/// The cores in use on the bounding box of their tiles.
pub(crate) struct CoreMap {
    /// Per cell (column, row) of a core in use, its value.
    cells: Vec<(u32, u32, f64)>,
    columns: u32,
    rows: u32,
    /// Cells per tile along x and y: tile borders are drawn every so many.
    tile_cells: (u32, u32),
    highest: f64,
    /// The colour scale's name.
    scale: String,
    /// What the caption says of the layout.
    layout: String,
}

impl CoreMap {
    /// The map of `cores` on `mesh`, or `None` without cores. A tile's
    /// cores fill a square of cells, row by row.
    pub(crate) fn new(mesh: ChipMesh, cores: &[Placed], scale: &str) -> Option<CoreMap> {
        let side = (f64::from(mesh.cores_per_tile).sqrt().ceil() as u32).max(1);
        let tile_rows = mesh.cores_per_tile.div_ceil(side);
        let tiles: Vec<[u32; 3]> = cores
            .iter()
            .map(|c| global_tile(&mesh, c.location.chip, c.location.tile))
            .collect();
        let low = |axis: usize| tiles.iter().map(|t| t[axis]).min();
        let high = |axis: usize| tiles.iter().map(|t| t[axis]).max();
        let (x0, y0, z0) = (low(0)?, low(1)?, low(2)?);
        let (tiles_x, tiles_y) = (high(0)? - x0 + 1, high(1)? - y0 + 1);
        let layers = high(2)? - z0 + 1;
        let cells = cores
            .iter()
            .zip(&tiles)
            .map(|(c, tile)| {
                let column = (tile[0] - x0) * side + c.location.core % side;
                let row = ((tile[2] - z0) * tiles_y + (tile[1] - y0)) * tile_rows;
                (column, row + c.location.core / side, c.value)
            })
            .collect::<Vec<_>>();
        let chips = distinct(cores.iter().map(|c| c.location.chip));
        let layout = format!(
            "{} cores on {} tiles of {chips} chip(s); each cell a core, each outlined block a \
             tile of {} cores (x east, y north{}).",
            cores.len(),
            distinct(tiles.iter().copied()),
            mesh.cores_per_tile,
            if layers > 1 {
                ", chip layers stacked upwards"
            } else {
                ""
            }
        );
        Some(CoreMap {
            highest: cells.iter().map(|c| c.2).fold(0.0f64, f64::max),
            cells,
            columns: tiles_x * side,
            rows: tiles_y * tile_rows * layers,
            tile_cells: (side, tile_rows),
            scale: scale.to_string(),
            layout,
        })
    }

    /// The map as a figure: `about` says what the colour shows.
    pub(crate) fn figure(self, name: &str, title: &str, about: &str) -> Figure {
        let cell = (760 / self.columns).min(560 / self.rows).clamp(2, 40);
        let size = (self.columns * cell + 200, self.rows * cell + 90);
        let caption = format!("{} {about} Grey: cores not in use.", self.layout);
        Figure::new(name, title, caption, size, self)
    }
}

/// How many different `items` there are.
fn distinct(items: impl Iterator<Item = [u32; 3]>) -> usize {
    items.collect::<std::collections::BTreeSet<_>>().len()
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
        colour_bar(&bar, top, &self.scale)
    }
}

/// A vertical bar of the colour scale from 0 to `top` (a share), in per
/// cent.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    top: f64,
    scale: &str,
) -> DrawResult<DB> {
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
        .y_desc(scale)
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
