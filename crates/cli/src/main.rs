//! The `optifire` command-line tool.
fn main() {}
