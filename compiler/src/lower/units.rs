//! The meaning of a written unit: its scale in SI and its dimension.

use crate::diagnostic::Diagnostic;
use crate::front::ast::UnitExpr;
use crate::suggest::closest;
use neurc_ir::Dimension;
use neurc_ir::units::{UNITS, lookup_unit};

/// The SI scale and dimension of a unit expression (`mV/ms` → 1, V/s).
pub fn unit_of(unit: &UnitExpr) -> Result<(f64, Dimension), Diagnostic> {
    let mut scale = 1.0;
    let mut dimension = Dimension::DIMENSIONLESS;
    for factor in &unit.factors {
        let Some(known) = lookup_unit(&factor.symbol) else {
            let diagnostic = Diagnostic::error(
                "neurc::unit::unknown",
                format!("unknown unit `{}`", factor.symbol),
            )
            .label(unit.loc.0, "not a unit neurc knows");
            let symbols = UNITS.iter().map(|u| u.symbol);
            return Err(match closest(&factor.symbol, symbols) {
                Some(near) => {
                    diagnostic.help(format!("units are case-sensitive: did you mean `{near}`?"))
                }
                None => diagnostic.help(format!(
                    "known units: {}",
                    UNITS.iter().map(|u| u.symbol).collect::<Vec<_>>().join(" ")
                )),
            });
        };
        let power = factor.power;
        let raised = known.dimension.powi(power).ok_or_else(|| {
            Diagnostic::error(
                "neurc::unit::power",
                format!("the power {power} is too large"),
            )
            .label(unit.loc.0, "power out of range")
        })?;
        scale *= known.scale.powi(power);
        dimension = dimension * raised;
    }
    Ok((scale, dimension))
}
