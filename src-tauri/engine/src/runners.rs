//! Runners: self-hosted GitHub Actions runner containers on a Docker host.
//! So far this holds the environment contract of the runner image; the
//! containers, registration and scaling come with the runners issue.

pub mod env;
pub mod host;
pub mod provider;
