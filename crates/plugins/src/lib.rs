//! optifire-plugins: the plugin implementations, one file per plugin under `src/<category>/`.
//!
//! `registry()` returns the whole catalogue with the implemented plugins registered; every other
//! catalogue id is known to it as "not implemented" and cannot be enabled.

pub mod alpha;
pub mod diag;
pub mod exec;
pub mod fe;
pub mod infra;
mod params;
pub mod risk;

use optifire_core::plugin::registry::Factory;
use optifire_core::plugin::Registry;

/// Every implemented plugin, one factory each.
pub const IMPLEMENTED: &[Factory] = &[
    || Box::new(alpha::cross_asset_corr::CrossAssetCorr::default()),
    || Box::new(alpha::vix_regime::VixRegime::default()),
    || Box::new(diag::slippage_report::SlippageReport::default()),
    || Box::new(exec::batch_orders::BatchOrders::default()),
    || Box::new(fe::kalman::FeKalman::default()),
    || Box::new(infra::psutil_health::PsutilHealth::default()),
    || Box::new(risk::drawdown_derisk::DrawdownDerisk::default()),
    || Box::new(risk::vol_target::VolTarget::default()),
];

/// The registry of every implemented plugin.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    for f in IMPLEMENTED {
        // Registration only fails on a programming error (id not in the catalogue, duplicate);
        // `every_implementation_registers_cleanly` keeps that from shipping.
        if let Err(e) = r.register(*f) {
            tracing::error!("plugin registration failed: {e}");
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::plugin::catalogue;

    #[test]
    fn every_implementation_registers_cleanly() {
        let mut r = Registry::new();
        for f in IMPLEMENTED {
            r.register(*f).unwrap();
        }
        assert_eq!(registry().implemented_ids().count(), IMPLEMENTED.len());
        assert_eq!(registry().entries().len(), catalogue::all().count());
    }

    #[test]
    fn pending_defaults_are_exactly_the_unimplemented_defaults() {
        let r = registry();
        let unimplemented: Vec<&str> = catalogue::DEFAULT_ENABLED
            .iter()
            .copied()
            .filter(|id| r.create(id).is_err())
            .collect();
        assert_eq!(
            unimplemented,
            catalogue::DEFAULT_PENDING,
            "update catalogue::DEFAULT_PENDING and enable the plugin in configs/features.yaml"
        );
    }

    #[test]
    fn the_committed_configuration_validates_against_the_real_registry() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
        let set =
            optifire_core::config::load_dir(&dir, &registry()).unwrap_or_else(|e| panic!("{e}"));
        let enabled: Vec<&str> = set.features.enabled_ids().collect();
        assert_eq!(
            enabled,
            [
                "alpha_cross_asset_corr",
                "alpha_vix_regime",
                "diag_slippage_report",
                "exec_batch_orders",
                "fe_kalman",
                "infra_psutil_health",
                "risk_drawdown_derisk",
                "risk_vol_target"
            ]
        );
        // Every enabled plugin accepts its params from the file.
        for id in enabled {
            let mut p = registry().create(id).unwrap();
            p.configure(&set.features.plugins[id].params).unwrap();
        }
    }

    #[test]
    fn a_bad_plugin_parameter_is_a_config_error_with_its_line() {
        let (c, f) = optifire_core::config::ConfigSet::embedded_texts();
        let f = f.replacen(
            "  alpha_vix_regime:\n    enabled: true\n    schedule: \"@close\"\n    budget:\n      cpu_ms: 250\n      mem_mb: 64\n    params: {}",
            "  alpha_vix_regime:\n    enabled: true\n    schedule: \"@close\"\n    budget:\n      cpu_ms: 250\n      mem_mb: 64\n    params:\n      hysterisis: 2",
            1,
        );
        let line = f.lines().position(|l| l.contains("hysterisis")).unwrap(); // 0-based → params is the line above
        let err = optifire_core::config::parse(c, "config.yaml", &f, "features.yaml", &registry())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(&format!("features.yaml:{line}:")), "{err}");
        assert!(
            err.contains(
                "plugins.alpha_vix_regime.params: invalid parameter: unknown field `hysterisis`"
            ),
            "{err}"
        );
    }
}
