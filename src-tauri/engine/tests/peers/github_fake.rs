//! The GitHub client against the fake GitHub (tests/github-fake), which
//! validates every request and response against GitHub's official OpenAPI
//! description. Each test starts from a fixture and ends by checking that the
//! fake saw no violation. Tests share the fake, so they take turns.

use std::time::{Duration, Instant};

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use slipway_engine::github::contents::{
    put_workflow, remove_workflow, CommitOutcome, PROPOSAL_BRANCH,
};
use slipway_engine::github::repos::{admin_organizations, dockerfiles, repositories};
use slipway_engine::github::secrets::{set_secret, set_variable};
use slipway_engine::github::token::{accept_token, check_token, Grant, TokenKind};
use slipway_engine::github::{GithubClient, GithubError};
use slipway_engine::secrets::Keychain;
use slipway_testkit::{fake_github, github_url};
use tokio::sync::{Mutex, MutexGuard};

pub(crate) static FAKE: Mutex<()> = Mutex::const_new(());

fn fixture() -> Value {
    json!({
        "users": { "octo": { "id": 1 }, "mona": { "id": 2 } },
        "tokens": {
            "ghp_full": { "login": "octo", "scopes": ["repo", "workflow", "admin:org"], "expiration": "2027-03-01 00:00:00 UTC" },
            "ghp_no_workflow": { "login": "octo", "scopes": ["repo", "admin:org"] },
            "ghp_no_org": { "login": "octo", "scopes": ["repo", "workflow", "read:org"] },
            "ghp_no_repo": { "login": "octo", "scopes": ["workflow", "admin:org"] },
            "ghp_member": { "login": "mona", "scopes": ["repo", "workflow", "admin:org"] },
            "github_pat_fine": { "login": "octo", "scopes": null }
        },
        "orgs": { "acme": { "id": 100, "members": { "octo": "admin", "mona": "member" } } },
        "repos": {
            "acme/api": { "id": 101, "files": { "Dockerfile": "FROM scratch\n", "svc/web/Dockerfile": "FROM scratch\n", "README.md": "hi\n" } },
            "acme/web": { "id": 102, "protected": ["main"], "files": { "Dockerfile": "FROM scratch\n" } },
            "acme/old": { "id": 103, "archived": true },
            "acme/handmade": { "id": 104, "files": { ".github/workflows/slipway-ecr.yml": "name: mine\n" } }
        }
    })
}

/// Takes the fake for this test and loads the fixture.
async fn fresh(fixture: Value) -> MutexGuard<'static, ()> {
    let guard = FAKE.lock().await;
    fake_github("POST", "/_fake/reset", &fixture);
    guard
}

fn state() -> Value {
    fake_github("GET", "/_fake/state", &Value::Null)
}

fn assert_no_violations() {
    let violations = &state()["violations"];
    assert_eq!(
        violations,
        &json!([]),
        "the fake saw requests or responses GitHub's description does not allow"
    );
}

fn client(token: &str) -> GithubClient {
    GithubClient::new(&github_url(), &SecretString::from(token.to_string())).unwrap()
}

const WORKFLOW: &str = ".github/workflows/slipway-ecr.yml";

fn workflow_text(marker: &str) -> String {
    format!("# Managed by Slipway (install t). {marker}\nname: Build and push to Amazon ECR\non: push\n")
}

#[tokio::test]
async fn a_token_with_everything_passes_and_only_then_goes_into_the_keychain() {
    let _fake = fresh(fixture()).await;
    let report = check_token(&client("ghp_full"), "acme").await.unwrap();
    assert_eq!(report.login, "octo");
    assert_eq!(
        report.token,
        TokenKind::Classic {
            scopes: vec!["repo".into(), "workflow".into(), "admin:org".into()]
        }
    );
    assert_eq!(
        report.expires_at.as_deref(),
        Some("2027-03-01 00:00:00 UTC")
    );
    assert_eq!(report.org_role.as_deref(), Some("admin"));
    assert!(report.passes(), "{:?}", report.problems());
    assert!(report.capabilities.iter().all(|c| c.grant == Grant::Yes));

    let keychain = Keychain::new("dev.slipway.test.github");
    keychain.delete("github-token").await.unwrap();
    accept_token(
        &keychain,
        "github-token",
        &SecretString::from("ghp_full".to_string()),
        &report,
    )
    .await
    .unwrap();
    assert_eq!(
        keychain
            .get("github-token")
            .await
            .unwrap()
            .unwrap()
            .expose_secret(),
        "ghp_full"
    );
    keychain.delete("github-token").await.unwrap();
    assert_no_violations();
}

