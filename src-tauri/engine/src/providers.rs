//! All providers together: one observation, one plan across AWS and GitHub
//! (GitHub's resources depend on AWS's key), and one apply that hands each
//! step to the provider of its kind.

use thiserror::Error;

use crate::apply::{StepError, StepProgress, StepRunner};
use crate::aws::{AwsPlanError, AwsPlanOptions, AwsProvider};
use crate::config::DesiredState;
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
        if kind == runners::KIND_RUNNER || kind == runners::KIND_ORPHAN {
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
