//! `infra_psutil_health`: watches this process's CPU %, RSS, threads and open descriptors.
//!
//! The VPS has 1 GB of RAM; the defaults (900 MB RSS, 90% CPU) warn before the kernel's OOM
//! killer or a starved scheduler decides for us. CPU % is the CPU time used between two runs over
//! the monotonic time between them (100% = one core fully busy).

use crate::params;
use optifire_core::event::Severity;
use optifire_core::fixed::Fixed;
use optifire_core::plugin::{
    Category, Context, Output, Plugin, PluginError, PluginMeta, PluginPlan, ProcessSample,
};
use serde::Deserialize;

pub const ID: &str = "infra_psutil_health";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub rss_mb_max: f64,
    pub cpu_pct_max: f64,
    pub threads_max: u64,
    pub open_fds_max: u64,
    /// Fraction of a limit at which a warning precedes the critical alert.
    pub warn_fraction: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            rss_mb_max: 900.0,
            cpu_pct_max: 90.0,
            threads_max: 256,
            open_fds_max: 768,
            warn_fraction: 0.8,
        }
    }
}

#[derive(Debug, Default)]
pub struct PsutilHealth {
    params: Params,
    previous: Option<ProcessSample>,
}

impl PsutilHealth {
    /// Grades one reading against the limits; returns (severity, breaches).
    pub fn grade(
        &self,
        rss_mb: f64,
        cpu_pct: Option<f64>,
        threads: u64,
        fds: u64,
    ) -> (Severity, Vec<String>) {
        let p = &self.params;
        let mut worst = Severity::Info;
        let mut notes = Vec::new();
        let mut check = |name: &str, value: f64, max: f64, unit: &str| {
            if value > max {
                worst = Severity::Critical;
                notes.push(format!("{name} {}{unit} > {max}{unit}", Fixed(value, 1)));
            } else if value > max * p.warn_fraction {
                if worst == Severity::Info {
                    worst = Severity::Warning;
                }
                notes.push(format!(
                    "{name} {}{unit} near limit {max}{unit}",
                    Fixed(value, 1)
                ));
            }
        };
        check("rss", rss_mb, p.rss_mb_max, " MB");
        if let Some(c) = cpu_pct {
            check("cpu", c, p.cpu_pct_max, "%");
        }
        check("threads", threads as f64, p.threads_max as f64, "");
        check("open fds", fds as f64, p.open_fds_max as f64, "");
        (worst, notes)
    }
}

