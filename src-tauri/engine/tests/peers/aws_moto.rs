//! The AWS provider against moto server: every step is checked by reading the
//! world back through the AWS SDK, not through Slipway's own observation.
//! Tests share one moto, so they take turns and reset it first.

use std::collections::BTreeSet;

use aws_sdk_iam::Client as Iam;
use secrecy::ExposeSecret;
use slipway_engine::apply::apply;
use slipway_engine::aws::session::{connect, AdminCredentials};
use slipway_engine::aws::{
    lifecycle, policy, AwsPlanError, AwsPlanOptions, AwsProvider, KIND_ACCESS_KEY, KIND_USER,
};
use slipway_engine::config::{AwsAuthMode, AwsSettings, DesiredState, GithubSettings};
use slipway_engine::plan::{Action, PlanError, ResourceId};
use slipway_engine::secrets::Keychain;
use slipway_testkit::{moto_url, reset_moto};
use tokio::sync::{Mutex, MutexGuard};

static MOTO: Mutex<()> = Mutex::const_new(());

/// Takes moto for this test and clears its state.
async fn fresh_moto() -> MutexGuard<'static, ()> {
    let guard = MOTO.lock().await;
    reset_moto();
    guard
}

fn desired(auth: AwsAuthMode) -> DesiredState {
    let mut s = DesiredState::new();
    s.github = Some({
        let mut g = GithubSettings::for_organization("acme");
        g.repositories = vec!["api".into(), "web".into()];
        g.branches = vec!["main".into()];
        g.organization_id = Some(100);
        g.repository_ids = [("api".to_string(), 101)].into();
        g
    });
    let mut aws = AwsSettings::for_region("eu-west-1");
    aws.endpoint_url = Some(moto_url());
    aws.auth = auth;
    aws.keep_tagged_images = 5;
    s.aws = Some(aws);
    s
}

async fn provider(state: &DesiredState, keychain_service: &str) -> AwsProvider {
    let settings = state.aws.clone().unwrap();
    let creds = AdminCredentials::Keys {
        access_key_id: "AKIAADMINTESTING".into(),
        secret_access_key: "admin-secret".to_string().into(),
        session_token: None,
    };
    let session = connect(&settings, &creds)
        .await
        .expect("moto accepts the admin keys");
    AwsProvider::new(session, Keychain::new(keychain_service), state, settings)
}

async fn plan_and_apply(
    p: &AwsProvider,
    state: &DesiredState,
    options: &AwsPlanOptions,
) -> Vec<String> {
    let plan = p.plan(state, options).await.expect("plan");
    let report = apply(&plan, p, &|_| {}).await;
    assert!(report.is_success(), "{report:?}");
    report.succeeded.iter().map(|r| r.to_string()).collect()
}

async fn key_ids(iam: &Iam, user: &str) -> Vec<String> {
    let out = iam.list_access_keys().user_name(user).send().await.unwrap();
    out.access_key_metadata()
        .iter()
        .map(|k| k.access_key_id().unwrap().to_string())
        .collect()
}

/// The keychain's key id, after checking the entry holds a non-empty secret.
async fn keychain_key_id(keychain: &Keychain) -> Option<String> {
    let secret = keychain.get("aws-ecr-push-key").await.unwrap()?;
    let json: serde_json::Value = serde_json::from_str(secret.expose_secret()).unwrap();
    assert!(!json["secret_access_key"].as_str().unwrap().is_empty());
    Some(json["access_key_id"].as_str().unwrap().to_string())
}

async fn repositories(p: &AwsProvider) -> BTreeSet<String> {
    let out = p.session.ecr.describe_repositories().send().await.unwrap();
    out.repositories()
        .iter()
        .map(|r| r.repository_name().unwrap().to_string())
        .collect()
}

fn decode(doc: &str) -> serde_json::Value {
    serde_json::from_str(&percent_encoding::percent_decode_str(doc).decode_utf8_lossy()).unwrap()
}

