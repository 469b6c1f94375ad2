//! GitHub as a provider of the plan: per repository, the workflow file, the
//! AWS key as Actions secrets (access-key mode), and Actions variables for the
//! region and registry. Slipway's variables (`SLIPWAY_*`) mark a repository
//! as managed, so one that was removed from the settings is still found and
//! cleaned up.

use std::collections::BTreeSet;

use secrecy::SecretString;

use super::contents::{pending_proposal, put_workflow, remove_workflow, CommitOutcome};
use super::repos::repositories;
use super::secrets::{
    delete_secret, delete_variable, secret_names, set_secret, set_variable, variables,
};
use super::{GithubClient, GithubError};
use crate::apply::{StepError, StepProgress};
use crate::aws::keys::read_stored_key;
use crate::aws::naming::NamingError;
use crate::config::{AwsAuthMode, DesiredState, GithubSettings};
use crate::plan::{Action, Attributes, DesiredResource, ObservedResource, ResourceId, Step};
use crate::secrets::Keychain;
use crate::workflow::{self, AwsCredentialsSource, Trigger, WorkflowSpec, MANAGED_MARKER};

pub const KIND_WORKFLOW: &str = "github.workflow_file";
pub const KIND_KEY_SECRETS: &str = "github.aws_key_secrets";
pub const KIND_VARIABLE: &str = "github.actions_variable";

pub const SECRET_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// Which AWS key the secrets hold (key ids are not secret).
pub const VAR_KEY_ID: &str = "SLIPWAY_AWS_ACCESS_KEY_ID";
pub const VAR_REGION: &str = "SLIPWAY_AWS_REGION";
pub const VAR_REGISTRY: &str = "SLIPWAY_ECR_REGISTRY";
/// The desired state of the key secrets: they hold the keychain's live key.
pub const HOLDS_LIVE_KEY: &str = "the push key in the keychain";

/// What the GitHub side needs to know about AWS.
#[derive(Debug, Clone)]
pub struct AwsFacts {
    pub account_id: String,
    pub region: String,
    pub repository_prefix: String,
    pub auth: AwsAuthMode,
    pub role_arn: String,
    pub push_user: String,
    pub key_entry: String,
    pub runner_labels: Vec<String>,
}

impl AwsFacts {
    pub fn registry(&self) -> String {
        format!("{}.dkr.ecr.{}.amazonaws.com", self.account_id, self.region)
    }
}

pub struct GithubProvider {
    pub client: GithubClient,
    pub keychain: Keychain,
    pub settings: GithubSettings,
    pub install_id: String,
}

