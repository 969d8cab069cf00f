//! The `optifire` command-line tool: the binary's edge, where errors become exit codes.
#![allow(clippy::print_stdout)]

mod commands;

use clap::{Parser, Subcommand};
use optifire_core::plugin::measure::CountingAlloc;
use std::io::Write;
use std::process::ExitCode;

/// Counts heap bytes per thread so the plugin runner can report each run's memory. The heap is
/// glibc's (see `commands::backtest::keep_freed_memory` for why not mimalloc).
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[derive(Parser, Debug)]
#[command(
    name = "optifire",
    version,
    about = "OptiFIRE: plugin-based automated trading"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List and describe plugins.
    #[command(subcommand)]
    Plugins(commands::plugins::PluginsCmd),
    /// Check configuration files.
    #[command(subcommand)]
    Config(commands::config::ConfigCmd),
    /// Validate market data files.
    #[command(subcommand)]
    Data(commands::data::DataCmd),
    /// Compute named features (sma_20, rsi_14, bbands_20_2, ...) for every bar of a CSV file.
    Features {
        #[arg(long)]
        input: std::path::PathBuf,
        /// Comma-separated feature names, e.g. sma_20,rsi_14,macd_12_26_9.
        #[arg(long)]
        features: String,
        #[arg(long)]
        output: std::path::PathBuf,
    },
    /// Run the engine over historical bars with the simulated exchange.
    Backtest(commands::backtest::BacktestArgs),
    /// Sweep sma_cross windows (and walk-forward folds) in parallel: sweep.csv, heatmap.png.
    Sweep(commands::sweep::SweepArgs),
    /// Throughput and peak memory of standard backtest scenarios.
    Bench(commands::bench::BenchArgs),
    /// NYSE holidays and early closes of a year.
    Calendar {
        #[arg(long)]
        year: Option<i32>,
    },
    /// Manage HTTP API users (add, TOTP enrolment).
    #[command(subcommand)]
    User(commands::user::UserCmd),
    /// Run the engine (paper by default, --live for real money) and the HTTP API together.
    Run(commands::run::RunArgs),
    /// Serve the HTTP API over an existing store (the engine is not run).
    Serve {
        #[arg(long, default_value = "configs")]
        config: std::path::PathBuf,
        #[arg(long)]
        db: std::path::PathBuf,
    },
}

/// Asks the processor what it has (AVX2 and the like) once, at start-up. The loader's scans,
/// the median and the UTF-8 check choose their widest build from the answer, which std caches
/// on first use; asked lazily, the `cpuid` instructions (each a trap to the hypervisor on a
/// VPS, about 20 µs in all on this one) landed in the middle of whichever command first
/// read a file. Start-up work like the dynamic linker's (glibc asks the same at load time for
/// its own `memcpy`); the process's total time is unchanged.
fn detect_cpu_features() {
    #[cfg(target_arch = "x86_64")]
    {
        let _ = std::arch::is_x86_feature_detected!("avx2");
    }
}

fn main() -> ExitCode {
    detect_cpu_features();
    let logging = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OPTIFIRE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_filter_reloading();
    // Lets the server change log levels at run time (ux_log_level_ctrl).
    let log_handle: std::sync::Arc<dyn optifire_server::LogLevelControl> = std::sync::Arc::new(
        optifire_server::log_level::EnvFilterReload::new(logging.reload_handle()),
    );
    logging.init();
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        Command::Plugins(c) => commands::plugins::run(c, &mut out),
        Command::Config(c) => commands::config::run(c, &mut out),
        Command::Data(c) => commands::data::run(c, &mut out),
        Command::Features {
            input,
            features,
            output,
        } => commands::features::run(&input, &features, &output),
        Command::Backtest(a) => commands::backtest::run(a, &mut out),
        Command::Sweep(a) => commands::sweep::run(a, &mut out),
        Command::Bench(a) => commands::bench::run(a, &mut out),
        Command::Calendar { year } => commands::calendar::run(year, &mut out),
        Command::User(c) => commands::user::run(c, &mut out),
        Command::Serve { config, db } => commands::serve::run(&config, &db, log_handle),
        Command::Run(a) => commands::run::run(a, &mut out, log_handle),
    }
    .and_then(|code| out.flush().map(|_| code).map_err(Into::into));
    match result {
        Ok(code) => code,
        // A closed pipe (`optifire plugins list | head`) is the reader's choice, not a failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
