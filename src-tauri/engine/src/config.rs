//! Desired state: what the team wants, as a typed, versioned TOML file in the
//! platform config directory. It never holds a secret, only the names of
//! keychain entries. Older schema versions are migrated (with a backup kept);
//! a corrupt file is reported with its path, line and column and left alone.

mod migrate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use migrate::CURRENT_SCHEMA_VERSION;

/// File name of the desired state inside the config directory.
pub const CONFIG_FILE_NAME: &str = "slipway.toml";
/// Overrides the config directory (tests, rehearsals, several installs).
pub const CONFIG_DIR_ENV: &str = "SLIPWAY_CONFIG_DIR";

/// The whole desired state. Every section is optional until the wizard has
/// filled it in, so a half-finished setup can be saved and resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredState {
    pub schema_version: u32,
    /// Marks everything this install creates (IAM/ECR tags, Docker labels), so
    /// the observed state can be rebuilt from the world if this file is lost.
    pub install_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<GithubSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsSettings>,
    #[serde(default)]
    pub docker: DockerSettings,
    #[serde(default)]
    pub runners: RunnerSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubSettings {
    pub organization: String,
    #[serde(default)]
    pub repositories: Vec<String>,
    /// REST API base URL; GitHub Enterprise Server and tests override it.
    #[serde(default = "default_github_api_url")]
    pub api_url: String,
    /// Name of the keychain entry that holds the personal access token.
    #[serde(default = "default_token_secret")]
    pub token_secret: String,
    /// Branches that build and get an ECR repository each.
    #[serde(default = "default_branches")]
    pub branches: Vec<String>,
    /// GitHub's numeric ids, for the immutable OIDC subject form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub repository_ids: BTreeMap<String, u64>,
    /// Where the workflow file goes in each repository.
    #[serde(default = "default_workflow_path")]
    pub workflow_path: String,
    /// Build on a push to any branch, not only `branches`.
    #[serde(default)]
    pub build_all_branches: bool,
    /// Per-repository Dockerfile and build context (default: `Dockerfile`, `.`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub builds: BTreeMap<String, crate::workflow::BuildSettings>,
    /// Actions pinned by commit SHA (`actions/checkout` → SHA).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub action_pins: BTreeMap<String, String>,
}

