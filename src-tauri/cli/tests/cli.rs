//! The `slipway` command as a user runs it: doctor (text and JSON) and
//! config, against the real peers that scripts/test-all.sh starts.

use std::process::Command;

use slipway_testkit::{fake_github, github_url, reset_moto};

fn slipway(args: &[&str], config_dir: &std::path::Path) -> std::process::Output {
    slipway_with(args, config_dir, &[])
}

fn slipway_with(
    args: &[&str],
    config_dir: &std::path::Path,
    env: &[(&str, &str)],
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(args)
        .env("SLIPWAY_CONFIG_DIR", config_dir)
        // Admin credentials for moto through the default chain; never IMDS.
        .env("AWS_ACCESS_KEY_ID", "AKIAADMINCLITEST")
        .env("AWS_SECRET_ACCESS_KEY", "admin-cli-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("slipway runs")
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The tests that use moto, the fake GitHub and the keychain's entries take turns.
static PEERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn keychain_secret() -> Option<String> {
    use secrecy::ExposeSecret;
    let value = slipway_engine::secrets::Keychain::default()
        .get_blocking("aws-ecr-push-key")
        .unwrap()?;
    let json: serde_json::Value = serde_json::from_str(value.expose_secret()).unwrap();
    Some(json["secret_access_key"].as_str().unwrap().to_string())
}

#[test]
fn init_plan_apply_rotate_teardown_against_moto_never_print_the_secret() {
    let _turn = PEERS.lock().unwrap_or_else(|e| e.into_inner());
    // AWS alone: no GitHub token may be left from another test.
    slipway_engine::secrets::Keychain::default()
        .delete_blocking("github-token")
        .unwrap();
    let url = reset_moto();
    let dir = tempfile::tempdir().unwrap();
    // The endpoint comes from AWS_ENDPOINT_URL, not the config: the standard override works.
    let endpoint = [("AWS_ENDPOINT_URL", url.as_str())];
    let init = slipway_with(
        &[
            "init",
            "--org",
            "acme",
            "--repo",
            "api",
            "--region",
            "eu-west-1",
        ],
        dir.path(),
        &endpoint,
    );
    assert!(init.status.success(), "{}", text(&init));

    let plan = slipway_with(&["plan"], dir.path(), &endpoint);
    let shown = text(&plan);
    assert!(plan.status.success(), "{shown}");
    assert!(
        shown.contains(
            "AWS account 123456789012 as arn:aws:sts::123456789012:user/moto, region eu-west-1"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("  + aws.iam_user/slipway-ecr-pusher  (does not exist yet)"),
        "{shown}"
    );
    assert!(
        shown.contains("Plan: 4 to create, 0 to update, 0 to delete, 0 unchanged."),
        "{shown}"
    );

    // Without a terminal, apply changes nothing unless --yes is given.
    let refused = slipway_with(&["apply"], dir.path(), &endpoint);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused).contains("pass --yes"), "{}", text(&refused));
    assert!(keychain_secret().is_none());

    let applied = slipway_with(&["apply", "--yes"], dir.path(), &endpoint);
    let applied_text = text(&applied);
    assert!(applied.status.success(), "{applied_text}");
    assert!(
        applied_text.contains("[1/4] creating aws.iam_user/slipway-ecr-pusher"),
        "{applied_text}"
    );
    assert!(
        applied_text.contains("Finished: 4 done, 0 failed, 0 skipped."),
        "{applied_text}"
    );
    let secret = keychain_secret().expect("the key is in the keychain");

    let again = slipway_with(&["plan"], dir.path(), &endpoint);
    assert!(
        text(&again).contains("No changes: everything is as desired."),
        "{}",
        text(&again)
    );

    let rotated = slipway_with(&["rotate"], dir.path(), &endpoint);
    assert!(rotated.status.success(), "{}", text(&rotated));
    let new_secret = keychain_secret().unwrap();
    assert_ne!(secret, new_secret);

    let down = slipway_with(
        &["teardown", "--yes", "--delete-repositories"],
        dir.path(),
        &endpoint,
    );
    let down_text = text(&down);
    assert!(down.status.success(), "{down_text}");
    assert!(
        down_text.contains("Plan: 0 to create, 0 to update, 4 to delete, 0 unchanged."),
        "{down_text}"
    );
    assert!(keychain_secret().is_none());

    let config = std::fs::read_to_string(dir.path().join("slipway.toml")).unwrap();
    for output in [&plan, &applied, &again, &rotated, &down] {
        let all = text(output);
        assert!(
            !all.contains(&secret) && !all.contains(&new_secret),
            "a secret was printed: {all}"
        );
    }
    assert!(!config.contains(&secret) && !config.contains(&new_secret));
}

#[test]
fn doctor_json_lists_every_check_with_docker_and_keychain_ok() {
    let dir = tempfile::tempdir().unwrap();
    let out = slipway(&["doctor", "--json"], dir.path());
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("doctor --json prints JSON");
    let checks = report["checks"].as_array().unwrap();
    let status = |id: &str| {
        checks
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("docker").as_deref(), Some("ok"), "{report:#}");
    assert_eq!(status("keychain").as_deref(), Some("ok"), "{report:#}");
    assert!(status("aws").is_some() && status("gh").is_some());
    assert!(
        out.status.success(),
        "no check failed, so the exit code is 0"
    );
}

#[test]
fn doctor_uses_the_configured_docker_host_and_fails_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("slipway.toml"),
        "schema_version = 2\ninstall_id = \"t\"\n[docker]\nhost = \"unix:///nonexistent/d.sock\"\n[runners]\ncount = 1\nimage = \"x\"\n",
    )
    .unwrap();
    let out = slipway(&["doctor"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("[FAIL] Docker engine: cannot reach Docker at unix:///nonexistent/d.sock"),
        "{text}"
    );
    assert!(
        text.contains("fix: no Docker engine socket at /nonexistent/d.sock"),
        "{text}"
    );
}

