//! Token checks before anything is created: who the token is, its kind
//! (classic scopes from `X-OAuth-Scopes`, or fine-grained), its expiry, admin
//! rights in the organization, and each capability Slipway needs, with what
//! to add when one is missing. The token is stored in the keychain only after
//! it passes.

use http::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{expect_success, seg, GithubClient, GithubError};
use crate::secrets::Keychain;

/// Classic scopes that cover everything Slipway does.
pub const NEEDED_SCOPES: &[&str] = &["repo", "workflow", "admin:org"];

/// The page that creates a classic token with `scopes` pre-selected.
pub fn new_token_url(api_url: &str, scopes: &[&str]) -> String {
    let web = if api_url.contains("://api.github.com") {
        "https://github.com".to_string()
    } else if let Some(host) = api_url.strip_suffix("/api/v3") {
        host.to_string()
    } else {
        api_url.to_string()
    };
    format!(
        "{web}/settings/tokens/new?scopes={}&description=Slipway",
        scopes.join(",")
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenKind {
    Classic { scopes: Vec<String> },
    FineGrained,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    Yes,
    No,
    /// Reading works; writing cannot be checked without writing.
    ReadOnlyChecked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capability {
    pub id: &'static str,
    pub title: &'static str,
    pub grant: Grant,
    /// What to add when it is missing.
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenReport {
    pub login: String,
    pub token: TokenKind,
    /// As GitHub states it, e.g. "2027-01-01 00:00:00 UTC"; `None`: no expiry.
    pub expires_at: Option<String>,
    pub organization: String,
    /// The user's role in the organization ("admin", "member"), if a member.
    pub org_role: Option<String>,
    pub capabilities: Vec<Capability>,
    /// Where to make a token that has everything.
    pub new_token_url: String,
}

impl TokenReport {
    /// True when nothing Slipway needs is known to be missing.
    pub fn passes(&self) -> bool {
        self.org_role.as_deref() == Some("admin")
            && self.capabilities.iter().all(|c| c.grant != Grant::No)
    }

    /// One line per problem, each saying what to do.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.org_role.as_deref() {
            Some("admin") => {}
            Some(role) => out.push(format!(
                "{} is a {role} of {}, not an admin: an organization owner must run Slipway or make {} an owner",
                self.login, self.organization, self.login
            )),
            None => out.push(format!("{} is not a member of {}: check the organization name", self.login, self.organization)),
        }
        for c in &self.capabilities {
            if c.grant == Grant::No {
                out.push(format!(
                    "{}: {}",
                    c.title,
                    c.fix.as_deref().unwrap_or("missing")
                ));
            }
        }
        out
    }
}

struct Needed {
    id: &'static str,
    title: &'static str,
    /// Any of these classic scopes grants it.
    scopes: &'static [&'static str],
}

const NEEDED: &[Needed] = &[
    Needed {
        id: "org_runners",
        title: "Manage the organization's self-hosted runners",
        scopes: &["admin:org", "manage_runners:org"],
    },
    Needed {
        id: "contents",
        title: "Write repository contents",
        scopes: &["repo"],
    },
    Needed {
        id: "workflows",
        title: "Create and update workflow files",
        scopes: &["workflow"],
    },
    Needed {
        id: "secrets",
        title: "Set Actions secrets and variables",
        scopes: &["repo"],
    },
    Needed {
        id: "runs",
        title: "Read workflow runs",
        scopes: &["repo"],
    },
];

#[derive(Deserialize)]
struct User {
    login: String,
}

#[derive(Deserialize)]
struct Membership {
    state: String,
    role: String,
}

/// Checks the token against the organization.
pub async fn check_token(client: &GithubClient, org: &str) -> Result<TokenReport, GithubError> {
    let r = client
        .send(Method::GET, "/user", None, "read the token's user")
        .await?;
    expect_success(&r, "read the token's user", "the token's user")?;
    let user: User = r.json("read the token's user")?;
    let expires_at = r
        .header("github-authentication-token-expiration")
        .map(str::to_string);
    let token = match r.header("x-oauth-scopes") {
        Some(list) => TokenKind::Classic {
            scopes: list
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        },
        None => TokenKind::FineGrained,
    };

    let m = client
        .send(
            Method::GET,
            &format!("/user/memberships/orgs/{}", seg(org)),
            None,
            "read the organization membership",
        )
        .await?;
    let org_role = match m.status.as_u16() {
        200 => {
            let membership: Membership = m.json("read the organization membership")?;
            (membership.state == "active").then_some(membership.role)
        }
        404 | 403 => None,
        _ => {
            expect_success(&m, "read the organization membership", org)?;
            None
        }
    };

    let new_token_url = client.new_token_url(NEEDED_SCOPES);
    let capabilities = match &token {
        TokenKind::Classic { scopes } => NEEDED
            .iter()
            .map(|n| {
                let granted = n
                    .scopes
                    .iter()
                    .any(|s| scopes.iter().any(|have| have == s || implied(have, s)));
                Capability {
                    id: n.id,
                    title: n.title,
                    grant: if granted { Grant::Yes } else { Grant::No },
                    fix: (!granted).then(|| {
                        format!(
                            "add the `{}` scope to the token ({})",
                            n.scopes[0],
                            client.new_token_url(NEEDED_SCOPES)
                        )
                    }),
                }
            })
            .collect(),
        TokenKind::FineGrained => probe_fine_grained(client, org).await?,
    };
    Ok(TokenReport {
        login: user.login,
        token,
        expires_at,
        organization: org.to_string(),
        org_role,
        capabilities,
        new_token_url,
    })
}

/// Classic scopes that include others (`admin:org` includes `manage_runners:org`).
fn implied(have: &str, want: &str) -> bool {
    matches!((have, want), ("admin:org", "manage_runners:org"))
}

/// Fine-grained tokens state no scopes: read what can be read, and say
/// which write permissions to grant.
async fn probe_fine_grained(
    client: &GithubClient,
    org: &str,
) -> Result<Vec<Capability>, GithubError> {
    let runners = client
        .send(
            Method::GET,
            &format!("/orgs/{}/actions/runners?per_page=1", seg(org)),
            None,
            "list the organization's runners",
        )
        .await?;
    let can_read_runners = runners.status.is_success();
    let perm = |id, title, grant: Grant, permission: &str| {
        Capability {
        id,
        title,
        grant,
        fix: Some(format!("give the fine-grained token the \"{permission}\" permission (read and write) for {org}'s selected repositories")),
    }
    };
    Ok(vec![
        Capability {
            id: "org_runners",
            title: "Manage the organization's self-hosted runners",
            grant: if can_read_runners { Grant::ReadOnlyChecked } else { Grant::No },
            fix: Some(format!("give the fine-grained token the organization permission \"Self-hosted runners\" (read and write) for {org}")),
        },
        perm("contents", "Write repository contents", Grant::ReadOnlyChecked, "Contents"),
        perm("workflows", "Create and update workflow files", Grant::ReadOnlyChecked, "Workflows"),
        perm("secrets", "Set Actions secrets and variables", Grant::ReadOnlyChecked, "Secrets\" and \"Variables"),
        perm("runs", "Read workflow runs", Grant::ReadOnlyChecked, "Actions"),
    ])
}

/// Keeps a checked token: into the keychain (only if the report passes) and
/// the organization and API URL into the desired state. The caller saves
/// the state.
pub async fn keep_token(
    keychain: &Keychain,
    state: &mut crate::config::DesiredState,
    token: &SecretString,
    report: &TokenReport,
    api_url: &str,
) -> Result<(), GithubError> {
    let github = state.github.get_or_insert_with(|| {
        crate::config::GithubSettings::for_organization(report.organization.clone())
    });
    github.organization = report.organization.clone();
    github.api_url = api_url.to_string();
    accept_token(keychain, &github.token_secret, token, report).await
}

/// Stores the token in the keychain, but only if the report passes.
pub async fn accept_token(
    keychain: &Keychain,
    entry: &str,
    token: &SecretString,
    report: &TokenReport,
) -> Result<(), GithubError> {
    if !report.passes() {
        return Err(GithubError::Token(report.problems().join("; ")));
    }
    keychain
        .set(entry, SecretString::from(token.expose_secret().to_string()))
        .await
        .map_err(|e| GithubError::Token(e.to_string()))
}

/// The host `gh` keys its login by for an API URL: `github.com` for
/// api.github.com, the server's host (and port) for GitHub Enterprise Server.
pub fn gh_hostname(api_url: &str) -> String {
    let rest = api_url.split("://").nth(1).unwrap_or(api_url);
    let host = rest.split('/').next().unwrap_or(rest);
    if host == "api.github.com" {
        "github.com".to_string()
    } else {
        host.to_string()
    }
}

/// The token the GitHub CLI holds for the API's host (`gh auth token
/// --hostname HOST`; `GH_TOKEN` and gh's own config apply). Read from gh's
/// standard output, never passed as an argument.
pub async fn import_from_gh(api_url: &str) -> Result<SecretString, GithubError> {
    let host = gh_hostname(api_url);
    let out = tokio::process::Command::new("gh")
        .args(["auth", "token", "--hostname", &host])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| {
            GithubError::Token(format!(
                "cannot run gh ({e}); install the GitHub CLI or paste a token instead"
            ))
        })?;
    let token = SecretString::from(String::from_utf8_lossy(&out.stdout).trim().to_string());
    if !out.status.success() || token.expose_secret().is_empty() {
        return Err(GithubError::Token(format!(
            "gh holds no token for {host}: run `gh auth login --hostname {host}`, or paste a token instead"
        )));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gh_is_asked_for_the_apis_host() {
        assert_eq!(gh_hostname("https://api.github.com"), "github.com");
        assert_eq!(
            gh_hostname("https://ghe.corp.example/api/v3"),
            "ghe.corp.example"
        );
        assert_eq!(gh_hostname("http://127.0.0.1:5002"), "127.0.0.1:5002");
    }

    #[test]
    fn token_page_links_preselect_the_scopes_for_github_and_enterprise_server() {
        assert_eq!(
            new_token_url("https://api.github.com", NEEDED_SCOPES),
            "https://github.com/settings/tokens/new?scopes=repo,workflow,admin:org&description=Slipway"
        );
        assert_eq!(
            new_token_url("https://ghe.corp.example/api/v3", &["repo"]),
            "https://ghe.corp.example/settings/tokens/new?scopes=repo&description=Slipway"
        );
    }
}
