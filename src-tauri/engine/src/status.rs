//! The status window's facts: runners (container and GitHub side by side),
//! recent runs of Slipway's workflow, what each ECR repository holds, and
//! the health of every credential. Each section is observed on its own, so
//! one unreachable peer leaves the others readable and says why it is empty.

use serde::Serialize;

use crate::aws::images::{repository_images, RepositoryImages};
use crate::aws::keys::read_stored_key;
use crate::aws::session::{connect as aws_connect, AdminCredentials, AwsSession};
use crate::config::{AwsAuthMode, DesiredState};
use crate::doctor::{self, Check, Status};
use crate::github::runners::{list as list_registrations, RunnerStatus};
use crate::github::runs::{recent_runs, RunSummary};
use crate::github::token::check_token;
use crate::github::GithubClient;
use crate::runners::host::{container_name, list_runners, list_strays, RunnerContainer};
use crate::secrets::Keychain;
use bollard::Docker;

/// A section's rows, or why there are none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Section<T> {
    Ready { items: T },
    Unavailable { reason: String },
}

impl<T> Section<T> {
    fn from_result(r: Result<T, String>) -> Self {
        match r {
            Ok(items) => Section::Ready { items },
            Err(reason) => Section::Unavailable { reason },
        }
    }
}

/// One runner as the engine and GitHub each see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunnerRow {
    pub name: String,
    /// `running`, `stopped` or `missing`.
    pub container: String,
    /// `online`, `offline` or `not registered`.
    pub github: String,
    pub busy: bool,
    /// The configuration asks for this runner (false: left over, apply removes it).
    pub wanted: bool,
    /// Made by another Slipway install for this organization: removed only
    /// when asked (`--remove-stray-runners`, or the Status window's button).
    pub stray: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepositoryRuns {
    pub repository: String,
    pub runs: Vec<RunSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub organization: Option<String>,
    /// How workflows authenticate to AWS (`None`: AWS not set up); only
    /// access-key mode has a key to rotate.
    pub aws_auth: Option<AwsAuthMode>,
    pub runners: Section<Vec<RunnerRow>>,
    pub workflow_runs: Section<Vec<RepositoryRuns>>,
    pub images: Section<Vec<RepositoryImages>>,
    pub credentials: Vec<Check>,
}

/// Runners side by side: every wanted index, every container of this
/// install, every registration with this organization's runner prefix. Pure.
pub fn runner_rows(
    org: &str,
    wanted: u32,
    containers: &[RunnerContainer],
    strays: &[RunnerContainer],
    registered: &[RunnerStatus],
) -> Vec<RunnerRow> {
    let prefix = format!("slipway-{}-", org.to_ascii_lowercase());
    let mut names: Vec<(u32, String)> = (1..=wanted).map(|i| (i, container_name(org, i))).collect();
    let mut add = |name: &str| {
        if !names.iter().any(|(_, n)| n == name) {
            let index = name
                .strip_prefix(&prefix)
                .and_then(|i| i.parse().ok())
                .unwrap_or(u32::MAX);
            names.push((index, name.to_string()));
        }
    };
    containers.iter().chain(strays).for_each(|c| add(&c.name));
    registered
        .iter()
        .filter(|r| r.name.starts_with(&prefix))
        .for_each(|r| add(&r.name));
    names.sort();
    names
        .into_iter()
        .map(|(index, name)| {
            let stray = strays.iter().find(|c| c.name == name);
            let container = containers.iter().find(|c| c.name == name).or(stray);
            let registration = registered.iter().find(|r| r.name == name);
            RunnerRow {
                container: match container {
                    Some(c) if c.running => "running",
                    Some(_) => "stopped",
                    None => "missing",
                }
                .to_string(),
                github: registration
                    .map(|r| r.status.clone())
                    .unwrap_or_else(|| "not registered".to_string()),
                busy: registration.is_some_and(|r| r.busy),
                wanted: stray.is_none() && index >= 1 && index <= wanted,
                stray: stray.is_some(),
                name,
            }
        })
        .collect()
}

