//! AWS provider: the ECR push identity (an IAM user with a least-privilege
//! policy and an access key kept in the keychain, or an OIDC role), the ECR
//! repositories with their cost cap, and their observation, plan and apply.
//!
//! Everything created carries the tags `managed-by=slipway` and
//! `slipway-install-id=<id>`; only resources with both are ever changed or
//! deleted, and a same-named resource without them is refused unless the user
//! adopts it by id.

pub mod errors;
pub mod images;
pub mod keys;
pub mod lifecycle;
pub mod naming;
mod observe;
pub mod policy;
pub mod profiles;
mod runner;
pub mod session;
mod support;

use std::collections::BTreeSet;

use thiserror::Error;

use crate::config::{AwsAuthMode, AwsSettings, DesiredState};
use crate::plan::{Attributes, DesiredResource, ObservedResource, Plan, PlanError, ResourceId};
use crate::secrets::Keychain;
pub use errors::AwsError;
pub use session::{AdminCredentials, AwsSession, CallerIdentity};

pub const KIND_USER: &str = "aws.iam_user";
pub const KIND_USER_POLICY: &str = "aws.iam_user_policy";
pub const KIND_ACCESS_KEY: &str = "aws.access_key";
pub const KIND_REPOSITORY: &str = "aws.ecr_repository";
pub const KIND_OIDC_PROVIDER: &str = "aws.iam_oidc_provider";
pub const KIND_ROLE: &str = "aws.iam_role";
pub const KIND_ROLE_POLICY: &str = "aws.iam_role_policy";

/// Name of the inline policy on the push user or role.
pub const PUSH_POLICY_NAME: &str = "slipway-ecr-push";
pub const TAG_MANAGED_BY: &str = "managed-by";
pub const MANAGED_BY_VALUE: &str = "slipway";
pub const TAG_INSTALL_ID: &str = "slipway-install-id";
/// The desired state of an access key: the keychain holds the user's one live key.
pub const KEY_HELD: &str = "held in keychain";

#[derive(Debug, Error)]
pub enum AwsPlanError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Naming(#[from] naming::NamingError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Settings(String),
}

/// What the user asked for beyond the desired state.
#[derive(Debug, Clone, Default)]
pub struct AwsPlanOptions {
    /// Delete ECR repositories (and their images) that are no longer wanted.
    /// Without it they are kept, even on teardown.
    pub delete_repositories: bool,
    /// Resources to take over although they lack Slipway's tags.
    pub adopt: BTreeSet<ResourceId>,
}

