//! Runner containers on a Docker host: pulling the image with per-layer
//! progress, creating and starting `slipway-<org>-<i>` with the contract's
//! environment, finding Slipway's containers by label, and removing them with
//! their registration volume and work directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::models::{ContainerCreateBody, HostConfig, RestartPolicy, RestartPolicyNameEnum};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, ListContainersOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
    StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use super::env::EnvVar;

pub const LABEL_INSTALL: &str = "dev.slipway.install";
pub const LABEL_INDEX: &str = "dev.slipway.runner-index";
pub const LABEL_ORG: &str = "dev.slipway.org";
/// Marks the short-lived containers that remove a runner's work directory.
pub const LABEL_CLEANUP: &str = "dev.slipway.cleanup";
/// Where each runner keeps its registration, inside the container.
pub const REGISTRATION_DIR: &str = "/runner-config";
/// Long enough for a runner to finish deregistering.
pub const STOP_TIMEOUT_SECS: i64 = 30;

#[derive(Debug, Error)]
pub enum RunnerError {
    #[error("the image {image} was not found in its registry. Check the name and tag (Slipway's default is the pinned myoung34/github-runner tag)")]
    ImageNotFound { image: String },
    #[error("the registry {registry} refused to serve {image}: no credentials, or wrong ones. Set the registry user and password in the Docker host step (CLI: `slipway init --registry-user NAME --registry-password-stdin`); the user needs pull access to the image")]
    ImageUnauthorized { image: String, registry: String },
    #[error("a container named {name} exists but Slipway did not create it. Rename or remove it (`docker rm {name}`), or choose another organization name prefix")]
    NameTaken { name: String },
    #[error("the Docker engine failed to {action}: {detail}")]
    Engine { action: String, detail: String },
}

fn engine(action: &str) -> impl Fn(bollard::errors::Error) -> RunnerError + '_ {
    move |e| RunnerError::Engine {
        action: action.to_string(),
        detail: e.to_string(),
    }
}

/// `slipway-<org>-<index>`, with the organization lowercased for Docker.
pub fn container_name(org: &str, index: u32) -> String {
    format!("slipway-{}-{index}", org.to_ascii_lowercase())
}

/// Pulls `image`, calling `report(done, total)` with bytes summed over layers.
pub async fn pull_image(
    docker: &Docker,
    image: &str,
    credentials: Option<RegistryLogin>,
    report: &(dyn Fn(u64, Option<u64>) + Sync),
) -> Result<(), RunnerError> {
    let (name, tag) = match image.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
        Some((n, t)) => (n, t),
        None => (image, "latest"),
    };
    let options = CreateImageOptionsBuilder::default()
        .from_image(name)
        .tag(tag)
        .build();
    let credentials = credentials.map(|login| bollard::auth::DockerCredentials {
        username: Some(login.username),
        password: Some(login.password.expose_secret().to_string()),
        serveraddress: Some(match registry_of(image).as_str() {
            "docker.io" => "https://index.docker.io/v1/".to_string(),
            other => other.to_string(),
        }),
        ..Default::default()
    });
    let mut stream = docker.create_image(Some(options), None, credentials);
    let mut layers: HashMap<String, (u64, u64)> = HashMap::new();
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| classify_pull(image, e))?;
        if let (Some(id), Some(detail)) = (info.id.as_ref(), info.progress_detail.as_ref()) {
            if let (Some(current), Some(total)) = (detail.current, detail.total) {
                if info.status.as_deref() == Some("Downloading") && total > 0 {
                    layers.insert(id.clone(), (current.max(0) as u64, total as u64));
                    let done = layers.values().map(|(c, _)| c).sum();
                    let total = layers.values().map(|(_, t)| t).sum();
                    report(done, Some(total));
                }
            }
        }
        if info.status.as_deref() == Some("Download complete") {
            if let Some(entry) = info.id.as_ref().and_then(|id| layers.get_mut(id)) {
                entry.0 = entry.1;
                let done = layers.values().map(|(c, _)| c).sum();
                let total = layers.values().map(|(_, t)| t).sum();
                report(done, Some(total));
            }
        }
    }
    Ok(())
}

/// A user name and password for the registry holding the runner image.
pub struct RegistryLogin {
    pub username: String,
    pub password: SecretString,
}

/// The registry an image reference names: its first component when that
/// looks like a host (`.`, `:` or `localhost`), Docker Hub (`docker.io`) otherwise.
pub fn registry_of(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_string()
        }
        _ => "docker.io".to_string(),
    }
}

