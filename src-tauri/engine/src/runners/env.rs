//! The environment a runner container gets, built in one place so its rules
//! are tested once. It follows the `myoung34/github-runner` contract:
//! organization scope, a name, labels, a group, a work directory, and a
//! directory that keeps the registration across restarts.
//!
//! On/off flags (`EPHEMERAL`, `DISABLE_AUTO_UPDATE`, ...) are switched ON by
//! any non-empty value in that image, `false` and `0` included, so "off" is
//! expressed by leaving the variable out, never by a value.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

/// Labels every Slipway runner carries, before the user's own.
pub const BASE_LABELS: [&str; 3] = ["self-hosted", "linux", "slipway"];

/// How the container authenticates to GitHub.
pub enum RunnerAuth {
    /// A one-hour registration token minted by Slipway (default): no
    /// long-lived secret in the container.
    RegistrationToken(SecretString),
    /// The PAT itself, so the container can re-register on its own. Only when
    /// the user chose it after being warned that `docker inspect` shows it.
    AccessToken(SecretString),
}

pub struct RunnerSpec {
    pub organization: String,
    pub name: String,
    pub extra_labels: Vec<String>,
    pub group: Option<String>,
    /// Bind-mounted at the same path inside and outside; one per runner.
    pub work_dir: PathBuf,
    /// Where the registration is kept across container restarts.
    pub registration_dir: PathBuf,
    pub ephemeral: bool,
    pub disable_auto_update: bool,
    /// GitHub Enterprise Server's host (the image's `GITHUB_HOST`); `None`
    /// for github.com.
    pub github_host: Option<String>,
}

/// One environment variable; secret values are kept apart so they can be
/// redacted wherever the environment is shown.
pub struct EnvVar {
    pub name: &'static str,
    pub value: String,
    pub secret: bool,
}

impl std::fmt::Debug for EnvVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = if self.secret {
            "[redacted]"
        } else {
            self.value.as_str()
        };
        write!(f, "{}={shown}", self.name)
    }
}

/// `BASE_LABELS` then the user's labels, without duplicates or blanks.
pub fn labels(extra: &[String]) -> Vec<String> {
    let mut out: Vec<String> = BASE_LABELS.iter().map(|l| l.to_string()).collect();
    for label in extra.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        if !out.iter().any(|have| have.eq_ignore_ascii_case(label)) {
            out.push(label.to_string());
        }
    }
    out
}

/// The container's environment, in a stable order.
pub fn environment(spec: &RunnerSpec, auth: &RunnerAuth) -> Vec<EnvVar> {
    let plain = |name, value: String| EnvVar {
        name,
        value,
        secret: false,
    };
    let mut env = vec![
        plain("RUNNER_SCOPE", "org".into()),
        plain("ORG_NAME", spec.organization.clone()),
        plain("RUNNER_NAME", spec.name.clone()),
        plain("LABELS", labels(&spec.extra_labels).join(",")),
        plain("RUNNER_WORKDIR", spec.work_dir.display().to_string()),
        plain(
            "CONFIGURED_ACTIONS_RUNNER_FILES_DIR",
            spec.registration_dir.display().to_string(),
        ),
        // On: keep the registration when the container stops; Slipway
        // deregisters through the API when it removes a runner.
        plain("DISABLE_AUTOMATIC_DEREGISTRATION", "true".into()),
    ];
    if let Some(host) = &spec.github_host {
        env.push(plain("GITHUB_HOST", host.clone()));
    }
    if let Some(group) = spec.group.as_ref().filter(|g| !g.trim().is_empty()) {
        env.push(plain("RUNNER_GROUP", group.clone()));
    }
    if spec.ephemeral {
        env.push(plain("EPHEMERAL", "true".into()));
    }
    if spec.disable_auto_update {
        env.push(plain("DISABLE_AUTO_UPDATE", "true".into()));
    }
    match auth {
        RunnerAuth::RegistrationToken(t) => env.push(EnvVar {
            name: "RUNNER_TOKEN",
            value: t.expose_secret().to_string(),
            secret: true,
        }),
        RunnerAuth::AccessToken(t) => env.push(EnvVar {
            name: "ACCESS_TOKEN",
            value: t.expose_secret().to_string(),
            secret: true,
        }),
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RunnerSpec {
        RunnerSpec {
            organization: "acme".into(),
            name: "slipway-acme-1".into(),
            extra_labels: vec!["gpu".into(), "Linux".into(), " ".into()],
            group: None,
            work_dir: "/var/lib/slipway/work/slipway-acme-1".into(),
            registration_dir: "/runner-config".into(),
            ephemeral: false,
            disable_auto_update: false,
            github_host: None,
        }
    }

    fn names(env: &[EnvVar]) -> Vec<&str> {
        env.iter().map(|e| e.name).collect()
    }

    #[test]
    fn the_default_mode_passes_only_a_registration_token() {
        let env = environment(
            &spec(),
            &RunnerAuth::RegistrationToken(SecretString::from("AREGTOKEN".to_string())),
        );
        assert_eq!(
            names(&env),
            [
                "RUNNER_SCOPE",
                "ORG_NAME",
                "RUNNER_NAME",
                "LABELS",
                "RUNNER_WORKDIR",
                "CONFIGURED_ACTIONS_RUNNER_FILES_DIR",
                "DISABLE_AUTOMATIC_DEREGISTRATION",
                "RUNNER_TOKEN",
            ]
        );
        assert_eq!(env[3].value, "self-hosted,linux,slipway,gpu");
        assert!(env.iter().all(|e| e.name != "ACCESS_TOKEN"));
        assert!(env.last().unwrap().secret);
        assert!(
            !format!("{env:?}").contains("AREGTOKEN"),
            "debug output redacts secrets"
        );
    }

    #[test]
    fn off_flags_are_left_out_and_on_flags_are_set() {
        let env = environment(
            &spec(),
            &RunnerAuth::RegistrationToken(SecretString::from("t".to_string())),
        );
        for flag in ["EPHEMERAL", "DISABLE_AUTO_UPDATE", "NO_DEFAULT_LABELS"] {
            assert!(
                !names(&env).contains(&flag),
                "{flag} must be absent to mean off"
            );
        }
        let mut on = spec();
        on.ephemeral = true;
        on.disable_auto_update = true;
        on.group = Some("builders".into());
        let env = environment(
            &on,
            &RunnerAuth::RegistrationToken(SecretString::from("t".to_string())),
        );
        for flag in ["EPHEMERAL", "DISABLE_AUTO_UPDATE", "RUNNER_GROUP"] {
            assert!(names(&env).contains(&flag), "{flag}");
        }
    }

    #[test]
    fn the_access_token_mode_is_explicit() {
        let env = environment(
            &spec(),
            &RunnerAuth::AccessToken(SecretString::from("ghp_x".to_string())),
        );
        assert_eq!(env.last().unwrap().name, "ACCESS_TOKEN");
        assert!(env.iter().all(|e| e.name != "RUNNER_TOKEN"));
    }
}
