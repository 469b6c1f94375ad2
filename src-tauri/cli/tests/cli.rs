//! The `slipway` command as a user runs it: doctor (text and JSON) and
//! config, against the real peers that scripts/test-all.sh starts.

use std::process::Command;

fn slipway(args: &[&str], config_dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(args)
        .env("SLIPWAY_CONFIG_DIR", config_dir)
        .output()
        .expect("slipway runs")
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
