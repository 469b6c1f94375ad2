//! Slipway's engine: everything that decides what to create, with no GUI
//! dependency. The desktop app and the `slipway` CLI are two thin faces over it.
//!
//! The shape is desired state → observed state → plan (pure diff) → apply
//! (idempotent steps that stream progress events). See docs/ARCHITECTURE.md.

pub mod apply;
pub mod aws;
pub mod config;
pub mod docker;
pub mod doctor;
pub mod events;
pub mod github;
pub mod plan;
pub mod providers;
pub mod runners;
pub mod secrets;
pub mod status;
pub mod workflow;
