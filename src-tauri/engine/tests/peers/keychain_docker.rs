//! The keychain and the doctor against real peers: the Secret Service (gnome-keyring on a
//! private D-Bus session) and a real Docker engine. Run them through
//! `scripts/test-all.sh`, which starts both; without them these tests fail
//! with the reason.

use std::process::Command;

use secrecy::{ExposeSecret, SecretString};
use slipway_engine::config::DockerSettings;
use slipway_engine::doctor::{self, Status};
use slipway_engine::secrets::{Keychain, SecretError};

const CHILD_ENV: &str = "SLIPWAY_KEYCHAIN_CHILD";
const TEST_SERVICE: &str = "dev.slipway.test";

/// Not a test of its own: the second process of the cross-process test. When
/// CHILD_ENV names an entry, it prints what the keychain holds for it.
#[test]
fn keychain_child_process_helper() {
    let Ok(name) = std::env::var(CHILD_ENV) else {
        return;
    };
    match Keychain::new(TEST_SERVICE).get_blocking(&name) {
        Ok(Some(secret)) => println!("CHILD-READ:{}", secret.expose_secret()),
        Ok(None) => println!("CHILD-READ-NONE"),
        Err(e) => println!("CHILD-ERROR:{e}"),
    }
}

/// Runs the helper above in a new process and returns its verdict line.
fn read_in_another_process(name: &str, extra_env: &[(&str, &str)]) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "keychain_docker::keychain_child_process_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, name)
        .envs(extra_env.iter().copied())
        .output()
        .expect("the test binary runs again as a child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // libtest may print "test name ... " on the same line before the verdict.
    stdout
        .lines()
        .find_map(|l| l.find("CHILD-").map(|at| l[at..].to_string()))
        .unwrap_or_else(|| panic!("child printed no verdict: {stdout}"))
}

#[tokio::test]
async fn a_secret_written_in_one_process_is_read_in_another() {
    let keychain = Keychain::new(TEST_SERVICE);
    let name = format!("cross-process-{}", std::process::id());
    let value = format!("ghp_test_{}", uuid_like());
    keychain
        .set(&name, SecretString::from(value.clone()))
        .await
        .expect("the Secret Service stores the secret (is gnome-keyring running? use scripts/test-all.sh)");

    assert_eq!(
        read_in_another_process(&name, &[]),
        format!("CHILD-READ:{value}")
    );

    assert!(keychain.delete(&name).await.unwrap());
    assert_eq!(read_in_another_process(&name, &[]), "CHILD-READ-NONE");
    assert!(
        !keychain.delete(&name).await.unwrap(),
        "deleting twice reports nothing deleted"
    );
}

#[test]
fn without_a_secret_service_the_store_fails_and_says_what_to_install() {
    // The child sees a session bus address where nothing listens: keyring must
    // not fall back to memory or a file.
    let verdict = read_in_another_process(
        "no-bus",
        &[(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/slipway-bus",
        )],
    );
    assert!(verdict.starts_with("CHILD-ERROR:"), "{verdict}");
    assert!(verdict.contains("gnome-keyring"), "{verdict}");
}

#[test]
fn bad_entry_names_are_refused_before_touching_the_keychain() {
    let err = Keychain::new(TEST_SERVICE)
        .get_blocking("../etc/passwd")
        .unwrap_err();
    assert!(matches!(err, SecretError::BadName(_)), "{err:?}");
}

/// Asks the docker CLI, an independent client, for one field of the engine.
fn docker_cli(format: &str, sub: &str) -> String {
    let out = Command::new("docker")
        .args([sub, "--format", format])
        .output()
        .expect("the docker CLI runs");
    assert!(
        out.status.success(),
        "docker {sub} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn doctor_reports_the_real_engine_and_a_usable_keychain() {
    let report = doctor::run(
        &DockerSettings::default(),
        "slipway-test/not-pulled:1",
        &Keychain::new(TEST_SERVICE),
    )
    .await;
    let ids: Vec<_> = report.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids, ["docker", "keychain", "aws", "gh"]);

    let docker = &report.checks[0];
    assert_eq!(docker.status, Status::Ok, "{docker:?}");
    let detail = |label: &str| {
        docker
            .details
            .iter()
            .find(|d| d.label == label)
            .map(|d| d.value.clone())
            .unwrap_or_default()
    };
    let version = docker_cli("{{.Server.Version}}", "version");
    assert!(
        detail("Engine").starts_with(&version),
        "{docker:?} vs {version}"
    );
    assert_eq!(detail("CPUs"), docker_cli("{{.NCPU}}", "info"));
    assert_eq!(
        detail("Runner image"),
        "slipway-test/not-pulled:1 is not pulled yet (apply pulls it)"
    );

    let keychain = &report.checks[1];
    assert_eq!(keychain.status, Status::Ok, "{keychain:?}");
    // The probe entry is gone again.
    assert!(Keychain::new(TEST_SERVICE)
        .get("doctor-probe")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn doctor_names_the_socket_to_check_when_the_engine_is_unreachable() {
    let settings = DockerSettings {
        host: Some("unix:///nonexistent/docker.sock".into()),
        tls_cert_dir: None,
        ssh_identity: None,
    };
    let report = doctor::run(
        &settings,
        "slipway-test/not-pulled:1",
        &Keychain::new(TEST_SERVICE),
    )
    .await;
    let docker = &report.checks[0];
    assert_eq!(docker.status, Status::Error);
    assert_eq!(report.overall(), Status::Error);
    let fix = docker.fix.as_deref().unwrap();
    assert!(
        fix.contains("/nonexistent/docker.sock") && fix.contains("Start the engine"),
        "{fix}"
    );
}

fn uuid_like() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[test]
fn a_secret_service_without_a_default_keyring_gets_its_own_advice() {
    // A private D-Bus session whose gnome-keyring was never unlocked, so it
    // has no default collection: the situation of a fresh headless login.
    let exe = std::env::current_exe().unwrap();
    let home = tempfile::tempdir().unwrap();
    let script = "gnome-keyring-daemon --foreground --components=secrets >/dev/null 2>&1 & sleep 1; \
                  \"$0\" --exact keychain_docker::keychain_child_process_helper --nocapture --test-threads=1; kill $! 2>/dev/null";
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .arg(&exe)
        .env(CHILD_ENV, "no-collection")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .output()
        .expect("dbus-run-session runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let verdict = stdout
        .lines()
        .find_map(|l| l.find("CHILD-").map(|at| l[at..].to_string()))
        .unwrap_or_else(|| {
            panic!(
                "no verdict: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(verdict.contains("has no default keyring"), "{verdict}");
    assert!(verdict.contains("Passwords and Keys"), "{verdict}");
}