impl Plugin for PsutilHealth {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: ID.into(),
            name: "Process health".into(),
            category: Category::Infrastructure,
            version: "1.0.0".into(),
            description: "process CPU %, RSS, threads and open fds against thresholds".into(),
            inputs: vec!["process".into()],
            outputs: vec!["health".into(), "alert".into()],
            // Measured: four small /proc reads per run.
            est_cpu_ms: 0.2,
            est_mem_mb: 0.05,
        }
    }

    fn plan(&self) -> PluginPlan {
        PluginPlan {
            schedule: "interval_1m".into(),
            depends_on: vec![],
        }
    }

    fn configure(&mut self, params: &serde_json::Value) -> Result<(), PluginError> {
        let p: Params = params::parse(params)?;
        if !(p.rss_mb_max > 0.0
            && p.cpu_pct_max > 0.0
            && p.warn_fraction > 0.0
            && p.warn_fraction <= 1.0)
        {
            return Err(PluginError::InvalidParams(format!(
                "limits must be positive and 0 < warn_fraction ≤ 1: {p:?}"
            )));
        }
        self.params = p;
        Ok(())
    }

    fn run(&mut self, ctx: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        let probe = ctx
            .process
            .ok_or_else(|| PluginError::NoDataSource("no process probe in this driver".into()))?;
        let s = probe.sample().map_err(PluginError::Failed)?;
        let cpu_pct = self.previous.as_ref().and_then(|prev| {
            let dt = s.taken_at_secs - prev.taken_at_secs;
            (dt > 0.0).then(|| (s.cpu_seconds - prev.cpu_seconds) / dt * 100.0)
        });
        let rss_mb = s.rss_bytes as f64 / (1024.0 * 1024.0);
        let (severity, notes) = self.grade(rss_mb, cpu_pct, s.threads, s.open_fds);
        let metrics = serde_json::json!({
            "rss_mb": rss_mb,
            "cpu_pct": cpu_pct,
            "threads": s.threads,
            "open_fds": s.open_fds,
        });
        let message = if notes.is_empty() {
            format!(
                "ok: rss {} MB, cpu {}, threads {}, fds {}",
                Fixed(rss_mb, 1),
                cpu_pct
                    .map(|c| format!("{}%", Fixed(c, 1)))
                    .unwrap_or_else(|| "n/a (first sample)".into()),
                s.threads,
                s.open_fds
            )
        } else {
            notes.join("; ")
        };
        self.previous = Some(s);
        let mut out = vec![Output::Health {
            severity,
            message: message.clone(),
            metrics,
        }];
        if severity != Severity::Info {
            out.push(Output::Alert {
                severity,
                message: format!("process health: {message}"),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::{EquityHistory, Money, Portfolio};
    use optifire_core::plugin::{MarketData, ProcessProbe};
    use optifire_core::Timestamp;
    use std::sync::Mutex;

    /// Replays recorded readings, one per call.
    #[derive(Debug)]
    struct Readings(Mutex<Vec<ProcessSample>>);
    impl ProcessProbe for Readings {
        fn sample(&self) -> Result<ProcessSample, String> {
            let mut v = self.0.lock().unwrap();
            if v.is_empty() {
                Err("no more readings".into())
            } else {
                Ok(v.remove(0))
            }
        }
    }

    fn sample(cpu: f64, rss_mb: u64, threads: u64, fds: u64, at: f64) -> ProcessSample {
        ProcessSample {
            cpu_seconds: cpu,
            rss_bytes: rss_mb * 1024 * 1024,
            threads,
            open_fds: fds,
            taken_at_secs: at,
        }
    }

    fn run_all(readings: Vec<ProcessSample>) -> Vec<Vec<Output>> {
        let n = readings.len();
        let probe = Readings(Mutex::new(readings));
        let md = MarketData::new();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let now = Timestamp::from_secs(0);
        let ctx = Context {
            process: Some(&probe),
            ..Context::new(now, &md, &pf, &eq)
        };
        let mut p = PsutilHealth::default();
        (0..n).map(|_| p.run(&ctx).unwrap()).collect()
    }

    fn health(o: &[Output]) -> (Severity, String, serde_json::Value) {
        match &o[0] {
            Output::Health {
                severity,
                message,
                metrics,
            } => (*severity, message.clone(), metrics.clone()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cpu_percent_between_samples_and_thresholds() {
        // 60 s apart: 30 CPU-seconds used = 50%; then 57 s of CPU in 60 s = 95% > 90%.
        let out = run_all(vec![
            sample(10.0, 100, 8, 20, 1000.0),
            sample(40.0, 100, 8, 20, 1060.0),
            sample(97.0, 100, 8, 20, 1120.0),
        ]);
        let (s0, m0, j0) = health(&out[0]);
        assert_eq!(s0, Severity::Info);
        assert!(m0.contains("first sample"));
        assert!(j0["cpu_pct"].is_null());
        let (s1, _, j1) = health(&out[1]);
        assert_eq!(s1, Severity::Info);
        assert!((j1["cpu_pct"].as_f64().unwrap() - 50.0).abs() < 1e-9);
        assert_eq!(out[1].len(), 1, "no alert when healthy");
        let (s2, m2, _) = health(&out[2]);
        assert_eq!(s2, Severity::Critical);
        assert_eq!(m2, "cpu 95.0% > 90%");
        assert!(matches!(
            &out[2][1],
            Output::Alert {
                severity: Severity::Critical,
                ..
            }
        ));
    }

    #[test]
    fn rss_warns_near_and_alerts_over_900_mb() {
        let out = run_all(vec![
            sample(0.0, 750, 8, 20, 0.0),
            sample(0.0, 901, 8, 20, 60.0),
        ]);
        let (s0, m0, _) = health(&out[0]);
        assert_eq!(s0, Severity::Warning);
        assert_eq!(m0, "rss 750.0 MB near limit 900 MB");
        let (s1, m1, _) = health(&out[1]);
        assert_eq!(s1, Severity::Critical);
        assert!(m1.starts_with("rss 901.0 MB > 900 MB"));
    }

    #[test]
    fn without_a_probe_it_says_so_and_emits_nothing() {
        let md = MarketData::new();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let now = Timestamp::from_secs(0);
        let ctx = Context::new(now, &md, &pf, &eq);
        let err = PsutilHealth::default().run(&ctx).unwrap_err();
        assert!(err.to_string().starts_with("no data source configured"));
    }
}
