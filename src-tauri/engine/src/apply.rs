//! Apply: runs a plan's steps in order, each through a [`StepRunner`] that
//! knows how to create, update or delete one kind of resource, and streams
//! progress events. A failed step does not stop independent steps; steps that
//! depend on it are skipped. Every runner is idempotent, so running the plan
//! again (after observing again) converges.

use std::collections::BTreeSet;
use std::future::Future;

use serde::Serialize;
use thiserror::Error;

use crate::events::{EventSink, ProgressEvent, ProgressUnit};
use crate::plan::{Action, Plan, ResourceId, Step};

/// Why a step failed, and what the user should do about it.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("{message}")]
pub struct StepError {
    pub message: String,
    pub hint: Option<String>,
}

impl StepError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Reports progress from inside a step.
pub struct StepProgress<'a> {
    index: usize,
    sink: &'a dyn EventSink,
}

impl StepProgress<'_> {
    /// A line worth showing the user (a commit made, a pull request opened).
    pub fn note(&self, message: impl Into<String>) {
        self.sink.emit(ProgressEvent::StepNote {
            index: self.index,
            message: message.into(),
        });
    }

    pub fn report(
        &self,
        label: impl Into<String>,
        done: u64,
        total: Option<u64>,
        unit: ProgressUnit,
    ) {
        self.sink.emit(ProgressEvent::StepProgress {
            index: self.index,
            label: label.into(),
            done,
            total,
            unit,
        });
    }
}

/// Carries out one step against the world. Must be idempotent: running a
/// step whose effect is already there succeeds and changes nothing.
pub trait StepRunner: Sync {
    fn run(
        &self,
        step: &Step,
        progress: &StepProgress<'_>,
    ) -> impl Future<Output = Result<(), StepError>> + Send;
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub succeeded: Vec<ResourceId>,
    pub failed: Vec<(ResourceId, StepError)>,
    pub skipped: Vec<ResourceId>,
}

impl ApplyReport {
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty()
    }
}

/// Runs every step that changes something, in plan order.
pub async fn apply<R: StepRunner>(plan: &Plan, runner: &R, sink: &dyn EventSink) -> ApplyReport {
    let steps: Vec<&Step> = plan.changes().collect();
    sink.emit(ProgressEvent::ApplyStarted { steps: steps.len() });
    let mut report = ApplyReport::default();
    let mut blocked: BTreeSet<&ResourceId> = BTreeSet::new();

    for (index, step) in steps.iter().enumerate() {
        if let Some(blocker) = step.after.iter().find(|dep| blocked.contains(dep)) {
            sink.emit(ProgressEvent::StepSkipped {
                index,
                blocked_by: blocker.clone(),
            });
            blocked.insert(&step.resource);
            report.skipped.push(step.resource.clone());
            continue;
        }
        sink.emit(ProgressEvent::StepStarted {
            index,
            resource: step.resource.clone(),
            action: step.action,
        });
        let progress = StepProgress { index, sink };
        match runner.run(step, &progress).await {
            Ok(()) => {
                sink.emit(ProgressEvent::StepFinished { index });
                report.succeeded.push(step.resource.clone());
            }
            Err(error) => {
                sink.emit(ProgressEvent::StepFailed {
                    index,
                    message: error.message.clone(),
                    hint: error.hint.clone(),
                });
                blocked.insert(&step.resource);
                report.failed.push((step.resource.clone(), error));
            }
        }
    }
    debug_assert!(steps.iter().all(|s| s.action != Action::NoOp));
    sink.emit(ProgressEvent::ApplyFinished {
        succeeded: report.succeeded.len(),
        failed: report.failed.len(),
        skipped: report.skipped.len(),
    });
    report
}

#[cfg(test)]
mod tests;
