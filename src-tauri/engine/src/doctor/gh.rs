//! Doctor check: does the GitHub CLI hold a token Slipway could import. Only
//! whether one exists is reported; the token is dropped unread.

use std::process::Stdio;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::{Check, Status};

const TITLE: &str = "GitHub CLI token";

pub(super) async fn check() -> Check {
    let child = tokio::process::Command::new("gh")
        .args(["auth", "token"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Check::new("gh", TITLE, Status::Warning, "the gh CLI is not installed (optional)")
                .fix("Paste a personal access token in the GitHub step, or install gh and run `gh auth login` to import its token")
        }
        Err(e) => {
            return Check::new("gh", TITLE, Status::Warning, "could not run gh").fix(format!("Running `gh auth token` failed: {e}"))
        }
    };
    let output = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output()).await;
    match output {
        Ok(Ok(out)) => {
            let token = SecretString::from(String::from_utf8_lossy(&out.stdout).trim().to_string());
            if out.status.success() && !token.expose_secret().is_empty() {
                Check::new(
                    "gh",
                    TITLE,
                    Status::Ok,
                    "gh holds a token that can be imported in the GitHub step",
                )
            } else {
                Check::new(
                    "gh",
                    TITLE,
                    Status::Warning,
                    "gh is installed but not logged in",
                )
                .fix("Run `gh auth login`, or paste a personal access token in the GitHub step")
            }
        }
        Ok(Err(e)) => Check::new("gh", TITLE, Status::Warning, "could not run gh")
            .fix(format!("`gh auth token` failed: {e}")),
        Err(_) => Check::new(
            "gh",
            TITLE,
            Status::Warning,
            "gh did not answer within 10 s",
        )
        .fix("Check `gh auth status` in a terminal"),
    }
}
