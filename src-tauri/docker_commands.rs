//! Tauri commands of the Docker host step: where the runners run and how
//! many, and a connection check that uses the doctor's own Docker check.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use slipway_engine::config::{DockerSettings, RunnerSettings};
use slipway_engine::doctor::{self, Check};
use tauri::State;

use crate::commands::{config_store, load_state};
use crate::state::AppState;

/// The most runners the app sets up on one host.
pub const MAX_RUNNERS: u32 = 32;

#[derive(Serialize)]
pub struct DockerStepData {
    docker: DockerSettings,
    runners: RunnerSettings,
    max_runners: u32,
}

#[tauri::command]
pub fn docker_step_data() -> Result<DockerStepData, String> {
    let state = load_state()?;
    Ok(DockerStepData {
        docker: state.docker,
        runners: state.runners,
        max_runners: MAX_RUNNERS,
    })
}

#[derive(Deserialize)]
pub struct DockerInput {
    host: Option<String>,
    tls_cert_dir: Option<PathBuf>,
    count: u32,
    labels: Vec<String>,
    image: String,
    network_mode: String,
    work_dir: PathBuf,
}

impl DockerInput {
    fn docker(&self) -> DockerSettings {
        DockerSettings {
            host: self.host.clone().filter(|h| !h.trim().is_empty()),
            tls_cert_dir: self
                .tls_cert_dir
                .clone()
                .filter(|d| !d.as_os_str().is_empty()),
        }
    }
}

/// Connects to the chosen host and says what it is and whether it has the image.
#[tauri::command]
pub async fn docker_check(input: DockerInput) -> Result<Check, String> {
    let report = doctor::run_docker(&input.docker(), input.image.trim()).await;
    Ok(report)
}

/// Validates and saves the host and the runner settings.
#[tauri::command]
pub async fn save_docker_settings(
    input: DockerInput,
    state: State<'_, AppState>,
) -> Result<(), String> {
    if input.count > MAX_RUNNERS {
        return Err(format!(
            "at most {MAX_RUNNERS} runners on one host: each needs memory and a registration"
        ));
    }
    if input.image.trim().is_empty() {
        return Err("name the runner image (for example myoung34/github-runner:2.329.0)".into());
    }
    if !matches!(input.network_mode.as_str(), "bridge" | "host") {
        return Err("the runners' network is bridge (the default) or host".into());
    }
    if !input.work_dir.is_absolute() {
        return Err("the work directory must be an absolute path on the Docker host".into());
    }
    let mut desired = load_state()?;
    desired.docker = input.docker();
    desired.runners.count = input.count;
    desired.runners.labels = input
        .labels
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    desired.runners.image = input.image.trim().to_string();
    desired.runners.network_mode = input.network_mode.clone();
    desired.runners.work_dir = input.work_dir.clone();
    config_store()?.save(&desired).map_err(|e| e.to_string())?;
    *state.plan.lock().await = None;
    Ok(())
}
