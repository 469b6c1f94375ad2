//! Docker hosts other than the local socket, each reaching the same real
//! engine: TCP with mutual TLS (stunnel in front of the socket, with dockerd's
//! certificate layout),
//! SSH (a loopback sshd running `docker system dial-stdio`), and a private
//! registry that wants a user and password (docker-registry with htpasswd).
//! `scripts/peers.sh` starts them.

use std::path::PathBuf;
use std::process::Command;

use secrecy::SecretString;
use slipway_engine::config::DockerSettings;
use slipway_engine::docker::{connect, DockerEndpoint, DockerError};
use slipway_engine::doctor::{self, Status};
use slipway_engine::runners::host::{self, RegistryLogin, RunnerError};

fn peer(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by scripts/test-all.sh"))
}

fn settings(host: &str, tls: Option<String>, ssh_key: Option<String>) -> DockerSettings {
    DockerSettings {
        host: Some(host.to_string()),
        tls_cert_dir: tls.map(PathBuf::from),
        ssh_identity: ssh_key.map(PathBuf::from),
    }
}

async fn connect_to(settings: &DockerSettings) -> Result<bollard::Docker, DockerError> {
    connect(&DockerEndpoint::resolve(settings).unwrap())
        .await
        .map(|(docker, _)| docker)
}

/// The engine's own id, to prove a remote transport reached the same engine.
async fn engine_id(docker: &bollard::Docker) -> String {
    docker.info().await.unwrap().id.unwrap()
}

async fn local_engine_id() -> String {
    engine_id(&connect_to(&DockerSettings::default()).await.unwrap()).await
}

#[tokio::test]
async fn tls_hosts_connect_with_the_right_certificates_and_name_the_problem_otherwise() {
    let host = peer("SLIPWAY_TEST_DOCKER_TLS_HOST");
    let good = settings(&host, Some(peer("SLIPWAY_TEST_DOCKER_TLS_CERTS")), None);

    let check = doctor::run_docker(&good, "slipway-test/absent:1").await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert!(check.summary.contains("(TLS)"), "{}", check.summary);
    let docker = connect_to(&good).await.unwrap();
    assert_eq!(engine_id(&docker).await, local_engine_id().await);

    // Client certificates from another CA: the server refuses the handshake.
    let stranger = settings(&host, Some(peer("SLIPWAY_TEST_DOCKER_TLS_STRANGER")), None);
    let err = connect_to(&stranger).await.unwrap_err();
    assert!(matches!(err, DockerError::Tls { .. }), "{err:?}");
    assert!(
        err.to_string().contains("ca.pem, cert.pem and key.pem"),
        "{err}"
    );
}

#[tokio::test]
async fn ssh_hosts_reach_the_engine_pull_and_clean_up_there_and_say_why_a_key_is_refused() {
    let host = peer("SLIPWAY_TEST_SSH_HOST");
    let good = settings(&host, None, Some(peer("SLIPWAY_TEST_SSH_KEY")));
    let check = doctor::run_docker(&good, "slipway-test/absent:1").await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert!(check.summary.contains(&host), "{}", check.summary);

    let docker = connect_to(&good).await.unwrap();
    assert_eq!(engine_id(&docker).await, local_engine_id().await);

    // A streamed pull and a short-lived container both work over SSH: the
    // cleanup container removes a runner's work directory on the host.
    let image = peer("SLIPWAY_TEST_RUNNER_IMAGE");
    let progress = std::sync::Mutex::new(0u32);
    host::pull_image(&docker, &image, None, &|_, _| {
        *progress.lock().unwrap() += 1
    })
    .await
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let runner_dir = work.path().join("slipway-acme-1");
    std::fs::create_dir_all(runner_dir.join("_work/repo")).unwrap();
    std::fs::write(runner_dir.join("_work/repo/out.bin"), b"job output").unwrap();
    host::remove(&docker, "slipway-acme-1", work.path(), &image)
        .await
        .unwrap();
    assert!(!runner_dir.exists(), "the work directory is gone");
    assert!(work.path().exists(), "the base directory stays");

    // A key the host does not know.
    let stranger = settings(&host, None, Some(peer("SLIPWAY_TEST_SSH_STRANGER_KEY")));
    let err = connect_to(&stranger).await.unwrap_err();
    assert!(matches!(err, DockerError::SshAuth { .. }), "{err:?}");
    assert!(err.to_string().contains("authorized_keys"), "{err}");

    // A key file that does not exist is named before ssh runs.
    let missing = settings(&host, None, Some("/nonexistent/id_ed25519".into()));
    let err = connect_to(&missing).await.unwrap_err().to_string();
    assert!(
        err.contains("/nonexistent/id_ed25519 does not exist"),
        "{err}"
    );

    // Nothing listening.
    let closed = settings(
        "ssh://root@127.0.0.1:1",
        None,
        Some(peer("SLIPWAY_TEST_SSH_KEY")),
    );
    let err = connect_to(&closed).await.unwrap_err().to_string();
    assert!(err.contains("Connection refused"), "{err}");
}

#[tokio::test]
async fn private_registry_pulls_need_the_right_login_and_say_so_without_it() {
    let docker = connect_to(&DockerSettings::default()).await.unwrap();
    let image = peer("SLIPWAY_TEST_PRIVATE_RUNNER_IMAGE");
    let _ = Command::new("docker").args(["rmi", "-f", &image]).output();
    let login = |password: &str| RegistryLogin {
        username: peer("SLIPWAY_TEST_REGISTRY_USER"),
        password: SecretString::from(password.to_string()),
    };

    let anonymous = host::pull_image(&docker, &image, None, &|_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(anonymous, RunnerError::ImageUnauthorized { .. }),
        "{anonymous:?}"
    );
    assert!(
        anonymous.to_string().contains("127.0.0.1:5003"),
        "{anonymous}"
    );

    let wrong = host::pull_image(&docker, &image, Some(login("not-the-password")), &|_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, RunnerError::ImageUnauthorized { .. }),
        "{wrong:?}"
    );

    host::pull_image(
        &docker,
        &image,
        Some(login(&peer("SLIPWAY_TEST_REGISTRY_PASSWORD"))),
        &|_, _| {},
    )
    .await
    .unwrap();
    assert!(docker.inspect_image(&image).await.is_ok());
    let _ = Command::new("docker").args(["rmi", "-f", &image]).output();
}
