//! Tests of apply against an in-memory world: event stream, skipping the
//! dependents of a failed step, and convergence on a second run.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::*;
use crate::plan::tests::{id, want};
use crate::plan::{plan, Attributes, DesiredResource, ObservedResource};

/// A world of resources keyed by id; can be told to fail a resource once.
#[derive(Default)]
struct World {
    resources: Mutex<BTreeMap<ResourceId, (Vec<ResourceId>, Attributes)>>,
    fail_once: Mutex<Option<ResourceId>>,
    calls: Mutex<Vec<String>>,
}

impl World {
    fn observe(&self) -> Vec<ObservedResource> {
        self.resources
            .lock()
            .unwrap()
            .iter()
            .map(|(id, (deps, attrs))| ObservedResource {
                id: id.clone(),
                depends_on: deps.clone(),
                attributes: attrs.clone(),
                owned: true,
            })
            .collect()
    }
}

struct WorldRunner<'a> {
    world: &'a World,
    desired: &'a [DesiredResource],
}

impl StepRunner for WorldRunner<'_> {
    async fn run(&self, step: &Step, progress: &StepProgress<'_>) -> Result<(), StepError> {
        self.world
            .calls
            .lock()
            .unwrap()
            .push(format!("{:?} {}", step.action, step.resource));
        {
            let mut fail = self.world.fail_once.lock().unwrap();
            if fail.as_ref() == Some(&step.resource) {
                *fail = None;
                return Err(
                    StepError::new(format!("{} refused", step.resource)).with_hint("try again")
                );
            }
        }
        progress.report("working", 1, Some(1), ProgressUnit::Items);
        let mut resources = self.world.resources.lock().unwrap();
        match step.action {
            Action::Delete => {
                resources.remove(&step.resource);
            }
            _ => {
                let deps = self
                    .desired
                    .iter()
                    .find(|d| d.id == step.resource)
                    .map(|d| d.depends_on.clone())
                    .unwrap_or_default();
                resources.insert(step.resource.clone(), (deps, step.attributes.clone()));
            }
        }
        Ok(())
    }
}

fn desired_state() -> Vec<DesiredResource> {
    let user = id("aws.iam_user", "pusher");
    let key = id("aws.access_key", "pusher");
    vec![
        want(user.clone(), &[], &[("path", "/slipway/")]),
        want(key.clone(), &[&user], &[("keychain_entry", "aws-key")]),
        want(
            id("aws.ecr_repository", "slipway/api/main"),
            &[],
            &[("keep", "10")],
        ),
    ]
}

/// Records every event apply emits.
#[derive(Default)]
struct Recorder(Mutex<Vec<ProgressEvent>>);

impl EventSink for Recorder {
    fn emit(&self, event: ProgressEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Recorder {
    fn events(&self) -> Vec<ProgressEvent> {
        self.0.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn apply_emits_one_stream_and_a_second_apply_changes_nothing() {
    let world = World::default();
    let desired = desired_state();
    let runner = WorldRunner {
        world: &world,
        desired: &desired,
    };
    let sink = Recorder::default();

    let first = plan(&desired, &world.observe()).unwrap();
    let report = apply(&first, &runner, &sink).await;
    assert!(report.is_success());
    assert_eq!(report.succeeded.len(), 3);
    let events = sink.events();
    assert_eq!(
        events.first(),
        Some(&ProgressEvent::ApplyStarted { steps: 3 })
    );
    assert_eq!(
        events.last(),
        Some(&ProgressEvent::ApplyFinished {
            succeeded: 3,
            failed: 0,
            skipped: 0
        })
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, ProgressEvent::StepProgress { .. }))
            .count(),
        3
    );

    let second = plan(&desired, &world.observe()).unwrap();
    assert!(second.is_noop(), "{second:?}");
    let calls_before = world.calls.lock().unwrap().len();
    let report = apply(&second, &runner, &|_| {}).await;
    assert!(report.is_success());
    assert!(report.succeeded.is_empty());
    assert_eq!(
        world.calls.lock().unwrap().len(),
        calls_before,
        "a no-op apply calls nothing"
    );
}

#[tokio::test]
async fn a_failed_step_skips_its_dependents_runs_the_rest_and_a_rerun_converges() {
    let world = World::default();
    *world.fail_once.lock().unwrap() = Some(id("aws.iam_user", "pusher"));
    let desired = desired_state();
    let runner = WorldRunner {
        world: &world,
        desired: &desired,
    };
    let sink = Recorder::default();

    let report = apply(&plan(&desired, &world.observe()).unwrap(), &runner, &sink).await;
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].1.hint.as_deref(), Some("try again"));
    assert_eq!(report.skipped, vec![id("aws.access_key", "pusher")]);
    assert_eq!(
        report.succeeded,
        vec![id("aws.ecr_repository", "slipway/api/main")]
    );
    assert!(sink.events().contains(&ProgressEvent::StepSkipped {
        index: 1,
        blocked_by: id("aws.iam_user", "pusher"),
    }));

    // Observe again: only what did not happen is left to do.
    let resumed = plan(&desired, &world.observe()).unwrap();
    let todo: Vec<_> = resumed.changes().map(|s| s.resource.to_string()).collect();
    assert_eq!(todo, vec!["aws.iam_user/pusher", "aws.access_key/pusher"]);
    assert!(apply(&resumed, &runner, &|_| {}).await.is_success());
    assert!(plan(&desired, &world.observe()).unwrap().is_noop());
}

#[tokio::test]
async fn teardown_is_apply_with_nothing_desired() {
    let world = World::default();
    let desired = desired_state();
    let runner = WorldRunner {
        world: &world,
        desired: &desired,
    };
    apply(&plan(&desired, &world.observe()).unwrap(), &runner, &|_| {}).await;
    world.calls.lock().unwrap().clear();

    let teardown = plan(&[], &world.observe()).unwrap();
    assert!(apply(&teardown, &runner, &|_| {}).await.is_success());
    assert!(world.observe().is_empty());
    let calls = world.calls.lock().unwrap().clone();
    let key_at = calls
        .iter()
        .position(|c| c == "Delete aws.access_key/pusher")
        .unwrap();
    let user_at = calls
        .iter()
        .position(|c| c == "Delete aws.iam_user/pusher")
        .unwrap();
    assert!(key_at < user_at, "{calls:?}");
}
