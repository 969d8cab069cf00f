//! Risk plugins: exposure multipliers, blocks and flattening that the risk engine applies.

pub mod drawdown_derisk;
pub mod vol_target;