fn classify_pull(image: &str, e: bollard::errors::Error) -> RunnerError {
    let text = e.to_string().to_lowercase();
    if text.contains("not found") || text.contains("manifest unknown") || text.contains("404") {
        RunnerError::ImageNotFound {
            image: image.to_string(),
        }
    } else if text.contains("unauthorized")
        || text.contains("no basic auth credentials")
        || text.contains("authentication required")
        || text.contains("denied")
    {
        RunnerError::ImageUnauthorized {
            image: image.to_string(),
            registry: registry_of(image),
        }
    } else {
        RunnerError::Engine {
            action: format!("pull {image}"),
            detail: e.to_string(),
        }
    }
}

/// One of Slipway's runner containers, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerContainer {
    pub name: String,
    pub index: u32,
    pub running: bool,
}

/// This install's runner containers, by label.
pub async fn list_runners(
    docker: &Docker,
    install_id: &str,
) -> Result<Vec<RunnerContainer>, RunnerError> {
    list_labelled(docker, &format!("{LABEL_INSTALL}={install_id}"), |_| true).await
}

/// Runner containers that another Slipway install made for `org` on this
/// host (Slipway's labels, a different install id): strays for this one.
pub async fn list_strays(
    docker: &Docker,
    org: &str,
    install_id: &str,
) -> Result<Vec<RunnerContainer>, RunnerError> {
    list_labelled(docker, &format!("{LABEL_ORG}={org}"), |labels| {
        labels.get(LABEL_INSTALL).map(String::as_str) != Some(install_id)
    })
    .await
}

/// The runner's work directory as bound into its container (`P:P`, ending
/// in the container's name), for removing another install's runner.
pub async fn work_dir_of(docker: &Docker, name: &str) -> Option<PathBuf> {
    let inspect = docker.inspect_container(name, None).await.ok()?;
    inspect.host_config?.binds?.iter().find_map(|b| {
        let (host, rest) = b.split_once(':')?;
        let inside = rest.split(':').next()?;
        (host == inside && Path::new(host).file_name()? == name).then(|| PathBuf::from(host))
    })
}

