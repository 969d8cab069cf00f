//! `optifire serve --config DIR --db PATH`: the HTTP API over an existing store, without running
//! the engine. The JWT secret comes from OPTIFIRE_JWT_SECRET (or the secrets file).

use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

pub fn run(config: &Path, db: &Path) -> Result<ExitCode> {
    optifire_server::serve_blocking(config, db, optifire_plugins::registry(), &|k| {
        std::env::var(k).ok()
    })?;
    Ok(ExitCode::SUCCESS)
}
