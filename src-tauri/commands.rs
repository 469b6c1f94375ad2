//! Tauri commands: each one calls the engine and returns serializable data.

use serde::Serialize;
use slipway_engine::config::{ConfigStore, DockerSettings};
use slipway_engine::doctor::{self, DoctorReport};
use slipway_engine::secrets::{Keychain, KEYCHAIN_SERVICE};

/// Runs the environment checks, with the Docker host from the saved settings.
#[tauri::command]
pub async fn doctor() -> Result<DoctorReport, String> {
    let settings = match ConfigStore::default_location().and_then(|s| s.load()) {
        Ok(loaded) => loaded.map(|l| l.state.docker).unwrap_or_default(),
        // A broken config is shown by app_info; check the default host meanwhile.
        Err(_) => DockerSettings::default(),
    };
    Ok(doctor::run(&settings, &Keychain::default()).await)
}

#[derive(Serialize)]
pub struct AppInfo {
    version: &'static str,
    config_path: String,
    config_exists: bool,
    config_error: Option<String>,
    keychain_service: &'static str,
}

/// Where settings and secrets live, and whether the settings file loads.
#[tauri::command]
pub fn app_info() -> Result<AppInfo, String> {
    let store = ConfigStore::default_location().map_err(|e| e.to_string())?;
    let (config_exists, config_error) = match store.load() {
        Ok(loaded) => (loaded.is_some(), None),
        Err(e) => (true, Some(e.to_string())),
    };
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        config_path: store.path().display().to_string(),
        config_exists,
        config_error,
        keychain_service: KEYCHAIN_SERVICE,
    })
}
