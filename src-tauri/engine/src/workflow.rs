//! The generated build-and-push workflow: a typed model rendered to YAML, one
//! file per repository. Branch names reach the shell only through `env:`
//! (never `${{ }}` inside `run:`), and the shell computes the same branch slug
//! as [`crate::aws::naming::slug`], so the image lands in the repository
//! Slipway created for that branch.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::aws::naming;

/// Where the file goes in each repository unless configured otherwise.
pub const DEFAULT_WORKFLOW_PATH: &str = ".github/workflows/slipway-ecr.yml";
/// First line of every generated file; how Slipway recognizes its own file.
pub const MANAGED_MARKER: &str = "# Managed by Slipway";

/// The actions used, at their current major versions.
pub const CHECKOUT: (&str, &str) = ("actions/checkout", "v6");
pub const CONFIGURE_AWS: (&str, &str) = ("aws-actions/configure-aws-credentials", "v6");
pub const ECR_LOGIN: (&str, &str) = ("aws-actions/amazon-ecr-login", "v2");
pub const SETUP_BUILDX: (&str, &str) = ("docker/setup-buildx-action", "v4");
pub const BUILD_PUSH: (&str, &str) = ("docker/build-push-action", "v7");

/// How the job gets AWS credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsCredentialsSource {
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` repository secrets.
    RepositorySecrets,
    /// Assume this role with GitHub's OIDC token.
    OidcRole { role_arn: String },
}

/// Which pushes build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Branches(Vec<String>),
    AllBranches,
}

/// Everything one repository's workflow depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowSpec {
    pub install_id: String,
    /// The GitHub repository (its name, as in `acme/<name>`).
    pub repository: String,
    pub region: String,
    /// ECR repository prefix; the image is `<registry>/<prefix>/<repo-slug>/<branch-slug>`.
    pub repository_prefix: String,
    pub credentials: AwsCredentialsSource,
    pub trigger: Trigger,
    /// Runner labels after `self-hosted`.
    pub runner_labels: Vec<String>,
    pub dockerfile: String,
    pub context: String,
    /// Action (`owner/name`) → full commit SHA to pin it to.
    pub pins: BTreeMap<String, String>,
}

/// Per-repository build overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildSettings {
    #[serde(default = "default_dockerfile")]
    pub dockerfile: String,
    #[serde(default = "default_context")]
    pub context: String,
}

impl Default for BuildSettings {
    fn default() -> Self {
        Self {
            dockerfile: default_dockerfile(),
            context: default_context(),
        }
    }
}

fn default_dockerfile() -> String {
    "Dockerfile".into()
}
fn default_context() -> String {
    ".".into()
}

/// A YAML scalar: plain when unambiguous, otherwise double-quoted (JSON
/// string syntax is valid YAML).
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
        && !s.starts_with(['-', '.'])
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "~"
        )
        && s.parse::<f64>().is_err();
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("strings serialize")
    }
}

/// `uses:` value: the major tag, or the pinned SHA with the tag as a comment.
fn uses(spec: &WorkflowSpec, (action, major): (&str, &str)) -> String {
    match spec.pins.get(action) {
        Some(sha) => format!("{action}@{sha} # {major}"),
        None => format!("{action}@{major}"),
    }
}

/// Shell that turns `$BRANCH` into the ECR path component, exactly as
/// `naming::slug` does (lowercase; other characters → `-`; a run of several
/// separators → one `-`; trimmed; over 60 characters → cut to 51 plus `-` and
/// 8 hex digits of the branch's SHA-256).
pub const SLUG_SCRIPT: &str = r#"slug=$(printf '%s' "$BRANCH" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9._-' '-' \
  | sed -E 's/[._-]{2,}/-/g; s/^[._-]+//; s/[._-]+$//')
if [ -z "$slug" ]; then
  echo "::error::branch '$BRANCH' has no letters or digits, so it cannot name an ECR repository"
  exit 1
fi
if [ "${#slug}" -gt 60 ]; then
  hash=$(printf '%s' "$BRANCH" | sha256sum | cut -c1-8)
  slug="$(printf '%s' "$slug" | cut -c1-51 | sed -E 's/[._-]+$//')-$hash"
fi"#;

/// Renders the workflow file.
pub fn render(spec: &WorkflowSpec) -> Result<String, naming::NamingError> {
    naming::validate_prefix(&spec.repository_prefix)?;
    let repo_path = format!(
        "{}/{}",
        spec.repository_prefix,
        naming::slug(&spec.repository)?
    );
    let oidc = matches!(spec.credentials, AwsCredentialsSource::OidcRole { .. });
    let mut y = String::new();
    let w = &mut y;
    let _ = writeln!(
        w,
        "{MANAGED_MARKER} (install {}). Edit Slipway's settings instead of this file:",
        spec.install_id
    );
    let _ = writeln!(
        w,
        "# Slipway rewrites it when they change, and shows the difference first."
    );
    let _ = writeln!(w, "name: Build and push to Amazon ECR");
    let _ = writeln!(w);
    let _ = writeln!(w, "on:");
    let _ = writeln!(w, "  push:");
    match &spec.trigger {
        Trigger::AllBranches => {
            let _ = writeln!(w, "    branches: [\"**\"]");
        }
        Trigger::Branches(branches) => {
            let _ = writeln!(w, "    branches:");
            for b in branches {
                let _ = writeln!(w, "      - {}", scalar(b));
            }
        }
    }
    let _ = writeln!(w, "  workflow_dispatch:");
    let _ = writeln!(w);
    let _ = writeln!(w, "permissions:");
    let _ = writeln!(w, "  contents: read");
    if oidc {
        let _ = writeln!(w, "  id-token: write");
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "concurrency:");
    let _ = writeln!(w, "  group: slipway-ecr-${{{{ github.ref }}}}");
    let _ = writeln!(w, "  cancel-in-progress: true");
    let _ = writeln!(w);
    let _ = writeln!(w, "jobs:");
    let _ = writeln!(w, "  build-and-push:");
    let labels: Vec<String> = std::iter::once("self-hosted".to_string())
        .chain(
            spec.runner_labels
                .iter()
                .filter(|l| l.as_str() != "self-hosted")
                .cloned(),
        )
        .map(|l| scalar(&l))
        .collect();
    let _ = writeln!(w, "    runs-on: [{}]", labels.join(", "));
    let _ = writeln!(w, "    timeout-minutes: 60");
    let _ = writeln!(w, "    steps:");
    let _ = writeln!(w, "      - uses: {}", uses(spec, CHECKOUT));
    let _ = writeln!(w);
    let _ = writeln!(w, "      - name: Configure AWS credentials");
    let _ = writeln!(w, "        uses: {}", uses(spec, CONFIGURE_AWS));
    let _ = writeln!(w, "        with:");
    let _ = writeln!(w, "          aws-region: {}", scalar(&spec.region));
    match &spec.credentials {
        AwsCredentialsSource::RepositorySecrets => {
            let _ = writeln!(
                w,
                "          aws-access-key-id: ${{{{ secrets.AWS_ACCESS_KEY_ID }}}}"
            );
            let _ = writeln!(
                w,
                "          aws-secret-access-key: ${{{{ secrets.AWS_SECRET_ACCESS_KEY }}}}"
            );
        }
        AwsCredentialsSource::OidcRole { role_arn } => {
            let _ = writeln!(w, "          role-to-assume: {}", scalar(role_arn));
            let _ = writeln!(
                w,
                "          role-session-name: slipway-${{{{ github.run_id }}}}"
            );
        }
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "      - name: Log in to Amazon ECR");
    let _ = writeln!(w, "        id: ecr");
    let _ = writeln!(w, "        uses: {}", uses(spec, ECR_LOGIN));
    let _ = writeln!(w);
    let _ = writeln!(w, "      - name: Name the image");
    let _ = writeln!(w, "        id: image");
    let _ = writeln!(w, "        env:");
    let _ = writeln!(w, "          BRANCH: ${{{{ github.ref_name }}}}");
    let _ = writeln!(
        w,
        "          REGISTRY: ${{{{ steps.ecr.outputs.registry }}}}"
    );
    let _ = writeln!(w, "        run: |");
    for line in SLUG_SCRIPT.lines() {
        let _ = writeln!(w, "          {line}");
    }
    let _ = writeln!(
        w,
        "          echo \"name=$REGISTRY/{repo_path}/$slug\" >> \"$GITHUB_OUTPUT\""
    );
    let _ = writeln!(w);
    let _ = writeln!(w, "      - uses: {}", uses(spec, SETUP_BUILDX));
    let _ = writeln!(w);
    let _ = writeln!(w, "      - name: Build and push");
    let _ = writeln!(w, "        uses: {}", uses(spec, BUILD_PUSH));
    let _ = writeln!(w, "        with:");
    let _ = writeln!(w, "          context: {}", scalar(&spec.context));
    let _ = writeln!(w, "          file: {}", scalar(&spec.dockerfile));
    let _ = writeln!(w, "          push: true");
    let _ = writeln!(w, "          tags: |");
    let _ = writeln!(w, "            ${{{{ steps.image.outputs.name }}}}:latest");
    let _ = writeln!(
        w,
        "            ${{{{ steps.image.outputs.name }}}}:${{{{ github.sha }}}}"
    );
    Ok(y)
}

#[cfg(test)]
pub(crate) mod tests;