/// Observes everything the status window shows. `admin` is the admin's AWS
/// session when the user has signed in; without it, images are read with
/// the push key (access-key mode).
pub async fn collect(
    state: &DesiredState,
    keychain: &Keychain,
    admin: Option<&AwsSession>,
) -> StatusReport {
    let github_settings = state.github.as_ref().filter(|g| !g.organization.is_empty());
    let token = match github_settings {
        Some(g) => keychain.get(&g.token_secret).await.ok().flatten(),
        None => None,
    };
    let github = match (github_settings, &token) {
        (Some(g), Some(t)) => GithubClient::new(&g.api_url, t).ok(),
        _ => None,
    };
    let no_github = || {
        if github_settings.is_none() {
            "no organization chosen yet (GitHub step)".to_string()
        } else {
            "no GitHub token in the keychain (GitHub step)".to_string()
        }
    };

    let mut credentials = Vec::new();
    credentials.push(github_token_check(state, github.as_ref()).await);
    let push_session = aws_check(state, keychain, &mut credentials).await;
    if let Some(user) = &state.runners.registry_username {
        let present = keychain
            .get(&state.runners.registry_secret)
            .await
            .ok()
            .flatten()
            .is_some();
        credentials.push(if present {
            Check::new("registry", "Registry login", Status::Ok, format!("the password for {user} is in the keychain"))
        } else {
            Check::new("registry", "Registry login", Status::Error, format!("no password for {user} in the keychain"))
                .fix("enter it again in the Docker host step (CLI: `slipway init --registry-user NAME --registry-password-stdin`)")
        });
    }
    // One connection serves the host check and the runners section.
    let (docker_check, docker) =
        doctor::docker::check_and_connect(&state.docker, &state.runners.image).await;
    let docker_problem = docker_check.fix.clone().unwrap_or_default();
    credentials.push(docker_check);

    let runners = match (&github, github_settings) {
        (Some(client), Some(g)) => match &docker {
            Some(docker) => {
                Section::from_result(runners_section(state, docker, client, &g.organization).await)
            }
            None => Section::Unavailable {
                reason: format!("the Docker host: {docker_problem}"),
            },
        },
        _ => Section::Unavailable {
            reason: no_github(),
        },
    };
    let workflow_runs = match (&github, github_settings) {
        (Some(client), Some(g)) => {
            gather(g.repositories.iter().cloned().map(|repo| async move {
                recent_runs(client, &g.organization, &repo, &g.workflow_path, 5)
                    .await
                    .map(|runs| RepositoryRuns {
                        repository: repo,
                        runs,
                    })
                    .map_err(|e| e.to_string())
            }))
            .await
        }
        _ => Section::Unavailable {
            reason: no_github(),
        },
    };
    let images = match (admin.or(push_session.as_ref()), &state.aws) {
        (Some(session), Some(aws)) => {
            let names = crate::aws::ecr_repository_names(state);
            gather(names.into_iter().map(|name| async move {
                repository_images(&session.ecr, &name, &session.identity.arn, &aws.region)
                    .await
                    .map_err(|e| e.to_string())
            }))
            .await
        }
        (_, None) => Section::Unavailable {
            reason: "AWS is not set up yet (AWS step)".into(),
        },
        (None, Some(_)) => Section::Unavailable {
            reason: "sign in as the AWS admin in the AWS step to list images (OIDC mode keeps no key on this machine)".into(),
        },
    };
    StatusReport {
        organization: github_settings.map(|g| g.organization.clone()),
        aws_auth: state.aws.as_ref().map(|a| a.auth),
        runners,
        workflow_runs,
        images,
        credentials,
    }
}

/// Awaits each in turn; the first failure makes the whole section unavailable.
async fn gather<T, F>(futures: impl IntoIterator<Item = F>) -> Section<Vec<T>>
where
    F: std::future::Future<Output = Result<T, String>>,
{
    let mut items = Vec::new();
    for future in futures {
        match future.await {
            Ok(item) => items.push(item),
            Err(reason) => return Section::Unavailable { reason },
        }
    }
    Section::Ready { items }
}