#[tokio::test]
async fn create_reapply_rotate_and_teardown_leave_exactly_what_they_should() {
    let _moto = fresh_moto().await;
    let state = desired(AwsAuthMode::AccessKey);
    let p = provider(&state, "dev.slipway.test.aws-lifecycle").await;
    let iam = p.session.iam.clone();
    let keychain = p.keychain.clone();
    keychain.delete("aws-ecr-push-key").await.unwrap();
    assert_eq!(p.session.identity.account_id, "123456789012");

    // Create.
    let created = plan_and_apply(&p, &state, &AwsPlanOptions::default()).await;
    assert_eq!(created.len(), 5, "{created:?}");

    let user = iam
        .get_user()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .unwrap();
    assert_eq!(user.user().unwrap().path(), "/slipway/");
    let tags = iam
        .list_user_tags()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .unwrap();
    let tags: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| (t.key().into(), t.value().into()))
        .collect();
    assert!(tags.contains(&("managed-by".into(), "slipway".into())));
    assert!(tags.contains(&("slipway-install-id".into(), state.install_id.clone())));
    let names = iam
        .list_user_policies()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .unwrap();
    assert_eq!(names.policy_names(), ["slipway-ecr-push"]);
    let doc = iam
        .get_user_policy()
        .user_name("slipway-ecr-pusher")
        .policy_name("slipway-ecr-push")
        .send()
        .await
        .unwrap();
    assert_eq!(
        decode(doc.policy_document()),
        serde_json::to_value(policy::ecr_push_policy(
            "eu-west-1",
            "123456789012",
            "slipway"
        ))
        .unwrap()
    );
    let keys = key_ids(&iam, "slipway-ecr-pusher").await;
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keychain_key_id(&keychain).await.as_ref(),
        Some(&keys[0]),
        "the keychain holds the live key"
    );

    assert_eq!(
        repositories(&p).await,
        BTreeSet::from([
            "slipway/api/main".to_string(),
            "slipway/web/main".to_string()
        ])
    );
    for name in ["slipway/api/main", "slipway/web/main"] {
        let repo = p
            .session
            .ecr
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
            .unwrap();
        let repo = &repo.repositories()[0];
        assert!(repo.image_scanning_configuration().unwrap().scan_on_push());
        let lc = p
            .session
            .ecr
            .get_lifecycle_policy()
            .repository_name(name)
            .send()
            .await
            .unwrap();
        let got: serde_json::Value =
            serde_json::from_str(lc.lifecycle_policy_text().unwrap()).unwrap();
        let want: serde_json::Value =
            serde_json::from_str(&lifecycle::lifecycle_policy(5)).unwrap();
        assert_eq!(got, want);
        let tags = p
            .session
            .ecr
            .list_tags_for_resource()
            .resource_arn(repo.repository_arn().unwrap())
            .send()
            .await
            .unwrap();
        assert!(tags
            .tags()
            .iter()
            .any(|t| t.key() == "managed-by" && t.value() == "slipway"));
    }

    // Re-apply: nothing to do, nothing written.
    let again = p.plan(&state, &AwsPlanOptions::default()).await.unwrap();
    assert!(
        again.is_noop(),
        "{:#?}",
        again.changes().collect::<Vec<_>>()
    );
    assert_eq!(key_ids(&iam, "slipway-ecr-pusher").await, keys);

    // Rotate: a new key in the keychain, the old one gone from IAM.
    let new = p.rotate_key().await.unwrap();
    assert_ne!(new, keys[0]);
    assert_eq!(key_ids(&iam, "slipway-ecr-pusher").await, vec![new.clone()]);
    assert_eq!(keychain_key_id(&keychain).await, Some(new));
    assert!(p
        .plan(&state, &AwsPlanOptions::default())
        .await
        .unwrap()
        .is_noop());

    // Teardown keeps the repositories unless asked.
    let mut gone = state.clone();
    gone.aws = None;
    let plan = p.plan(&gone, &AwsPlanOptions::default()).await.unwrap();
    let deletes: Vec<String> = plan
        .changes()
        .map(|s| format!("{:?} {}", s.action, s.resource))
        .collect();
    assert_eq!(deletes.len(), 3, "{deletes:?}");
    assert!(deletes
        .contains(&"Delete aws.iam_user_policy/slipway-ecr-pusher/slipway-ecr-push".to_string()));
    assert!(deletes.contains(&"Delete aws.access_key/slipway-ecr-pusher".to_string()));
    assert_eq!(
        deletes[2], "Delete aws.iam_user/slipway-ecr-pusher",
        "the user goes last"
    );
    assert!(apply(&plan, &p, &|_| {}).await.is_success());
    let err = iam
        .get_user()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_no_such_entity_exception());
    assert_eq!(
        keychain_key_id(&keychain).await,
        None,
        "no dead key left in the keychain"
    );
    assert_eq!(repositories(&p).await.len(), 2);

    let all = AwsPlanOptions {
        delete_repositories: true,
        ..Default::default()
    };
    plan_and_apply(&p, &gone, &all).await;
    assert!(repositories(&p).await.is_empty());
    assert!(p.plan(&gone, &all).await.unwrap().is_noop());
}

