//! Organizations the user administers, their repositories (all pages;
//! archived and disabled ones listed but not selectable), and candidate
//! Dockerfiles in a repository (git tree API).

use serde::{Deserialize, Serialize};

use super::{seg, GithubClient, GithubError};

const PER_PAGE: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoInfo {
    pub name: String,
    pub id: u64,
    pub default_branch: String,
    pub private: bool,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub disabled: bool,
}

impl RepoInfo {
    /// Archived and disabled repositories cannot take a workflow.
    pub fn selectable(&self) -> bool {
        !self.archived && !self.disabled
    }
}

#[derive(Deserialize)]
struct OrgEntry {
    login: String,
}

#[derive(Deserialize)]
struct Membership {
    role: String,
    state: String,
}

/// Every page of a list endpoint (`?per_page=100&page=N`), until a short page.
async fn all_pages<T: serde::de::DeserializeOwned>(
    client: &GithubClient,
    path: &str,
    action: &str,
    what: &str,
) -> Result<Vec<T>, GithubError> {
    let mut out = Vec::new();
    for page in 1.. {
        let sep = if path.contains('?') { '&' } else { '?' };
        let batch: Vec<T> = client
            .get_json(
                &format!("{path}{sep}per_page={PER_PAGE}&page={page}"),
                action,
                what,
            )
            .await?;
        let n = batch.len();
        out.extend(batch);
        if n < PER_PAGE {
            break;
        }
    }
    Ok(out)
}

/// Organizations where the token's user is an active admin.
pub async fn admin_organizations(client: &GithubClient) -> Result<Vec<String>, GithubError> {
    let orgs: Vec<OrgEntry> = all_pages(
        client,
        "/user/orgs",
        "list your organizations",
        "your organizations",
    )
    .await?;
    let mut admin = Vec::new();
    for org in orgs {
        let m: Membership = client
            .get_json(
                &format!("/user/memberships/orgs/{}", seg(&org.login)),
                "read a membership",
                &org.login,
            )
            .await?;
        if m.role == "admin" && m.state == "active" {
            admin.push(org.login);
        }
    }
    Ok(admin)
}

/// All repositories of the organization, sorted by name.
pub async fn repositories(client: &GithubClient, org: &str) -> Result<Vec<RepoInfo>, GithubError> {
    let mut repos: Vec<RepoInfo> = all_pages(
        client,
        &format!("/orgs/{}/repos?type=all", seg(org)),
        "list the organization's repositories",
        &format!("the organization {org}"),
    )
    .await?;
    repos.sort_by_key(|a| a.name.to_lowercase());
    Ok(repos)
}

#[derive(Deserialize)]
struct Tree {
    tree: Vec<TreeEntry>,
    #[serde(default)]
    truncated: bool,
}

#[derive(Deserialize)]
struct TreeEntry {
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

/// True for `Dockerfile`, `Dockerfile.prod`, `app.Dockerfile`.
pub fn is_dockerfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Dockerfile"
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
}

/// Candidate Dockerfiles on a branch, shallowest first. The second value is
/// true when GitHub truncated the tree (very large repositories).
pub async fn dockerfiles(
    client: &GithubClient,
    org: &str,
    repo: &str,
    branch: &str,
) -> Result<(Vec<String>, bool), GithubError> {
    let tree: Tree = client
        .get_json(
            &format!(
                "/repos/{}/{}/git/trees/{}?recursive=1",
                seg(org),
                seg(repo),
                seg(branch)
            ),
            "read the repository's file tree",
            &format!("{org}/{repo}@{branch}"),
        )
        .await?;
    let mut found: Vec<String> = tree
        .tree
        .into_iter()
        .filter(|e| e.kind == "blob" && is_dockerfile(&e.path))
        .map(|e| e.path)
        .collect();
    found.sort_by_key(|p| (p.matches('/').count(), p.clone()));
    Ok((found, tree.truncated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names_are_recognized() {
        for yes in [
            "Dockerfile",
            "svc/web/Dockerfile",
            "Dockerfile.prod",
            "docker/app.Dockerfile",
        ] {
            assert!(is_dockerfile(yes), "{yes}");
        }
        for no in [
            "Dockerfile/readme.md",
            "dockerfile-lint.json",
            "docs/Dockerfiles.md",
        ] {
            assert!(!is_dockerfile(no), "{no}");
        }
    }
}