fn attrs(pairs: &[(&str, &str)]) -> Attributes {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The workflow file for one repository.
pub fn workflow_for(
    state: &DesiredState,
    github: &GithubSettings,
    repo: &str,
    facts: &AwsFacts,
) -> Result<String, NamingError> {
    let build = github.builds.get(repo).cloned().unwrap_or_default();
    workflow::render(&WorkflowSpec {
        install_id: state.install_id.clone(),
        repository: repo.to_string(),
        region: facts.region.clone(),
        repository_prefix: facts.repository_prefix.clone(),
        credentials: match facts.auth {
            AwsAuthMode::AccessKey => AwsCredentialsSource::RepositorySecrets,
            AwsAuthMode::Oidc => AwsCredentialsSource::OidcRole {
                role_arn: facts.role_arn.clone(),
            },
        },
        trigger: if github.build_all_branches {
            Trigger::AllBranches
        } else {
            Trigger::Branches(github.branches.clone())
        },
        runner_labels: facts.runner_labels.clone(),
        dockerfile: build.dockerfile,
        context: build.context,
        pins: github.action_pins.clone(),
    })
}

/// The GitHub resources the desired state asks for. Pure.
pub fn desired_resources(
    state: &DesiredState,
    facts: &AwsFacts,
) -> Result<Vec<DesiredResource>, NamingError> {
    let Some(github) = &state.github else {
        return Ok(Vec::new());
    };
    let key = ResourceId::new(crate::aws::KIND_ACCESS_KEY, &facts.push_user);
    let mut out = Vec::new();
    for repo in &github.repositories {
        let secrets = ResourceId::new(KIND_KEY_SECRETS, repo);
        let mut workflow_deps = vec![];
        if facts.auth == AwsAuthMode::AccessKey {
            out.push(DesiredResource {
                id: secrets.clone(),
                depends_on: vec![key.clone()],
                attributes: attrs(&[("holds", HOLDS_LIVE_KEY)]),
            });
            workflow_deps.push(secrets);
        }
        for (name, value) in [
            (VAR_REGION, facts.region.clone()),
            (VAR_REGISTRY, facts.registry()),
        ] {
            out.push(DesiredResource {
                id: ResourceId::new(KIND_VARIABLE, format!("{repo}/{name}")),
                depends_on: vec![],
                attributes: attrs(&[("value", &value)]),
            });
        }
        out.push(DesiredResource {
            id: ResourceId::new(KIND_WORKFLOW, repo),
            depends_on: workflow_deps,
            attributes: attrs(&[
                ("path", &github.workflow_path),
                ("content", &workflow_for(state, github, repo, facts)?),
            ]),
        });
    }
    Ok(out)
}

impl GithubProvider {
    fn org(&self) -> &str {
        &self.settings.organization
    }

    /// Reads the configured repositories, and any other repository of the
    /// organization that carries Slipway's variables.
    pub async fn observe(&self, facts: &AwsFacts) -> Result<Vec<ObservedResource>, GithubError> {
        let mut names: BTreeSet<String> = self.settings.repositories.iter().cloned().collect();
        for repo in repositories(&self.client, self.org()).await? {
            if repo.selectable() && !names.contains(&repo.name) {
                let vars = variables(&self.client, self.org(), &repo.name).await?;
                if vars.iter().any(|v| v.name == VAR_REGION) {
                    names.insert(repo.name);
                }
            }
        }
        let held = read_stored_key(&self.keychain, &facts.key_entry)
            .await
            .map_err(|e| GithubError::Token(e.to_string()))?;
        let mut out = Vec::new();
        for repo in names {
            let vars = match variables(&self.client, self.org(), &repo).await {
                Ok(v) => v,
                Err(GithubError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let var = |n: &str| vars.iter().find(|v| v.name == n).map(|v| v.value.clone());
            for name in [VAR_REGION, VAR_REGISTRY] {
                if let Some(value) = var(name) {
                    out.push(ObservedResource {
                        id: ResourceId::new(KIND_VARIABLE, format!("{repo}/{name}")),
                        depends_on: vec![],
                        attributes: attrs(&[("value", &value)]),
                        owned: true,
                    });
                }
            }
            let secrets = secret_names(&self.client, self.org(), &repo).await?;
            let has_both = secrets.iter().any(|s| s == SECRET_KEY_ID)
                && secrets.iter().any(|s| s == SECRET_KEY);
            if has_both || var(VAR_KEY_ID).is_some() {
                let holds = match (var(VAR_KEY_ID), &held) {
                    (Some(id), Some(k)) if has_both && id == k.access_key_id => {
                        HOLDS_LIVE_KEY.to_string()
                    }
                    (Some(id), _) if has_both => format!("key {id}, not the keychain's"),
                    _ => "incomplete".to_string(),
                };
                out.push(ObservedResource {
                    id: ResourceId::new(KIND_KEY_SECRETS, &repo),
                    depends_on: vec![],
                    attributes: attrs(&[("holds", &holds)]),
                    // Secrets without Slipway's key-id variable were made by hand.
                    owned: var(VAR_KEY_ID).is_some(),
                });
            }
            let on_default = read_file(
                &self.client,
                self.org(),
                &repo,
                &self.settings.workflow_path,
            )
            .await?;
            let (text, pending) = match on_default {
                Some(text) => (Some(text), None),
                None => match pending_proposal(
                    &self.client,
                    self.org(),
                    &repo,
                    &self.settings.workflow_path,
                )
                .await?
                {
                    Some((url, Some(text))) => (Some(text), Some(url)),
                    _ => (None, None),
                },
            };
            if let Some(text) = text {
                let owned = text.starts_with(MANAGED_MARKER)
                    && text.contains(&format!("(install {})", self.install_id));
                let mut attributes =
                    attrs(&[("path", &self.settings.workflow_path), ("content", &text)]);
                if let Some(url) = pending {
                    // Proposed and awaiting review: not something to redo.
                    attributes.insert("pending_pull_request".into(), url);
                }
                out.push(ObservedResource {
                    id: ResourceId::new(KIND_WORKFLOW, &repo),
                    depends_on: vec![ResourceId::new(KIND_KEY_SECRETS, &repo)],
                    attributes,
                    owned,
                });
            }
        }
        Ok(out)
    }

    /// Carries out one GitHub step.
    pub async fn run(
        &self,
        step: &Step,
        progress: &StepProgress<'_>,
        facts: &AwsFacts,
    ) -> Result<(), StepError> {
        let name = step.resource.name.as_str();
        let fail = |e: GithubError| StepError::new(e.to_string());
        match (step.resource.kind.as_str(), step.action) {
            (KIND_WORKFLOW, Action::Create | Action::Update) => {
                let content = step.attributes.get("content").cloned().unwrap_or_default();
                // The plan the user reviewed shows the change: that is the confirmation.
                let out = put_workflow(
                    &self.client,
                    self.org(),
                    name,
                    &self.settings.workflow_path,
                    &content,
                    true,
                )
                .await
                .map_err(fail)?;
                note(progress, &out);
            }
            (KIND_WORKFLOW, Action::Delete) => {
                let out =
                    remove_workflow(&self.client, self.org(), name, &self.settings.workflow_path)
                        .await
                        .map_err(fail)?;
                note(progress, &out);
            }
            (KIND_KEY_SECRETS, Action::Create | Action::Update) => {
                let key = read_stored_key(&self.keychain, &facts.key_entry)
                    .await
                    .map_err(|e| StepError::new(e.to_string()))?
                    .ok_or_else(|| {
                        StepError::new("the keychain holds no AWS push key")
                            .with_hint("run `slipway apply` so the AWS key is created first")
                    })?;
                set_secret(
                    &self.client,
                    self.org(),
                    name,
                    SECRET_KEY_ID,
                    &SecretString::from(key.access_key_id.clone()),
                )
                .await
                .map_err(fail)?;
                set_secret(
                    &self.client,
                    self.org(),
                    name,
                    SECRET_KEY,
                    &key.secret_access_key,
                )
                .await
                .map_err(fail)?;
                set_variable(
                    &self.client,
                    self.org(),
                    name,
                    VAR_KEY_ID,
                    &key.access_key_id,
                )
                .await
                .map_err(fail)?;
            }
            (KIND_KEY_SECRETS, Action::Delete) => {
                for s in [SECRET_KEY_ID, SECRET_KEY] {
                    delete_secret(&self.client, self.org(), name, s)
                        .await
                        .map_err(fail)?;
                }
                delete_variable(&self.client, self.org(), name, VAR_KEY_ID)
                    .await
                    .map_err(fail)?;
            }
            (KIND_VARIABLE, action) => {
                let (repo, var) = name.split_once('/').unwrap_or((name, ""));
                if action == Action::Delete {
                    delete_variable(&self.client, self.org(), repo, var)
                        .await
                        .map_err(fail)?;
                } else if action != Action::NoOp {
                    let value = step.attributes.get("value").cloned().unwrap_or_default();
                    set_variable(&self.client, self.org(), repo, var, &value)
                        .await
                        .map_err(fail)?;
                }
            }
            (_, Action::NoOp) => {}
            (kind, _) => {
                return Err(StepError::new(format!(
                    "the GitHub provider does not handle {kind}"
                )))
            }
        }
        Ok(())
    }
}

/// The file's text on the repository's default branch, if it is there.
async fn read_file(
    client: &GithubClient,
    org: &str,
    repo: &str,
    path: &str,
) -> Result<Option<String>, GithubError> {
    use base64::Engine as _;
    #[derive(serde::Deserialize)]
    struct File {
        content: String,
    }
    let r = client
        .send(
            http::Method::GET,
            &format!(
                "/repos/{}/{}/contents/{}",
                super::seg(org),
                super::seg(repo),
                super::file_path(path)
            ),
            None,
            "read the workflow file",
        )
        .await?;
    if r.status.as_u16() == 404 {
        return Ok(None);
    }
    super::expect_success(
        &r,
        "read the workflow file",
        &format!("{org}/{repo}:{path}"),
    )?;
    let file: File = r.json("read the workflow file")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file.content.replace('\n', ""))
        .unwrap_or_default();
    Ok(Some(String::from_utf8_lossy(&bytes).to_string()))
}

fn note(progress: &StepProgress<'_>, outcome: &CommitOutcome) {
    let text = match outcome {
        CommitOutcome::Committed { commit_sha, .. } => format!("committed {commit_sha}"),
        CommitOutcome::Removed { commit_sha } => format!("removed in commit {commit_sha}"),
        CommitOutcome::PullRequest { url } => format!("the branch is protected: opened {url}"),
        CommitOutcome::Unchanged | CommitOutcome::NotPresent => return,
        CommitOutcome::NeedsConfirmation { .. } => "the file differs; review the plan".to_string(),
    };
    progress.note(text);
}