impl GithubSettings {
    /// Settings for an organization with every other field at its default.
    pub fn for_organization(organization: impl Into<String>) -> Self {
        Self {
            organization: organization.into(),
            repositories: Vec::new(),
            api_url: default_github_api_url(),
            token_secret: default_token_secret(),
            branches: default_branches(),
            organization_id: None,
            repository_ids: BTreeMap::new(),
            workflow_path: default_workflow_path(),
            build_all_branches: false,
            builds: BTreeMap::new(),
            action_pins: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSettings {
    pub region: String,
    /// Named profile used only to set things up (the admin's identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_profile: Option<String>,
    #[serde(default = "default_repository_prefix")]
    pub repository_prefix: String,
    #[serde(default = "default_keep_tagged_images")]
    pub keep_tagged_images: u32,
    /// Overrides the AWS endpoint (moto in tests and rehearsals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// How workflows authenticate to ECR.
    #[serde(default)]
    pub auth: AwsAuthMode,
    /// The push identity's IAM user (access-key mode).
    #[serde(default = "default_push_user")]
    pub push_user: String,
    /// IAM path for everything Slipway creates.
    #[serde(default = "default_iam_path")]
    pub iam_path: String,
    /// The push role (OIDC mode).
    #[serde(default = "default_push_role")]
    pub push_role: String,
    /// Keychain entry that holds the push user's access key.
    #[serde(default = "default_key_secret")]
    pub key_secret: String,
}

/// How the generated workflow gets AWS credentials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsAuthMode {
    /// A least-privilege IAM user whose key lives in the keychain (and in the
    /// repositories' Actions secrets).
    #[default]
    AccessKey,
    /// GitHub's OIDC tokens assume a role: no long-lived key anywhere.
    Oidc,
}

impl AwsSettings {
    /// Settings for a region with every other field at its default.
    pub fn for_region(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            bootstrap_profile: None,
            repository_prefix: default_repository_prefix(),
            keep_tagged_images: default_keep_tagged_images(),
            endpoint_url: None,
            auth: AwsAuthMode::default(),
            push_user: default_push_user(),
            iam_path: default_iam_path(),
            push_role: default_push_role(),
            key_secret: default_key_secret(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerSettings {
    /// `unix:///var/run/docker.sock`, `tcp://host:2376`, `ssh://user@host`;
    /// unset means `DOCKER_HOST` or the platform's local socket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Directory with ca.pem, cert.pem and key.pem for TCP with TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert_dir: Option<PathBuf>,
    /// Private key for `ssh://` hosts; unset means the ssh agent and the
    /// keys and `~/.ssh/config` the system `ssh` uses anyway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_identity: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerSettings {
    pub count: u32,
    /// Labels added to `self-hosted,linux,slipway`.
    #[serde(default)]
    pub labels: Vec<String>,
    pub image: String,
    /// Base directory of the runners' work directories on the Docker host.
    #[serde(default = "default_runner_work_dir")]
    pub work_dir: PathBuf,
    /// Docker network mode of the runner containers.
    #[serde(default = "default_network_mode")]
    pub network_mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The most runners this install may run (the count is refused above it).
    #[serde(default = "default_max_runners")]
    pub max_count: u32,
    /// How long apply waits for GitHub to list a new runner as online.
    #[serde(default = "default_online_timeout_secs")]
    pub online_timeout_secs: u64,
    /// How runner containers authenticate to GitHub.
    #[serde(default)]
    pub auth: RunnerAuthMode,
    /// User name for a private registry holding the image; its password is
    /// in the keychain as `registry_secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_username: Option<String>,
    #[serde(default = "default_registry_secret")]
    pub registry_secret: String,
}

/// How runner containers authenticate to GitHub.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunnerAuthMode {
    /// Slipway mints a one-hour registration token per runner; the
    /// registration is kept in a volume. No long-lived secret in a container.
    #[default]
    RegistrationToken,
    /// The PAT itself is in each container (`ACCESS_TOKEN`), so a runner can
    /// re-register on its own. Anyone who can `docker inspect` on the host
    /// can read it: only when chosen after that warning.
    PatInContainer,
}

/// What the PAT-in-container mode exposes, shown wherever it can be chosen.
pub const PAT_IN_CONTAINER_WARNING: &str = "The GitHub token will be stored in every runner container's environment: anyone who can run `docker inspect` on the Docker host (members of the docker group, root, anything with the Docker socket, including jobs on these runners) can read it and act as you on GitHub. Prefer the default mode unless runners must re-register on their own.";

impl Default for RunnerSettings {
    fn default() -> Self {
        Self {
            count: 2,
            labels: Vec::new(),
            image: DEFAULT_RUNNER_IMAGE.to_string(),
            work_dir: default_runner_work_dir(),
            network_mode: default_network_mode(),
            group: None,
            max_count: default_max_runners(),
            online_timeout_secs: default_online_timeout_secs(),
            auth: RunnerAuthMode::default(),
            registry_username: None,
            registry_secret: default_registry_secret(),
        }
    }
}

impl RunnerSettings {
    /// Checks what the CLI and the app both accept, with what to do instead;
    /// labels are trimmed and blanks dropped.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.count > self.max_count {
            return Err(format!(
                "{} runners is above this install's cap of {}: each runner needs memory, disk and a registration. Lower the count, or raise `max_count` under [runners] in the config file if the host can take it",
                self.count, self.max_count
            ));
        }
        self.image = self.image.trim().to_string();
        if self.image.is_empty() || self.image.contains(char::is_whitespace) {
            return Err(format!(
                "name the runner image without spaces (for example {DEFAULT_RUNNER_IMAGE})"
            ));
        }
        if !matches!(self.network_mode.as_str(), "bridge" | "host") {
            return Err("the runners' network is bridge (the default) or host".into());
        }
        if !self.work_dir.is_absolute() {
            return Err("the work directory must be an absolute path on the Docker host".into());
        }
        self.labels = self
            .labels
            .iter()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        if let Some(bad) = self.labels.iter().find(|l| l.contains([',', ' '])) {
            return Err(format!(
                "the runner label \"{bad}\" holds a comma or a space: give each label on its own"
            ));
        }
        if self.online_timeout_secs == 0 {
            return Err("online_timeout_secs must be at least 1".into());
        }
        self.registry_username = self
            .registry_username
            .take()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        Ok(())
    }
}

fn default_max_runners() -> u32 {
    32
}
fn default_online_timeout_secs() -> u64 {
    90
}
fn default_registry_secret() -> String {
    "runner-registry-password".to_string()
}

fn default_runner_work_dir() -> PathBuf {
    PathBuf::from("/var/lib/slipway/work")
}
fn default_network_mode() -> String {
    "bridge".to_string()
}

/// The runner image Slipway starts unless told otherwise, at a pinned tag.
pub const DEFAULT_RUNNER_IMAGE: &str = "myoung34/github-runner:2.329.0";

fn default_github_api_url() -> String {
    "https://api.github.com".to_string()
}
fn default_token_secret() -> String {
    "github-token".to_string()
}
fn default_repository_prefix() -> String {
    "slipway".to_string()
}
fn default_keep_tagged_images() -> u32 {
    10
}
fn default_workflow_path() -> String {
    crate::workflow::DEFAULT_WORKFLOW_PATH.to_string()
}
fn default_branches() -> Vec<String> {
    vec!["main".to_string()]
}
fn default_push_user() -> String {
    "slipway-ecr-pusher".to_string()
}
fn default_iam_path() -> String {
    "/slipway/".to_string()
}
fn default_push_role() -> String {
    "slipway-ecr-push".to_string()
}
fn default_key_secret() -> String {
    "aws-ecr-push-key".to_string()
}

impl DesiredState {
    /// A fresh desired state with a new install id and nothing chosen yet.
    pub fn new() -> Self {
        Self {
            schema_version: CURRENT_SCHEMA_VERSION,
            install_id: uuid::Uuid::new_v4().to_string(),
            github: None,
            aws: None,
            docker: DockerSettings::default(),
            runners: RunnerSettings::default(),
        }
    }
}

impl Default for DesiredState {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot find a config directory for this user (no home directory?); set {CONFIG_DIR_ENV} to choose one")]
    NoConfigDir,
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}. Check that the directory exists and is writable")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}, line {line}, column {column}: {message}. Fix the file or move it aside; Slipway has not changed it")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path} was written by a newer Slipway (schema version {found}, this build knows up to {supported}); update Slipway")]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{path}: cannot migrate from schema version {from}: {reason}. Slipway has not changed the file")]
    Migration {
        path: PathBuf,
        from: u32,
        reason: String,
    },
}

