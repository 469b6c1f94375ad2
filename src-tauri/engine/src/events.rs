//! Progress events: the one stream that apply emits and that both the CLI and
//! the GUI render. Events carry no secret values, only names and counts.

use serde::Serialize;

use crate::plan::{Action, ResourceId};

/// Unit of a progress count, so a renderer can format it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressUnit {
    Bytes,
    Items,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// Apply begins; `steps` is the number of steps that will run.
    ApplyStarted {
        steps: usize,
    },
    StepStarted {
        index: usize,
        resource: ResourceId,
        action: Action,
    },
    /// Partial progress inside a step (image layers, runners online, ...).
    StepProgress {
        index: usize,
        label: String,
        done: u64,
        total: Option<u64>,
        unit: ProgressUnit,
    },
    /// Something the user should know about a step's result.
    StepNote {
        index: usize,
        message: String,
    },
    StepFinished {
        index: usize,
    },
    /// `message` says what failed and why; `hint` says what to do next.
    StepFailed {
        index: usize,
        message: String,
        hint: Option<String>,
    },
    /// Not run because a step it depends on failed.
    StepSkipped {
        index: usize,
        blocked_by: ResourceId,
    },
    ApplyFinished {
        succeeded: usize,
        failed: usize,
        skipped: usize,
    },
}

/// Where apply sends its events. A closure, a channel, a Tauri channel: any
/// sink works, and a failing sink never stops the apply.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: ProgressEvent);
}

impl<F: Fn(ProgressEvent) + Send + Sync> EventSink for F {
    fn emit(&self, event: ProgressEvent) {
        self(event)
    }
}
