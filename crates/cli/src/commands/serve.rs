//! `optifire serve --config DIR --db PATH`: the HTTP API over an existing store, without running
//! the engine. The JWT secret comes from OPTIFIRE_JWT_SECRET (or the secrets file).

use anyhow::Result;
use optifire_server::LogLevelControl;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(config: &Path, db: &Path, log: Arc<dyn LogLevelControl>) -> Result<ExitCode> {
    optifire_server::serve_blocking_with_log(
        config,
        db,
        optifire_plugins::registry(),
        &|k| std::env::var(k).ok(),
        Some(log),
    )?;
    Ok(ExitCode::SUCCESS)
}
