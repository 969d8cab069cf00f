//! `optifire config check [DIR]`: validate config.yaml and features.yaml without running anything.

use anyhow::Result;
use clap::Subcommand;
use optifire_core::config::load_dir;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Validate DIR/config.yaml and DIR/features.yaml (default DIR: configs). Prints one line per
    /// problem as FILE:LINE:COL: KEY: MESSAGE; exit status 1 when any problem is found.
    Check {
        #[arg(default_value = "configs")]
        dir: PathBuf,
    },
}

pub fn run(cmd: ConfigCmd, out: &mut dyn Write) -> Result<ExitCode> {
    match cmd {
        ConfigCmd::Check { dir } => match load_dir(&dir, &optifire_plugins::registry()) {
            Ok(set) => {
                let enabled: Vec<&str> = set.features.enabled_ids().collect();
                writeln!(
                    out,
                    "ok: {} valid ({} plugins listed, {} enabled: {})",
                    dir.display(),
                    set.features.plugins.len(),
                    enabled.len(),
                    enabled.join(", ")
                )?;
                Ok(ExitCode::SUCCESS)
            }
            Err(errors) => {
                for e in errors.iter() {
                    writeln!(out, "{e}")?;
                }
                writeln!(
                    out,
                    "{} problem(s) found; nothing was applied",
                    errors.len()
                )?;
                Ok(ExitCode::from(1))
            }
        },
    }
}
