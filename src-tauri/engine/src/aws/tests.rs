//! Unit tests of the AWS desired resources (no AWS needed).

use std::collections::BTreeMap;

use super::*;
use crate::config::GithubSettings;

fn state(auth: AwsAuthMode) -> DesiredState {
    let mut s = DesiredState::new();
    s.install_id = "inst-1".into();
    s.github = Some({
        let mut g = GithubSettings::for_organization("acme");
        g.repositories = vec!["api".into(), "Web".into()];
        g.branches = vec!["main".into(), "release/2.0".into()];
        g.organization_id = Some(10);
        g.repository_ids = BTreeMap::from([("api".into(), 11)]);
        g
    });
    let mut aws = AwsSettings::for_region("eu-west-1");
    aws.auth = auth;
    s.aws = Some(aws);
    s
}

fn ids(resources: &[DesiredResource]) -> Vec<String> {
    resources.iter().map(|r| r.id.to_string()).collect()
}

#[test]
fn access_key_mode_wants_user_policy_key_and_one_repository_per_repo_and_branch() {
    let desired = desired_resources(&state(AwsAuthMode::AccessKey), "123456789012", false).unwrap();
    assert_eq!(
        ids(&desired),
        [
            "aws.iam_user/slipway-ecr-pusher",
            "aws.iam_user_policy/slipway-ecr-pusher/slipway-ecr-push",
            "aws.access_key/slipway-ecr-pusher",
            "aws.ecr_repository/slipway/api/main",
            "aws.ecr_repository/slipway/api/release-2.0",
            "aws.ecr_repository/slipway/web/main",
            "aws.ecr_repository/slipway/web/release-2.0",
        ]
    );
    let user = &desired[0].attributes;
    assert_eq!(user["path"], "/slipway/");
    assert_eq!(user["tag.managed-by"], "slipway");
    assert_eq!(user["tag.slipway-install-id"], "inst-1");
    assert_eq!(
        desired[1].attributes["document"],
        policy::ecr_push_policy("eu-west-1", "123456789012", "slipway").to_canonical_json()
    );
    assert_eq!(desired[2].attributes["key"], KEY_HELD);
    assert_eq!(desired[2].attributes["keychain_entry"], "aws-ecr-push-key");
    assert_eq!(desired[2].depends_on, vec![desired[0].id.clone()]);
    let repo = &desired[3].attributes;
    assert_eq!(repo["scan_on_push"], "true");
    assert_eq!(repo["lifecycle_policy"], lifecycle::lifecycle_policy(10));
    // Nothing secret, nothing but names, in any attribute.
    assert!(desired
        .iter()
        .all(|r| r.attributes.values().all(|v| !v.contains("AKIA"))));
}

#[test]
fn oidc_mode_wants_provider_role_and_role_policy_with_both_subject_forms() {
    let desired = desired_resources(&state(AwsAuthMode::Oidc), "123456789012", false).unwrap();
    assert_eq!(
        ids(&desired)[..3],
        [
            "aws.iam_oidc_provider/token.actions.githubusercontent.com",
            "aws.iam_role/slipway-ecr-push",
            "aws.iam_role_policy/slipway-ecr-push/slipway-ecr-push",
        ]
    );
    assert_eq!(
        desired[0].attributes["url"],
        "https://token.actions.githubusercontent.com"
    );
    assert_eq!(desired[0].attributes["audience"], "sts.amazonaws.com");
    let trust = &desired[1].attributes["trust_policy"];
    assert!(
        trust.contains("\"repo:acme/api:*\"") && trust.contains("\"repo:acme@10/api@11:*\""),
        "{trust}"
    );
    assert!(trust.contains("\"repo:acme/Web:*\""), "{trust}");
    assert!(
        !ids(&desired).iter().any(|i| i.starts_with("aws.iam_user")),
        "no long-lived user in OIDC mode"
    );
}

#[test]
fn an_existing_foreign_oidc_provider_is_reused_not_recreated() {
    let desired = desired_resources(&state(AwsAuthMode::Oidc), "1", true).unwrap();
    assert_eq!(desired[0].id.to_string(), "aws.iam_role/slipway-ecr-push");
    assert!(desired[0].depends_on.is_empty());
}

#[test]
fn settings_that_cannot_work_are_refused_with_the_fix() {
    let mut s = state(AwsAuthMode::Oidc);
    s.github = None;
    let err = desired_resources(&s, "1", false).unwrap_err().to_string();
    assert!(err.contains("choose them first"), "{err}");

    let mut s = state(AwsAuthMode::AccessKey);
    s.github.as_mut().unwrap().branches = vec!["feature/x".into(), "feature-x".into()];
    let err = desired_resources(&s, "1", false).unwrap_err().to_string();
    assert!(
        err.contains("same ECR repository slipway/api/feature-x"),
        "{err}"
    );

    let mut s = state(AwsAuthMode::AccessKey);
    s.aws.as_mut().unwrap().iam_path = "slipway".into();
    assert!(desired_resources(&s, "1", false)
        .unwrap_err()
        .to_string()
        .contains("must start and end with '/'"));

    let mut s = state(AwsAuthMode::AccessKey);
    s.aws.as_mut().unwrap().repository_prefix = "My Prefix".into();
    assert!(matches!(
        desired_resources(&s, "1", false),
        Err(AwsPlanError::Naming(_))
    ));
}

#[test]
fn no_aws_section_wants_nothing() {
    let mut s = state(AwsAuthMode::AccessKey);
    s.aws = None;
    assert!(desired_resources(&s, "1", false).unwrap().is_empty());
}
