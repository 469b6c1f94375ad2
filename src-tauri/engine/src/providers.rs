//! All providers together: one observation, one plan across AWS and GitHub
//! (GitHub's resources depend on AWS's key), and one apply that hands each
//! step to the provider of its kind.

use thiserror::Error;

use serde::Serialize;

use crate::apply::{apply, StepError, StepProgress, StepRunner};
use crate::aws::{AwsPlanError, AwsPlanOptions, AwsProvider};
use crate::config::{AwsAuthMode, DesiredState};
use crate::events::EventSink;
use crate::github::provider::{self, AwsFacts, GithubProvider};
use crate::github::GithubError;
use crate::plan::{plan_adopting, Plan, PlanError, Step};
use crate::runners::provider::{self as runners, RunnersProvider};

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Aws(#[from] AwsPlanError),
    #[error(transparent)]
    Github(#[from] GithubError),
    #[error(transparent)]
    Naming(#[from] crate::aws::naming::NamingError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Runners(String),
}

pub struct Providers {
    pub aws: AwsProvider,
    pub github: Option<GithubProvider>,
    pub runners: Option<RunnersProvider>,
    facts: AwsFacts,
}

impl Providers {
    pub fn new(
        aws: AwsProvider,
        github: Option<GithubProvider>,
        runners: Option<RunnersProvider>,
        state: &DesiredState,
    ) -> Self {
        let s = &aws.settings;
        let facts = AwsFacts {
            account_id: aws.session.identity.account_id.clone(),
            region: s.region.clone(),
            repository_prefix: s.repository_prefix.clone(),
            auth: s.auth,
            role_arn: format!(
                "arn:aws:iam::{}:role{}{}",
                aws.session.identity.account_id, s.iam_path, s.push_role
            ),
            push_user: s.push_user.clone(),
            key_entry: s.key_secret.clone(),
            runner_labels: std::iter::once("linux".to_string())
                .chain(std::iter::once("slipway".to_string()))
                .chain(state.runners.labels.iter().cloned())
                .collect(),
        };
        Self {
            aws,
            github,
            runners,
            facts,
        }
    }

    /// Observes everything and computes one plan.
    pub async fn plan(
        &self,
        state: &DesiredState,
        options: &AwsPlanOptions,
    ) -> Result<Plan, EngineError> {
        let mut observed = self.aws.observe(state).await.map_err(AwsPlanError::from)?;
        let mut desired = self.aws.desired(state, &observed, options)?;
        if let Some(github) = &self.github {
            observed.extend(github.observe(&self.facts).await?);
            desired.extend(provider::desired_resources(state, &self.facts)?);
        }
        if let Some(r) = &self.runners {
            observed.extend(
                r.observe()
                    .await
                    .map_err(|e| EngineError::Runners(e.message))?,
            );
            desired.extend(runners::desired_resources(state));
        }
        Ok(plan_adopting(&desired, &observed, &options.adopt)?)
    }
}

impl StepRunner for Providers {
    async fn run(&self, step: &Step, progress: &StepProgress<'_>) -> Result<(), StepError> {
        let kind = step.resource.kind.as_str();
        if [
            runners::KIND_RUNNER,
            runners::KIND_ORPHAN,
            runners::KIND_STRAY,
        ]
        .contains(&kind)
        {
            return match &self.runners {
                Some(r) => r.run_step(step, progress).await,
                None => Err(StepError::new(
                    "this step needs the Docker host and GitHub, which are not set up",
                )),
            };
        }
        if kind.starts_with("github.") {
            match &self.github {
                Some(github) => github.run(step, progress, &self.facts).await,
                None => Err(StepError::new(
                    "this step needs GitHub, but no GitHub token is set up",
                )
                .with_hint("run `slipway github login`")),
            }
        } else {
            self.aws.run(step, progress).await
        }
    }
}

/// How a push-key rotation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RotationOutcome {
    /// The keychain and every repository hold `new`; `old` is deleted.
    Rotated { new: String, old: Option<String> },
    /// `new` is in the keychain but a repository could not take it, so the
    /// old key is kept and builds keep working; apply again to finish.
    OldKeyKept { new: String, reason: String },
}

/// The desired state with nothing in it: what teardown plans towards.
/// ECR repositories are kept by the plan unless `delete_repositories`.
pub fn teardown_state(state: &DesiredState) -> DesiredState {
    let mut empty = state.clone();
    empty.aws = None;
    empty.github = None;
    empty.runners.count = 0;
    empty
}

impl Providers {
    /// Rotates the ECR push key: new key → keychain → every repository's
    /// secrets (GitHub steps of the plan) → only then is the old key deleted.
    pub async fn rotate_push_key(
        &self,
        state: &DesiredState,
        sink: &dyn EventSink,
    ) -> Result<RotationOutcome, String> {
        if state.aws.as_ref().map(|a| a.auth) != Some(AwsAuthMode::AccessKey) {
            return Err("the push identity is an OIDC role: it has no key to rotate".into());
        }
        if self.github.is_none() {
            let new = self.aws.rotate_key().await.map_err(|e| e.to_string())?;
            return Ok(RotationOutcome::Rotated { new, old: None });
        }
        let (new, old) = self.aws.begin_rotation().await.map_err(|e| e.to_string())?;
        let kept = |reason: String| RotationOutcome::OldKeyKept {
            new: new.clone(),
            reason,
        };
        let plan = match self.plan(state, &AwsPlanOptions::default()).await {
            Ok(plan) => plan,
            Err(e) => return Ok(kept(e.to_string())),
        };
        let github_only = Plan {
            steps: plan
                .steps
                .into_iter()
                .filter(|s| s.resource.kind.starts_with("github."))
                .collect(),
        };
        let report = apply(&github_only, self, sink).await;
        if let Some((id, error)) = report.failed.first() {
            return Ok(kept(format!("{id}: {}", error.message)));
        }
        if let Some(old) = &old {
            self.aws
                .finish_rotation(old)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(RotationOutcome::Rotated { new, old })
    }
}
