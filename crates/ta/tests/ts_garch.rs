//! GARCH(1,1) against arch 8.0 `arch_model(100 * log returns of SPY, QQQ, GLD, mean=Constant|Zero,
//! vol="GARCH", p=1, q=1, dist="normal")` (fixture tests/fixtures/ts/garch.json, which records
//! the x100 scaling). arch's default fit stops SLSQP at ftol 1e-6; the fixture also holds the
//! same fit with ftol 1e-14 ("tight"), which both optimizers must agree on closely.

mod ts_support;

use optifire_ta::timeseries::{fit_garch11, garch11_log_likelihood, Garch11, GarchMean};
use ts_support::*;

fn params_of(v: &[f64], mean: GarchMean) -> Garch11 {
    match mean {
        GarchMean::Constant => Garch11 {
            mu: v[0],
            omega: v[1],
            alpha: v[2],
            beta: v[3],
        },
        GarchMean::Zero => Garch11 {
            mu: 0.0,
            omega: v[0],
            alpha: v[1],
            beta: v[2],
        },
    }
}

#[test]
fn garch11_matches_arch() {
    let f = load("garch.json");
    assert_eq!(num(&f["scale"]), 100.0);
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for c in cases {
        let sym = c["series"].as_str().unwrap();
        let y = arr(&f["series"][sym]);
        let mean = match c["mean"].as_str().unwrap() {
            "Constant" => GarchMean::Constant,
            "Zero" => GarchMean::Zero,
            o => panic!("{o}"),
        };
        let what = format!("{sym} {mean:?}");
        let fit = fit_garch11(&y, mean).unwrap();
        assert!(fit.converged, "{what}: not converged");
        close_rel(
            &format!("{what}: backcast"),
            fit.backcast,
            num(&c["backcast"]),
            1e-14,
        );

        // The likelihood itself, at arch's own estimates: independent of any optimizer.
        for (key, llkey) in [
            ("params", "loglikelihood"),
            ("tight_params", "tight_loglikelihood"),
        ] {
            let p = params_of(&arr(&c[key]), mean);
            let ll = garch11_log_likelihood(&y, &p, fit.backcast);
            close_rel(
                &format!("{what}: llf at arch {key}"),
                ll,
                num(&c[llkey]),
                1e-12,
            );
        }
        // Our maximum is at least as high as arch's.
        assert!(
            fit.log_likelihood >= num(&c["tight_loglikelihood"]) - 1e-9,
            "{what}"
        );

        let got = [
            fit.params.mu,
            fit.params.omega,
            fit.params.alpha,
            fit.params.beta,
        ];
        let skip = usize::from(mean == GarchMean::Zero);
        for (name, tol, key) in [("tight", 1e-6, "tight_params"), ("default", 3e-4, "params")] {
            let want = arr(&c[key]);
            for (i, w) in want.iter().enumerate() {
                close_rel(&format!("{what}: {name} param {i}"), got[i + skip], *w, tol);
            }
        }
        let fc = fit.forecast_variance(10);
        for (name, tol, key) in [
            ("tight", 1e-6, "tight_forecast_variance"),
            ("default", 1e-4, "forecast_variance"),
        ] {
            for (h, w) in arr(&c[key]).iter().enumerate() {
                close_rel(
                    &format!("{what}: {name} forecast h={}", h + 1),
                    fc[h],
                    *w,
                    tol,
                );
            }
        }
        let tail = arr(&c["tight_conditional_volatility_tail"]);
        let n = fit.conditional_variance.len();
        for (i, w) in tail.iter().enumerate() {
            let got = fit.conditional_variance[n - tail.len() + i].sqrt();
            close_rel(&format!("{what}: vol tail {i}"), got, *w, 1e-6);
        }
    }
}
