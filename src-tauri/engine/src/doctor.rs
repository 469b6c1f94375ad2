//! Doctor: the environment checks that the app's first step and
//! `slipway doctor` both show. Each check has a status, a one-line summary,
//! details to display, and a fix when something is wrong. No check ever puts
//! a secret in its output.

mod aws;
pub(crate) mod docker;
mod gh;
mod keychain;

use serde::Serialize;

use crate::config::DockerSettings;
use crate::secrets::Keychain;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable id: `docker`, `keychain`, `aws`, `gh`.
    pub id: &'static str,
    pub title: &'static str,
    pub status: Status,
    pub summary: String,
    pub details: Vec<Detail>,
    /// What to do, when the status is not Ok.
    pub fix: Option<String>,
}

impl Check {
    pub(crate) fn new(
        id: &'static str,
        title: &'static str,
        status: Status,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            id,
            title,
            status,
            summary: summary.into(),
            details: Vec::new(),
            fix: None,
        }
    }

    pub(crate) fn detail(mut self, label: &str, value: impl Into<String>) -> Self {
        self.details.push(Detail {
            label: label.to_string(),
            value: value.into(),
        });
        self
    }

    pub(crate) fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    pub checks: Vec<Check>,
}

impl DoctorReport {
    /// The worst status of all checks.
    pub fn overall(&self) -> Status {
        self.checks
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Ok)
    }
}

/// Runs every check concurrently. `runner_image` is the image the runners
/// will use; the Docker check says whether the engine has it already.
pub async fn run(
    docker_settings: &DockerSettings,
    runner_image: &str,
    keychain: &Keychain,
) -> DoctorReport {
    let (docker, keychain, aws, gh) = tokio::join!(
        docker::check(docker_settings, runner_image),
        keychain::check(keychain),
        aws::check(),
        gh::check(),
    );
    DoctorReport {
        checks: vec![docker, keychain, aws, gh],
    }
}

/// The Docker check alone (the app's Docker host step).
pub async fn run_docker(docker_settings: &DockerSettings, runner_image: &str) -> Check {
    docker::check(docker_settings, runner_image).await
}

/// Formats a byte count as GiB with one decimal, for display.
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1024.0 * 1024.0 * 1024.0))
}
