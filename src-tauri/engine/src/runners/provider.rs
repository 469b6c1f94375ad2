//! Runners as a provider of the plan: `docker.runner/slipway-<org>-<i>` for
//! i in 1..=count, observed from this install's labelled containers and
//! GitHub's runner list. Apply creates a runner (image pulled with progress,
//! a fresh registration token, the registration kept in a volume) and waits
//! until GitHub lists it online; an exited container or an offline runner is
//! an update; scaling down deregisters from GitHub before removing the
//! container and never removes a busy runner. GitHub registrations with this
//! organization's runner prefix and no container (`github.runner/...`) are
//! orphans and are removed. Runner containers that another Slipway install
//! made for the same organization on this host (`docker.stray_runner/...`)
//! are reported, and removed only when asked (`remove_strays`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bollard::Docker;
use secrecy::SecretString;

use super::env::{environment, labels, RunnerAuth, RunnerSpec};
use super::host::{self, container_name, RegistryLogin, RunnerContainerSpec, REGISTRATION_DIR};
use crate::apply::{StepError, StepProgress};
use crate::config::{DesiredState, RunnerAuthMode, RunnerSettings};
use crate::events::ProgressUnit;
use crate::github::runners::{list, registration_token, remove, RunnerStatus};
use crate::github::{GithubClient, GithubError};
use crate::plan::{Action, Attributes, DesiredResource, ObservedResource, ResourceId, Step};
use crate::secrets::Keychain;

pub const KIND_RUNNER: &str = "docker.runner";
pub const KIND_ORPHAN: &str = "github.runner";
pub const KIND_STRAY: &str = "docker.stray_runner";

pub struct RunnersProvider {
    pub docker: Docker,
    pub github: GithubClient,
    pub organization: String,
    pub settings: RunnerSettings,
    pub install_id: String,
    /// GitHub Enterprise Server's host for the image's `GITHUB_HOST`.
    pub github_host: Option<String>,
    /// The PAT, kept only in the PAT-in-container mode.
    pub access_token: Option<SecretString>,
    /// Credentials for the image's registry, when a user name is set.
    pub registry_password: Option<SecretString>,
    /// Plan the removal of runner containers another install left for this
    /// organization (observation only: apply removes what the plan lists).
    pub remove_strays: bool,
}

impl RunnersProvider {
    /// The runners provider for a desired state, when runners are wanted or
    /// this install still has runner containers to remove; `None` otherwise
    /// (then the Docker host is not needed at all).
    pub async fn for_state(
        state: &DesiredState,
        keychain: &Keychain,
    ) -> Result<Option<Self>, String> {
        let Some(g) = state.github.as_ref().filter(|g| !g.organization.is_empty()) else {
            return Ok(None);
        };
        let token = keychain
            .get(&g.token_secret)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no GitHub token in the keychain: check a token again in the GitHub step (or run `slipway github login`)")?;
        let endpoint =
            crate::docker::DockerEndpoint::resolve(&state.docker).map_err(|e| e.to_string())?;
        let docker = match crate::docker::connect(&endpoint).await {
            Ok((docker, _)) => docker,
            Err(_) if state.runners.count == 0 => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        if state.runners.count == 0
            && host::list_runners(&docker, &state.install_id)
                .await
                .map(|l| l.is_empty())
                .unwrap_or(true)
        {
            return Ok(None);
        }
        let registry_password = match &state.runners.registry_username {
            Some(user) => Some(
                keychain
                    .get(&state.runners.registry_secret)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!(
                        "the registry password for {user} is not in the keychain. Enter it again in the Docker host step, or run `slipway init --registry-user {user} --registry-password-stdin`"
                    ))?,
            ),
            None => None,
        };
        let access_token =
            (state.runners.auth == RunnerAuthMode::PatInContainer).then(|| token.clone());
        Ok(Some(Self {
            docker,
            github: GithubClient::new(&g.api_url, &token).map_err(|e| e.to_string())?,
            organization: g.organization.clone(),
            settings: state.runners.clone(),
            install_id: state.install_id.clone(),
            github_host: github_host_for(&g.api_url),
            access_token,
            registry_password,
            remove_strays: false,
        }))
    }
}

/// `GITHUB_HOST` for an API URL: none for github.com, the host otherwise.
pub fn github_host_for(api_url: &str) -> Option<String> {
    if api_url.contains("://api.github.com") {
        return None;
    }
    let rest = api_url.split("://").nth(1).unwrap_or(api_url);
    Some(
        rest.trim_end_matches('/')
            .trim_end_matches("/api/v3")
            .to_string(),
    )
}

