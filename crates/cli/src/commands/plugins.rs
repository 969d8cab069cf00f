//! `optifire plugins list|describe`.

use anyhow::{bail, Result};
use clap::Subcommand;
use optifire_core::config::{load_dir, ConfigSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum PluginsCmd {
    /// Every catalogue plugin: id, category, implemented, enabled, schedule (from DIR/features.yaml,
    /// default configs/, or the built-in defaults when DIR has no features.yaml).
    List {
        #[arg(long, default_value = "configs")]
        config: PathBuf,
    },
    /// Metadata and plan of one plugin.
    Describe { id: String },
}

pub fn run(cmd: PluginsCmd, out: &mut dyn Write) -> Result<ExitCode> {
    let registry = optifire_plugins::registry();
    match cmd {
        PluginsCmd::List { config } => {
            let set = if config.join(optifire_core::config::FEATURES_FILE).exists() {
                load_dir(&config, &registry)
                    .map_err(|e| anyhow::anyhow!("{} is invalid:\n{e}", config.display()))?
            } else {
                ConfigSet::embedded(&registry)
                    .map_err(|e| anyhow::anyhow!("built-in configuration is invalid:\n{e}"))?
            };
            writeln!(
                out,
                "{:<28} {:<15} {:<16} {:<8} SCHEDULE",
                "ID", "CATEGORY", "IMPLEMENTED", "ENABLED"
            )?;
            for e in registry.entries() {
                let implemented = if e.implementation.is_some() {
                    "yes"
                } else {
                    "not implemented"
                };
                let flags = set.features.plugins.get(e.catalogue.id);
                let enabled = if flags.is_some_and(|f| f.enabled) {
                    "yes"
                } else {
                    "no"
                };
                let schedule = flags.map(|f| f.schedule.as_str()).unwrap_or("-");
                writeln!(
                    out,
                    "{:<28} {:<15} {:<16} {:<8} {}",
                    e.catalogue.id,
                    e.catalogue.category.as_str(),
                    implemented,
                    enabled,
                    schedule
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginsCmd::Describe { id } => {
            let Some(e) = registry
                .entries()
                .into_iter()
                .find(|e| e.catalogue.id == id)
            else {
                bail!("unknown plugin {id:?}: not in the catalogue (see `optifire plugins list`)");
            };
            writeln!(out, "id:          {}", e.catalogue.id)?;
            writeln!(out, "category:    {}", e.catalogue.category.as_str())?;
            writeln!(
                out,
                "catalogue:   {}{}",
                e.catalogue.summary,
                if e.catalogue.extended {
                    " (extended set)"
                } else {
                    ""
                }
            )?;
            match e.implementation {
                None => writeln!(out, "status:      not implemented (cannot be enabled)")?,
                Some((m, p)) => {
                    writeln!(out, "status:      implemented, version {}", m.version)?;
                    writeln!(out, "name:        {}", m.name)?;
                    writeln!(out, "description: {}", m.description)?;
                    writeln!(out, "inputs:      {}", m.inputs.join(", "))?;
                    writeln!(out, "outputs:     {}", m.outputs.join(", "))?;
                    writeln!(
                        out,
                        "estimates:   {} ms CPU, {} MB per run",
                        m.est_cpu_ms, m.est_mem_mb
                    )?;
                    writeln!(out, "schedule:    {} (default)", p.schedule)?;
                    writeln!(
                        out,
                        "depends on:  {}",
                        if p.depends_on.is_empty() {
                            "-".into()
                        } else {
                            p.depends_on.join(", ")
                        }
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