#[test]
fn a_corrupt_config_is_named_with_its_line_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slipway.toml");
    let text = "schema_version = 2\ninstall_id = \n";
    std::fs::write(&path, text).unwrap();
    let out = slipway(&["config"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}, line 2", path.display())),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

fn slipway_stdin(
    args: &[&str],
    dir: &std::path::Path,
    env: &[(&str, &str)],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(args)
        .env("SLIPWAY_CONFIG_DIR", dir)
        .env("AWS_ACCESS_KEY_ID", "AKIAADMINCLITEST")
        .env("AWS_SECRET_ACCESS_KEY", "admin-cli-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Opens a secret in the fake with its private key, as GitHub would.
fn open_secret(state: &serde_json::Value, repo: &str, name: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let private: [u8; 32] = b64
        .decode(state["keys"]["private"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let sealed = b64
        .decode(
            state["repos"][repo]["secrets"][name]["encrypted_value"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    String::from_utf8(
        crypto_box::SecretKey::from(private)
            .unseal(&sealed)
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn one_apply_sets_up_aws_and_every_repository_and_rotation_reaches_the_secrets_first() {
    let _turn = PEERS.lock().unwrap_or_else(|e| e.into_inner());
    let moto = reset_moto();
    let github = github_url();
    fake_github(
        "POST",
        "/_fake/reset",
        &serde_json::json!({
            "users": { "octo": { "id": 1 } },
            "tokens": { "ghp_cli": { "login": "octo", "scopes": ["repo", "workflow", "admin:org"] } },
            "orgs": { "acme": { "id": 100, "members": { "octo": "admin" } } },
            "repos": {
                "acme/api": { "id": 101, "files": { "Dockerfile": "FROM scratch\n" } },
                "acme/web": { "id": 102, "protected": ["main"], "files": { "Dockerfile": "FROM scratch\n" } }
            }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let env = [("AWS_ENDPOINT_URL", moto.as_str())];
    let runner_image = std::env::var("SLIPWAY_TEST_RUNNER_IMAGE")
        .expect("SLIPWAY_TEST_RUNNER_IMAGE is set by scripts/test-all.sh");
    let work = tempfile::tempdir().unwrap();
    // Not on the engine yet, so apply pulls it (with progress).
    let _ = Command::new("docker")
        .args(["rmi", "-f", &runner_image])
        .output();
    let init = slipway_with(
        &[
            "init",
            "--org",
            "acme",
            "--repo",
            "api",
            "--repo",
            "web",
            "--region",
            "eu-west-1",
            "--runners",
            "2",
            "--runner-image",
            &runner_image,
            "--runner-network",
            "host",
            "--runner-work-dir",
            work.path().to_str().unwrap(),
        ],
        dir.path(),
        &env,
    );
    assert!(init.status.success(), "{}", text(&init));

    // The token reaches Slipway on stdin and is checked before it is kept.
    let login = slipway_stdin(
        &[
            "github",
            "login",
            "--org",
            "acme",
            "--token-stdin",
            "--api-url",
            &github,
        ],
        dir.path(),
        &env,
        "ghp_cli\n",
    );
    assert!(login.status.success(), "{}", text(&login));
    assert!(
        text(&login).contains("[ok  ] Create and update workflow files"),
        "{}",
        text(&login)
    );

    let applied = slipway_with(&["apply", "--yes"], dir.path(), &env);
    let shown = text(&applied);
    assert!(applied.status.success(), "{shown}");
    assert!(shown.contains("github.workflow_file/api"), "{shown}");
    assert!(
        shown.contains("the branch is protected: opened https://github.com/acme/web/pull/1"),
        "{shown}"
    );
    assert!(
        shown.contains("slipway-acme-1 is online in GitHub")
            && shown.contains("slipway-acme-2 is online in GitHub"),
        "{shown}"
    );
    assert!(
        shown.contains("pulling"),
        "the runner image pull reports progress: {shown}"
    );
    let runners = fake_github("GET", "/_fake/state", &serde_json::Value::Null)["orgs"]["acme"]
        ["runners"]
        .clone();
    assert_eq!(runners.as_array().unwrap().len(), 2, "{runners}");

    let state = fake_github("GET", "/_fake/state", &serde_json::Value::Null);
    let api = &state["repos"]["acme/api"];
    let workflow = api["branches"]["main"]["files"][".github/workflows/slipway-ecr.yml"]
        .as_str()
        .unwrap();
    assert!(workflow.starts_with("# Managed by Slipway"), "{workflow}");
    assert!(
        workflow.contains("aws-region: eu-west-1")
            && workflow.contains("secrets.AWS_SECRET_ACCESS_KEY")
    );
    assert_eq!(api["variables"]["SLIPWAY_AWS_REGION"]["value"], "eu-west-1");
    assert_eq!(
        api["variables"]["SLIPWAY_ECR_REGISTRY"]["value"],
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    );
    let secret = keychain_secret().unwrap();
    assert_eq!(
        open_secret(&state, "acme/api", "AWS_SECRET_ACCESS_KEY"),
        secret,
        "the repository holds the keychain's key"
    );
    assert_eq!(state["violations"], serde_json::json!([]));

    let again = slipway_with(&["plan"], dir.path(), &env);
    assert!(text(&again).contains("No changes"), "{}", text(&again));

    // `slipway status` with only what a user has day to day (no admin
    // credentials): runners on both sides, runs, images via the push key.
    fake_github(
        "POST",
        "/_fake/runs",
        &serde_json::json!({ "repo": "acme/api", "run": { "branch": "main", "status": "in_progress" } }),
    );
    // A newer run of someone else's workflow is not Slipway's to show.
    fake_github(
        "POST",
        "/_fake/runs",
        &serde_json::json!({ "repo": "acme/api", "run": { "branch": "main", "status": "completed", "conclusion": "failure", "path": ".github/workflows/test.yml" } }),
    );
    let status = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(["status", "--json"])
        .env("SLIPWAY_CONFIG_DIR", dir.path())
        .env("AWS_ENDPOINT_URL", moto.as_str())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", text(&status));
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let runners = report["runners"]["items"].as_array().unwrap();
    assert_eq!(runners.len(), 2, "{report}");
    assert!(runners
        .iter()
        .all(|r| r["container"] == "running" && r["github"] == "online"));
    assert_eq!(report["workflow_runs"]["items"][0]["repository"], "api");
    assert_eq!(
        report["workflow_runs"]["items"][0]["runs"][0]["status"],
        "in_progress"
    );
    assert_eq!(
        report["workflow_runs"]["items"][0]["runs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // web's workflow waits in a pull request (protected branch): no runs yet.
    assert_eq!(
        report["workflow_runs"]["items"][1]["runs"],
        serde_json::json!([])
    );
    let images = report["images"]["items"].as_array().unwrap();
    assert_eq!(
        images
            .iter()
            .map(|i| i["repository"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["slipway/api/main", "slipway/web/main"]
    );
    assert!(images
        .iter()
        .all(|i| i["exists"] == true && i["images"] == 0));
    let credential = |id: &str| {
        report["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {report}"))["status"]
            .clone()
    };
    assert_eq!(credential("github"), "ok");
    assert_eq!(credential("aws-push"), "ok");
    assert!(!String::from_utf8_lossy(&status.stdout).contains(&secret));
    let shown = text(&slipway_with(&["status"], dir.path(), &env));
    assert!(
        shown.contains("Runners (acme)") && shown.contains("slipway-acme-2"),
        "{shown}"
    );

    // Rotation: the repositories get the new key before the old one is deleted.
    let rotated = slipway_with(&["rotate"], dir.path(), &env);
    let shown = text(&rotated);
    assert!(rotated.status.success(), "{shown}");
    let new_secret = keychain_secret().unwrap();
    assert_ne!(new_secret, secret);
    let state = fake_github("GET", "/_fake/state", &serde_json::Value::Null);
    assert_eq!(
        open_secret(&state, "acme/api", "AWS_SECRET_ACCESS_KEY"),
        new_secret
    );
    assert_eq!(
        open_secret(&state, "acme/web", "AWS_SECRET_ACCESS_KEY"),
        new_secret
    );
    assert!(
        shown.contains("the previous key") && shown.contains("is deleted"),
        "{shown}"
    );

    // If a repository cannot take the new key, the old key is kept so builds
    // keep working: GitHub is rate-limited for an hour during this rotation.
    fake_github(
        "POST",
        "/_fake/throttle",
        &serde_json::json!({ "status": 429, "retry_after": 3600, "count": 1000 }),
    );
    let blocked = slipway_with(&["rotate"], dir.path(), &env);
    let shown = text(&blocked);
    assert_eq!(blocked.status.code(), Some(1), "{shown}");
    assert!(shown.contains("The old key is kept"), "{shown}");
    assert!(!shown.contains("is deleted"), "{shown}");
    fake_github(
        "POST",
        "/_fake/throttle",
        &serde_json::json!({ "count": 0 }),
    );
    let state = fake_github("GET", "/_fake/state", &serde_json::Value::Null);
    assert_eq!(
        open_secret(&state, "acme/api", "AWS_SECRET_ACCESS_KEY"),
        new_secret,
        "the repositories still hold a live key"
    );
    let converged = slipway_with(&["apply", "--yes"], dir.path(), &env);
    assert!(converged.status.success(), "{}", text(&converged));
    let newest = keychain_secret().unwrap();
    let state = fake_github("GET", "/_fake/state", &serde_json::Value::Null);
    assert_eq!(
        open_secret(&state, "acme/api", "AWS_SECRET_ACCESS_KEY"),
        newest
    );
    assert!(text(&slipway_with(&["plan"], dir.path(), &env)).contains("No changes"));

    // Removing a repository from Slipway removes what Slipway put there.
    let narrowed = slipway_with(&["init", "--repo", "web"], dir.path(), &env);
    assert!(narrowed.status.success(), "{}", text(&narrowed));
    let removed = slipway_with(&["apply", "--yes"], dir.path(), &env);
    let shown = text(&removed);
    assert!(removed.status.success(), "{shown}");
    assert!(
        shown.contains("deleting github.workflow_file/api"),
        "{shown}"
    );
    let state = fake_github("GET", "/_fake/state", &serde_json::Value::Null);
    assert!(state["repos"]["acme/api"]["branches"]["main"]["files"]
        .get(".github/workflows/slipway-ecr.yml")
        .is_none());
    assert_eq!(state["repos"]["acme/api"]["secrets"], serde_json::json!({}));
    assert_eq!(
        state["repos"]["acme/api"]["variables"],
        serde_json::json!({})
    );

    let down = slipway_with(
        &["teardown", "--yes", "--delete-repositories"],
        dir.path(),
        &env,
    );
    assert!(down.status.success(), "{}", text(&down));
    let leftover = Command::new("docker")
        .args(["ps", "-aq", "--filter", "name=slipway-acme-"])
        .output()
        .unwrap();
    assert!(
        leftover.stdout.is_empty(),
        "runner containers left after teardown"
    );
    assert_eq!(
        fake_github("GET", "/_fake/state", &serde_json::Value::Null)["orgs"]["acme"]["runners"],
        serde_json::json!([])
    );
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        0,
        "work directories left after teardown"
    );
    let state = fake_github("GET", "/_fake/state", &serde_json::Value::Null);
    assert_eq!(state["repos"]["acme/web"]["secrets"], serde_json::json!({}));
    assert_eq!(state["violations"], serde_json::json!([]));
    for output in [
        &login, &applied, &rotated, &blocked, &converged, &removed, &down,
    ] {
        let all = text(output);
        assert!(
            !all.contains(&secret)
                && !all.contains(&new_secret)
                && !all.contains(&newest)
                && !all.contains("ghp_cli"),
            "a secret was printed: {all}"
        );
    }
}

#[test]
fn init_checks_runner_settings_keeps_the_registry_password_in_the_keychain_and_reaches_an_ssh_host()
{
    let _peers = PEERS.lock().unwrap_or_else(|e| e.into_inner());
    let keychain = slipway_engine::secrets::Keychain::default();
    keychain
        .delete_blocking("runner-registry-password")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("slipway.toml");

    let over_cap = slipway(&["init", "--runners", "40"], dir.path());
    assert_eq!(over_cap.status.code(), Some(2));
    assert!(
        text(&over_cap).contains("above this install's cap of 32"),
        "{}",
        text(&over_cap)
    );
    assert!(!config.exists(), "nothing saved");
    let raised = slipway(
        &["init", "--max-runners", "48", "--runners", "40"],
        dir.path(),
    );
    assert!(raised.status.success(), "{}", text(&raised));

    let pat = slipway(&["init", "--pat-in-container"], dir.path());
    assert!(pat.status.success(), "{}", text(&pat));
    assert!(
        String::from_utf8_lossy(&pat.stderr)
            .contains("warning: The GitHub token will be stored in every runner container"),
        "{}",
        text(&pat)
    );
    assert!(std::fs::read_to_string(&config)
        .unwrap()
        .contains("auth = \"pat-in-container\""));

    let no_password = slipway(&["init", "--registry-user", "ci-bot"], dir.path());
    assert_eq!(no_password.status.code(), Some(2));
    assert!(
        text(&no_password).contains("--registry-password-stdin"),
        "{}",
        text(&no_password)
    );
    let with_password = slipway_stdin(
        &[
            "init",
            "--registry-user",
            "ci-bot",
            "--registry-password-stdin",
        ],
        dir.path(),
        &[],
        "registry-pass-7f3a\n",
    );
    assert!(with_password.status.success(), "{}", text(&with_password));
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(
        saved.contains("registry_username = \"ci-bot\"") && !saved.contains("registry-pass-7f3a")
    );
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(
            &keychain
                .get_blocking("runner-registry-password")
                .unwrap()
                .unwrap()
        ),
        "registry-pass-7f3a"
    );
    let forget = slipway(&["init", "--no-registry-login"], dir.path());
    assert!(forget.status.success(), "{}", text(&forget));
    assert!(keychain
        .get_blocking("runner-registry-password")
        .unwrap()
        .is_none());

    // The engine over SSH, as the doctor sees it.
    let host = std::env::var("SLIPWAY_TEST_SSH_HOST").expect("set by scripts/test-all.sh");
    let key = std::env::var("SLIPWAY_TEST_SSH_KEY").unwrap();
    let ssh = slipway(
        &["init", "--docker-host", &host, "--ssh-key", &key],
        dir.path(),
    );
    assert!(ssh.status.success(), "{}", text(&ssh));
    let doctor = slipway(&["doctor"], dir.path());
    assert!(
        String::from_utf8_lossy(&doctor.stdout).contains("[ok  ] Docker engine: Docker "),
        "{}",
        text(&doctor)
    );
    assert!(
        text(&doctor).contains(&format!("reachable at {host}")),
        "{}",
        text(&doctor)
    );
    let bad = slipway(
        &["init", "--docker-host", "ssh://-oProxyCommand=touch"],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("name a host"), "{}", text(&bad));
}

#[test]
fn doctor_says_to_join_the_docker_group_when_the_socket_is_not_the_users() {
    // The engine's socket is root:docker 0660; an ordinary user (nobody) is
    // refused by the kernel, exactly as a user outside the docker group is.
    let out = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_slipway"))
        .arg("doctor")
        .env("SLIPWAY_CONFIG_DIR", "/tmp/slipway-test-nobody-config")
        .env("HOME", "/tmp")
        .env("DOCKER_HOST", "unix:///var/run/docker.sock")
        .output()
        .expect("setpriv runs (the tests run as root)");
    let shown = text(&out);
    assert!(
        shown.contains("[FAIL] Docker engine")
            && shown.contains("permission denied on /var/run/docker.sock")
            && shown.contains("sudo usermod -aG docker"),
        "{shown}"
    );
}

#[test]
fn the_token_can_come_from_the_github_cli_for_the_apis_host() {
    let _turn = PEERS.lock().unwrap_or_else(|e| e.into_inner());
    fake_github(
        "POST",
        "/_fake/reset",
        &serde_json::json!({
            "users": { "octo": { "id": 1 } },
            "tokens": { "ghp_from_gh": { "login": "octo", "scopes": ["repo", "workflow", "admin:org"] } },
            "orgs": { "acme": { "id": 100, "members": { "octo": "admin" } } }
        }),
    );
    let api = github_url();
    let host = api.trim_start_matches("http://");
    let gh_config = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let check = |gh_dir: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_slipway"))
            .args([
                "github",
                "check",
                "--org",
                "acme",
                "--from-gh",
                "--api-url",
                &api,
            ])
            .env("SLIPWAY_CONFIG_DIR", dir.path())
            .env("GH_CONFIG_DIR", gh_dir)
            .env_remove("GH_TOKEN")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_ENTERPRISE_TOKEN")
            .output()
            .unwrap()
    };

    // gh has no login for this host: say how to make one.
    let none = check(gh_config.path());
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    assert!(
        text(&none).contains(&format!(
            "gh holds no token for {host}: run `gh auth login --hostname {host}`"
        )),
        "{}",
        text(&none)
    );

    // Logged in there (gh's own hosts file): the token is checked and passes.
    std::fs::write(
        gh_config.path().join("hosts.yml"),
        format!("{host}:\n    oauth_token: ghp_from_gh\n    user: octo\n    git_protocol: https\n"),
    )
    .unwrap();
    let passed = check(gh_config.path());
    assert!(passed.status.success(), "{}", text(&passed));
    assert!(
        text(&passed).contains("[ok  ] Create and update workflow files"),
        "{}",
        text(&passed)
    );
    assert!(
        !text(&passed).contains("ghp_from_gh"),
        "the token is never printed"
    );
}
