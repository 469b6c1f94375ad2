//! Tauri commands of the GitHub step. The token typed or imported here stays
//! in memory until it passes the checks and the user keeps it; then it lives
//! in the keychain only. It is never sent back to the page.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use slipway_engine::config::GithubSettings;
use slipway_engine::github::repos::{self, RepoInfo};
use slipway_engine::github::token::{check_token, import_from_gh, keep_token, TokenReport};
use slipway_engine::github::{GithubClient, DEFAULT_API_URL};
use slipway_engine::secrets::Keychain;
use slipway_engine::workflow::BuildSettings;
use tauri::State;

use crate::commands::{config_store, load_state};
use crate::state::AppState;

#[derive(Serialize)]
pub struct GithubStepData {
    organization: Option<String>,
    api_url: String,
    token_in_keychain: bool,
    repositories: Vec<String>,
    branches: Vec<String>,
    build_all_branches: bool,
    builds: BTreeMap<String, BuildSettings>,
}

#[tauri::command]
pub async fn github_step_data() -> Result<GithubStepData, String> {
    let state = load_state()?;
    let g = state
        .github
        .clone()
        .unwrap_or_else(|| GithubSettings::for_organization(""));
    let token_in_keychain = Keychain::default()
        .get(&g.token_secret)
        .await
        .map_err(|e| e.to_string())?
        .is_some();
    Ok(GithubStepData {
        organization: Some(g.organization.clone()).filter(|o| !o.is_empty()),
        api_url: g.api_url.clone(),
        token_in_keychain,
        repositories: g.repositories.clone(),
        branches: g.branches.clone(),
        build_all_branches: g.build_all_branches,
        builds: g.builds.clone(),
    })
}

#[derive(Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum TokenSource {
    Typed {
        token: String,
    },
    Gh,
    /// The token already in memory or in the keychain.
    Current,
}

#[derive(Deserialize)]
pub struct CheckRequest {
    token: TokenSource,
    organization: String,
    api_url: Option<String>,
}

fn api_url_of(request: Option<String>) -> String {
    request
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_API_URL.to_string())
}

/// The token to use: the one just given, the one in memory, or the keychain's.
async fn current_token(state: &AppState) -> Result<SecretString, String> {
    if let Some(t) = state.github_token.lock().await.clone() {
        return Ok(t);
    }
    let entry = load_state()?
        .github
        .map(|g| g.token_secret)
        .unwrap_or_else(|| "github-token".into());
    Keychain::default()
        .get(&entry)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "type a token or import it from gh first".to_string())
}

/// Checks what the token can do in the organization.
#[tauri::command]
pub async fn github_check(
    request: CheckRequest,
    state: State<'_, AppState>,
) -> Result<TokenReport, String> {
    let api_url = api_url_of(request.api_url.clone());
    let token = match request.token {
        TokenSource::Typed { token } => SecretString::from(token.trim().to_string()),
        TokenSource::Gh => import_from_gh(&api_url).await.map_err(|e| e.to_string())?,
        TokenSource::Current => current_token(&state).await?,
    };
    let org = request.organization.trim();
    if org.is_empty() {
        return Err("enter the GitHub organization the runners will serve".into());
    }
    let client = GithubClient::new(&api_url, &token).map_err(|e| e.to_string())?;
    let report = check_token(&client, org).await.map_err(|e| e.to_string())?;
    *state.github_token.lock().await = Some(token);
    Ok(report)
}

/// Keeps the checked token in the keychain (only if it passes) and saves the organization.
#[tauri::command]
pub async fn github_keep_token(
    request: CheckRequest,
    state: State<'_, AppState>,
) -> Result<(), String> {
    let token = current_token(&state).await?;
    let api_url = api_url_of(request.api_url);
    let org = request.organization.trim().to_string();
    let client = GithubClient::new(&api_url, &token).map_err(|e| e.to_string())?;
    let report = check_token(&client, &org)
        .await
        .map_err(|e| e.to_string())?;
    let mut desired = load_state()?;
    keep_token(
        &Keychain::default(),
        &mut desired,
        &token,
        &report,
        &api_url,
    )
    .await
    .map_err(|e| e.to_string())?;
    config_store()?.save(&desired).map_err(|e| e.to_string())?;
    *state.plan.lock().await = None;
    Ok(())
}

async fn client(state: &AppState) -> Result<(GithubClient, String), String> {
    let g = load_state()?.github.ok_or("check and keep a token first")?;
    let token = current_token(state).await?;
    Ok((
        GithubClient::new(&g.api_url, &token).map_err(|e| e.to_string())?,
        g.organization,
    ))
}

/// The organization's repositories, archived and disabled ones included.
#[tauri::command]
pub async fn github_repositories(state: State<'_, AppState>) -> Result<Vec<RepoInfo>, String> {
    let (client, org) = client(&state).await?;
    repos::repositories(&client, &org)
        .await
        .map_err(|e| e.to_string())
}

/// Candidate Dockerfiles on a repository's branch.
#[tauri::command]
pub async fn github_dockerfiles(
    repo: String,
    branch: String,
    state: State<'_, AppState>,
) -> Result<Vec<String>, String> {
    let (client, org) = client(&state).await?;
    repos::dockerfiles(&client, &org, &repo, &branch)
        .await
        .map(|(found, _)| found)
        .map_err(|e| e.to_string())
}

#[derive(Deserialize)]
pub struct RepositorySelection {
    repositories: Vec<String>,
    branches: Vec<String>,
    build_all_branches: bool,
    builds: BTreeMap<String, BuildSettings>,
}

/// Saves which repositories build, on which branches, from which Dockerfile.
#[tauri::command]
pub async fn save_repositories(
    selection: RepositorySelection,
    state: State<'_, AppState>,
) -> Result<(), String> {
    let branches: Vec<String> = selection
        .branches
        .iter()
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .collect();
    if branches.is_empty() && !selection.build_all_branches {
        return Err(
            "name at least one branch that builds (for example main), or build all branches".into(),
        );
    }
    let mut desired = load_state()?;
    let github = desired
        .github
        .as_mut()
        .ok_or("check and keep a token first")?;
    github.repositories = selection.repositories;
    github.branches = if branches.is_empty() {
        vec!["main".into()]
    } else {
        branches
    };
    github.build_all_branches = selection.build_all_branches;
    github.builds = selection
        .builds
        .into_iter()
        .filter(|(repo, b)| github.repositories.contains(repo) && *b != BuildSettings::default())
        .collect();
    config_store()?.save(&desired).map_err(|e| e.to_string())?;
    *state.plan.lock().await = None;
    Ok(())
}
