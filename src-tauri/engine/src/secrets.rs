//! The keychain: the only place Slipway keeps secrets (the GitHub token, the
//! AWS push key). Backed by the OS store through `keyring` with the real
//! backends compiled in (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows). It never falls back to memory or a file:
//! where no keychain answers, every call fails with what to install or start.
//! Keychain calls block, so the async API runs them on the blocking pool.

use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

/// The keychain "service" under which every Slipway entry is stored.
pub const KEYCHAIN_SERVICE: &str = "dev.slipway";

#[derive(Debug, Error)]
pub enum SecretError {
    #[error("no usable keychain: {detail}. {hint}")]
    Unavailable { detail: String, hint: &'static str },
    #[error("the keychain refused access to the entry \"{name}\": {detail}. Unlock the keychain (log in to the desktop session) and try again")]
    Locked { name: String, detail: String },
    #[error("the Secret Service is running but has no default keyring to store secrets in ({detail}). Create one and set it as default (GNOME: open \"Passwords and Keys\" and create a keyring named login), or log in to a desktop session that unlocks it")]
    NoDefaultCollection { detail: String },
    #[error("the keychain failed on the entry \"{name}\": {detail}")]
    Failed { name: String, detail: String },
    #[error("\"{0}\" is not a valid keychain entry name: use letters, digits, '-', '_' and '.'")]
    BadName(String),
}

/// What to do when no keychain is there, per platform.
pub const INSTALL_HINT: &str = if cfg!(target_os = "linux") {
    "Slipway needs a Secret Service provider on the session D-Bus: install and start one \
     (Debian/Ubuntu: `sudo apt install gnome-keyring` and log in to a desktop session; or \
     KeePassXC with Secret Service integration enabled)"
} else if cfg!(target_os = "macos") {
    "Slipway uses the login keychain: open Keychain Access and make sure the login keychain exists and is unlocked"
} else if cfg!(target_os = "windows") {
    "Slipway uses Windows Credential Manager: make sure the Credential Manager service is running"
} else {
    "this platform has no keychain backend that Slipway supports"
};

/// The OS keychain, scoped to Slipway's service name.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Self::new(KEYCHAIN_SERVICE)
    }
}

impl Keychain {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    /// Stores (or replaces) a secret.
    pub fn set_blocking(&self, name: &str, secret: &SecretString) -> Result<(), SecretError> {
        let entry = self.entry(name)?;
        entry
            .set_password(secret.expose_secret())
            .map_err(|e| map_error(name, e))
    }

    /// Reads a secret; `Ok(None)` when there is no such entry.
    pub fn get_blocking(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        let entry = self.entry(name)?;
        match entry.get_password() {
            Ok(value) => Ok(Some(SecretString::from(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(name, e)),
        }
    }

    /// Deletes a secret; `Ok(false)` when there was nothing to delete.
    pub fn delete_blocking(&self, name: &str) -> Result<bool, SecretError> {
        let entry = self.entry(name)?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(name, e)),
        }
    }

    pub async fn set(&self, name: &str, secret: SecretString) -> Result<(), SecretError> {
        let (this, name) = (self.clone(), name.to_string());
        run_blocking(move || this.set_blocking(&name, &secret)).await
    }

    pub async fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        let (this, name) = (self.clone(), name.to_string());
        run_blocking(move || this.get_blocking(&name)).await
    }

    pub async fn delete(&self, name: &str) -> Result<bool, SecretError> {
        let (this, name) = (self.clone(), name.to_string());
        run_blocking(move || this.delete_blocking(&name)).await
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, SecretError> {
        let valid = !name.is_empty()
            && name.len() <= 128
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(SecretError::BadName(name.to_string()));
        }
        let entry = keyring::Entry::new(&self.service, name).map_err(|e| map_error(name, e))?;
        // keyring silently uses an in-memory mock when built without a real
        // backend; refuse rather than "store" a secret that is then lost.
        if entry.get_credential().is::<keyring::mock::MockCredential>() {
            return Err(SecretError::Unavailable {
                detail: "this build has no keychain backend compiled in".into(),
                hint: INSTALL_HINT,
            });
        }
        Ok(entry)
    }
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, SecretError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|join| {
        Err(SecretError::Failed {
            name: String::new(),
            detail: format!("keychain task stopped: {join}"),
        })
    })
}

fn map_error(name: &str, error: keyring::Error) -> SecretError {
    // keyring's messages name the platform failure but never the secret.
    match error {
        keyring::Error::NoStorageAccess(inner) => {
            let detail = inner.to_string();
            if detail.to_lowercase().contains("no result found") {
                SecretError::NoDefaultCollection { detail }
            } else if looks_like_missing_service(&detail) {
                SecretError::Unavailable {
                    detail,
                    hint: INSTALL_HINT,
                }
            } else {
                SecretError::Locked {
                    name: name.to_string(),
                    detail,
                }
            }
        }
        keyring::Error::PlatformFailure(inner) => SecretError::Unavailable {
            detail: inner.to_string(),
            hint: INSTALL_HINT,
        },
        keyring::Error::Invalid(..) | keyring::Error::TooLong(..) => {
            SecretError::BadName(name.to_string())
        }
        other => SecretError::Failed {
            name: name.to_string(),
            detail: other.to_string(),
        },
    }
}

fn looks_like_missing_service(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    [
        "serviceunknown",
        "not provided by any",
        "no such file",
        "connection refused",
        "dbus_session_bus_address",
        "failed to connect",
        "autolaunch",
    ]
    .iter()
    .any(|needle| d.contains(needle))
}
