//! `optifire data validate PATH...`: load bar files and report every defect, one line each.

use anyhow::Result;
use clap::Subcommand;
use optifire_core::calendar::NyseCalendar;
use optifire_core::data::{
    calendar_for, load_csv, load_dir, validate, LoadOptions, LoadedSeries, ValidateOptions,
};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum DataCmd {
    /// Validate CSV bar files or directories of them. Prints `FILE DATE REASON` per defect;
    /// exit status 0 when clean, 1 when any defect is found, 2 when an input cannot be read.
    Validate {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

pub fn run(cmd: DataCmd, out: &mut dyn Write) -> Result<ExitCode> {
    let DataCmd::Validate { paths } = cmd;
    let load = LoadOptions::default();
    let opts = ValidateOptions::default();
    let nyse = NyseCalendar::new();
    let mut unreadable = 0usize;
    let mut defects = 0usize;
    let mut files = 0usize;
    for path in &paths {
        let loaded: Result<Vec<LoadedSeries>, _> = if path.is_dir() {
            load_dir(path, &load)
        } else {
            load_csv(path, &load).map(|s| vec![s])
        };
        let series = match loaded {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{}: unreadable: {e}", path.display());
                unreadable += 1;
                continue;
            }
        };
        for s in &series {
            files += 1;
            let cal = calendar_for(&s.symbol, &nyse);
            for d in s
                .parse_defects
                .iter()
                .cloned()
                .chain(validate(s, cal, &opts))
            {
                writeln!(out, "{d}")?;
                defects += 1;
            }
        }
    }
    eprintln!("{files} file(s) checked, {defects} defect(s), {unreadable} unreadable input(s)");
    Ok(if unreadable > 0 {
        ExitCode::from(2)
    } else if defects > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
