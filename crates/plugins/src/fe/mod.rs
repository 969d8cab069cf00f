//! Feature-engineering plugins: named numeric features per symbol.

pub mod kalman;