#[tokio::test]
async fn a_token_lacking_a_scope_says_which_to_add_and_is_not_stored() {
    let _fake = fresh(fixture()).await;
    let keychain = Keychain::new("dev.slipway.test.github");
    keychain.delete("github-token").await.unwrap();
    for (token, capability, scope) in [
        ("ghp_no_workflow", "workflows", "`workflow`"),
        ("ghp_no_org", "org_runners", "`admin:org`"),
    ] {
        let report = check_token(&client(token), "acme").await.unwrap();
        assert!(!report.passes());
        let missing: Vec<_> = report
            .capabilities
            .iter()
            .filter(|c| c.grant == Grant::No)
            .collect();
        assert_eq!(missing.len(), 1, "{token}: {missing:?}");
        assert_eq!(missing[0].id, capability);
        let fix = missing[0].fix.as_deref().unwrap();
        assert!(fix.contains(scope), "{fix}");
        assert!(
            fix.contains("/settings/tokens/new?scopes=repo,workflow,admin:org"),
            "{fix}"
        );
        let err = accept_token(
            &keychain,
            "github-token",
            &SecretString::from(token.to_string()),
            &report,
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains(scope), "{err}");
        assert!(
            keychain.get("github-token").await.unwrap().is_none(),
            "a failing token is never stored"
        );
    }
    assert_no_violations();
}

#[tokio::test]
async fn a_member_who_is_not_an_admin_and_a_bad_token_get_their_own_messages() {
    let _fake = fresh(fixture()).await;
    let report = check_token(&client("ghp_member"), "acme").await.unwrap();
    assert!(!report.passes());
    assert_eq!(
        report.problems(),
        ["mona is a member of acme, not an admin: an organization owner must run Slipway or make mona an owner"]
    );
    let err = check_token(&client("ghp_wrong"), "acme").await.unwrap_err();
    assert!(matches!(err, GithubError::Unauthorized { .. }));
    assert!(err.to_string().contains("expired or revoked"), "{err}");
    let fine = check_token(&client("github_pat_fine"), "acme")
        .await
        .unwrap();
    assert_eq!(fine.token, TokenKind::FineGrained);
    assert!(fine.passes());
    assert!(fine
        .capabilities
        .iter()
        .all(|c| c.grant == Grant::ReadOnlyChecked));
    assert_no_violations();
}

#[tokio::test]
async fn organizations_and_every_page_of_repositories_are_listed_with_archived_ones_marked() {
    let mut f = fixture();
    for i in 0..130 {
        f["repos"][format!("acme/svc-{i:03}")] = json!({ "id": 1000 + i });
    }
    let _fake = fresh(f).await;
    let c = client("ghp_full");
    assert_eq!(admin_organizations(&c).await.unwrap(), ["acme"]);
    let repos = repositories(&c, "acme").await.unwrap();
    assert_eq!(repos.len(), 134);
    let old = repos.iter().find(|r| r.name == "old").unwrap();
    assert!(old.archived && !old.selectable());
    assert!(repos.iter().find(|r| r.name == "api").unwrap().selectable());
    let pages = state()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.as_str().unwrap() == "GET /orgs/acme/repos")
        .count();
    assert_eq!(pages, 2, "130+ repositories take two pages of 100");
    let (found, truncated) = dockerfiles(&c, "acme", "api", "main").await.unwrap();
    assert_eq!(found, ["Dockerfile", "svc/web/Dockerfile"]);
    assert!(!truncated);
    let err = repositories(&c, "nope").await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the organization nope was not found"),
        "{err}"
    );
    assert_no_violations();
}