#[tokio::test]
async fn drift_converges_a_lost_keychain_entry_a_stray_key_and_a_deleted_user() {
    let _moto = fresh_moto().await;
    let state = desired(AwsAuthMode::AccessKey);
    let p = provider(&state, "dev.slipway.test.aws-drift").await;
    let iam = p.session.iam.clone();
    p.keychain.delete("aws-ecr-push-key").await.unwrap();
    plan_and_apply(&p, &state, &AwsPlanOptions::default()).await;
    let first = key_ids(&iam, "slipway-ecr-pusher").await;

    // The keychain lost the key, and someone added a second key by hand: the
    // user is at IAM's limit of 2 and nobody holds either key.
    p.keychain.delete("aws-ecr-push-key").await.unwrap();
    iam.create_access_key()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .unwrap();
    let plan = p.plan(&state, &AwsPlanOptions::default()).await.unwrap();
    let step: Vec<_> = plan.changes().collect();
    assert_eq!(step.len(), 1);
    assert_eq!(
        step[0].resource,
        ResourceId::new(KIND_ACCESS_KEY, "slipway-ecr-pusher")
    );
    assert_eq!(
        step[0].changes[0].from.as_deref(),
        Some("2 key(s), none in the keychain")
    );
    assert!(apply(&plan, &p, &|_| {}).await.is_success());
    let now = key_ids(&iam, "slipway-ecr-pusher").await;
    assert_eq!(now.len(), 1);
    assert!(!first.contains(&now[0]));
    assert_eq!(keychain_key_id(&p.keychain).await, Some(now[0].clone()));

    // The user is deleted behind Slipway's back: apply recreates it all.
    iam.delete_access_key()
        .user_name("slipway-ecr-pusher")
        .access_key_id(&now[0])
        .send()
        .await
        .unwrap();
    iam.delete_user_policy()
        .user_name("slipway-ecr-pusher")
        .policy_name("slipway-ecr-push")
        .send()
        .await
        .unwrap();
    iam.delete_user()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .unwrap();
    let plan = p.plan(&state, &AwsPlanOptions::default()).await.unwrap();
    assert_eq!(plan.summary().create, 3);
    assert!(apply(&plan, &p, &|_| {}).await.is_success());
    assert_eq!(
        keychain_key_id(&p.keychain).await,
        Some(key_ids(&iam, "slipway-ecr-pusher").await[0].clone())
    );
    assert!(p
        .plan(&state, &AwsPlanOptions::default())
        .await
        .unwrap()
        .is_noop());
    p.keychain.delete("aws-ecr-push-key").await.unwrap();
}

#[tokio::test]
async fn a_same_named_user_or_repository_is_refused_and_adopted_only_when_asked() {
    let _moto = fresh_moto().await;
    let state = desired(AwsAuthMode::AccessKey);
    let p = provider(&state, "dev.slipway.test.aws-clash").await;
    p.keychain.delete("aws-ecr-push-key").await.unwrap();
    p.session
        .iam
        .create_user()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .unwrap();
    p.session
        .ecr
        .create_repository()
        .repository_name("slipway/web/main")
        .send()
        .await
        .unwrap();

    let err = p
        .plan(&state, &AwsPlanOptions::default())
        .await
        .unwrap_err();
    let user = ResourceId::new(KIND_USER, "slipway-ecr-pusher");
    assert!(
        matches!(&err, AwsPlanError::Plan(PlanError::NotOwned(id)) if *id == user),
        "{err}"
    );
    assert!(
        err.to_string().contains("Slipway did not create it"),
        "{err}"
    );

    let repo = ResourceId::new("aws.ecr_repository", "slipway/web/main");
    let adopt = AwsPlanOptions {
        adopt: BTreeSet::from([user.clone(), repo.clone()]),
        ..Default::default()
    };
    let plan = p.plan(&state, &adopt).await.unwrap();
    let adopted: Vec<_> = plan
        .changes()
        .filter(|s| s.action == Action::Update)
        .map(|s| s.resource.clone())
        .collect();
    assert_eq!(adopted, vec![user, repo]);
    assert!(apply(&plan, &p, &|_| {}).await.is_success());
    let tags = p
        .session
        .iam
        .list_user_tags()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "slipway-install-id" && t.value() == state.install_id),
        "{tags:?}"
    );
    // Adopted and tagged: an ordinary re-plan is a no-op now.
    assert!(p
        .plan(&state, &AwsPlanOptions::default())
        .await
        .unwrap()
        .is_noop());
    p.keychain.delete("aws-ecr-push-key").await.unwrap();
}

