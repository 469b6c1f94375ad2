//! The organization's self-hosted runners through the REST API: minting a
//! registration token, listing runners with their status, removing one.

use http::Method;
use secrecy::SecretString;
use serde::Deserialize;

use super::{expect_success, seg, GithubClient, GithubError};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RunnerStatus {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub busy: bool,
}

#[derive(Deserialize)]
struct RunnerList {
    runners: Vec<RunnerStatus>,
}

#[derive(Deserialize)]
struct Token {
    token: String,
}

/// A one-hour registration token for the organization.
pub async fn registration_token(
    client: &GithubClient,
    org: &str,
) -> Result<SecretString, GithubError> {
    let r = client
        .send(
            Method::POST,
            &format!("/orgs/{}/actions/runners/registration-token", seg(org)),
            None,
            "mint a runner registration token",
        )
        .await?;
    expect_success(
        &r,
        "mint a runner registration token",
        &format!("the organization {org}"),
    )?;
    Ok(SecretString::from(
        r.json::<Token>("mint a runner registration token")?.token,
    ))
}

/// Every self-hosted runner of the organization.
pub async fn list(client: &GithubClient, org: &str) -> Result<Vec<RunnerStatus>, GithubError> {
    let mut out = Vec::new();
    for page in 1.. {
        let list: RunnerList = client
            .get_json(
                &format!(
                    "/orgs/{}/actions/runners?per_page=100&page={page}",
                    seg(org)
                ),
                "list the organization's runners",
                &format!("the organization {org}"),
            )
            .await?;
        let n = list.runners.len();
        out.extend(list.runners);
        if n < 100 {
            break;
        }
    }
    Ok(out)
}

/// Removes a runner's registration; gone already is fine.
pub async fn remove(client: &GithubClient, org: &str, id: u64) -> Result<(), GithubError> {
    client
        .delete_if_present(
            &format!("/orgs/{}/actions/runners/{id}", seg(org)),
            "remove a runner",
            &format!("runner {id}"),
        )
        .await
}