fn attrs(pairs: &[(&str, &str)]) -> Attributes {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn tag_attrs(install_id: &str) -> [(&'static str, String); 2] {
    [
        (TAG_MANAGED_BY, MANAGED_BY_VALUE.to_string()),
        (TAG_INSTALL_ID, install_id.to_string()),
    ]
}

fn with_tags(mut a: Attributes, install_id: &str) -> Attributes {
    for (k, v) in tag_attrs(install_id) {
        a.insert(format!("tag.{k}"), v);
    }
    a
}

/// The AWS resources the desired state asks for. Pure: unit-tested without AWS.
/// `reuse_oidc_provider` is set when the account already has GitHub's OIDC
/// provider that Slipway did not create: the role then uses it as it is.
pub fn desired_resources(
    state: &DesiredState,
    account_id: &str,
    reuse_oidc_provider: bool,
) -> Result<Vec<DesiredResource>, AwsPlanError> {
    let Some(aws) = &state.aws else {
        return Ok(Vec::new());
    };
    naming::validate_prefix(&aws.repository_prefix)?;
    if !(aws.iam_path.starts_with('/') && aws.iam_path.ends_with('/')) {
        return Err(AwsPlanError::Settings(format!(
            "the IAM path \"{}\" must start and end with '/', for example /slipway/",
            aws.iam_path
        )));
    }
    let install = state.install_id.as_str();
    let push_policy = policy::ecr_push_policy(&aws.region, account_id, &aws.repository_prefix)
        .to_canonical_json();
    let mut out = Vec::new();
    match aws.auth {
        AwsAuthMode::AccessKey => {
            let user = ResourceId::new(KIND_USER, &aws.push_user);
            out.push(DesiredResource {
                id: user.clone(),
                depends_on: vec![],
                attributes: with_tags(attrs(&[("path", &aws.iam_path)]), install),
            });
            out.push(DesiredResource {
                id: ResourceId::new(
                    KIND_USER_POLICY,
                    format!("{}/{PUSH_POLICY_NAME}", aws.push_user),
                ),
                depends_on: vec![user.clone()],
                attributes: attrs(&[("document", &push_policy)]),
            });
            out.push(DesiredResource {
                id: ResourceId::new(KIND_ACCESS_KEY, &aws.push_user),
                depends_on: vec![user],
                attributes: attrs(&[("keychain_entry", &aws.key_secret), ("key", KEY_HELD)]),
            });
        }
        AwsAuthMode::Oidc => {
            let github = state.github.as_ref().ok_or_else(|| {
                AwsPlanError::Settings(
                    "OIDC mode needs the GitHub organization and repositories: choose them first"
                        .into(),
                )
            })?;
            let provider = ResourceId::new(KIND_OIDC_PROVIDER, policy::GITHUB_OIDC_HOST);
            let mut role_deps = vec![];
            if !reuse_oidc_provider {
                out.push(DesiredResource {
                    id: provider.clone(),
                    depends_on: vec![],
                    attributes: with_tags(
                        attrs(&[
                            ("url", &format!("https://{}", policy::GITHUB_OIDC_HOST)),
                            ("audience", policy::STS_AUDIENCE),
                        ]),
                        install,
                    ),
                });
                role_deps.push(provider);
            }
            let trusted: Vec<policy::TrustedRepository> = github
                .repositories
                .iter()
                .map(|r| policy::TrustedRepository {
                    name: r.clone(),
                    id: github.repository_ids.get(r).copied(),
                })
                .collect();
            let trust = policy::github_oidc_trust_policy(
                account_id,
                &github.organization,
                github.organization_id,
                &trusted,
            )
            .to_canonical_json();
            let role = ResourceId::new(KIND_ROLE, &aws.push_role);
            out.push(DesiredResource {
                id: role.clone(),
                depends_on: role_deps,
                attributes: with_tags(
                    attrs(&[("path", &aws.iam_path), ("trust_policy", &trust)]),
                    install,
                ),
            });
            out.push(DesiredResource {
                id: ResourceId::new(
                    KIND_ROLE_POLICY,
                    format!("{}/{PUSH_POLICY_NAME}", aws.push_role),
                ),
                depends_on: vec![role],
                attributes: attrs(&[("document", &push_policy)]),
            });
        }
    }
    let lifecycle = lifecycle::lifecycle_policy(aws.keep_tagged_images);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (repo, branch) in repositories_and_branches(state) {
        let name = naming::repository_name(&aws.repository_prefix, repo, branch)?;
        if !seen.insert(name.clone()) {
            return Err(AwsPlanError::Settings(format!(
                "two branches of {repo} map to the same ECR repository {name}; build only one of them"
            )));
        }
        out.push(DesiredResource {
            id: ResourceId::new(KIND_REPOSITORY, name),
            depends_on: vec![],
            attributes: with_tags(
                attrs(&[("scan_on_push", "true"), ("lifecycle_policy", &lifecycle)]),
                install,
            ),
        });
    }
    Ok(out)
}

/// The ECR repository names the desired state builds into (names that break
/// ECR's rules are left out here; the plan reports them).
pub fn ecr_repository_names(state: &DesiredState) -> Vec<String> {
    let Some(aws) = &state.aws else {
        return Vec::new();
    };
    let mut names: Vec<String> = repositories_and_branches(state)
        .into_iter()
        .filter_map(|(repo, branch)| {
            naming::repository_name(&aws.repository_prefix, repo, branch).ok()
        })
        .collect();
    names.dedup();
    names
}

fn repositories_and_branches(state: &DesiredState) -> Vec<(&str, &str)> {
    let Some(github) = &state.github else {
        return Vec::new();
    };
    github
        .repositories
        .iter()
        .flat_map(|r| {
            github
                .branches
                .iter()
                .map(move |b| (r.as_str(), b.as_str()))
        })
        .collect()
}

/// Observes, then plans; repositories that are no longer wanted are kept
/// unless `delete_repositories` is set.
pub struct AwsProvider {
    pub session: AwsSession,
    pub keychain: Keychain,
    pub settings: AwsSettings,
    pub install_id: String,
}

impl AwsProvider {
    pub fn new(
        session: AwsSession,
        keychain: Keychain,
        state: &DesiredState,
        settings: AwsSettings,
    ) -> Self {
        Self {
            session,
            keychain,
            settings,
            install_id: state.install_id.clone(),
        }
    }

    /// Reads what exists now: Slipway's resources and any same-named ones.
    pub async fn observe(&self, state: &DesiredState) -> Result<Vec<ObservedResource>, AwsError> {
        observe::observe(self, state).await
    }

    /// The plan for `state` (teardown: a state without `aws`).
    /// What AWS should hold, given what it holds now: an existing foreign OIDC
    /// provider is reused, and unwanted repositories are kept unless asked.
    pub fn desired(
        &self,
        state: &DesiredState,
        observed: &[ObservedResource],
        options: &AwsPlanOptions,
    ) -> Result<Vec<DesiredResource>, AwsPlanError> {
        let reuse_provider = observed
            .iter()
            .any(|o| o.id.kind == KIND_OIDC_PROVIDER && !o.owned && !options.adopt.contains(&o.id));
        let mut desired =
            desired_resources(state, &self.session.identity.account_id, reuse_provider)?;
        if !options.delete_repositories {
            keep_unwanted_repositories(&mut desired, observed);
        }
        Ok(desired)
    }

    /// The plan for `state` (teardown: a state without `aws`).
    pub async fn plan(
        &self,
        state: &DesiredState,
        options: &AwsPlanOptions,
    ) -> Result<Plan, AwsPlanError> {
        let observed = self.observe(state).await?;
        let desired = self.desired(state, &observed, options)?;
        Ok(crate::plan::plan_adopting(
            &desired,
            &observed,
            &options.adopt,
        )?)
    }
}

/// Adds every owned repository that is not desired as desired-as-it-is, so
/// the plan leaves it (and its images) alone.
fn keep_unwanted_repositories(desired: &mut Vec<DesiredResource>, observed: &[ObservedResource]) {
    let wanted: BTreeSet<ResourceId> = desired.iter().map(|d| d.id.clone()).collect();
    for o in observed {
        if o.id.kind == KIND_REPOSITORY && o.owned && !wanted.contains(&o.id) {
            desired.push(DesiredResource {
                id: o.id.clone(),
                depends_on: vec![],
                attributes: o.attributes.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests;