async fn runners_section(
    state: &DesiredState,
    docker: &Docker,
    client: &GithubClient,
    org: &str,
) -> Result<Vec<RunnerRow>, String> {
    let registered = list_registrations(client, org)
        .await
        .map_err(|e| e.to_string())?;
    let containers = list_runners(docker, &state.install_id)
        .await
        .map_err(|e| e.to_string())?;
    let strays = list_strays(docker, org, &state.install_id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(runner_rows(
        org,
        state.runners.count,
        &containers,
        &strays,
        &registered,
    ))
}

async fn github_token_check(state: &DesiredState, client: Option<&GithubClient>) -> Check {
    const TITLE: &str = "GitHub token";
    let Some(g) = state.github.as_ref().filter(|g| !g.organization.is_empty()) else {
        return Check::new(
            "github",
            TITLE,
            Status::Warning,
            "no organization chosen yet",
        )
        .fix("choose one in the GitHub step");
    };
    let Some(client) = client else {
        return Check::new(
            "github",
            TITLE,
            Status::Error,
            "no GitHub token in the keychain",
        )
        .fix("check a token in the GitHub step, or run `slipway github login --token-stdin`");
    };
    match check_token(client, &g.organization).await {
        Ok(report) if report.passes() => {
            let mut check = Check::new(
                "github",
                TITLE,
                Status::Ok,
                format!(
                    "{} can do everything Slipway needs in {}",
                    report.login, g.organization
                ),
            );
            if let Some(expiry) = &report.expires_at {
                check = check.detail("Expires", expiry.clone());
            }
            check
        }
        Ok(report) => Check::new(
            "github",
            TITLE,
            Status::Error,
            format!("{} can no longer do everything Slipway needs", report.login),
        )
        .fix(report.problems().join("; ")),
        Err(e) => Check::new(
            "github",
            TITLE,
            Status::Error,
            "GitHub did not accept the check",
        )
        .fix(e.to_string()),
    }
}

/// The push identity's health; returns a session made with the push key so
/// images can be listed without the admin.
async fn aws_check(
    state: &DesiredState,
    keychain: &Keychain,
    out: &mut Vec<Check>,
) -> Option<AwsSession> {
    const TITLE: &str = "ECR push identity";
    let aws = state.aws.as_ref()?;
    if aws.auth == AwsAuthMode::Oidc {
        out.push(Check::new(
            "aws-push",
            TITLE,
            Status::Ok,
            format!(
                "OIDC role {}: no long-lived key to leak or rotate",
                aws.push_role
            ),
        ));
        return None;
    }
    let key = match read_stored_key(keychain, &aws.key_secret).await {
        Ok(Some(key)) => key,
        Ok(None) => {
            out.push(
                Check::new("aws-push", TITLE, Status::Error, "the push key is not in the keychain")
                    .fix("apply again (Review step or `slipway apply`): Slipway makes a new key and deletes the lost one"),
            );
            return None;
        }
        Err(e) => {
            out.push(
                Check::new(
                    "aws-push",
                    TITLE,
                    Status::Error,
                    "the keychain could not be read",
                )
                .fix(e.to_string()),
            );
            return None;
        }
    };
    let credentials = AdminCredentials::Keys {
        access_key_id: key.access_key_id.clone(),
        secret_access_key: key.secret_access_key.clone(),
        session_token: None,
    };
    match aws_connect(aws, &credentials).await {
        Ok(session) => {
            out.push(
                Check::new(
                    "aws-push",
                    TITLE,
                    Status::Ok,
                    format!("AWS accepts access key {}", key.access_key_id),
                )
                .detail("Identity", session.identity.arn.clone()),
            );
            Some(session)
        }
        Err(e) => {
            out.push(
                Check::new(
                    "aws-push",
                    TITLE,
                    Status::Error,
                    format!("AWS refuses access key {}", key.access_key_id),
                )
                .fix(format!(
                    "{e}. Rotate the key (Status window or `slipway rotate`)"
                )),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(name: &str, status: &str, busy: bool) -> RunnerStatus {
        RunnerStatus {
            id: 1,
            name: name.into(),
            status: status.into(),
            busy,
        }
    }

    #[test]
    fn runners_are_listed_by_index_with_both_sides_and_leftovers_marked() {
        let containers = vec![
            RunnerContainer {
                name: "slipway-acme-1".into(),
                index: 1,
                running: true,
            },
            RunnerContainer {
                name: "slipway-acme-3".into(),
                index: 3,
                running: false,
            },
        ];
        let strays = vec![RunnerContainer {
            name: "slipway-acme-4".into(),
            index: 4,
            running: true,
        }];
        let registered = vec![
            registration("slipway-acme-1", "online", true),
            registration("slipway-acme-10", "offline", false),
            registration("laptop", "online", false),
        ];
        let rows = runner_rows("Acme", 2, &containers, &strays, &registered);
        let view: Vec<(String, String, String, bool, bool, bool)> = rows
            .into_iter()
            .map(|r| (r.name, r.container, r.github, r.busy, r.wanted, r.stray))
            .collect();
        let row = |n: &str, c: &str, g: &str, busy, wanted, stray| {
            (
                n.to_string(),
                c.to_string(),
                g.to_string(),
                busy,
                wanted,
                stray,
            )
        };
        assert_eq!(
            view,
            [
                row("slipway-acme-1", "running", "online", true, true, false),
                row(
                    "slipway-acme-2",
                    "missing",
                    "not registered",
                    false,
                    true,
                    false
                ),
                row(
                    "slipway-acme-3",
                    "stopped",
                    "not registered",
                    false,
                    false,
                    false
                ),
                row(
                    "slipway-acme-4",
                    "running",
                    "not registered",
                    false,
                    false,
                    true
                ),
                row("slipway-acme-10", "missing", "offline", false, false, false),
            ]
        );
    }
}
