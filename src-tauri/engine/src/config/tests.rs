//! Tests of loading, saving, migrating and rejecting desired-state files.

use super::*;

fn store_in(dir: &tempfile::TempDir) -> ConfigStore {
    ConfigStore::at(dir.path().join(CONFIG_FILE_NAME))
}

#[test]
fn missing_file_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(store_in(&dir).load().unwrap().is_none());
}

#[test]
fn save_then_load_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let mut state = DesiredState::new();
    state.github = Some({
        let mut g = GithubSettings::for_organization("acme");
        g.repositories = vec!["api".into(), "web".into()];
        g.branches = default_branches();
        g.organization_id = Some(1);
        g.repository_ids = BTreeMap::from([("api".to_string(), 2)]);
        g
    });
    state.aws = Some(AwsSettings::for_region("eu-west-1"));
    state.runners.count = 5;
    store.save(&state).unwrap();
    let loaded = store.load().unwrap().unwrap();
    assert_eq!(loaded.state, state);
    assert!(loaded.migrated_backup.is_none());
    assert!(!dir.path().join("slipway.toml.tmp").exists());
}

#[test]
fn corrupt_file_names_path_line_and_column_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let text =
        "schema_version = 2\ninstall_id = \"x\"\n[runners]\ncount = \"three\"\nimage = \"i\"\n";
    std::fs::write(store.path(), text).unwrap();
    let err = store.load().unwrap_err();
    match &err {
        ConfigError::Parse {
            line,
            column,
            message,
            path,
        } => {
            assert_eq!(path, store.path());
            assert_eq!((*line, *column), (4, 9), "{message}");
            assert!(message.contains("expected a whole number"), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    let shown = err.to_string();
    assert!(shown.contains("slipway.toml, line 4, column 9"), "{shown}");
    assert_eq!(std::fs::read_to_string(store.path()).unwrap(), text);
}

#[test]
fn broken_toml_syntax_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    std::fs::write(
        store.path(),
        "schema_version = 2\n\ninstall_id = \"unterminated\n",
    )
    .unwrap();
    match store.load().unwrap_err() {
        ConfigError::Parse { line, .. } => assert_eq!(line, 3),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn unknown_keys_are_rejected_rather_than_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    std::fs::write(
        store.path(),
        "schema_version = 2\ninstall_id = \"x\"\naws_secret_access_key = \"oops\"\n",
    )
    .unwrap();
    let err = store.load().unwrap_err().to_string();
    assert!(err.contains("aws_secret_access_key"), "{err}");
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    std::fs::write(store.path(), "schema_version = 99\ninstall_id = \"x\"\n").unwrap();
    assert!(matches!(
        store.load().unwrap_err(),
        ConfigError::TooNew { found: 99, .. }
    ));
}

#[test]
fn v1_file_is_migrated_with_a_backup_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let v1 = "schema_version = 1\ninstall_id = \"abc\"\n[docker]\nhost = \"unix:///run/docker.sock\"\nrunners = 4\nrunner_labels = [\"gpu\"]\n";
    std::fs::write(store.path(), v1).unwrap();

    let loaded = store.load().unwrap().unwrap();
    assert_eq!(loaded.state.schema_version, CURRENT_SCHEMA_VERSION);
    assert_eq!(loaded.state.install_id, "abc");
    assert_eq!(loaded.state.runners.count, 4);
    assert_eq!(loaded.state.runners.labels, vec!["gpu".to_string()]);
    assert_eq!(loaded.state.runners.image, DEFAULT_RUNNER_IMAGE);
    assert_eq!(
        loaded.state.docker.host.as_deref(),
        Some("unix:///run/docker.sock")
    );

    let backup = loaded.migrated_backup.expect("a backup path");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), v1);
    // The file on disk is now the current version and loads without migrating.
    let again = store.load().unwrap().unwrap();
    assert!(again.migrated_backup.is_none());
    assert_eq!(again.state, loaded.state);
}

#[test]
fn a_second_migration_never_overwrites_an_earlier_backup() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let first = "schema_version = 1\ninstall_id = \"first\"\n";
    let second = "schema_version = 1\ninstall_id = \"second\"\n";
    std::fs::write(store.path(), first).unwrap();
    let b1 = store.load().unwrap().unwrap().migrated_backup.unwrap();
    std::fs::write(store.path(), second).unwrap();
    let b2 = store.load().unwrap().unwrap().migrated_backup.unwrap();
    assert_ne!(b1, b2);
    assert_eq!(std::fs::read_to_string(b1).unwrap(), first);
    assert_eq!(std::fs::read_to_string(b2).unwrap(), second);
}

#[test]
fn runner_settings_are_checked_against_the_cap_and_the_contract() {
    let mut runners = RunnerSettings {
        count: 33,
        labels: vec![" gpu ".into(), "".into()],
        ..RunnerSettings::default()
    };
    let err = runners.validate().unwrap_err();
    assert!(
        err.contains("above this install's cap of 32") && err.contains("max_count"),
        "{err}"
    );
    runners.max_count = 40;
    runners.validate().unwrap();
    assert_eq!(runners.labels, ["gpu"]);

    runners.labels = vec!["a,b".into()];
    assert!(runners.validate().unwrap_err().contains("on its own"));
    runners.labels.clear();
    runners.network_mode = "none".into();
    assert!(runners.validate().unwrap_err().contains("bridge"));
    runners.network_mode = "host".into();
    runners.work_dir = "relative/work".into();
    assert!(runners.validate().unwrap_err().contains("absolute path"));
    runners.work_dir = "/srv/work".into();
    runners.image = "  ".into();
    assert!(runners
        .validate()
        .unwrap_err()
        .contains("name the runner image"));
}

#[test]
fn runner_auth_and_registry_settings_round_trip_and_default_to_no_secret_in_containers() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let mut state = DesiredState::new();
    assert_eq!(state.runners.auth, RunnerAuthMode::RegistrationToken);
    state.runners.auth = RunnerAuthMode::PatInContainer;
    state.runners.registry_username = Some("ci-bot".into());
    state.docker.ssh_identity = Some("/home/me/.ssh/id_ed25519".into());
    store.save(&state).unwrap();
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert!(text.contains("auth = \"pat-in-container\""), "{text}");
    assert_eq!(store.load().unwrap().unwrap().state, state);
}
