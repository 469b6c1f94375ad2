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

/// The runners provider for the organization `acme` on the fake GitHub.
fn runners_provider(
    docker: &bollard::Docker,
    token: &SecretString,
    state: &slipway_engine::config::DesiredState,
) -> slipway_engine::runners::provider::RunnersProvider {
    slipway_engine::runners::provider::RunnersProvider {
        docker: docker.clone(),
        github: GithubClient::new(&github_url(), token).unwrap(),
        organization: "acme".into(),
        settings: state.runners.clone(),
        install_id: state.install_id.clone(),
        github_host: Some(github_url().trim_start_matches("http://").to_string()),
        access_token: None,
        registry_password: None,
        remove_strays: false,
    }
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
    host::pull_image(&docker, &image, None, &|done, total| {
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
        host::remove(&docker, name, work.path(), &image)
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

    let missing = host::pull_image(
        &docker,
        "127.0.0.1:5001/slipway-test/nope:1",
        None,
        &|_, _| {},
    )
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_scales_runners_repairs_drift_spares_busy_ones_and_removes_orphans() {
    use slipway_engine::apply::apply;
    use slipway_engine::config::{DesiredState, GithubSettings};
    use slipway_engine::plan::{plan, Action};

    let _fake = crate::github_fake::FAKE.lock().await;
    fake_github(
        "POST",
        "/_fake/reset",
        &json!({
            "users": { "octo": { "id": 1 } },
            "tokens": { "ghp_plan": { "login": "octo", "scopes": ["repo", "workflow", "admin:org"] } },
            "orgs": { "acme": { "id": 100, "members": { "octo": "admin" } } }
        }),
    );
    let work = tempfile::tempdir().unwrap();
    let mut state = DesiredState::new();
    state.github = Some(GithubSettings::for_organization("acme"));
    state.runners.count = 3;
    state.runners.image = runner_image();
    state.runners.network_mode = "host".into();
    state.runners.work_dir = work.path().to_path_buf();
    let (docker, _) = connect(&DockerEndpoint::resolve(&DockerSettings::default()).unwrap())
        .await
        .unwrap();
    let provider = |state: &DesiredState| {
        runners_provider(&docker, &SecretString::from("ghp_plan".to_string()), state)
    };
    let gh = GithubClient::new(&github_url(), &SecretString::from("ghp_plan".to_string())).unwrap();
    let plan_for = |state: &DesiredState| {
        let p = provider(state);
        let state = state.clone();
        async move {
            let observed = p.observe().await.unwrap();
            let plan = plan(
                &slipway_engine::runners::provider::desired_resources(&state),
                &observed,
            )
            .unwrap();
            (p, plan)
        }
    };
    let names = |n: u32| {
        (1..=n)
            .map(|i| container_name("acme", i))
            .collect::<Vec<_>>()
    };

    // Three runners, then nothing to do.
    let (p, first) = plan_for(&state).await;
    assert_eq!(first.summary().create, 3);
    assert!(apply(&first, &p, &|_| {}).await.is_success());
    wait_online(&gh, &names(3)).await;
    assert!(plan_for(&state).await.1.is_noop());

    // A stopped container is drift: apply starts it again, same registration.
    let id2 = list(&gh, "acme")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == names(3)[1])
        .unwrap()
        .id;
    docker_cli(&["stop", "-t", "1", &names(3)[1]]);
    let (p, drift) = plan_for(&state).await;
    let steps: Vec<_> = drift.changes().collect();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].action, Action::Update);
    assert_eq!(
        steps[0].changes[0].from.as_deref(),
        Some("container not running")
    );
    assert!(apply(&drift, &p, &|_| {}).await.is_success());
    assert_eq!(
        list(&gh, "acme")
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.name == names(3)[1])
            .unwrap()
            .id,
        id2
    );

    // Scale up to 5, then down to 2 while runner 4 is busy: 3 and 5 go, 4 stays.
    state.runners.count = 5;
    let (p, up) = plan_for(&state).await;
    assert_eq!(up.summary().create, 2);
    assert!(apply(&up, &p, &|_| {}).await.is_success());
    wait_online(&gh, &names(5)).await;
    let busy = list(&gh, "acme")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == names(5)[3])
        .unwrap();
    fake_github(
        "POST",
        &format!("/_fake/runners/{}/busy", busy.id),
        &json!({ "busy": true }),
    );
    state.runners.count = 2;
    let (p, down) = plan_for(&state).await;
    assert_eq!(down.summary().delete, 3);
    let report = apply(&down, &p, &|_| {}).await;
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0]
            .1
            .message
            .contains("slipway-acme-4 is running a job"),
        "{:?}",
        report.failed
    );
    let left: Vec<u32> = host::list_runners(&docker, &state.install_id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.index)
        .collect();
    assert_eq!(left, [1, 2, 4]);
    fake_github(
        "POST",
        &format!("/_fake/runners/{}/busy", busy.id),
        &json!({ "busy": false }),
    );
    let (p, rest) = plan_for(&state).await;
    assert!(apply(&rest, &p, &|_| {}).await.is_success());
    assert_eq!(list(&gh, "acme").await.unwrap().len(), 2);

    // A registration whose machine is gone is an orphan and is removed.
    let token = registration_token(&gh, "acme").await.unwrap();
    fake_github(
        "POST",
        "/_fake/runners/register",
        &json!({ "org": "acme", "token": secrecy::ExposeSecret::expose_secret(&token), "name": "slipway-acme-7", "labels": "self-hosted", "offline": true }),
    );
    let (p, orphan) = plan_for(&state).await;
    let steps: Vec<String> = orphan
        .changes()
        .map(|s| format!("{:?} {}", s.action, s.resource))
        .collect();
    assert_eq!(steps, ["Delete github.runner/slipway-acme-7"]);
    assert!(apply(&orphan, &p, &|_| {}).await.is_success());

    // Teardown: nothing left anywhere.
    state.runners.count = 0;
    let (p, teardown) = plan_for(&state).await;
    assert!(apply(&teardown, &p, &|_| {}).await.is_success());
    assert!(list(&gh, "acme").await.unwrap().is_empty());
    assert!(host::list_runners(&docker, &state.install_id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0);
    assert_eq!(
        fake_github("GET", "/_fake/state", &serde_json::Value::Null)["violations"],
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pat_goes_into_containers_only_when_chosen_and_a_runner_that_never_comes_online_is_named_with_its_logs(
) {
    use slipway_engine::apply::apply;
    use slipway_engine::config::{DesiredState, GithubSettings, RunnerAuthMode};
    use slipway_engine::plan::plan;
    use slipway_engine::runners::provider::{desired_resources, RunnersProvider};

    let _fake = crate::github_fake::FAKE.lock().await;
    fake_github(
        "POST",
        "/_fake/reset",
        &json!({
            "users": { "octo": { "id": 1 } },
            "tokens": { "ghp_in_container": { "login": "octo", "scopes": ["repo", "workflow", "admin:org"] } },
            "orgs": { "acme": { "id": 100, "members": { "octo": "admin" } } }
        }),
    );
    let pat = SecretString::from("ghp_in_container".to_string());
    let work = tempfile::tempdir().unwrap();
    let mut state = DesiredState::new();
    state.github = Some(GithubSettings::for_organization("acme"));
    state.runners.count = 1;
    state.runners.image = runner_image();
    state.runners.network_mode = "host".into();
    state.runners.work_dir = work.path().to_path_buf();
    state.runners.auth = RunnerAuthMode::PatInContainer;
    state.runners.online_timeout_secs = 6;
    let (docker, _) = connect(&DockerEndpoint::resolve(&DockerSettings::default()).unwrap())
        .await
        .unwrap();
    let gh = GithubClient::new(&github_url(), &pat).unwrap();
    let provider = |state: &DesiredState| RunnersProvider {
        access_token: (state.runners.auth == RunnerAuthMode::PatInContainer).then(|| pat.clone()),
        ..runners_provider(&docker, &pat, state)
    };
    let plan_for = |state: &DesiredState| {
        let p = provider(state);
        let desired = desired_resources(state);
        async move {
            let observed = p.observe().await.unwrap();
            (plan(&desired, &observed).unwrap(), p)
        }
    };

    // A registration volume left by a crash, holding a registration GitHub
    // no longer knows: the new runner must register afresh, not reuse it.
    let stale = Command::new("docker")
        .args([
            "run",
            "--rm",
            "-v",
            "slipway-acme-1-registration:/runner-config",
            "--entrypoint",
            "/bin/busybox",
            &runner_image(),
            "sh",
            "-c",
            "echo 999999 > /runner-config/.runner",
        ])
        .output()
        .unwrap();
    assert!(stale.status.success(), "{stale:?}");

    // Chosen: the container holds the PAT (and registers by itself with it).
    let (first, p) = plan_for(&state).await;
    let create = first.changes().next().unwrap();
    assert_eq!(
        create.attributes["auth"], "GitHub token in the container (ACCESS_TOKEN)",
        "the plan says the token goes into the container"
    );
    assert_eq!(
        slipway_engine::runners::provider::runners_holding_token(&first),
        1
    );
    let report = apply(&first, &p, &|_| {}).await;
    assert!(report.is_success(), "{:?}", report.failed);
    let name = container_name("acme", 1);
    let inspect = docker_cli(&["inspect", &name]);
    assert!(
        inspect.contains("ACCESS_TOKEN=ghp_in_container"),
        "{inspect}"
    );
    assert!(!inspect.contains("RUNNER_TOKEN="), "{inspect}");

    // Back to the default: the runner is rebuilt without the PAT, keeping its registration.
    let id = list(&gh, "acme").await.unwrap()[0].id;
    state.runners.auth = RunnerAuthMode::RegistrationToken;
    let (back, p) = plan_for(&state).await;
    assert_eq!(
        slipway_engine::runners::provider::runners_holding_token(&back),
        0
    );
    assert!(apply(&back, &p, &|_| {}).await.is_success());
    let inspect = docker_cli(&["inspect", &name]);
    assert!(!inspect.contains("ghp_in_container"), "{inspect}");
    assert_eq!(
        wait_online(&gh, std::slice::from_ref(&name)).await[0].id,
        id
    );

    // GitHub refuses registrations: apply names the runner and shows its logs.
    fake_github("POST", "/_fake/runners/refuse", &json!({ "refuse": true }));
    state.runners.count = 2;
    let (up, p) = plan_for(&state).await;
    let report = apply(&up, &p, &|_| {}).await;
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    let message = &report.failed[0].1.message;
    assert!(
        message.contains("slipway-acme-2 did not come online in GitHub within 6 s"),
        "{message}"
    );
    assert!(
        message.contains("registration failed"),
        "the container's log: {message}"
    );
    fake_github("POST", "/_fake/runners/refuse", &json!({ "refuse": false }));

    // Teardown leaves nothing.
    state.runners.count = 0;
    let (down, p) = plan_for(&state).await;
    assert!(apply(&down, &p, &|_| {}).await.is_success());
    assert!(host::list_runners(&docker, &state.install_id)
        .await
        .unwrap()
        .is_empty());
    assert!(list(&gh, "acme").await.unwrap().is_empty());
    assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_installs_runners_are_reported_and_removed_only_when_asked() {
    use slipway_engine::apply::apply;
    use slipway_engine::config::{DesiredState, GithubSettings};
    use slipway_engine::plan::{plan, PlanError};
    use slipway_engine::runners::provider::{desired_resources, RunnersProvider};

    let _fake = crate::github_fake::FAKE.lock().await;
    fake_github(
        "POST",
        "/_fake/reset",
        &json!({
            "users": { "octo": { "id": 1 } },
            "tokens": { "ghp_strays": { "login": "octo", "scopes": ["repo", "workflow", "admin:org"] } },
            "orgs": { "acme": { "id": 100, "members": { "octo": "admin" } } }
        }),
    );
    let pat = SecretString::from("ghp_strays".to_string());
    let gh = GithubClient::new(&github_url(), &pat).unwrap();
    let (docker, _) = connect(&DockerEndpoint::resolve(&DockerSettings::default()).unwrap())
        .await
        .unwrap();
    let state_for = |work: &std::path::Path, count: u32| {
        let mut state = DesiredState::new();
        state.github = Some(GithubSettings::for_organization("acme"));
        state.runners.count = count;
        state.runners.image = runner_image();
        state.runners.network_mode = "host".into();
        state.runners.work_dir = work.to_path_buf();
        state
    };
    let provider = |state: &DesiredState, remove_strays: bool| RunnersProvider {
        remove_strays,
        ..runners_provider(&docker, &pat, state)
    };
    let plan_for = |state: &DesiredState, remove_strays: bool| {
        let p = provider(state, remove_strays);
        let desired = desired_resources(state);
        async move {
            let observed = p.observe().await.unwrap();
            (plan(&desired, &observed), p)
        }
    };

    // Another install (a lost config, a second machine) runs two runners.
    let their_work = tempfile::tempdir().unwrap();
    let theirs = state_for(their_work.path(), 2);
    let (their_plan, p) = plan_for(&theirs, false).await;
    assert!(apply(&their_plan.unwrap(), &p, &|_| {}).await.is_success());
    wait_online(&gh, &[container_name("acme", 1), container_name("acme", 2)]).await;

    // Ours wants one runner: its name is taken, so the plan refuses, and the
    // two strays are reported.
    let our_work = tempfile::tempdir().unwrap();
    let ours = state_for(our_work.path(), 1);
    let (refused, _) = plan_for(&ours, false).await;
    assert!(
        matches!(refused, Err(PlanError::NotOwned(ref id)) if id.to_string() == "docker.runner/slipway-acme-1"),
        "{refused:?}"
    );
    let observed = provider(&ours, false).observe().await.unwrap();
    let strays: Vec<String> = observed
        .iter()
        .filter(|o| o.id.kind == "docker.stray_runner")
        .map(|o| format!("{} {}", o.id.name, o.owned))
        .collect();
    assert_eq!(strays, ["slipway-acme-1 false", "slipway-acme-2 false"]);

    // Asked to remove them: they go first (deregistered, work directories
    // gone), then ours is created under the freed name.
    let (cleanup, p) = plan_for(&ours, true).await;
    let cleanup = cleanup.unwrap();
    let mut steps: Vec<String> = cleanup
        .changes()
        .map(|s| format!("{:?} {}", s.action, s.resource))
        .collect();
    assert_eq!(steps.pop().unwrap(), "Create docker.runner/slipway-acme-1");
    steps.sort();
    assert_eq!(
        steps,
        [
            "Delete docker.stray_runner/slipway-acme-1",
            "Delete docker.stray_runner/slipway-acme-2"
        ]
    );
    let report = apply(&cleanup, &p, &|_| {}).await;
    assert!(report.is_success(), "{:?}", report.failed);
    assert!(host::list_runners(&docker, &theirs.install_id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(std::fs::read_dir(their_work.path()).unwrap().count(), 0);
    let online = wait_online(&gh, &[container_name("acme", 1)]).await;
    assert_eq!(online.len(), 1, "the strays' registrations are gone");
    assert_eq!(
        host::list_runners(&docker, &ours.install_id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Teardown of ours leaves nothing.
    let mut empty = ours.clone();
    empty.runners.count = 0;
    let (down, p) = plan_for(&empty, false).await;
    assert!(apply(&down.unwrap(), &p, &|_| {}).await.is_success());
    assert!(list(&gh, "acme").await.unwrap().is_empty());
    assert!(host::list_runners(&docker, &ours.install_id)
        .await
        .unwrap()
        .is_empty());
}
