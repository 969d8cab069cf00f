//! One module per subcommand.

pub mod plugins;