#[tokio::test]
async fn the_workflow_is_committed_once_and_a_different_file_is_only_replaced_when_confirmed() {
    let _fake = fresh(fixture()).await;
    let c = client("ghp_full");
    let v1 = workflow_text("one");
    let out = put_workflow(&c, "acme", "api", WORKFLOW, &v1, false)
        .await
        .unwrap();
    assert!(
        matches!(out, CommitOutcome::Committed { created: true, .. }),
        "{out:?}"
    );
    assert_eq!(
        state()["repos"]["acme/api"]["branches"]["main"]["files"][WORKFLOW],
        json!(v1)
    );
    assert_eq!(
        put_workflow(&c, "acme", "api", WORKFLOW, &v1, false)
            .await
            .unwrap(),
        CommitOutcome::Unchanged
    );

    let v2 = workflow_text("two");
    let writes_before = state()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.as_str().unwrap().starts_with("PUT"))
        .count();
    let CommitOutcome::NeedsConfirmation { diff } =
        put_workflow(&c, "acme", "api", WORKFLOW, &v2, false)
            .await
            .unwrap()
    else {
        panic!("a differing file needs confirmation")
    };
    assert!(
        diff.contains("-# Managed by Slipway (install t). one")
            && diff.contains("+# Managed by Slipway (install t). two"),
        "{diff}"
    );
    let s = state();
    assert_eq!(
        s["repos"]["acme/api"]["branches"]["main"]["files"][WORKFLOW],
        json!(v1),
        "nothing written"
    );
    let writes_after = s["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.as_str().unwrap().starts_with("PUT"))
        .count();
    assert_eq!(writes_before, writes_after);

    let out = put_workflow(&c, "acme", "api", WORKFLOW, &v2, true)
        .await
        .unwrap();
    assert!(
        matches!(out, CommitOutcome::Committed { created: false, .. }),
        "{out:?}"
    );
    assert_eq!(
        state()["repos"]["acme/api"]["branches"]["main"]["files"][WORKFLOW],
        json!(v2)
    );
    assert_no_violations();
}

#[tokio::test]
async fn a_protected_branch_gets_one_pull_request_instead() {
    let _fake = fresh(fixture()).await;
    let c = client("ghp_full");
    let text = workflow_text("pr");
    let CommitOutcome::PullRequest { url } =
        put_workflow(&c, "acme", "web", WORKFLOW, &text, false)
            .await
            .unwrap()
    else {
        panic!("a protected branch should give a pull request")
    };
    assert_eq!(url, "https://github.com/acme/web/pull/1");
    let s = state();
    let web = &s["repos"]["acme/web"];
    assert!(
        web["branches"]["main"]["files"].get(WORKFLOW).is_none(),
        "main is untouched"
    );
    assert_eq!(
        web["branches"][PROPOSAL_BRANCH]["files"][WORKFLOW],
        json!(text)
    );
    assert_eq!(web["pulls"].as_array().unwrap().len(), 1);
    // Running again finds the same pull request rather than opening another.
    let again = put_workflow(&c, "acme", "web", WORKFLOW, &text, false)
        .await
        .unwrap();
    assert_eq!(again, CommitOutcome::PullRequest { url });
    assert_eq!(
        state()["repos"]["acme/web"]["pulls"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_no_violations();
}

#[tokio::test]
async fn removal_takes_only_slipways_file_and_archived_repositories_are_refused() {
    let _fake = fresh(fixture()).await;
    let c = client("ghp_full");
    put_workflow(&c, "acme", "api", WORKFLOW, &workflow_text("x"), false)
        .await
        .unwrap();
    assert!(matches!(
        remove_workflow(&c, "acme", "api", WORKFLOW).await.unwrap(),
        CommitOutcome::Removed { .. }
    ));
    assert!(state()["repos"]["acme/api"]["branches"]["main"]["files"]
        .get(WORKFLOW)
        .is_none());
    assert_eq!(
        remove_workflow(&c, "acme", "api", WORKFLOW).await.unwrap(),
        CommitOutcome::NotPresent
    );

    let err = remove_workflow(&c, "acme", "handmade", WORKFLOW)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("was not written by Slipway"), "{err}");
    assert_eq!(
        state()["repos"]["acme/handmade"]["branches"]["main"]["files"][WORKFLOW],
        json!("name: mine\n")
    );

    let err = put_workflow(&c, "acme", "old", WORKFLOW, "x", false)
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::Archived { .. }), "{err}");
    assert_no_violations();
}