/// Runner containers matching the label filter whose labels `keep` accepts
/// (the engine's list carries the labels, so no container is inspected).
async fn list_labelled(
    docker: &Docker,
    label: &str,
    keep: impl Fn(&HashMap<String, String>) -> bool,
) -> Result<Vec<RunnerContainer>, RunnerError> {
    let filters = HashMap::from([("label".to_string(), vec![label.to_string()])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let list = docker
        .list_containers(Some(options))
        .await
        .map_err(engine("list containers"))?;
    let mut out: Vec<RunnerContainer> = list
        .into_iter()
        .filter_map(|c| {
            let name = c.names?.first()?.trim_start_matches('/').to_string();
            let labels = c.labels?;
            if !keep(&labels) {
                return None;
            }
            let index = labels.get(LABEL_INDEX)?.parse().ok()?;
            let running = c.state.map(|s| s.to_string() == "running").unwrap_or(false);
            Some(RunnerContainer {
                name,
                index,
                running,
            })
        })
        .collect();
    out.sort_by_key(|c| c.index);
    Ok(out)
}

/// Everything that makes one runner container.
pub struct RunnerContainerSpec<'a> {
    pub name: String,
    pub index: u32,
    pub install_id: &'a str,
    pub organization: &'a str,
    pub image: &'a str,
    pub env: Vec<EnvVar>,
    pub work_dir: PathBuf,
    /// `bridge` (default) or `host`.
    pub network_mode: &'a str,
}

fn volume_name(container: &str) -> String {
    format!("{container}-registration")
}

/// Removes the registration volume of a runner that has no container, so a
/// registration GitHub no longer knows (a crash, a lost config) is not
/// reused forever: the runner then registers afresh.
pub async fn forget_registration(docker: &Docker, name: &str) -> Result<(), RunnerError> {
    if docker.inspect_container(name, None).await.is_ok() {
        return Ok(());
    }
    remove_registration_volume(docker, name).await
}

/// Removes a runner's registration volume; gone already is fine.
async fn remove_registration_volume(docker: &Docker, name: &str) -> Result<(), RunnerError> {
    match docker
        .remove_volume(
            &volume_name(name),
            Some(RemoveVolumeOptionsBuilder::default().force(true).build()),
        )
        .await
    {
        Ok(())
        | Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(e) => Err(engine("remove a runner's registration volume")(e)),
    }
}

/// Creates and starts the container; a foreign container of that name is refused.
pub async fn create_and_start(
    docker: &Docker,
    spec: &RunnerContainerSpec<'_>,
) -> Result<(), RunnerError> {
    if let Ok(existing) = docker.inspect_container(&spec.name, None).await {
        let ours = existing
            .config
            .and_then(|c| c.labels)
            .and_then(|l| l.get(LABEL_INSTALL).cloned())
            .is_some_and(|v| v == spec.install_id);
        if !ours {
            return Err(RunnerError::NameTaken {
                name: spec.name.clone(),
            });
        }
        // Ours but stopped or half-made: start it again as it is.
        return docker
            .start_container(&spec.name, None)
            .await
            .map_err(engine("start a runner container"));
    }
    // The engine creates the work directory for the bind (on the Docker
    // host, which need not be this machine).
    let work = spec.work_dir.display().to_string();
    let labels = HashMap::from([
        (LABEL_INSTALL.to_string(), spec.install_id.to_string()),
        (LABEL_INDEX.to_string(), spec.index.to_string()),
        (LABEL_ORG.to_string(), spec.organization.to_string()),
    ]);
    let body = ContainerCreateBody {
        image: Some(spec.image.to_string()),
        env: Some(
            spec.env
                .iter()
                .map(|v| format!("{}={}", v.name, v.value))
                .collect(),
        ),
        labels: Some(labels),
        stop_timeout: Some(STOP_TIMEOUT_SECS),
        host_config: Some(HostConfig {
            binds: Some(vec![
                "/var/run/docker.sock:/var/run/docker.sock".to_string(),
                format!("{work}:{work}"),
                format!("{}:{REGISTRATION_DIR}", volume_name(&spec.name)),
            ]),
            restart_policy: Some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                maximum_retry_count: None,
            }),
            network_mode: Some(spec.network_mode.to_string()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::default()
        .name(&spec.name)
        .build();
    docker
        .create_container(Some(options), body)
        .await
        .map_err(engine("create a runner container"))?;
    docker
        .start_container(&spec.name, None)
        .await
        .map_err(engine("start a runner container"))
}

/// Stops (giving the runner time to finish) and removes the container, its
/// registration volume and its work directory (`work_base/name`, removed on
/// the Docker host by a short-lived container of `image`).
pub async fn remove(
    docker: &Docker,
    name: &str,
    work_base: &Path,
    image: &str,
) -> Result<(), RunnerError> {
    // The cleanup container runs the runner's own image, which is on the
    // host for sure while the runner exists; `image` otherwise.
    let own_image = docker
        .inspect_container(name, None)
        .await
        .ok()
        .and_then(|c| c.config)
        .and_then(|c| c.image);
    let image = own_image.as_deref().unwrap_or(image);
    let stop = StopContainerOptionsBuilder::default()
        .t(STOP_TIMEOUT_SECS as i32)
        .build();
    let _ = docker.stop_container(name, Some(stop)).await;
    let rm = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    match docker.remove_container(name, Some(rm)).await {
        Ok(()) => {}
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => {}
        Err(e) => return Err(engine("remove a runner container")(e)),
    }
    remove_registration_volume(docker, name).await?;
    remove_work_dir(docker, name, work_base, image).await
}

/// Removes `work_base/name` on the Docker host: the directory is the
/// engine's (made by the bind, written by jobs as root), so a container that
/// mounts the base does it, wherever the host is.
async fn remove_work_dir(
    docker: &Docker,
    name: &str,
    work_base: &Path,
    image: &str,
) -> Result<(), RunnerError> {
    let janitor = format!("{name}-cleanup");
    let base = work_base.display().to_string();
    let failed = |detail: String| RunnerError::Engine {
        action: format!("remove the work directory {base}/{name}"),
        detail,
    };
    let force = RemoveContainerOptionsBuilder::default().force(true).build();
    let _ = docker.remove_container(&janitor, Some(force.clone())).await;
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        entrypoint: Some(vec![
            "rm".into(),
            "-rf".into(),
            format!("/slipway-work/{name}"),
        ]),
        cmd: Some(vec![]),
        labels: Some(HashMap::from([(
            LABEL_CLEANUP.to_string(),
            name.to_string(),
        )])),
        network_disabled: Some(true),
        host_config: Some(HostConfig {
            binds: Some(vec![format!("{base}:/slipway-work")]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::default()
        .name(&janitor)
        .build();
    docker
        .create_container(Some(options), body)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let outcome = async {
        docker
            .start_container(&janitor, None)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let mut wait = docker.wait_container(&janitor, None);
        match wait.next().await {
            Some(Ok(r)) if r.status_code == 0 => Ok(()),
            Some(Ok(r)) => Err(failed(format!(
                "rm exited with {}: {}",
                r.status_code,
                last_logs(docker, &janitor, 5).await.trim()
            ))),
            // bollard reports a non-zero exit as an error too.
            Some(Err(e)) => Err(failed(format!(
                "{e}: {}",
                last_logs(docker, &janitor, 5).await.trim()
            ))),
            None => Err(failed("the engine ended the wait without a status".into())),
        }
    }
    .await;
    let _ = docker.remove_container(&janitor, Some(force)).await;
    outcome
}

/// The container's last log lines, for "runner N did not come online" messages.
pub async fn last_logs(docker: &Docker, name: &str, lines: usize) -> String {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(&lines.to_string())
        .build();
    let mut stream = docker.logs(name, Some(options));
    let mut out = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        out.push_str(&chunk.to_string());
    }
    out
}
