//! Where admin AWS credentials could come from: environment variables and
//! the named profiles of the shared config files (SSO ones included), read
//! with aws-config's own parser. Nothing is resolved over the network and no
//! key is read out: only names, kinds and default regions.

use aws_config::profile::ProfileSet;
use aws_types::os_shim_internal::{Env, Fs};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileInfo {
    pub name: String,
    /// How it gets credentials: "SSO", "assume role", "access key", ...
    pub kind: &'static str,
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialSources {
    /// Profiles that can produce credentials, sorted by name.
    pub profiles: Vec<ProfileInfo>,
    pub env_keys: bool,
    pub env_web_identity: bool,
    /// `AWS_PROFILE`, or "default".
    pub selected: String,
}

/// How a profile gets its credentials; `None` when it cannot (region-only).
fn profile_kind(set: &ProfileSet, name: &str) -> Option<&'static str> {
    let p = set.get_profile(name)?;
    Some(
        if p.get("sso_session").is_some() || p.get("sso_start_url").is_some() {
            "SSO"
        } else if p.get("role_arn").is_some() {
            "assume role"
        } else if p.get("credential_process").is_some() {
            "credential process"
        } else if p.get("web_identity_token_file").is_some() {
            "web identity"
        } else if p.get("aws_access_key_id").is_some() {
            "access key"
        } else if p.get("login_session").is_some() {
            "console login"
        } else {
            return None;
        },
    )
}

/// Reads the real environment and files.
pub async fn discover() -> Result<CredentialSources, String> {
    discover_in(&Env::real(), &Fs::real()).await
}

/// Reads a given environment and file system (tests pass fakes).
pub async fn discover_in(env: &Env, fs: &Fs) -> Result<CredentialSources, String> {
    let set = aws_config::profile::load(fs, env, &Default::default(), None)
        .await
        .map_err(|e| e.to_string())?;
    let mut profiles: Vec<ProfileInfo> = set
        .profiles()
        .filter_map(|name| {
            let kind = profile_kind(&set, name)?;
            let region = set
                .get_profile(name)
                .and_then(|p| p.get("region"))
                .map(str::to_string);
            Some(ProfileInfo {
                name: name.to_string(),
                kind,
                region,
            })
        })
        .collect();
    profiles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(CredentialSources {
        profiles,
        env_keys: env.get("AWS_ACCESS_KEY_ID").is_ok() && env.get("AWS_SECRET_ACCESS_KEY").is_ok(),
        env_web_identity: env.get("AWS_WEB_IDENTITY_TOKEN_FILE").is_ok(),
        selected: env
            .get("AWS_PROFILE")
            .unwrap_or_else(|_| "default".to_string()),
    })
}