/// Opens a sealed box with the fake's private key, as GitHub would.
fn decrypt(encrypted_b64: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let private: [u8; 32] = b64
        .decode(state()["keys"]["private"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let secret_key = crypto_box::SecretKey::from(private);
    let plain = secret_key
        .unseal(&b64.decode(encrypted_b64).unwrap())
        .expect("the sealed box opens with the repository's key");
    String::from_utf8(plain).unwrap()
}

#[tokio::test]
async fn secrets_are_sealed_for_the_repository_and_rotation_reencrypts_them() {
    let _fake = fresh(fixture()).await;
    let c = client("ghp_full");
    let first = SecretString::from("wJalrXUtnFEMI/K7MDENG/first".to_string());
    set_secret(&c, "acme", "api", "AWS_SECRET_ACCESS_KEY", &first)
        .await
        .unwrap();
    let stored = state()["repos"]["acme/api"]["secrets"]["AWS_SECRET_ACCESS_KEY"]
        ["encrypted_value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !stored.contains("wJalr"),
        "GitHub only ever sees ciphertext"
    );
    assert_eq!(decrypt(&stored), "wJalrXUtnFEMI/K7MDENG/first");

    let rotated = SecretString::from("rotated-secret-value".to_string());
    set_secret(&c, "acme", "api", "AWS_SECRET_ACCESS_KEY", &rotated)
        .await
        .unwrap();
    let stored = state()["repos"]["acme/api"]["secrets"]["AWS_SECRET_ACCESS_KEY"]
        ["encrypted_value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(decrypt(&stored), "rotated-secret-value");

    set_variable(&c, "acme", "api", "SLIPWAY_AWS_REGION", "eu-west-1")
        .await
        .unwrap();
    set_variable(&c, "acme", "api", "SLIPWAY_AWS_REGION", "eu-west-1")
        .await
        .unwrap();
    set_variable(&c, "acme", "api", "SLIPWAY_AWS_REGION", "us-east-2")
        .await
        .unwrap();
    let s = state();
    assert_eq!(
        s["repos"]["acme/api"]["variables"]["SLIPWAY_AWS_REGION"]["value"],
        "us-east-2"
    );
    let patches = s["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.as_str().unwrap().starts_with("PATCH"))
        .count();
    assert_eq!(patches, 1, "an unchanged variable is not written again");
    assert_no_violations();
}

#[tokio::test]
async fn rate_limits_are_waited_out_when_short_and_reported_when_long() {
    let _fake = fresh(fixture()).await;
    let c = client("ghp_full");
    fake_github(
        "POST",
        "/_fake/throttle",
        &json!({ "status": 429, "retry_after": 1, "count": 1 }),
    );
    let started = Instant::now();
    check_token(&c, "acme")
        .await
        .expect("succeeds after waiting");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it waited for Retry-After"
    );

    fake_github(
        "POST",
        "/_fake/throttle",
        &json!({ "status": 403, "reset_in": 1, "count": 1 }),
    );
    let started = Instant::now();
    check_token(&c, "acme")
        .await
        .expect("succeeds after the reset time");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it waited for x-ratelimit-reset"
    );

    fake_github(
        "POST",
        "/_fake/throttle",
        &json!({ "status": 429, "retry_after": 3600, "count": 1 }),
    );
    let err = check_token(&c, "acme").await.unwrap_err();
    assert!(matches!(err, GithubError::RateLimited { .. }), "{err}");
    assert!(
        err.to_string().contains("rate limit is exhausted until"),
        "{err}"
    );
    assert_no_violations();
}

#[tokio::test]
async fn the_fake_rejects_a_request_that_breaks_githubs_description() {
    let _fake = fresh(fixture()).await;
    let c = client("ghp_full");
    // A secret without key_id: GitHub's description requires it.
    let r = c
        .send(
            http::Method::PUT,
            "/repos/acme/api/actions/secrets/BROKEN",
            Some(&json!({ "encrypted_value": "abc" })),
            "send a broken request",
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 400);
    let violations = state()["violations"].as_array().unwrap().clone();
    assert_eq!(violations.len(), 1);
    assert!(
        violations[0]["message"]
            .as_str()
            .unwrap()
            .contains("must have required property 'key_id'"),
        "{violations:?}"
    );
}

#[tokio::test]
async fn reads_are_retried_on_server_errors_and_an_unreachable_github_says_so() {
    let _fake = fresh(fixture()).await;
    fake_github(
        "POST",
        "/_fake/throttle",
        &json!({ "status": 502, "count": 2 }),
    );
    let repos = repositories(&client("ghp_full"), "acme")
        .await
        .expect("two 502s are retried");
    assert_eq!(repos.len(), 4);

    // A write is not repeated blindly: its 502 is reported after one attempt.
    fake_github(
        "POST",
        "/_fake/throttle",
        &json!({ "status": 502, "count": 1 }),
    );
    let err = client("ghp_full")
        .send(
            http::Method::DELETE,
            "/repos/acme/api/actions/variables/SLIPWAY_X",
            None,
            "delete a variable",
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GithubError::Server {
            action: "delete a variable".into(),
            status: 502,
            attempts: 1
        }
    );

    let down =
        GithubClient::new("http://127.0.0.1:9", &SecretString::from("t".to_string())).unwrap();
    let err = check_token(&down, "acme").await.unwrap_err();
    assert!(matches!(err, GithubError::Network { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("cannot reach GitHub at http://127.0.0.1:9"),
        "{err}"
    );
    assert_no_violations();
}
