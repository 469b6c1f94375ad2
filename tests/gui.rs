//! GUI end to end: the real app binary (front end embedded) in a real WebKit
//! window under Xvfb, driven over WebDriver by tauri-driver. Needs DISPLAY,
//! tauri-driver and WebKitWebDriver on PATH, a Docker engine and a Secret
//! Service: `scripts/test-all.sh` provides all of them.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use slipway_testkit::{fake_github, reset_moto};

const DRIVER_PORT: u16 = 4444;
const NATIVE_PORT: u16 = 4445;

/// One app session at a time: the tests share the driver's ports.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// tauri-driver, stopped with SIGTERM so it also stops its WebKitWebDriver.
struct Driver(Child);

impl Driver {
    /// Starts the driver; the app it launches inherits `env`.
    fn start(env: &[(&str, &str)]) -> Self {
        let child = Command::new("tauri-driver")
            .envs(env.iter().copied())
            .args(["--port", &DRIVER_PORT.to_string(), "--native-port", &NATIVE_PORT.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver runs (install it with `cargo install tauri-driver --version 2.1.0 --locked`)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", DRIVER_PORT)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen on {DRIVER_PORT}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver(child)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
    }
}

async fn open_app() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": env!("CARGO_BIN_EXE_slipway-desktop") }),
    );
    ClientBuilder::rustls()
        .expect("a TLS provider for the WebDriver client")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{DRIVER_PORT}"))
        .await
        .expect("a WebDriver session with the app opens")
}

