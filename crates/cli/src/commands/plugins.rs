//! `optifire plugins list|describe`.

use anyhow::{bail, Result};
use clap::Subcommand;
use std::io::Write;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum PluginsCmd {
    /// Every catalogue plugin: id, category, implemented, enabled, schedule.
    List,
    /// Metadata and plan of one plugin.
    Describe { id: String },
}

pub fn run(cmd: PluginsCmd, out: &mut dyn Write) -> Result<ExitCode> {
    let registry = optifire_plugins::registry();
    match cmd {
        PluginsCmd::List => {
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
                let schedule = e
                    .implementation
                    .as_ref()
                    .map(|(_, p)| p.schedule.as_str())
                    .unwrap_or("-");
                writeln!(
                    out,
                    "{:<28} {:<15} {:<16} {:<8} {}",
                    e.catalogue.id,
                    e.catalogue.category.as_str(),
                    implemented,
                    "no",
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
