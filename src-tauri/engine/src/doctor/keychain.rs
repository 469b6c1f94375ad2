//! Doctor check: can Slipway write, read and delete a keychain entry.

use secrecy::{ExposeSecret, SecretString};

use super::{Check, Status};
use crate::secrets::Keychain;

const TITLE: &str = "OS keychain";

fn backend_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(target_os = "windows") {
        "Windows Credential Manager"
    } else {
        "Secret Service (D-Bus)"
    }
}

pub(super) async fn check(keychain: &Keychain) -> Check {
    // A unique entry per run, so two doctors at once (app and CLI) never race.
    let id = uuid::Uuid::new_v4();
    let (entry, probe) = (format!("doctor-probe-{id}"), format!("probe-value-{id}"));
    let round_trip = async {
        keychain
            .set(&entry, SecretString::from(probe.clone()))
            .await?;
        let read = keychain.get(&entry).await?;
        keychain.delete(&entry).await?;
        Ok::<_, crate::secrets::SecretError>(read.map(|s| s.expose_secret() == probe))
    };
    match round_trip.await {
        Ok(Some(true)) => Check::new("keychain", TITLE, Status::Ok, format!("{} is usable", backend_name()))
            .detail("Backend", backend_name()),
        Ok(_) => Check::new("keychain", TITLE, Status::Error, "the keychain did not return what was written")
            .detail("Backend", backend_name())
            .fix("The keychain may be read-only or a different collection is the default; check your keyring application"),
        Err(e) => Check::new("keychain", TITLE, Status::Error, "no usable keychain")
            .detail("Backend", backend_name())
            .fix(e.to_string()),
    }
}
