//! One module per subcommand.

pub mod calendar;
pub mod config;
pub mod data;
pub mod plugins;