#[tokio::test]
async fn a_malformed_policy_is_rejected_with_a_message_naming_it() {
    let _moto = fresh_moto().await;
    let state = desired(AwsAuthMode::AccessKey);
    let p = provider(&state, "dev.slipway.test.aws-malformed").await;
    p.session
        .iam
        .create_user()
        .user_name("u")
        .send()
        .await
        .unwrap();
    let step = slipway_engine::plan::Step {
        resource: ResourceId::new("aws.iam_user_policy", "u/slipway-ecr-push"),
        action: Action::Create,
        reason: "test".into(),
        changes: vec![],
        attributes: [(
            "document".to_string(),
            "{\"Version\": \"2012-10-17\", \"Statement\": 7}".to_string(),
        )]
        .into(),
        after: vec![],
    };
    let plan = slipway_engine::plan::Plan { steps: vec![step] };
    let report = apply(&plan, &p, &|_| {}).await;
    let message = &report.failed[0].1.message;
    assert!(
        message.contains(
            "rejected the policy document for the inline policy slipway-ecr-push of u as malformed"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn rotating_a_missing_user_says_so() {
    let _moto = fresh_moto().await;
    let state = desired(AwsAuthMode::AccessKey);
    let p = provider(&state, "dev.slipway.test.aws-missing").await;
    let err = p.rotate_key().await.unwrap_err().to_string();
    assert_eq!(
        err,
        "the IAM user slipway-ecr-pusher does not exist (deleted outside Slipway?). Run `slipway apply` to create it again"
    );
}

#[tokio::test]
async fn oidc_mode_creates_provider_and_role_without_any_key_and_tears_them_down() {
    let _moto = fresh_moto().await;
    let state = desired(AwsAuthMode::Oidc);
    let p = provider(&state, "dev.slipway.test.aws-oidc").await;
    let iam = p.session.iam.clone();
    plan_and_apply(&p, &state, &AwsPlanOptions::default()).await;

    let arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    let provider_out = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(provider_out.client_id_list(), ["sts.amazonaws.com"]);
    let role = iam
        .get_role()
        .role_name("slipway-ecr-push")
        .send()
        .await
        .unwrap();
    let trust = decode(role.role().unwrap().assume_role_policy_document().unwrap());
    let subjects = &trust["Statement"][0]["Condition"]["StringLike"]
        ["token.actions.githubusercontent.com:sub"];
    assert_eq!(
        subjects,
        &serde_json::json!([
            "repo:acme/api:*",
            "repo:acme@100/api@101:*",
            "repo:acme/web:*"
        ])
    );
    assert_eq!(trust["Statement"][0]["Principal"]["Federated"], arn);
    let pol = iam
        .get_role_policy()
        .role_name("slipway-ecr-push")
        .policy_name("slipway-ecr-push")
        .send()
        .await
        .unwrap();
    assert!(decode(pol.policy_document())["Statement"][1]["Resource"][0]
        .as_str()
        .unwrap()
        .ends_with(":repository/slipway/*"));
    let users = iam.list_users().send().await.unwrap();
    assert!(
        users.users().is_empty(),
        "OIDC mode creates no IAM user and no key"
    );
    assert!(p
        .plan(&state, &AwsPlanOptions::default())
        .await
        .unwrap()
        .is_noop());

    let mut gone = state.clone();
    gone.aws = None;
    plan_and_apply(
        &p,
        &gone,
        &AwsPlanOptions {
            delete_repositories: true,
            ..Default::default()
        },
    )
    .await;
    assert!(iam
        .get_role()
        .role_name("slipway-ecr-push")
        .send()
        .await
        .is_err());
    let providers = iam.list_open_id_connect_providers().send().await.unwrap();
    assert!(providers.open_id_connect_provider_list().is_empty());
}

#[tokio::test]
async fn typed_admin_keys_are_kept_in_the_keychain_only_when_asked_and_can_be_forgotten() {
    use slipway_engine::aws::session::{
        forget_admin_keys, remember_admin_keys, remembered_admin_keys,
    };
    let _moto = fresh_moto().await;
    let keychain = Keychain::new("dev.slipway.test.aws-admin");
    forget_admin_keys(&keychain).await.unwrap();
    assert!(remembered_admin_keys(&keychain).await.unwrap().is_none());

    let typed = AdminCredentials::Keys {
        access_key_id: "AKIAREMEMBERED".into(),
        secret_access_key: "remembered-secret".to_string().into(),
        session_token: None,
    };
    remember_admin_keys(&keychain, &typed).await.unwrap();
    let back = remembered_admin_keys(&keychain)
        .await
        .unwrap()
        .expect("remembered");
    let AdminCredentials::Keys {
        access_key_id,
        secret_access_key,
        ..
    } = &back
    else {
        panic!("{back:?}")
    };
    assert_eq!(access_key_id, "AKIAREMEMBERED");
    assert_eq!(secret_access_key.expose_secret(), "remembered-secret");
    let settings = desired(AwsAuthMode::AccessKey).aws.unwrap();
    let session = connect(&settings, &back)
        .await
        .expect("the remembered keys work");
    assert_eq!(session.identity.account_id, "123456789012");

    assert!(forget_admin_keys(&keychain).await.unwrap());
    assert!(remembered_admin_keys(&keychain).await.unwrap().is_none());
}
