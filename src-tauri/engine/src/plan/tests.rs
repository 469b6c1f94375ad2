//! Tests of the pure plan: ordering, no-op re-plans, ownership.

use super::*;

pub(crate) fn id(kind: &str, name: &str) -> ResourceId {
    ResourceId::new(kind, name)
}

pub(crate) fn want(
    rid: ResourceId,
    deps: &[&ResourceId],
    attrs: &[(&str, &str)],
) -> DesiredResource {
    DesiredResource {
        id: rid,
        depends_on: deps.iter().map(|d| (*d).clone()).collect(),
        attributes: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

pub(crate) fn seen(d: &DesiredResource) -> ObservedResource {
    ObservedResource {
        id: d.id.clone(),
        depends_on: d.depends_on.clone(),
        attributes: d.attributes.clone(),
        owned: true,
    }
}

fn order(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| format!("{:?} {}", s.action, s.resource))
        .collect()
}

#[test]
fn creations_come_after_their_dependencies_whatever_the_input_order() {
    let user = id("aws.iam_user", "pusher");
    let key = id("aws.access_key", "pusher");
    let policy = id("aws.iam_policy", "pusher");
    let desired = vec![
        want(key.clone(), &[&user], &[]),
        want(policy.clone(), &[&user], &[("actions", "ecr:*")]),
        want(user.clone(), &[], &[("path", "/slipway/")]),
    ];
    let plan = plan(&desired, &[]).unwrap();
    assert_eq!(
        order(&plan),
        vec![
            "Create aws.iam_user/pusher",
            "Create aws.access_key/pusher",
            "Create aws.iam_policy/pusher",
        ]
    );
    assert_eq!(plan.steps[1].after, vec![user]);
    assert_eq!(plan.summary().create, 3);
}

#[test]
fn deletions_remove_dependents_first_and_come_before_creations() {
    let user = id("aws.iam_user", "old");
    let key = id("aws.access_key", "old");
    let repo = id("aws.ecr_repository", "new");
    let observed = vec![
        seen(&want(user.clone(), &[], &[])),
        seen(&want(key.clone(), &[&user], &[])),
    ];
    let plan = plan(&[want(repo, &[], &[])], &observed).unwrap();
    assert_eq!(
        order(&plan),
        vec![
            "Delete aws.access_key/old",
            "Delete aws.iam_user/old",
            "Create aws.ecr_repository/new",
        ]
    );
    // The user's deletion waits for its key's deletion.
    assert_eq!(plan.steps[1].after, vec![key]);
}

#[test]
fn replanning_an_applied_state_is_a_noop() {
    let user = id("aws.iam_user", "pusher");
    let desired = vec![
        want(user.clone(), &[], &[("path", "/slipway/")]),
        want(id("aws.access_key", "pusher"), &[&user], &[]),
    ];
    let observed: Vec<_> = desired.iter().map(seen).collect();
    let plan = plan(&desired, &observed).unwrap();
    assert!(plan.is_noop());
    assert_eq!(plan.summary().unchanged, 2);
    assert!(plan.steps.iter().all(|s| s.reason == "up to date"));
}

#[test]
fn changed_attributes_give_an_update_that_names_them() {
    let runner = id("docker.runner", "acme-1");
    let desired = vec![want(
        runner.clone(),
        &[],
        &[("labels", "self-hosted,gpu"), ("image", "r:2")],
    )];
    let mut observed = seen(&want(
        runner,
        &[],
        &[("labels", "self-hosted"), ("image", "r:2")],
    ));
    observed
        .attributes
        .insert("container_id".into(), "abc".into());
    let plan = plan(&desired, &[observed]).unwrap();
    let step = &plan.steps[0];
    assert_eq!(step.action, Action::Update);
    assert_eq!(step.reason, "labels changed");
    assert_eq!(
        step.changes,
        vec![AttributeChange {
            attribute: "labels".into(),
            from: Some("self-hosted".into()),
            to: Some("self-hosted,gpu".into()),
            diff: None,
        }]
    );
}

#[test]
fn resources_slipway_does_not_own_are_never_adopted_or_deleted() {
    let user = id("aws.iam_user", "slipway-ecr-pusher");
    let mut foreign = seen(&want(user.clone(), &[], &[]));
    foreign.owned = false;
    assert_eq!(
        plan(
            &[want(user.clone(), &[], &[])],
            std::slice::from_ref(&foreign)
        ),
        Err(PlanError::NotOwned(user))
    );
    // Not desired and not ours: left alone, not deleted.
    assert!(plan(&[], &[foreign]).unwrap().steps.is_empty());
}

#[test]
fn cycles_and_missing_dependencies_are_reported() {
    let a = id("k", "a");
    let b = id("k", "b");
    let err = plan(
        &[want(a.clone(), &[&b], &[]), want(b.clone(), &[&a], &[])],
        &[],
    )
    .unwrap_err();
    assert!(
        matches!(err, PlanError::Cycle(ref ids) if ids.len() == 2),
        "{err}"
    );
    let err = plan(&[want(a.clone(), &[&id("k", "ghost")], &[])], &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "k/a depends on k/ghost, which is neither desired nor present"
    );
    let err = plan(&[want(a.clone(), &[], &[]), want(a, &[], &[])], &[]).unwrap_err();
    assert!(matches!(err, PlanError::DuplicateId(_)));
}

#[test]
fn a_dependency_that_already_exists_is_not_waited_for() {
    let user = id("aws.iam_user", "pusher");
    let key = id("aws.access_key", "pusher");
    let observed = vec![seen(&want(user.clone(), &[], &[]))];
    let desired = vec![want(key.clone(), &[&user], &[])];
    // The user is observed but no longer desired → deleted; the key is
    // created. The missing-dependency check accepts observed dependencies.
    let plan = plan(&desired, &observed).unwrap();
    assert_eq!(
        order(&plan),
        vec!["Delete aws.iam_user/pusher", "Create aws.access_key/pusher"]
    );
    assert!(plan.steps[1].after.is_empty());
}

#[test]
fn a_foreign_resource_is_adopted_only_when_asked_by_id() {
    let user = id("aws.iam_user", "slipway-ecr-pusher");
    let desired = vec![want(user.clone(), &[], &[("tag.managed-by", "slipway")])];
    let mut foreign = seen(&want(user.clone(), &[], &[]));
    foreign.owned = false;
    let adopt = BTreeSet::from([user.clone()]);
    let plan = plan_adopting(&desired, std::slice::from_ref(&foreign), &adopt).unwrap();
    assert_eq!(plan.steps[0].action, Action::Update);
    assert!(plan.steps[0].reason.contains("adopting"));
    assert_eq!(plan.steps[0].changes[0].attribute, "tag.managed-by");
    let other = BTreeSet::from([id("aws.iam_user", "someone-else")]);
    assert!(matches!(
        plan_adopting(&desired, &[foreign], &other),
        Err(PlanError::NotOwned(_))
    ));
}

#[test]
fn multi_line_changes_carry_a_unified_diff() {
    let file = id("github.workflow_file", "api");
    let desired = vec![want(file.clone(), &[], &[("content", "a\nb\nc\n")])];
    let observed = seen(&want(file, &[], &[("content", "a\nB\nc\n")]));
    let plan = plan(&desired, &[observed]).unwrap();
    let diff = plan.steps[0].changes[0].diff.as_deref().unwrap();
    assert!(diff.contains("-B\n") && diff.contains("+b\n"), "{diff}");
}
