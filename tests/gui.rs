//! GUI end to end: the real app binary (front end embedded) in a real WebKit
//! window under Xvfb, driven over WebDriver by tauri-driver. Needs DISPLAY,
//! tauri-driver and WebKitWebDriver on PATH, a Docker engine and a Secret
//! Service: `scripts/test-all.sh` provides all of them.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

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
async fn the_window_opens_on_the_doctor_step_with_docker_and_keychain_ok() {
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

    // Steps without a backend yet are shown, disabled and labelled.
    let steps = client.find_all(Locator::Css("nav button")).await.unwrap();
    assert_eq!(steps.len(), 8);
    let mut enabled = Vec::new();
    for step in &steps {
        let id = step.attr("data-step").await.unwrap().unwrap();
        if step.is_enabled().await.unwrap() {
            enabled.push(id);
        } else {
            assert!(step.text().await.unwrap().contains("Not built yet"), "{id}");
        }
    }
    assert_eq!(enabled, ["doctor", "aws", "review", "apply"]);

    // Rerunning the checks works from the window too.
    client
        .find(Locator::Id("rerun"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_attr(&client, "li[data-check=docker] .badge", "data-status", "ok").await;

    screenshot(&client, "doctor").await;
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
        if let Ok(el) = client.find(Locator::Css(css)).await {
            let text = el.text().await.unwrap_or_default();
            if text.contains(want) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed {want:?}; it shows {text:?}"
            );
        } else {
            assert!(Instant::now() < deadline, "{css} never appeared");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn reset_moto() -> String {
    use std::io::{Read, Write};
    let url = std::env::var("SLIPWAY_TEST_MOTO_URL")
        .expect("SLIPWAY_TEST_MOTO_URL is set by scripts/test-all.sh");
    let addr = url.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).expect("moto answers");
    write!(stream, "POST /moto-api/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_step_signs_in_reviews_the_plan_and_applies_it_against_moto() {
    use slipway_engine::aws::session::{connect, AdminCredentials};
    use slipway_engine::config::{AwsSettings, ConfigStore, DesiredState, GithubSettings};

    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "DISPLAY is not set: run under Xvfb (scripts/test-all.sh does)"
    );
    let _turn = ONE_AT_A_TIME.lock().await;
    let moto = reset_moto();
    let config_dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::at(config_dir.path().join("slipway.toml"));
    let mut state = DesiredState::new();
    state.github = Some({
        let mut g = GithubSettings::for_organization("acme");
        g.repositories = vec!["api".into()];
        g.branches = vec!["main".into()];
        g
    });
    let mut aws = AwsSettings::for_region("eu-west-1");
    aws.endpoint_url = Some(moto.clone());
    state.aws = Some(aws.clone());
    store.save(&state).unwrap();

    let _driver = Driver::start(&[("SLIPWAY_CONFIG_DIR", config_dir.path().to_str().unwrap())]);
    let client = open_app().await;
    client
        .find(Locator::Css("nav button[data-step=aws]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

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
    wait_for_text(&client, "#plan", "aws.ecr_repository/slipway/api/main").await;
    let rows = client
        .find_all(Locator::Css("#plan li[data-action=create]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    screenshot(&client, "review").await;

    // Apply, and watch each step finish.
    client
        .find(Locator::Id("apply-plan"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "#apply-result", "Done: 4 change(s) applied.").await;
    let done = client
        .find_all(Locator::Css("#apply-log li[data-state=done]"))
        .await
        .unwrap();
    assert_eq!(done.len(), 4);
    screenshot(&client, "apply").await;
    client.close().await.unwrap();

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
    let keys = session
        .iam
        .list_access_keys()
        .user_name("slipway-ecr-pusher")
        .send()
        .await
        .unwrap();
    assert_eq!(keys.access_key_metadata().len(), 1);
}
