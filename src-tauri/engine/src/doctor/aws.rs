//! Doctor check: which AWS credentials the default chain would find, from the
//! environment and the shared config/credentials files (named profiles,
//! including SSO). Nothing is resolved over the network and no secret or key
//! id is shown: only where credentials come from.

use aws_types::os_shim_internal::{Env, Fs};

use super::{Check, Status};
use crate::aws::profiles::discover_in;

const TITLE: &str = "AWS credentials";

pub(super) async fn check() -> Check {
    check_in(&Env::real(), &Fs::real()).await
}

/// The check against a given environment and file system (tests pass fakes
/// of the process environment; the parsing is aws-config's own).
async fn check_in(env: &Env, fs: &Fs) -> Check {
    let sources = match discover_in(env, fs).await {
        Ok(s) => s,
        Err(problem) => {
            return Check::new(
                "aws",
                TITLE,
                Status::Error,
                "the AWS config files could not be read",
            )
            .fix(format!(
                "{problem}. Fix ~/.aws/config or ~/.aws/credentials"
            ))
        }
    };
    let usable: Vec<String> = sources
        .profiles
        .iter()
        .map(|p| format!("{} ({})", p.name, p.kind))
        .collect();
    let mut env_sources = Vec::new();
    if sources.env_keys {
        env_sources.push("environment variables".to_string());
    }
    if sources.env_web_identity {
        env_sources.push("web identity token (environment)".to_string());
    }
    let mut check = if usable.is_empty() && env_sources.is_empty() {
        Check::new("aws", TITLE, Status::Warning, "no AWS credentials found")
            .fix("Run `aws configure sso` or `aws configure` for an admin profile, or type admin keys in the AWS step (kept in memory only)")
    } else {
        let count = usable.len() + env_sources.len();
        Check::new(
            "aws",
            TITLE,
            Status::Ok,
            format!("{count} credential source(s) found"),
        )
    };
    if !env_sources.is_empty() {
        check = check.detail("Environment", env_sources.join(", "));
    }
    if !usable.is_empty() {
        check = check.detail("Profiles", usable.join(", "));
    }
    check.detail("Selected profile", sources.selected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
[profile admin-sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = AdministratorAccess
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[profile deployer]
role_arn = arn:aws:iam::123456789012:role/deploy
source_profile = default

[profile region-only]
region = us-east-1
";
    const CREDENTIALS: &str = "[default]\naws_access_key_id = AKIAEXAMPLEKEYID1234\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

    fn fs() -> Fs {
        Fs::from_slice(&[
            ("/home/u/.aws/config", CONFIG),
            ("/home/u/.aws/credentials", CREDENTIALS),
        ])
    }

    #[tokio::test]
    async fn lists_profiles_by_kind_including_sso_and_never_shows_keys() {
        let env = Env::from_slice(&[("HOME", "/home/u"), ("AWS_PROFILE", "admin-sso")]);
        let check = check_in(&env, &fs()).await;
        assert_eq!(check.status, Status::Ok);
        let profiles = &check
            .details
            .iter()
            .find(|d| d.label == "Profiles")
            .unwrap()
            .value;
        assert_eq!(
            profiles,
            "admin-sso (SSO), default (access key), deployer (assume role)"
        );
        assert_eq!(check.details.last().unwrap().value, "admin-sso");
        let shown = format!("{check:?}");
        assert!(
            !shown.contains("AKIAEXAMPLE") && !shown.contains("wJalrXUtn"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn environment_keys_count_as_a_source() {
        let env = Env::from_slice(&[
            ("HOME", "/nowhere"),
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEYID1234"),
            ("AWS_SECRET_ACCESS_KEY", "secret-value"),
        ]);
        let check = check_in(&env, &Fs::from_slice(&[])).await;
        assert_eq!(check.status, Status::Ok);
        assert_eq!(check.details[0].value, "environment variables");
        assert!(!format!("{check:?}").contains("secret-value"));
    }

    #[tokio::test]
    async fn nothing_found_says_how_to_add_credentials() {
        let env = Env::from_slice(&[("HOME", "/nowhere")]);
        let check = check_in(&env, &Fs::from_slice(&[])).await;
        assert_eq!(check.status, Status::Warning);
        assert!(check.fix.unwrap().contains("aws configure sso"));
    }
}
