//! The admin's AWS session: credentials chosen from the default chain, a named
//! profile (SSO included) or typed in for this session only; the IAM, ECR and
//! STS clients built from them; and who the caller is (GetCallerIdentity),
//! shown before anything is created.

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::errors::{classify, AwsError};
use crate::config::AwsSettings;
use crate::secrets::{Keychain, SecretError};

/// Where the admin's credentials come from. Typed keys stay in memory.
#[derive(Clone)]
pub enum AdminCredentials {
    /// Environment, shared files' default profile, SSO, container/instance roles.
    DefaultChain,
    /// A named profile from ~/.aws/config (SSO profiles included).
    Profile(String),
    /// Keys typed in by the user for this session.
    Keys {
        access_key_id: String,
        secret_access_key: SecretString,
        session_token: Option<SecretString>,
    },
}

impl std::fmt::Debug for AdminCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DefaultChain => write!(f, "DefaultChain"),
            Self::Profile(p) => write!(f, "Profile({p})"),
            Self::Keys { .. } => write!(f, "Keys([redacted])"),
        }
    }
}

/// Who the admin credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallerIdentity {
    pub account_id: String,
    pub arn: String,
    pub region: String,
}

/// Clients for one account and region, plus who is calling.
#[derive(Clone)]
pub struct AwsSession {
    pub iam: aws_sdk_iam::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub identity: CallerIdentity,
}

/// Region names look like `eu-west-1`, `us-gov-east-1`, `cn-north-1`.
pub fn validate_region(region: &str) -> Result<(), AwsError> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
        && parts[0].len() == 2;
    if ok {
        Ok(())
    } else {
        Err(AwsError::Unreachable {
            region: region.to_string(),
            detail: "this is not an AWS region name".into(),
        })
    }
}

/// Loads the credentials, builds the clients and asks STS who is calling.
pub async fn connect(
    settings: &AwsSettings,
    credentials: &AdminCredentials,
) -> Result<AwsSession, AwsError> {
    validate_region(&settings.region)?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()));
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let profile_arg = match credentials {
        AdminCredentials::DefaultChain => String::new(),
        AdminCredentials::Profile(name) => {
            loader = loader.profile_name(name);
            format!(" --profile {name}")
        }
        AdminCredentials::Keys {
            access_key_id,
            secret_access_key,
            session_token,
        } => {
            loader = loader.credentials_provider(Credentials::new(
                access_key_id,
                secret_access_key.expose_secret(),
                session_token
                    .as_ref()
                    .map(|t| t.expose_secret().to_string()),
                None,
                "slipway-typed-keys",
            ));
            String::new()
        }
    };
    let config = loader.load().await;
    let sts = aws_sdk_sts::Client::new(&config);
    let who = sts.get_caller_identity().send().await.map_err(|e| {
        match classify(
            "sts:GetCallerIdentity",
            "the admin credentials",
            &settings.region,
            e,
        ) {
            AwsError::SessionExpired { .. } => AwsError::SessionExpired {
                profile_arg: profile_arg.clone(),
            },
            other => other,
        }
    })?;
    let identity = CallerIdentity {
        account_id: who.account().unwrap_or_default().to_string(),
        arn: who.arn().unwrap_or_default().to_string(),
        region: settings.region.clone(),
    };
    Ok(AwsSession {
        iam: aws_sdk_iam::Client::new(&config),
        ecr: aws_sdk_ecr::Client::new(&config),
        identity,
    })
}

/// Keychain entry for admin keys the user asked Slipway to remember.
pub const ADMIN_KEYS_ENTRY: &str = "aws-admin-keys";

#[derive(serde::Serialize, serde::Deserialize)]
struct AdminKeysJson {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_token: Option<String>,
}

/// Keeps typed admin keys in the keychain, only when the user asks for it.
pub async fn remember_admin_keys(
    keychain: &Keychain,
    credentials: &AdminCredentials,
) -> Result<(), SecretError> {
    let AdminCredentials::Keys {
        access_key_id,
        secret_access_key,
        session_token,
    } = credentials
    else {
        return Ok(());
    };
    let json = serde_json::to_string(&AdminKeysJson {
        access_key_id: access_key_id.clone(),
        secret_access_key: secret_access_key.expose_secret().to_string(),
        session_token: session_token
            .as_ref()
            .map(|t| t.expose_secret().to_string()),
    })
    .expect("keys serialize");
    keychain
        .set(ADMIN_KEYS_ENTRY, SecretString::from(json))
        .await
}

/// The remembered admin keys, if any.
pub async fn remembered_admin_keys(
    keychain: &Keychain,
) -> Result<Option<AdminCredentials>, SecretError> {
    let Some(secret) = keychain.get(ADMIN_KEYS_ENTRY).await? else {
        return Ok(None);
    };
    let Ok(keys) = serde_json::from_str::<AdminKeysJson>(secret.expose_secret()) else {
        return Ok(None);
    };
    Ok(Some(AdminCredentials::Keys {
        access_key_id: keys.access_key_id,
        secret_access_key: SecretString::from(keys.secret_access_key),
        session_token: keys.session_token.map(SecretString::from),
    }))
}

/// Forgets remembered admin keys; `Ok(false)` when there were none.
pub async fn forget_admin_keys(keychain: &Keychain) -> Result<bool, SecretError> {
    keychain.delete(ADMIN_KEYS_ENTRY).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_are_checked_before_any_call() {
        for good in [
            "eu-west-1",
            "us-east-2",
            "us-gov-west-1",
            "ap-southeast-4",
            "cn-north-1",
        ] {
            assert!(validate_region(good).is_ok(), "{good}");
        }
        for bad in [
            "eu-west",
            "EU-WEST-1",
            "euwest1",
            "",
            "europe-west-1",
            "eu-west-1a",
        ] {
            let err = validate_region(bad).unwrap_err().to_string();
            assert!(err.contains("not an AWS region name"), "{bad}: {err}");
        }
    }

    #[test]
    fn typed_keys_never_show_in_debug_output() {
        let creds = AdminCredentials::Keys {
            access_key_id: "AKIA".into(),
            secret_access_key: SecretString::from("very-secret".to_string()),
            session_token: None,
        };
        assert_eq!(format!("{creds:?}"), "Keys([redacted])");
    }
}
