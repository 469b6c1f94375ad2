//! The `slipway` command as a user runs it: doctor (text and JSON) and
//! config, against the real peers that scripts/test-all.sh starts.

use std::process::Command;

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

fn reset_moto() -> String {
    use std::io::{Read, Write};
    let url = std::env::var("SLIPWAY_TEST_MOTO_URL")
        .expect("SLIPWAY_TEST_MOTO_URL is set by scripts/test-all.sh");
    let addr = url.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&addr).expect("moto answers");
    write!(stream, "POST /moto-api/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    url
}

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
