//! Links the `optifire` binary as a position-dependent executable on Linux.
//!
//! A position-independent executable has every pointer in its read-only data relocated by the
//! dynamic loader at each start: about 50,000 relocations that touch some 300 pages before
//! `main` runs, the larger part of the start-up of a short command such as `optifire backtest`.
//! Linked at a fixed address, the pointers are final in the file and the pages are read only
//! when used. The code is the same position-independent code (the objects are not rebuilt), so
//! this changes nothing but where the program is loaded.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
