//! What a mapping shows: where its cores are and how full each is.

use crate::figure::{Figure, words};
use crate::mapping::Mapping;
use crate::plots::bars::{Bar, Bars};
use crate::plots::mesh::{CoreMap, Placed};

/// The cores on the mesh, coloured by the use of their binding resource.
pub(crate) fn resource_map(mapping: &Mapping) -> Option<Figure> {
    let r = &mapping.resources;
    let placed: Vec<Placed> = r
        .cores
        .iter()
        .map(|c| Placed {
            location: c.location(),
            value: c.binding_use(),
        })
        .collect();
    let fullest = r
        .cores
        .iter()
        .max_by(|a, b| a.binding_use().total_cmp(&b.binding_use()))?;
    let about = format!(
        "Colour: the core's use of the resource that binds it; the fullest, {} ({}), {:.1} % of \
         its {}.",
        fullest.core,
        fullest.population,
        fullest.binding_use() * 100.0,
        words(&fullest.binding)
    );
    let map = CoreMap::new(r.mesh?, &placed, "binding resource used (%)")?;
    Some(map.figure("resource_map", "Cores on the mesh", &about))
}

/// Per resource, its mean and highest use over the cores in use.
pub(crate) fn resource_use(mapping: &Mapping) -> Option<Figure> {
    let r = &mapping.resources;
    let cores = r.cores.len();
    if cores == 0 {
        return None;
    }
    let bars = r
        .limits
        .keys()
        .map(|resource| {
            let shares = r.cores.iter().filter_map(|c| {
                c.utilisation
                    .iter()
                    .find(|(name, _)| name == resource)
                    .map(|(_, share)| *share)
            });
            let (sum, high) = shares.fold((0.0, 0.0f64), |(s, h), x| (s + x, h.max(x)));
            let mean = sum / cores as f64;
            Bar {
                label: format!(
                    "{}  mean {:.1} %, fullest {:.1} %",
                    words(resource),
                    mean * 100.0,
                    high * 100.0
                ),
                share: mean,
                mark: Some(high),
            }
        })
        .collect();
    let bars = Bars {
        bars,
        x_desc: "use of the per-core limit (%)".to_string(),
    };
    let caption = format!(
        "Each resource's use over its per-core limit on the {cores} cores in use: the bar is \
         the mean, the line the fullest core. The resource near 100 % on most cores is the one \
         that decided how many cores the network needs."
    );
    let size = (760, bars.height());
    Some(Figure::new(
        "resource_use",
        "Use of each core resource",
        caption,
        size,
        bars,
    ))
}