/// How many runners the plan starts or rebuilds with the PAT in their
/// environment (the warned PAT-in-container mode), for a warning next to it.
pub fn runners_holding_token(plan: &crate::plan::Plan) -> usize {
    let holding = auth_attribute(true);
    plan.changes()
        .filter(|s| s.resource.kind == KIND_RUNNER && s.action != Action::Delete)
        .filter(|s| s.attributes.get("auth") == Some(&holding))
        .count()
}

/// The `auth` attribute: what a runner container holds to reach GitHub.
fn auth_attribute(pat_in_container: bool) -> String {
    if pat_in_container {
        "GitHub token in the container (ACCESS_TOKEN)".to_string()
    } else {
        "registration token only".to_string()
    }
}

fn attrs(settings: &RunnerSettings) -> Attributes {
    Attributes::from([
        ("image".to_string(), settings.image.clone()),
        ("labels".to_string(), labels(&settings.labels).join(",")),
        (
            "auth".to_string(),
            auth_attribute(settings.auth == RunnerAuthMode::PatInContainer),
        ),
        ("state".to_string(), "running, online in GitHub".to_string()),
    ])
}

/// The runners the desired state asks for. Pure.
pub fn desired_resources(state: &DesiredState) -> Vec<DesiredResource> {
    let Some(github) = &state.github else {
        return Vec::new();
    };
    (1..=state.runners.count)
        .map(|i| DesiredResource {
            id: ResourceId::new(KIND_RUNNER, container_name(&github.organization, i)),
            depends_on: vec![],
            attributes: attrs(&state.runners),
        })
        .collect()
}

fn gh(e: GithubError) -> StepError {
    StepError::new(e.to_string())
}

impl RunnersProvider {
    fn prefix(&self) -> String {
        format!("slipway-{}-", self.organization.to_ascii_lowercase())
    }

    /// Containers of this install, and GitHub registrations of this prefix.
    pub async fn observe(&self) -> Result<Vec<ObservedResource>, StepError> {
        let containers = host::list_runners(&self.docker, &self.install_id)
            .await
            .map_err(|e| StepError::new(e.to_string()))?;
        let registered = list(&self.github, &self.organization).await.map_err(gh)?;
        let mut out = Vec::new();
        for c in &containers {
            let inspect = self.docker.inspect_container(&c.name, None).await.ok();
            let config = inspect.as_ref().and_then(|i| i.config.clone());
            let image = config
                .as_ref()
                .and_then(|c| c.image.clone())
                .unwrap_or_default();
            let env = config.and_then(|c| c.env).unwrap_or_default();
            let label_list = env
                .iter()
                .find_map(|e| e.strip_prefix("LABELS="))
                .unwrap_or_default()
                .to_string();
            let pat_in_container = env.iter().any(|e| e.starts_with("ACCESS_TOKEN="));
            let online = registered
                .iter()
                .any(|r| r.name == c.name && r.status == "online");
            let state = match (c.running, online) {
                (true, true) => "running, online in GitHub".to_string(),
                (true, false) => "running, not online in GitHub".to_string(),
                (false, _) => "container not running".to_string(),
            };
            out.push(ObservedResource {
                id: ResourceId::new(KIND_RUNNER, &c.name),
                depends_on: vec![],
                attributes: Attributes::from([
                    ("image".into(), image),
                    ("labels".into(), label_list),
                    ("auth".into(), auth_attribute(pat_in_container)),
                    ("state".into(), state),
                ]),
                owned: true,
            });
        }
        // Another install's runners for this organization: reported, and
        // removed (before any runner of ours takes a name) only when asked.
        let strays = host::list_strays(&self.docker, &self.organization, &self.install_id)
            .await
            .map_err(|e| StepError::new(e.to_string()))?;
        for c in &strays {
            out.push(ObservedResource {
                id: ResourceId::new(KIND_STRAY, &c.name),
                depends_on: vec![],
                attributes: Attributes::from([(
                    "state".into(),
                    format!(
                        "left by another Slipway install ({})",
                        if c.running { "running" } else { "stopped" }
                    ),
                )]),
                owned: self.remove_strays,
            });
        }
        // Names the plan wants that a foreign container holds: refused by the plan.
        for i in 1..=self.settings.count {
            let name = container_name(&self.organization, i);
            if containers.iter().any(|c| c.name == name)
                || (self.remove_strays && strays.iter().any(|c| c.name == name))
            {
                continue;
            }
            if self.docker.inspect_container(&name, None).await.is_ok() {
                out.push(ObservedResource {
                    id: ResourceId::new(KIND_RUNNER, &name),
                    depends_on: vec![],
                    attributes: Attributes::new(),
                    owned: false,
                });
            }
        }
        // Registrations with our prefix whose container is gone and that no
        // desired runner will reuse: orphans.
        for r in registered
            .iter()
            .filter(|r| r.name.starts_with(&self.prefix()))
        {
            let has_container = containers.iter().any(|c| c.name == r.name);
            let index_wanted = r.name[self.prefix().len()..]
                .parse::<u32>()
                .is_ok_and(|i| i >= 1 && i <= self.settings.count);
            if !has_container && !index_wanted && r.status != "online" {
                out.push(ObservedResource {
                    id: ResourceId::new(KIND_ORPHAN, &r.name),
                    depends_on: vec![],
                    attributes: Attributes::from([("status".into(), r.status.clone())]),
                    owned: true,
                });
            }
        }
        Ok(out)
    }