/// What loading found, so callers can tell the user about a migration.
#[derive(Debug)]
pub struct Loaded {
    pub state: DesiredState,
    /// Set when an older file was migrated; the original is kept at this path.
    pub migrated_backup: Option<PathBuf>,
}

/// Reads and writes the desired state at one path.
#[derive(Debug, Clone)]
pub struct ConfigStore {
    path: PathBuf,
}

impl ConfigStore {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `$SLIPWAY_CONFIG_DIR/slipway.toml`, else the platform config directory:
    /// `~/.config/slipway` (XDG), `~/Library/Application Support/dev.slipway.Slipway`,
    /// or `%APPDATA%\Slipway\Slipway\config`.
    pub fn default_location() -> Result<Self, ConfigError> {
        if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV) {
            return Ok(Self::at(PathBuf::from(dir).join(CONFIG_FILE_NAME)));
        }
        let dirs = directories::ProjectDirs::from("dev", "Slipway", "Slipway")
            .ok_or(ConfigError::NoConfigDir)?;
        Ok(Self::at(dirs.config_dir().join(CONFIG_FILE_NAME)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the desired state; `Ok(None)` when no file exists yet.
    pub fn load(&self) -> Result<Option<Loaded>, ConfigError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let raw: toml::Table = toml::from_str(&text).map_err(|e| self.parse_error(&text, &e))?;
        let version = migrate::schema_version_of(&raw).map_err(|message| ConfigError::Parse {
            path: self.path.clone(),
            line: 1,
            column: 1,
            message,
        })?;
        if version > CURRENT_SCHEMA_VERSION {
            return Err(ConfigError::TooNew {
                path: self.path.clone(),
                found: version,
                supported: CURRENT_SCHEMA_VERSION,
            });
        }
        if version == CURRENT_SCHEMA_VERSION {
            let state: DesiredState =
                toml::from_str(&text).map_err(|e| self.parse_error(&text, &e))?;
            return Ok(Some(Loaded {
                state,
                migrated_backup: None,
            }));
        }
        let migrated =
            migrate::to_current(raw, version).map_err(|reason| ConfigError::Migration {
                path: self.path.clone(),
                from: version,
                reason,
            })?;
        let state: DesiredState =
            migrated
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Migration {
                    path: self.path.clone(),
                    from: version,
                    reason: e.message().to_string(),
                })?;
        let backup = self.backup_path(version);
        std::fs::copy(&self.path, &backup).map_err(|source| ConfigError::Write {
            path: backup.clone(),
            source,
        })?;
        self.save(&state)?;
        Ok(Some(Loaded {
            state,
            migrated_backup: Some(backup),
        }))
    }

    /// Writes atomically (temporary file, then rename) so a crash never leaves
    /// a half-written config behind.
    pub fn save(&self, state: &DesiredState) -> Result<(), ConfigError> {
        let write_err = |source| ConfigError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        let text = Self::render(state);
        let tmp = self.path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).map_err(write_err)?;
        std::fs::rename(&tmp, &self.path).map_err(write_err)
    }

    /// The file's text for a state, as saved and as `slipway config` shows it.
    pub fn render(state: &DesiredState) -> String {
        let body = toml::to_string_pretty(state).expect("desired state always serializes");
        format!("# Slipway desired state. Secrets are not stored here: they live in the OS keychain.\n{body}")
    }

    /// `slipway.toml.v1.bak`, or with a numeric suffix if that exists already,
    /// so an earlier backup is never overwritten.
    fn backup_path(&self, version: u32) -> PathBuf {
        let base = format!("{}.v{version}.bak", self.path.display());
        let mut candidate = PathBuf::from(&base);
        let mut n = 1;
        while candidate.exists() {
            candidate = PathBuf::from(format!("{base}.{n}"));
            n += 1;
        }
        candidate
    }

    fn parse_error(&self, text: &str, error: &toml::de::Error) -> ConfigError {
        let (line, column) = error
            .span()
            .map(|span| line_and_column(text, span.start))
            .unwrap_or((1, 1));
        ConfigError::Parse {
            path: self.path.clone(),
            line,
            column,
            message: humanize(error.message()),
        }
    }
}

/// serde's type names mean little to users; say what kind of value is wanted.
fn humanize(message: &str) -> String {
    message
        .trim()
        .replace("expected u32", "expected a whole number")
        .replace("expected u64", "expected a whole number")
}

/// 1-based line and column of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
