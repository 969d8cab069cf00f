//! One module per subcommand.

pub mod calendar;
pub mod config;
pub mod plugins;
