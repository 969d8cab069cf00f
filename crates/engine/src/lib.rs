//! optifire-engine: filled in by a later issue (see DESIGN.md).

pub mod exec;