/// Waits until the element's attribute has the value, then returns its text.
async fn wait_for_attr(client: &Client, css: &str, attr: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(el) = client.find(Locator::Css(css)).await {
            if el.attr(attr).await.ok().flatten().as_deref() == Some(want) {
                return el.text().await.unwrap_or_default();
            }
        }
        assert!(Instant::now() < deadline, "{css} never had {attr}={want}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_opens_on_the_doctor_step_with_docker_and_keychain_ok_and_an_empty_status() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "DISPLAY is not set: run under Xvfb (scripts/test-all.sh does)"
    );
    let _turn = ONE_AT_A_TIME.lock().await;
    let config_dir = tempfile::tempdir().unwrap();
    let _driver = Driver::start(&[("SLIPWAY_CONFIG_DIR", config_dir.path().to_str().unwrap())]);
    let client = open_app().await;

    let title = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Welcome to Slipway");

    // The checks run in the real engine: Docker is up during tests, and the
    // keychain is the test session's gnome-keyring.
    wait_for_attr(&client, "li[data-check=docker] .badge", "data-status", "ok").await;
    let docker = client
        .find(Locator::Css("li[data-check=docker]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        docker.contains("reachable at unix:///var/run/docker.sock"),
        "{docker}"
    );
    wait_for_attr(
        &client,
        "li[data-check=keychain] .badge",
        "data-status",
        "ok",
    )
    .await;

    // Every step is listed and usable, the Status window last.
    let steps = client.find_all(Locator::Css("nav button")).await.unwrap();
    let mut ids = Vec::new();
    for step in &steps {
        assert!(step.is_enabled().await.unwrap());
        ids.push(step.attr("data-step").await.unwrap().unwrap());
    }
    assert_eq!(
        ids,
        ["doctor", "github", "repos", "aws", "docker", "review", "apply", "status"]
    );

    // Rerunning the checks works from the window too; the list counts its runs.
    let runs = |c: Client| async move {
        let list = c.find(Locator::Css("ul.checks")).await.unwrap();
        list.attr("data-runs")
            .await
            .unwrap()
            .unwrap_or_default()
            .parse::<u32>()
            .unwrap_or(0)
    };
    let before = runs(client.clone()).await;
    assert!(before >= 1);
    client
        .find(Locator::Id("rerun"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while runs(client.clone()).await <= before {
        assert!(Instant::now() < deadline, "the rerun never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for_attr(&client, "li[data-check=docker] .badge", "data-status", "ok").await;
    wait_for_text(&client, "h2", "checked at").await;

    screenshot(&client, "doctor").await;

    // Nothing is set up yet: the Status window says what each section waits
    // for, instead of empty tables.
    click(&client, "nav button[data-step=status]").await;
    wait_for_text(
        &client,
        "#runners-unavailable",
        "no organization chosen yet",
    )
    .await;
    wait_for_attr(
        &client,
        "#credentials li[data-check=github] .badge",
        "data-status",
        "warning",
    )
    .await;
    wait_for_attr(
        &client,
        "#credentials li[data-check=docker] .badge",
        "data-status",
        "ok",
    )
    .await;
    client.close().await.unwrap();
}

/// Saves a WebDriver screenshot under SLIPWAY_SCREENSHOT_DIR.
async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a WebDriver screenshot");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    let dir = std::env::var_os("SLIPWAY_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Waits until the element's text contains `want`, then returns the text.
async fn wait_for_text(client: &Client, css: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = match client.find(Locator::Css(css)).await {
            Ok(el) => Some(el.text().await.unwrap_or_default()),
            Err(_) => None,
        };
        if let Some(text) = &text {
            if text.contains(want) {
                return text.clone();
            }
        }
        if Instant::now() > deadline {
            screenshot(client, "failure").await;
            let body = client
                .find(Locator::Css("main"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap_or_default();
            panic!("{css} never showed {want:?} (it shows {text:?}); the page says:\n{body}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn click(client: &Client, css: &str) {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let el = client.wait().for_element(Locator::Css(css)).await.unwrap();
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_step_signs_in_reviews_the_plan_and_applies_it_against_moto() {
    use slipway_engine::aws::session::{connect, AdminCredentials};
    use slipway_engine::config::{AwsSettings, ConfigStore, DesiredState};

    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "DISPLAY is not set: run under Xvfb (scripts/test-all.sh does)"
    );
    let _turn = ONE_AT_A_TIME.lock().await;
    let moto = reset_moto();
    let github_url = slipway_testkit::github_url();
    fake_github(
        "POST",
        "/_fake/reset",
        &serde_json::json!({
            "users": { "octo": { "id": 1 } },
            "tokens": { "ghp_gui_token": { "login": "octo", "scopes": ["repo", "workflow", "admin:org"] } },
            "orgs": { "acme": { "id": 100, "members": { "octo": "admin" } } },
            "repos": {
                "acme/api": { "id": 101, "files": { "services/api/Dockerfile": "FROM scratch\n" } },
                "acme/legacy": { "id": 102, "archived": true }
            }
        }),
    );
    let config_dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::at(config_dir.path().join("slipway.toml"));
    let mut state = DesiredState::new();
    let mut aws = AwsSettings::for_region("eu-west-1");
    aws.endpoint_url = Some(moto.clone());
    state.aws = Some(aws.clone());
    store.save(&state).unwrap();

    let _driver = Driver::start(&[("SLIPWAY_CONFIG_DIR", config_dir.path().to_str().unwrap())]);
    let client = open_app().await;

    // GitHub: the token is checked against the organization, then kept.
    click(&client, "nav button[data-step=github]").await;
    type_into(&client, "#gh-org", "acme").await;
    type_into(&client, "#gh-api", &github_url).await;
    type_into(&client, "#gh-token", "ghp_gui_token").await;
    click(&client, "#gh-check").await;
    wait_for_text(&client, "#gh-report", "you are admin").await;
    screenshot(&client, "github").await;
    click(&client, "#gh-keep").await;
    wait_for_text(&client, "#gh-kept", "in the keychain").await;

    // Repositories: the archived one cannot be chosen; the Dockerfile is found.
    click(&client, "nav button[data-step=repos]").await;
    wait_for_text(&client, "#repo-list", "archived").await;
    let legacy = client
        .find(Locator::Css("li[data-repo=legacy] input[type=checkbox]"))
        .await
        .unwrap();
    assert!(!legacy.is_enabled().await.unwrap());
    click(&client, "li[data-repo=api] input[type=checkbox]").await;
    let dockerfile = client
        .wait()
        .for_element(Locator::Css("#df-api"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while dockerfile.prop("value").await.unwrap().as_deref() != Some("services/api/Dockerfile") {
        assert!(Instant::now() < deadline, "the Dockerfile was not found");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    screenshot(&client, "repositories").await;
    click(&client, "#repos-save").await;

    // Sign in with typed keys (kept in memory only) and see who that is.
    client
        .wait()
        .for_element(Locator::Id("aws-source-keys"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("aws-key-id"))
        .await
        .unwrap()
        .send_keys("AKIAGUITESTADMIN")
        .await
        .unwrap();
    let secret = client.find(Locator::Id("aws-secret")).await.unwrap();
    secret.send_keys("gui-typed-admin-secret").await.unwrap();
    let endpoint = client.find(Locator::Id("aws-endpoint")).await.unwrap();
    assert_eq!(
        endpoint.prop("value").await.unwrap().as_deref(),
        Some(moto.as_str())
    );
    client
        .find(Locator::Id("aws-check"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let identity = wait_for_text(&client, "#aws-identity", "123456789012").await;
    assert!(identity.contains("eu-west-1"), "{identity}");
    assert_eq!(
        secret.prop("value").await.unwrap().as_deref(),
        Some(""),
        "the typed secret leaves the page"
    );
    screenshot(&client, "aws").await;

    // Review: the engine's plan for the push identity and one repository.
    client
        .find(Locator::Id("aws-save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Docker host: one runner, the stand-in image, host networking for the test.
    let runner_image = std::env::var("SLIPWAY_TEST_RUNNER_IMAGE")
        .expect("SLIPWAY_TEST_RUNNER_IMAGE is set by scripts/test-all.sh");
    let work = tempfile::tempdir().unwrap();
    type_into(&client, "#runner-count", "1").await;
    type_into(&client, "#runner-image", &runner_image).await;
    type_into(&client, "#runner-work", work.path().to_str().unwrap()).await;
    client
        .find(Locator::Css("#runner-network option[value=host]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // An ssh:// host asks for its key; choosing the PAT in the containers
    // shows what that exposes. Both are undone before going on.
    type_into(&client, "#docker-host", "ssh://ci@build-1.example:2222").await;
    client
        .wait()
        .for_element(Locator::Css("#docker-ssh-key"))
        .await
        .unwrap();
    click(&client, "#pat-in-container").await;
    wait_for_text(&client, "#pat-warning", "docker inspect").await;
    client
        .execute(
            "document.getElementById('pat-warning').scrollIntoView({ block: 'end' })",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "docker-options").await;
    click(&client, "#pat-in-container").await;
    let host = client.find(Locator::Css("#docker-host")).await.unwrap();
    // Ctrl+A, Backspace: real key presses, so the page sees the input events.
    host.send_keys("\u{E009}a\u{E000}\u{E003}").await.unwrap();
    assert!(client.find(Locator::Css("#pat-warning")).await.is_err());
    assert!(client.find(Locator::Css("#docker-ssh-key")).await.is_err());

    click(&client, "#docker-check").await;
    wait_for_text(&client, "#docker-result", "Runner image").await;
    screenshot(&client, "docker").await;
    click(&client, "#docker-save").await;
    wait_for_text(&client, "#plan", "docker.runner/slipway-acme-1").await;
    wait_for_text(&client, "#plan", "aws.ecr_repository/slipway/api/main").await;
    wait_for_text(&client, "#plan", "github.workflow_file/api").await;
    let rows = client
        .find_all(Locator::Css("#plan li[data-action=create]"))
        .await
        .unwrap();
    // AWS: user, policy, key, repository; GitHub: key secrets, 2 variables,
    // workflow; one runner.
    assert_eq!(rows.len(), 9);
    screenshot(&client, "review").await;

    // Apply, and watch each step finish.
    client
        .find(Locator::Id("apply-plan"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "#apply-result", "Done: 9 change(s) applied.").await;
    let done = client
        .find_all(Locator::Css("#apply-log li[data-state=done]"))
        .await
        .unwrap();
    assert_eq!(done.len(), 9);
    let runner_row = client
        .find(Locator::Css("#apply-log li:last-child"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        runner_row.contains("slipway-acme-1 is online in GitHub"),
        "{runner_row}"
    );
    screenshot(&client, "apply").await;

    // The world, read back through the SDK: the user exists under /slipway/.
    let creds = AdminCredentials::Keys {
        access_key_id: "AKIACHECK".into(),
        secret_access_key: "check".to_string().into(),
        session_token: None,
    };
    let session = connect(&aws, &creds).await.unwrap();
    let user = session
        .iam
        .get_user()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .unwrap();
    assert_eq!(user.user().unwrap().path(), "/slipway/");
    let saved = std::fs::read_to_string(store.path()).unwrap();
    assert!(
        !saved.contains("gui-typed-admin-secret"),
        "the typed secret is not in the config"
    );
    assert!(
        !saved.contains("ghp_gui_token"),
        "the token is not in the config"
    );
    let key_ids = |session: slipway_engine::aws::session::AwsSession| async move {
        session
            .iam
            .list_access_keys()
            .user_name("slipway-ecr-pusher")
            .send()
            .await
            .unwrap()
            .access_key_metadata()
            .iter()
            .map(|k| k.access_key_id().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let first_keys = key_ids(session.clone()).await;
    assert_eq!(first_keys.len(), 1);

    // And GitHub, read back from the fake: the workflow builds the chosen Dockerfile.
    let github = fake_github("GET", "/_fake/state", &serde_json::Value::Null);
    let api = &github["repos"]["acme/api"];
    let workflow = api["branches"]["main"]["files"][".github/workflows/slipway-ecr.yml"]
        .as_str()
        .unwrap();
    assert!(
        workflow.contains("file: services/api/Dockerfile")
            && workflow.contains("context: services/api"),
        "{workflow}"
    );
    assert!(api["secrets"].get("AWS_SECRET_ACCESS_KEY").is_some());
    assert_eq!(github["violations"], serde_json::json!([]));
    assert_eq!(
        github["orgs"]["acme"]["runners"][0]["name"],
        "slipway-acme-1"
    );

    // The runner container holds no long-lived secret: not the GitHub token,
    // not the ECR push key (read from the keychain), not the typed admin key.
    let docker_inspect = |name: &str| {
        let out = std::process::Command::new("docker")
            .args(["inspect", name])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (_, inspect) = docker_inspect("slipway-acme-1");
    let push_key = slipway_engine::secrets::Keychain::default()
        .get("aws-ecr-push-key")
        .await
        .unwrap()
        .expect("the push key is in the keychain");
    let push_secret: serde_json::Value =
        serde_json::from_str(secrecy::ExposeSecret::expose_secret(&push_key)).unwrap();
    let push_secret = push_secret["secret_access_key"].as_str().unwrap();
    assert!(inspect.contains("RUNNER_TOKEN="), "{inspect}");
    for secret in ["ghp_gui_token", push_secret, "gui-typed-admin-secret"] {
        assert!(!inspect.contains(secret), "a secret is in docker inspect");
    }

    // A build ran and pushed an image: the Status window shows both, with the
    // runner on both sides and every credential healthy.
    fake_github(
        "POST",
        "/_fake/runs",
        &serde_json::json!({ "repo": "acme/api", "run": { "branch": "main", "status": "completed", "conclusion": "success" } }),
    );
    session
        .ecr
        .put_image()
        .repository_name("slipway/api/main")
        .image_tag("sha-1234567")
        .image_manifest(MANIFEST)
        .send()
        .await
        .unwrap();
    click(&client, "#to-status").await;
    wait_for_text(&client, "tr[data-runner=slipway-acme-1]", "online").await;
    wait_for_text(&client, "tr[data-runner=slipway-acme-1]", "running").await;
    wait_for_text(&client, "tr[data-repo=api]", "success").await;
    wait_for_text(&client, "tr[data-ecr='slipway/api/main']", "sha-1234567").await;
    for check in ["github", "aws-push", "docker"] {
        wait_for_attr(
            &client,
            &format!("#credentials li[data-check={check}] .badge"),
            "data-status",
            "ok",
        )
        .await;
    }
    screenshot(&client, "status").await;

    // Rotation from the Status window: one key, a new one, in the keychain
    // and in the repository's secret.
    click(&client, "#rotate-key").await;
    wait_for_text(&client, "#rotation-result", "Rotated").await;
    let second_keys = key_ids(session.clone()).await;
    assert_eq!(second_keys.len(), 1);
    assert_ne!(second_keys, first_keys);
    let github = fake_github("GET", "/_fake/state", &serde_json::Value::Null);
    assert_eq!(
        github["repos"]["acme/api"]["variables"]["SLIPWAY_AWS_ACCESS_KEY_ID"]["value"],
        second_keys[0].as_str()
    );

    // Teardown from the Status window, reviewed first: nothing of Slipway's
    // is left on the Docker host, in GitHub or in IAM; the ECR repository
    // (and its image) is kept, as the user did not ask to delete it.
    click(&client, "#teardown").await;
    click(&client, "#review-teardown").await;
    wait_for_text(&client, "#teardown-note", "are kept").await;
    wait_for_text(&client, "#plan", "docker.runner/slipway-acme-1").await;
    let deletes = client
        .find_all(Locator::Css("#plan li[data-action=delete]"))
        .await
        .unwrap();
    assert!(deletes.len() >= 7, "{} deletions", deletes.len());
    assert!(client
        .find_all(Locator::Css("#plan li[data-action=create]"))
        .await
        .unwrap()
        .is_empty());
    screenshot(&client, "teardown").await;
    click(&client, "#apply-plan").await;
    wait_for_text(&client, "#apply-result", "Done:").await;
    client.close().await.unwrap();

    assert!(
        !docker_inspect("slipway-acme-1").0,
        "the runner container is gone"
    );
    let github = fake_github("GET", "/_fake/state", &serde_json::Value::Null);
    assert_eq!(github["orgs"]["acme"]["runners"], serde_json::json!([]));
    let api = &github["repos"]["acme/api"];
    assert!(api["branches"]["main"]["files"]
        .get(".github/workflows/slipway-ecr.yml")
        .is_none());
    assert_eq!(api["secrets"], serde_json::json!({}));
    assert_eq!(github["violations"], serde_json::json!([]));
    assert!(session
        .iam
        .get_user()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .is_err());
    let images = session
        .ecr
        .describe_images()
        .repository_name("slipway/api/main")
        .send()
        .await
        .unwrap();
    assert_eq!(images.image_details().len(), 1);
}

/// A small but valid image manifest for ECR's PutImage (moto stores it).
const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":32654,"digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"}]}"#;
