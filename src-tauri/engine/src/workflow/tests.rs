//! Golden-file tests of every workflow variant, and the rules each one keeps.
//! Set SLIPWAY_UPDATE_GOLDEN=1 to rewrite the files after an intended change
//! (then read the diff). actionlint checks the same files in tests/peers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;

fn base() -> WorkflowSpec {
    WorkflowSpec {
        install_id: "0b7e6f1c-golden".into(),
        repository: "api".into(),
        region: "eu-west-1".into(),
        repository_prefix: "slipway".into(),
        credentials: AwsCredentialsSource::RepositorySecrets,
        trigger: Trigger::Branches(vec!["main".into()]),
        runner_labels: vec!["linux".into(), "slipway".into()],
        dockerfile: "Dockerfile".into(),
        context: ".".into(),
        pins: BTreeMap::new(),
    }
}

/// Every variant the generator supports, by golden-file name.
pub(crate) fn variants() -> Vec<(&'static str, WorkflowSpec)> {
    let mut all_branches = base();
    all_branches.trigger = Trigger::AllBranches;
    let mut oidc = base();
    oidc.credentials = AwsCredentialsSource::OidcRole {
        role_arn: "arn:aws:iam::123456789012:role/slipway/slipway-ecr-push".into(),
    };
    let mut pinned = base();
    for (action, sha) in [
        (CHECKOUT.0, "08eba0b27e820071cde6df949e0beb9ba4906955"),
        (CONFIGURE_AWS.0, "a03048d87541d1d9fcf2ecf528a4a65ba9bd7838"),
        (ECR_LOGIN.0, "062b18b96a7aff071d4dc91bc00c4c1a7945b076"),
        (SETUP_BUILDX.0, "e468171a9de216ec08956ac3ada2f0791b6bd435"),
        (BUILD_PUSH.0, "263435318d21b8e681c14492fe198d362a7d2c83"),
    ] {
        pinned.pins.insert(action.to_string(), sha.to_string());
    }
    let mut custom = base();
    custom.repository = "Web.Frontend".into();
    custom.trigger = Trigger::Branches(vec!["main".into(), "release/*".into(), "on".into()]);
    custom.runner_labels = vec!["linux".into(), "slipway".into(), "gpu".into()];
    custom.dockerfile = "docker/app.Dockerfile".into();
    custom.context = "app".into();
    vec![
        ("secrets-default-branch", base()),
        ("secrets-all-branches", all_branches),
        ("oidc-role", oidc),
        ("pinned-by-sha", pinned),
        ("custom-build-and-labels", custom),
    ]
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/workflow/golden")
}

#[test]
fn each_variant_matches_its_golden_file() {
    let update = std::env::var_os("SLIPWAY_UPDATE_GOLDEN").is_some();
    for (name, spec) in variants() {
        let rendered = render(&spec).unwrap();
        let path = golden_dir().join(format!("{name}.yml"));
        if update {
            std::fs::write(&path, &rendered).unwrap();
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "{} is missing; run with SLIPWAY_UPDATE_GOLDEN=1",
                path.display()
            )
        });
        assert_eq!(rendered, golden, "{name} differs from {}", path.display());
    }
}

#[test]
fn no_expression_is_ever_inside_a_run_script() {
    for (name, spec) in variants() {
        let text = render(&spec).unwrap();
        let mut in_run = false;
        for line in text.lines() {
            if line.trim_start().starts_with("run: |") {
                in_run = true;
                continue;
            }
            if in_run && !line.starts_with("          ") {
                in_run = false;
            }
            if in_run {
                assert!(
                    !line.contains("${{"),
                    "{name}: expression inside run: {line}"
                );
            }
        }
        assert!(text.contains("BRANCH: ${{ github.ref_name }}"), "{name}");
    }
}

#[test]
fn the_file_is_marked_and_names_the_right_image_path() {
    let text = render(&base()).unwrap();
    assert!(text.starts_with("# Managed by Slipway (install 0b7e6f1c-golden)"));
    assert!(text.contains("echo \"name=$REGISTRY/slipway/api/$slug\""));
    let mut custom = base();
    custom.repository = "Web.Frontend".into();
    assert!(render(&custom)
        .unwrap()
        .contains("$REGISTRY/slipway/web.frontend/$slug"));
}

#[test]
fn oidc_asks_for_an_id_token_and_secrets_mode_does_not() {
    let secrets = render(&base()).unwrap();
    assert!(!secrets.contains("id-token") && secrets.contains("secrets.AWS_SECRET_ACCESS_KEY"));
    let (_, oidc) = variants()
        .into_iter()
        .find(|(n, _)| *n == "oidc-role")
        .unwrap();
    let oidc = render(&oidc).unwrap();
    assert!(oidc.contains("  id-token: write") && !oidc.contains("secrets."));
}

#[test]
fn pins_replace_tags_and_keep_the_major_as_a_comment() {
    let (_, pinned) = variants()
        .into_iter()
        .find(|(n, _)| *n == "pinned-by-sha")
        .unwrap();
    let text = render(&pinned).unwrap();
    assert!(text.contains("uses: actions/checkout@08eba0b27e820071cde6df949e0beb9ba4906955 # v6"));
    assert!(!text.contains("@v7\n") && !text.contains("@v6\n"));
}

#[test]
fn scalars_that_yaml_would_misread_are_quoted() {
    assert_eq!(scalar("main"), "main");
    assert_eq!(scalar("release/1.2"), "release/1.2");
    for tricky in [
        "on",
        "yes",
        "No",
        "1.0",
        "release/*",
        "a: b",
        "-x",
        "#hash",
        "",
    ] {
        let q = scalar(tricky);
        assert!(q.starts_with('"'), "{tricky} → {q}");
        assert_eq!(serde_json::from_str::<String>(&q).unwrap(), tricky);
    }
}

#[test]
fn a_bad_prefix_is_refused() {
    let mut spec = base();
    spec.repository_prefix = "Not Valid".into();
    assert!(render(&spec).is_err());
}
