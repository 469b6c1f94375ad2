//! Runner containers on the real Docker engine, with the stand-in runner
//! image (tests/runner-image) pulled from the local registry and registering
//! with the fake GitHub. Every step is checked through Docker and the fake,
//! not through Slipway's own state.

use std::process::Command;
use std::sync::Mutex as StdMutex;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::json;
use slipway_engine::config::DockerSettings;
use slipway_engine::docker::{connect, DockerEndpoint};
use slipway_engine::github::runners::{list, registration_token, remove, RunnerStatus};
use slipway_engine::github::GithubClient;
use slipway_engine::runners::env::{environment, RunnerAuth, RunnerSpec};
use slipway_engine::runners::host::{self, container_name, RunnerContainerSpec, RunnerError};
use slipway_testkit::{fake_github, github_url};

fn runner_image() -> String {
    std::env::var("SLIPWAY_TEST_RUNNER_IMAGE").expect("SLIPWAY_TEST_RUNNER_IMAGE is set by scripts/test-all.sh (it builds the stand-in runner image)")
}

fn docker_cli(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

async fn wait_online(gh: &GithubClient, names: &[String]) -> Vec<RunnerStatus> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let runners = list(gh, "acme").await.unwrap();
        let online = names
            .iter()
            .all(|n| runners.iter().any(|r| &r.name == n && r.status == "online"));
        if online && runners.len() == names.len() {
            return runners;
        }
        assert!(
            Instant::now() < deadline,
            "runners never all came online: {runners:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runners_come_online_keep_their_registration_and_are_removed_without_a_trace() {
    let _fake = crate::github_fake::FAKE.lock().await;
    fake_github(
        "POST",
        "/_fake/reset",
        &json!({
            "users": { "octo": { "id": 1 } },
            "tokens": { "ghp_runner_pat": { "login": "octo", "scopes": ["repo", "workflow", "admin:org"] } },
            "orgs": { "acme": { "id": 100, "members": { "octo": "admin" } } }
        }),
    );
    let gh = GithubClient::new(
        &github_url(),
        &SecretString::from("ghp_runner_pat".to_string()),
    )
    .unwrap();
    let (docker, _) = connect(&DockerEndpoint::resolve(&DockerSettings::default()).unwrap())
        .await
        .unwrap();
    let image = runner_image();
    let install = format!("test-{}", std::process::id());
    let work = tempfile::tempdir().unwrap();
    let host_port = github_url().trim_start_matches("http://").to_string();

    // The pull reports real progress: bytes of a 24 MiB layer, up to the total.
    let _ = docker_cli(&["rmi", "-f", &image]);
    let seen = StdMutex::new(Vec::new());
    host::pull_image(&docker, &image, &|done, total| {
        seen.lock().unwrap().push((done, total))
    })
    .await
    .unwrap();
    let seen = seen.into_inner().unwrap();
    let (done, total) = *seen.last().expect("progress was reported");
    assert!(
        total.unwrap() > 20 * 1024 * 1024 && done == total.unwrap(),
        "{seen:?}"
    );
    assert!(seen.len() >= 2, "more than one progress step: {seen:?}");

    let start = |index: u32| {
        let (gh, docker, image, install, host_port, work) =
            (&gh, &docker, &image, &install, &host_port, &work);
        async move {
            let name = container_name("acme", index);
            let token = registration_token(gh, "acme").await.unwrap();
            let spec = RunnerSpec {
                organization: "acme".into(),
                name: name.clone(),
                extra_labels: vec!["gpu".into()],
                group: None,
                work_dir: work.path().join(&name),
                registration_dir: host::REGISTRATION_DIR.into(),
                ephemeral: false,
                disable_auto_update: false,
                github_host: Some(host_port.clone()),
            };
            let c = RunnerContainerSpec {
                name: name.clone(),
                index,
                install_id: install,
                organization: "acme",
                image,
                env: environment(&spec, &RunnerAuth::RegistrationToken(token)),
                work_dir: spec.work_dir.clone(),
                network_mode: "host",
            };
            host::create_and_start(docker, &c).await
        }
    };

    for i in 1..=3 {
        start(i).await.unwrap();
    }
    let names: Vec<String> = (1..=3).map(|i| container_name("acme", i)).collect();
    let online = wait_online(&gh, &names).await;
    let containers = host::list_runners(&docker, &install).await.unwrap();
    assert_eq!(
        containers.iter().map(|c| c.index).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(containers.iter().all(|c| c.running));
    for name in &names {
        let inspect = docker_cli(&["inspect", name]);
        assert!(
            !inspect.contains("ghp_runner_pat"),
            "the PAT is in {name}'s container"
        );
        assert!(
            inspect.contains("RUNNER_TOKEN=AREG")
                && inspect.contains("LABELS=self-hosted,linux,slipway,gpu")
        );
        assert!(
            !inspect.contains("EPHEMERAL") && inspect.contains("\"unless-stopped\""),
            "{inspect}"
        );
    }

    // A container removed behind Slipway's back comes back with its registration.
    let id_before = online.iter().find(|r| r.name == names[1]).unwrap().id;
    docker_cli(&["rm", "-f", &names[1]]);
    assert_eq!(
        host::list_runners(&docker, &install).await.unwrap().len(),
        2
    );
    start(2).await.unwrap();
    let online = wait_online(&gh, &names).await;
    assert_eq!(
        online.iter().find(|r| r.name == names[1]).unwrap().id,
        id_before,
        "not a new runner"
    );
    assert!(host::last_logs(&docker, &names[1], 5)
        .await
        .contains("reusing registration"));

    // A container of that name that Slipway did not create is refused.
    docker_cli(&["create", "--name", "slipway-acme-9", &image]);
    let err = start(9).await.unwrap_err();
    assert!(matches!(err, RunnerError::NameTaken { .. }), "{err}");
    assert!(
        err.to_string().contains("docker rm slipway-acme-9"),
        "{err}"
    );
    docker_cli(&["rm", "-f", "slipway-acme-9"]);

    // Teardown: deregistered from GitHub, containers, volumes and work directories gone.
    for r in list(&gh, "acme").await.unwrap() {
        remove(&gh, "acme", r.id).await.unwrap();
    }
    for name in &names {
        host::remove(&docker, name, &work.path().join(name))
            .await
            .unwrap();
        assert!(!work.path().join(name).exists());
    }
    assert!(list(&gh, "acme").await.unwrap().is_empty());
    assert!(host::list_runners(&docker, &install)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        docker_cli(&["volume", "ls", "-q", "--filter", "name=slipway-acme-"]),
        ""
    );

    let missing = host::pull_image(&docker, "127.0.0.1:5001/slipway-test/nope:1", &|_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(missing, RunnerError::ImageNotFound { .. }),
        "{missing}"
    );
    assert!(
        missing
            .to_string()
            .contains("was not found in its registry"),
        "{missing}"
    );
}