    fn work_dir(&self, name: &str) -> PathBuf {
        self.settings.work_dir.join(name)
    }

    async fn registration(&self, name: &str) -> Result<Option<RunnerStatus>, StepError> {
        Ok(list(&self.github, &self.organization)
            .await
            .map_err(gh)?
            .into_iter()
            .find(|r| r.name == name))
    }

    async fn ensure_image(&self, progress: &StepProgress<'_>) -> Result<(), StepError> {
        if self
            .docker
            .inspect_image(&self.settings.image)
            .await
            .is_ok()
        {
            return Ok(());
        }
        let label = format!("pulling {}", self.settings.image);
        let login = self
            .settings
            .registry_username
            .clone()
            .zip(self.registry_password.clone())
            .map(|(username, password)| RegistryLogin { username, password });
        host::pull_image(&self.docker, &self.settings.image, login, &|done, total| {
            progress.report(label.clone(), done, total, ProgressUnit::Bytes)
        })
        .await
        .map_err(|e| StepError::new(e.to_string()))
    }

    async fn create(
        &self,
        name: &str,
        index: u32,
        progress: &StepProgress<'_>,
    ) -> Result<(), StepError> {
        self.ensure_image(progress).await?;
        if self.registration(name).await?.is_none() {
            host::forget_registration(&self.docker, name)
                .await
                .map_err(|e| StepError::new(e.to_string()))?;
        }
        let auth = match &self.access_token {
            Some(pat) => RunnerAuth::AccessToken(pat.clone()),
            None => RunnerAuth::RegistrationToken(
                registration_token(&self.github, &self.organization)
                    .await
                    .map_err(gh)?,
            ),
        };
        let spec = RunnerSpec {
            organization: self.organization.clone(),
            name: name.to_string(),
            extra_labels: self.settings.labels.clone(),
            group: self.settings.group.clone(),
            work_dir: self.work_dir(name),
            registration_dir: REGISTRATION_DIR.into(),
            ephemeral: false,
            disable_auto_update: false,
            github_host: self.github_host.clone(),
        };
        let container = RunnerContainerSpec {
            name: name.to_string(),
            index,
            install_id: &self.install_id,
            organization: &self.organization,
            image: &self.settings.image,
            env: environment(&spec, &auth),
            work_dir: spec.work_dir.clone(),
            network_mode: &self.settings.network_mode,
        };
        host::create_and_start(&self.docker, &container)
            .await
            .map_err(|e| StepError::new(e.to_string()))?;
        self.wait_online(name, progress).await
    }

