//! Infrastructure plugins: the health of the process and its surroundings.

pub mod procfs;
pub mod psutil_health;
