//! Tauri commands: each one calls the engine and returns serializable data
//! or a human message. Nothing here decides what to create.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use slipway_engine::apply::{apply, ApplyReport};
use slipway_engine::aws::profiles::{self, CredentialSources};
use slipway_engine::aws::session::{self, AdminCredentials, CallerIdentity};
use slipway_engine::aws::{naming, AwsPlanOptions, AwsProvider};
use slipway_engine::config::{AwsAuthMode, AwsSettings, ConfigStore, DesiredState};
use slipway_engine::doctor::{self, DoctorReport};
use slipway_engine::events::ProgressEvent;
use slipway_engine::github::provider::GithubProvider;
use slipway_engine::github::GithubClient;
use slipway_engine::plan::Plan;
use slipway_engine::providers::{teardown_state, Providers};
use slipway_engine::runners::provider::RunnersProvider;
use slipway_engine::secrets::{Keychain, KEYCHAIN_SERVICE};
use tauri::ipc::Channel;
use tauri::State;

use crate::state::AppState;

pub(crate) fn config_store() -> Result<ConfigStore, String> {
    ConfigStore::default_location().map_err(|e| e.to_string())
}

pub(crate) fn load_state() -> Result<DesiredState, String> {
    let loaded = config_store()?.load().map_err(|e| e.to_string())?;
    Ok(loaded.map(|l| l.state).unwrap_or_default())
}

/// Runs the environment checks, with the Docker host from the saved settings.
#[tauri::command]
pub async fn doctor() -> Result<DoctorReport, String> {
    // A broken config is shown by app_info; check the default host meanwhile.
    let state = load_state().unwrap_or_default();
    Ok(doctor::run(&state.docker, &state.runners.image, &Keychain::default()).await)
}

#[derive(Serialize)]
pub struct AppInfo {
    version: &'static str,
    config_path: String,
    config_exists: bool,
    config_error: Option<String>,
    keychain_service: &'static str,
    /// GitHub and AWS are chosen: the app opens on the Status window.
    set_up: bool,
}

/// Where settings and secrets live, and whether the settings file loads.
#[tauri::command]
pub fn app_info() -> Result<AppInfo, String> {
    let store = config_store()?;
    let (config_exists, config_error, set_up) = match store.load() {
        Ok(loaded) => {
            let set_up = loaded.as_ref().is_some_and(|l| {
                l.state.aws.is_some()
                    && l.state
                        .github
                        .as_ref()
                        .is_some_and(|g| !g.organization.is_empty())
            });
            (loaded.is_some(), None, set_up)
        }
        Err(e) => (true, Some(e.to_string()), false),
    };
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        config_path: store.path().display().to_string(),
        config_exists,
        config_error,
        keychain_service: KEYCHAIN_SERVICE,
        set_up,
    })
}

#[derive(Serialize)]
pub struct AwsStepData {
    sources: Option<CredentialSources>,
    sources_error: Option<String>,
    remembered_keys: bool,
    settings: AwsSettings,
    /// What the ECR repositories are derived from (set by the GitHub step or `slipway init`).
    organization: Option<String>,
    repositories: Vec<String>,
    branches: Vec<String>,
    identity: Option<CallerIdentity>,
}

/// Everything the AWS step shows when it opens.
#[tauri::command]
pub async fn aws_step_data(state: State<'_, AppState>) -> Result<AwsStepData, String> {
    let desired = load_state()?;
    let (sources, sources_error) = match profiles::discover().await {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(e)),
    };
    let remembered_keys = session::remembered_admin_keys(&Keychain::default())
        .await
        .map_err(|e| e.to_string())?
        .is_some();
    let github = desired.github.clone();
    Ok(AwsStepData {
        sources,
        sources_error,
        remembered_keys,
        settings: desired
            .aws
            .clone()
            .unwrap_or_else(|| AwsSettings::for_region("us-east-1")),
        organization: github.as_ref().map(|g| g.organization.clone()),
        repositories: github
            .as_ref()
            .map(|g| g.repositories.clone())
            .unwrap_or_default(),
        branches: github.map(|g| g.branches).unwrap_or_default(),
        identity: state.aws.lock().await.as_ref().map(|s| s.identity.clone()),
    })
}

/// How the user chose to sign in as the AWS admin. Typed secrets arrive here
/// once, are wrapped at once, and are never sent back.
#[derive(Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum ConnectSource {
    DefaultChain,
    Profile {
        profile: String,
    },
    Keys {
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        remember: bool,
    },
    Remembered,
}

#[derive(Deserialize)]
pub struct ConnectRequest {
    credentials: ConnectSource,
    region: String,
    endpoint_url: Option<String>,
}

/// Signs in as the admin and returns who that is (STS GetCallerIdentity).
#[tauri::command]
pub async fn aws_connect(
    request: ConnectRequest,
    state: State<'_, AppState>,
) -> Result<CallerIdentity, String> {
    let keychain = Keychain::default();
    let (credentials, remember) = match request.credentials {
        ConnectSource::DefaultChain => (AdminCredentials::DefaultChain, false),
        ConnectSource::Profile { profile } => (AdminCredentials::Profile(profile), false),
        ConnectSource::Keys {
            access_key_id,
            secret_access_key,
            session_token,
            remember,
        } => (
            AdminCredentials::Keys {
                access_key_id: access_key_id.trim().to_string(),
                secret_access_key: SecretString::from(secret_access_key.trim().to_string()),
                session_token: session_token
                    .filter(|t| !t.trim().is_empty())
                    .map(SecretString::from),
            },
            remember,
        ),
        ConnectSource::Remembered => (
            session::remembered_admin_keys(&keychain)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("no admin keys are remembered in the keychain; type them in")?,
            false,
        ),
    };
    let mut settings = AwsSettings::for_region(request.region.trim());
    settings.endpoint_url = request.endpoint_url.filter(|u| !u.trim().is_empty());
    let connected = session::connect(&settings, &credentials)
        .await
        .map_err(|e| e.to_string())?;
    if remember {
        session::remember_admin_keys(&keychain, &credentials)
            .await
            .map_err(|e| e.to_string())?;
    }
    let identity = connected.identity.clone();
    *state.aws.lock().await = Some(connected);
    *state.plan.lock().await = None;
    Ok(identity)
}

