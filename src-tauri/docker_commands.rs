//! Tauri commands of the Docker host step: where the runners run and how
//! many, and a connection check that uses the doctor's own Docker check.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use slipway_engine::config::{
    DockerSettings, RunnerAuthMode, RunnerSettings, PAT_IN_CONTAINER_WARNING,
};
use slipway_engine::doctor::{self, Check};
use slipway_engine::secrets::Keychain;
use tauri::State;

use crate::commands::{config_store, load_state};
use crate::state::AppState;

#[derive(Serialize)]
pub struct DockerStepData {
    docker: DockerSettings,
    runners: RunnerSettings,
    max_runners: u32,
    /// Whether the registry password is already in the keychain.
    registry_password_saved: bool,
    pat_in_container_warning: &'static str,
}

#[tauri::command]
pub async fn docker_step_data() -> Result<DockerStepData, String> {
    let state = load_state()?;
    let registry_password_saved = match state.runners.registry_username {
        Some(_) => Keychain::default()
            .get(&state.runners.registry_secret)
            .await
            .map_err(|e| e.to_string())?
            .is_some(),
        None => false,
    };
    Ok(DockerStepData {
        max_runners: state.runners.max_count,
        docker: state.docker,
        runners: state.runners,
        registry_password_saved,
        pat_in_container_warning: PAT_IN_CONTAINER_WARNING,
    })
}

#[derive(Deserialize)]
pub struct DockerInput {
    host: Option<String>,
    tls_cert_dir: Option<PathBuf>,
    ssh_identity: Option<PathBuf>,
    count: u32,
    labels: Vec<String>,
    image: String,
    network_mode: String,
    work_dir: PathBuf,
    #[serde(default)]
    pat_in_container: bool,
    registry_username: Option<String>,
    /// Only when typed in this step; kept in the keychain, never in the file.
    registry_password: Option<String>,
}

fn non_empty(path: &Option<PathBuf>) -> Option<PathBuf> {
    path.clone().filter(|d| !d.as_os_str().is_empty())
}

impl DockerInput {
    fn docker(&self) -> DockerSettings {
        DockerSettings {
            host: self.host.clone().filter(|h| !h.trim().is_empty()),
            tls_cert_dir: non_empty(&self.tls_cert_dir),
            ssh_identity: non_empty(&self.ssh_identity),
        }
    }
}

/// Connects to the chosen host and says what it is and whether it has the image.
#[tauri::command]
pub async fn docker_check(input: DockerInput) -> Result<Check, String> {
    let report = doctor::run_docker(&input.docker(), input.image.trim()).await;
    Ok(report)
}

/// Validates and saves the host and the runner settings; a typed registry
/// password goes to the keychain.
#[tauri::command]
pub async fn save_docker_settings(
    input: DockerInput,
    state: State<'_, AppState>,
) -> Result<(), String> {
    let mut desired = load_state()?;
    let mut runners = RunnerSettings {
        count: input.count,
        labels: input.labels.clone(),
        image: input.image.clone(),
        network_mode: input.network_mode.clone(),
        work_dir: input.work_dir.clone(),
        auth: if input.pat_in_container {
            RunnerAuthMode::PatInContainer
        } else {
            RunnerAuthMode::RegistrationToken
        },
        registry_username: input.registry_username.clone(),
        ..desired.runners.clone()
    };
    runners.validate()?;
    let keychain = Keychain::default();
    match (&runners.registry_username, &input.registry_password) {
        (Some(_), Some(password)) if !password.is_empty() => {
            keychain
                .set(
                    &runners.registry_secret,
                    SecretString::from(password.clone()),
                )
                .await
                .map_err(|e| e.to_string())?;
        }
        (Some(user), _) => {
            if keychain
                .get(&runners.registry_secret)
                .await
                .map_err(|e| e.to_string())?
                .is_none()
            {
                return Err(format!(
                    "enter the registry password for {user}: it is kept in the keychain"
                ));
            }
        }
        (None, _) => {
            keychain
                .delete(&runners.registry_secret)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    desired.docker = input.docker();
    desired.runners = runners;
    config_store()?.save(&desired).map_err(|e| e.to_string())?;
    *state.plan.lock().await = None;
    Ok(())
}
