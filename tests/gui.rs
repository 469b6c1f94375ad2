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

/// tauri-driver, stopped with SIGTERM so it also stops its WebKitWebDriver.
struct Driver(Child);

impl Driver {
    fn start() -> Self {
        let child = Command::new("tauri-driver")
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
    let _driver = Driver::start();
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
    assert!(steps[0].is_enabled().await.unwrap());
    for step in &steps[1..] {
        assert!(!step.is_enabled().await.unwrap());
        assert!(step.text().await.unwrap().contains("Not built yet"));
    }

    // Rerunning the checks works from the window too.
    client
        .find(Locator::Id("rerun"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_attr(&client, "li[data-check=docker] .badge", "data-status", "ok").await;

    let png = client.screenshot().await.expect("a WebDriver screenshot");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    let dir = std::env::var_os("SLIPWAY_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("doctor.png"), png).unwrap();

    client.close().await.unwrap();
}