/// Forgets remembered admin keys.
#[tauri::command]
pub async fn aws_forget_keys() -> Result<bool, String> {
    session::forget_admin_keys(&Keychain::default())
        .await
        .map_err(|e| e.to_string())
}

#[derive(Deserialize)]
pub struct AwsSettingsInput {
    region: String,
    repository_prefix: String,
    keep_tagged_images: u32,
    auth: AwsAuthMode,
    endpoint_url: Option<String>,
}

/// Validates and saves the AWS part of the desired state.
#[tauri::command]
pub async fn save_aws_settings(
    input: AwsSettingsInput,
    state: State<'_, AppState>,
) -> Result<(), String> {
    session::validate_region(input.region.trim()).map_err(|e| e.to_string())?;
    naming::validate_prefix(input.repository_prefix.trim()).map_err(|e| e.to_string())?;
    if !(1..=1000).contains(&input.keep_tagged_images) {
        return Err("keep between 1 and 1000 images per repository".into());
    }
    let store = config_store()?;
    let mut desired = load_state()?;
    let aws = desired
        .aws
        .get_or_insert_with(|| AwsSettings::for_region(input.region.trim()));
    aws.region = input.region.trim().to_string();
    aws.repository_prefix = input.repository_prefix.trim().to_string();
    aws.keep_tagged_images = input.keep_tagged_images;
    aws.auth = input.auth;
    aws.endpoint_url = input.endpoint_url.filter(|u| !u.trim().is_empty());
    store.save(&desired).map_err(|e| e.to_string())?;
    *state.plan.lock().await = None;
    Ok(())
}

pub(crate) async fn provider(state: &AppState) -> Result<(DesiredState, Providers), String> {
    let desired = load_state()?;
    let settings = desired
        .aws
        .clone()
        .ok_or("save the AWS settings first (AWS step)")?;
    let session = state
        .aws
        .lock()
        .await
        .clone()
        .ok_or("sign in as the AWS admin first (AWS step, \"Check identity\")")?;
    if session.identity.region != settings.region {
        return Err(format!(
            "the admin session is for {} but the settings say {}: check the identity again",
            session.identity.region, settings.region
        ));
    }
    let aws = AwsProvider::new(session, Keychain::default(), &desired, settings);
    let github = match &desired.github {
        Some(g) if !g.organization.is_empty() => match Keychain::default()
            .get(&g.token_secret)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(token) => Some(GithubProvider {
                client: GithubClient::new(&g.api_url, &token).map_err(|e| e.to_string())?,
                keychain: Keychain::default(),
                settings: g.clone(),
                install_id: desired.install_id.clone(),
            }),
            None => None,
        },
        _ => None,
    };
    // Runners need GitHub (registration tokens) and the Docker host.
    let runners = match (&github, &desired.github) {
        (Some(_), Some(_)) => RunnersProvider::for_state(&desired, &Keychain::default()).await?,
        _ => None,
    };
    let providers = Providers::new(aws, github, runners, &desired);
    Ok((desired, providers))
}

/// A request to plan the removal of everything Slipway made.
#[derive(Deserialize)]
pub struct TeardownRequest {
    /// Also delete the ECR repositories and their images.
    delete_repositories: bool,
}

/// Observes the world and computes the plan (towards the settings, or
/// towards nothing for a teardown); keeps it for apply.
#[tauri::command]
pub async fn plan_changes(
    teardown: Option<TeardownRequest>,
    remove_stray_runners: Option<bool>,
    state: State<'_, AppState>,
) -> Result<Plan, String> {
    let (desired, mut p) = provider(&state).await?;
    // Only observation depends on it: the reviewed plan's deletions of
    // strays are carried out by apply as they stand.
    if let Some(r) = p.runners.as_mut() {
        r.remove_strays = remove_stray_runners.unwrap_or(false);
    }
    let (target, options) = match teardown {
        Some(t) => (
            teardown_state(&desired),
            AwsPlanOptions {
                delete_repositories: t.delete_repositories,
                ..AwsPlanOptions::default()
            },
        ),
        None => (desired, AwsPlanOptions::default()),
    };
    let plan = p.plan(&target, &options).await.map_err(|e| e.to_string())?;
    *state.plan.lock().await = Some(plan.clone());
    Ok(plan)
}

/// Applies the plan the user reviewed, streaming progress events.
#[tauri::command]
pub async fn apply_changes(
    on_event: Channel<ProgressEvent>,
    state: State<'_, AppState>,
) -> Result<ApplyReport, String> {
    let plan = state
        .plan
        .lock()
        .await
        .clone()
        .ok_or("review the plan first")?;
    let (_, p) = provider(&state).await?;
    let sink = |event: ProgressEvent| {
        let _ = on_event.send(event);
    };
    let report = apply(&plan, &p, &sink).await;
    *state.plan.lock().await = None;
    Ok(report)
}