    async fn wait_online(&self, name: &str, progress: &StepProgress<'_>) -> Result<(), StepError> {
        let started = Instant::now();
        let timeout = Duration::from_secs(self.settings.online_timeout_secs);
        loop {
            if self
                .registration(name)
                .await?
                .is_some_and(|r| r.status == "online")
            {
                progress.note(format!("{name} is online in GitHub"));
                return Ok(());
            }
            if started.elapsed() > timeout {
                let logs = host::last_logs(&self.docker, name, 20).await;
                return Err(StepError::new(format!(
                    "{name} did not come online in GitHub within {} s. Its last log lines:\n{logs}",
                    timeout.as_secs()
                ))
                .with_hint("check the container's network access to GitHub and the registration token's organization"));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn delete(&self, name: &str) -> Result<(), StepError> {
        if let Some(r) = self.registration(name).await? {
            if r.busy {
                return Err(StepError::new(format!("{name} is running a job, so it is not removed now"))
                    .with_hint("apply again when the job has finished; nothing else was changed for this runner"));
            }
            remove(&self.github, &self.organization, r.id)
                .await
                .map_err(gh)?;
        }
        host::remove(
            &self.docker,
            name,
            &self.settings.work_dir,
            &self.settings.image,
        )
        .await
        .map_err(|e| StepError::new(e.to_string()))
    }

    /// Carries out one runner step.
    pub async fn run_step(
        &self,
        step: &Step,
        progress: &StepProgress<'_>,
    ) -> Result<(), StepError> {
        let name = step.resource.name.as_str();
        match (step.resource.kind.as_str(), step.action) {
            (KIND_RUNNER, Action::Create) => {
                let index = name
                    .rsplit('-')
                    .next()
                    .and_then(|i| i.parse().ok())
                    .unwrap_or(0);
                self.create(name, index, progress).await
            }
            (KIND_RUNNER, Action::Update) => {
                let index = name
                    .rsplit('-')
                    .next()
                    .and_then(|i| i.parse().ok())
                    .unwrap_or(0);
                let rebuild = step
                    .changes
                    .iter()
                    .any(|c| ["image", "labels", "auth"].contains(&c.attribute.as_str()));
                if rebuild {
                    // The registration volume stays, so the runner keeps its identity.
                    let stop = bollard::query_parameters::RemoveContainerOptionsBuilder::default()
                        .force(true)
                        .build();
                    let _ = self.docker.remove_container(name, Some(stop)).await;
                }
                self.create(name, index, progress).await
            }
            (KIND_RUNNER, Action::Delete) => self.delete(name).await,
            (KIND_STRAY, Action::Delete) => {
                let work = host::work_dir_of(&self.docker, name).await;
                if let Some(r) = self.registration(name).await? {
                    if r.busy {
                        return Err(StepError::new(format!(
                            "{name} (another install's runner) is running a job, so it is not removed now"
                        ))
                        .with_hint("apply again when the job has finished"));
                    }
                    remove(&self.github, &self.organization, r.id)
                        .await
                        .map_err(gh)?;
                }
                let base = work
                    .as_ref()
                    .and_then(|w| w.parent())
                    .unwrap_or(&self.settings.work_dir)
                    .to_path_buf();
                host::remove(&self.docker, name, &base, &self.settings.image)
                    .await
                    .map_err(|e| StepError::new(e.to_string()))
            }
            (KIND_ORPHAN, Action::Delete) => match self.registration(name).await? {
                Some(r) => remove(&self.github, &self.organization, r.id)
                    .await
                    .map_err(gh),
                None => Ok(()),
            },
            (_, Action::NoOp) => Ok(()),
            (kind, _) => Err(StepError::new(format!(
                "the runners provider does not handle {kind}"
            ))),
        }
    }
}

impl crate::apply::StepRunner for RunnersProvider {
    async fn run(&self, step: &Step, progress: &StepProgress<'_>) -> Result<(), StepError> {
        self.run_step(step, progress).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enterprise_hosts_are_passed_and_github_com_is_not() {
        assert_eq!(github_host_for("https://api.github.com"), None);
        assert_eq!(
            github_host_for("https://ghe.corp.example/api/v3"),
            Some("ghe.corp.example".into())
        );
        assert_eq!(
            github_host_for("http://127.0.0.1:5002"),
            Some("127.0.0.1:5002".into())
        );
    }

    #[test]
    fn one_runner_per_index_named_after_the_organization() {
        let mut state = DesiredState::new();
        state.github = Some(crate::config::GithubSettings::for_organization("Acme"));
        state.runners.count = 3;
        state.runners.labels = vec!["gpu".into()];
        let desired = desired_resources(&state);
        let names: Vec<String> = desired.iter().map(|d| d.id.to_string()).collect();
        assert_eq!(
            names,
            [
                "docker.runner/slipway-acme-1",
                "docker.runner/slipway-acme-2",
                "docker.runner/slipway-acme-3"
            ]
        );
        assert_eq!(
            desired[0].attributes["labels"],
            "self-hosted,linux,slipway,gpu"
        );
        state.github = None;
        assert!(desired_resources(&state).is_empty());
    }
}
