//! The push user's access key: created by IAM, handed straight to the
//! keychain, never logged or written anywhere else. Converging keeps exactly
//! one live key, the one the keychain holds; rotation creates the new key,
//! hands it over, and only then deletes the old one, so the keychain never
//! holds a key that no longer exists.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::errors::AwsError;
use super::AwsProvider;
use crate::secrets::Keychain;

/// What the keychain entry holds (as JSON). The access key id is not secret,
/// but keeping it with the secret says which IAM key the secret belongs to.
#[derive(Serialize, Deserialize)]
struct StoredKeyJson {
    user: String,
    access_key_id: String,
    secret_access_key: String,
}

/// A key read from the keychain.
pub struct StoredKey {
    pub user: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "StoredKey({} for {}, secret redacted)",
            self.access_key_id, self.user
        )
    }
}

/// Reads the push key from the keychain; `None` if absent or unreadable.
pub async fn read_stored_key(
    keychain: &Keychain,
    entry: &str,
) -> Result<Option<StoredKey>, AwsError> {
    let secret = keychain.get(entry).await.map_err(keychain_error)?;
    Ok(secret.and_then(|s| {
        let parsed: StoredKeyJson = serde_json::from_str(s.expose_secret()).ok()?;
        Some(StoredKey {
            user: parsed.user,
            access_key_id: parsed.access_key_id,
            secret_access_key: SecretString::from(parsed.secret_access_key),
        })
    }))
}

async fn store_key(
    keychain: &Keychain,
    entry: &str,
    user: &str,
    id: &str,
    secret: &str,
) -> Result<(), AwsError> {
    let json = serde_json::to_string(&StoredKeyJson {
        user: user.to_string(),
        access_key_id: id.to_string(),
        secret_access_key: secret.to_string(),
    })
    .expect("key serializes");
    keychain
        .set(entry, SecretString::from(json))
        .await
        .map_err(keychain_error)
}

fn keychain_error(e: crate::secrets::SecretError) -> AwsError {
    AwsError::Other {
        action: "keychain".into(),
        code: "Keychain".into(),
        message: e.to_string(),
    }
}

impl AwsProvider {
    /// The ids of the user's access keys, as IAM lists them.
    pub async fn list_key_ids(&self, user: &str) -> Result<Vec<String>, AwsError> {
        let out = self
            .session
            .iam
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .map_err(|e| {
                if super::support::is_no_such_entity(&e) {
                    AwsError::MissingUser {
                        user: user.to_string(),
                    }
                } else {
                    self.err("iam:ListAccessKeys")(e)
                }
            })?;
        Ok(out
            .access_key_metadata()
            .iter()
            .filter_map(|k| k.access_key_id().map(str::to_string))
            .collect())
    }

    async fn delete_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        match self
            .session
            .iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(self.err("iam:DeleteAccessKey")(e)),
        }
    }

    /// Creates a key and puts it in the keychain; if the keychain refuses, the
    /// new key is deleted again so no key exists that nobody holds.
    async fn create_and_store_key(&self, user: &str) -> Result<String, AwsError> {
        let created = self
            .session
            .iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(|s| s.is_limit_exceeded_exception())
                {
                    AwsError::KeyLimit {
                        user: user.to_string(),
                    }
                } else {
                    self.err("iam:CreateAccessKey")(e)
                }
            })?;
        let key = created.access_key().ok_or_else(|| AwsError::Other {
            action: "iam:CreateAccessKey".into(),
            code: "EmptyResponse".into(),
            message: "IAM returned no key".into(),
        })?;
        let id = key.access_key_id().to_string();
        if let Err(e) = store_key(
            &self.keychain,
            &self.settings.key_secret,
            user,
            &id,
            key.secret_access_key(),
        )
        .await
        {
            self.delete_key(user, &id).await?;
            return Err(e);
        }
        Ok(id)
    }

    /// Brings the user to exactly one live key, held by the keychain: keeps the
    /// held key if IAM still has it, otherwise creates one; deletes every other key.
    pub async fn converge_key(&self, user: &str) -> Result<(), AwsError> {
        let ids = self.list_key_ids(user).await?;
        let held = read_stored_key(&self.keychain, &self.settings.key_secret).await?;
        let held_id = held
            .filter(|k| k.user == user && ids.contains(&k.access_key_id))
            .map(|k| k.access_key_id);
        let keep = match held_id {
            Some(id) => id,
            None => {
                // Nobody holds any of these keys; make room under IAM's limit of 2.
                if ids.len() >= 2 {
                    for id in &ids {
                        self.delete_key(user, id).await?;
                    }
                }
                self.create_and_store_key(user).await?
            }
        };
        for id in self.list_key_ids(user).await? {
            if id != keep {
                self.delete_key(user, &id).await?;
            }
        }
        Ok(())
    }

    /// Rotation, first half: a new key, straight into the keychain; the old
    /// key stays valid so other consumers (repository secrets) can switch.
    /// Returns (new key id, old key id).
    pub async fn begin_rotation(&self) -> Result<(String, Option<String>), AwsError> {
        let user = self.settings.push_user.clone();
        let ids = self.list_key_ids(&user).await?;
        let held = read_stored_key(&self.keychain, &self.settings.key_secret).await?;
        let old = held
            .filter(|k| k.user == user && ids.contains(&k.access_key_id))
            .map(|k| k.access_key_id);
        // Keys nobody holds would block the new key at IAM's limit of 2.
        for id in ids.iter().filter(|id| Some(*id) != old.as_ref()) {
            self.delete_key(&user, id).await?;
        }
        let new = self.create_and_store_key(&user).await?;
        Ok((new, old))
    }

    /// Rotation, second half: the old key goes, once every consumer has the new one.
    pub async fn finish_rotation(&self, old: &str) -> Result<(), AwsError> {
        self.delete_key(&self.settings.push_user.clone(), old).await
    }

    /// Rotation when the keychain is the only consumer.
    pub async fn rotate_key(&self) -> Result<String, AwsError> {
        let (new, old) = self.begin_rotation().await?;
        if let Some(old) = old {
            self.finish_rotation(&old).await?;
        }
        Ok(new)
    }

    /// Deletes every key of the user and the keychain entry.
    pub async fn remove_keys(&self, user: &str) -> Result<(), AwsError> {
        match self.list_key_ids(user).await {
            Ok(ids) => {
                for id in ids {
                    self.delete_key(user, &id).await?;
                }
            }
            Err(AwsError::MissingUser { .. }) => {}
            Err(e) => return Err(e),
        }
        if let Some(k) = read_stored_key(&self.keychain, &self.settings.key_secret).await? {
            if k.user == user {
                self.keychain
                    .delete(&self.settings.key_secret)
                    .await
                    .map_err(keychain_error)?;
            }
        }
        Ok(())
    }
}
