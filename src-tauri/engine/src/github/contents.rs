//! Committing the workflow file through the contents API: on the default
//! branch with a clear message; when the file exists and differs, the diff is
//! returned and nothing changes until the user confirms; when the branch is
//! protected, a branch and a pull request instead. Removal works the same way
//! and only ever removes a file that carries Slipway's marker.

use base64::Engine as _;
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{expect_success, file_path, seg, GithubClient, GithubError};
use crate::workflow::MANAGED_MARKER;

/// The branch Slipway proposes changes on when the default branch is protected.
pub const PROPOSAL_BRANCH: &str = "slipway/workflow";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CommitOutcome {
    /// The file is already exactly this.
    Unchanged,
    Committed {
        commit_sha: String,
        created: bool,
    },
    /// The file exists with other content; nothing was written.
    NeedsConfirmation {
        diff: String,
    },
    PullRequest {
        url: String,
    },
    Removed {
        commit_sha: String,
    },
    /// There was nothing to remove.
    NotPresent,
}

#[derive(Deserialize)]
struct Repo {
    default_branch: String,
    #[serde(default)]
    archived: bool,
}

#[derive(Deserialize)]
struct FileContent {
    sha: String,
    content: String,
}

#[derive(Deserialize)]
struct CommitAnswer {
    commit: CommitSha,
}

#[derive(Deserialize)]
struct CommitSha {
    sha: String,
}

#[derive(Deserialize)]
struct GitRef {
    object: CommitSha,
}

#[derive(Deserialize)]
struct Pull {
    html_url: String,
}

/// A unified diff from what is there to what Slipway would write.
pub fn diff(current: &str, proposed: &str, path: &str) -> String {
    similar::TextDiff::from_lines(current, proposed)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{path} (in the repository)"),
            &format!("{path} (Slipway)"),
        )
        .to_string()
}

struct Target<'a> {
    client: &'a GithubClient,
    org: &'a str,
    repo: &'a str,
    path: &'a str,
}

impl Target<'_> {
    fn what(&self) -> String {
        format!("{}/{}:{}", self.org, self.repo, self.path)
    }

    fn contents_url(&self) -> String {
        format!(
            "/repos/{}/{}/contents/{}",
            seg(self.org),
            seg(self.repo),
            file_path(self.path)
        )
    }

    async fn repo(&self) -> Result<Repo, GithubError> {
        let repo: Repo = self
            .client
            .get_json(
                &format!("/repos/{}/{}", seg(self.org), seg(self.repo)),
                "read the repository",
                &format!("the repository {}/{}", self.org, self.repo),
            )
            .await?;
        if repo.archived {
            return Err(GithubError::Archived {
                repo: format!("{}/{}", self.org, self.repo),
            });
        }
        Ok(repo)
    }

    /// The file on a branch: (sha, text), or `None`.
    async fn read(&self, branch: &str) -> Result<Option<(String, String)>, GithubError> {
        let r = self
            .client
            .send(
                Method::GET,
                &format!("{}?ref={}", self.contents_url(), seg(branch)),
                None,
                "read the workflow file",
            )
            .await?;
        if r.status.as_u16() == 404 {
            return Ok(None);
        }
        expect_success(&r, "read the workflow file", &self.what())?;
        let file: FileContent = r.json("read the workflow file")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(file.content.replace('\n', ""))
            .map_err(|e| GithubError::Unexpected {
                action: "read the workflow file".into(),
                status: 200,
                message: e.to_string(),
            })?;
        Ok(Some((
            file.sha,
            String::from_utf8_lossy(&bytes).to_string(),
        )))
    }

    /// PUT (content) or DELETE (`None`) on a branch. `Err(Protected)` asks
    /// the caller to go through a pull request.
    async fn write(
        &self,
        branch: &str,
        sha: Option<&str>,
        content: Option<&str>,
        message: &str,
    ) -> Result<Write, GithubError> {
        let (method, body, action) = match content {
            Some(text) => {
                let mut body = json!({
                    "message": message,
                    "content": base64::engine::general_purpose::STANDARD.encode(text),
                    "branch": branch,
                });
                if let Some(sha) = sha {
                    body["sha"] = json!(sha);
                }
                (Method::PUT, body, "write the workflow file")
            }
            None => (
                Method::DELETE,
                json!({ "message": message, "sha": sha, "branch": branch }),
                "delete the workflow file",
            ),
        };
        let r = self
            .client
            .send(method, &self.contents_url(), Some(&body), action)
            .await?;
        let status = r.status.as_u16();
        let msg = r.message();
        let protected = matches!(status, 403 | 409 | 422)
            && ["pull request", "protected", "rule", "review"]
                .iter()
                .any(|k| msg.to_lowercase().contains(k));
        if protected {
            return Ok(Write::Protected);
        }
        if status == 409 {
            return Err(GithubError::Conflict {
                what: self.what(),
                message: msg,
            });
        }
        if status == 404 && content.is_some() {
            return Err(GithubError::Forbidden {
                action: "write the workflow file".into(),
                message: "GitHub answered 404".into(),
                hint: "Writing under .github/workflows needs the `workflow` scope (classic) or the Workflows permission (fine-grained)".into(),
            });
        }
        expect_success(&r, action, &self.what())?;
        let answer: CommitAnswer = r.json(action)?;
        Ok(Write::Done(answer.commit.sha))
    }

    /// Makes the proposal branch from the default branch (or reuses it) and
    /// applies the change there, then opens (or finds) the pull request.
    async fn propose(
        &self,
        default_branch: &str,
        content: Option<&str>,
        message: &str,
    ) -> Result<CommitOutcome, GithubError> {
        let base: GitRef = self
            .client
            .get_json(
                &format!(
                    "/repos/{}/{}/git/ref/heads/{}",
                    seg(self.org),
                    seg(self.repo),
                    seg(default_branch)
                ),
                "read the default branch",
                &format!("the branch {default_branch}"),
            )
            .await?;
        let r = self
            .client
            .send(
                Method::POST,
                &format!("/repos/{}/{}/git/refs", seg(self.org), seg(self.repo)),
                Some(&json!({ "ref": format!("refs/heads/{PROPOSAL_BRANCH}"), "sha": base.object.sha })),
                "create the proposal branch",
            )
            .await?;
        if r.status.as_u16() != 422 {
            expect_success(&r, "create the proposal branch", PROPOSAL_BRANCH)?;
        }
        let existing = self.read(PROPOSAL_BRANCH).await?;
        let differs = existing.as_ref().map(|(_, t)| t.as_str()) != content;
        if differs {
            let sha = existing.as_ref().map(|(s, _)| s.as_str());
            match self.write(PROPOSAL_BRANCH, sha, content, message).await? {
                Write::Done(_) => {}
                Write::Protected => {
                    return Err(GithubError::Forbidden {
                        action: format!("write to the branch {PROPOSAL_BRANCH}"),
                        message: "that branch is protected too".into(),
                        hint: "Allow the token to push to new branches, or add the file by hand"
                            .into(),
                    })
                }
            }
        }
        let pulls: Vec<Pull> = self
            .client
            .get_json(
                &format!(
                    "/repos/{}/{}/pulls?head={}&state=open",
                    seg(self.org),
                    seg(self.repo),
                    seg(&format!("{}:{PROPOSAL_BRANCH}", self.org))
                ),
                "list pull requests",
                "the pull requests",
            )
            .await?;
        if let Some(p) = pulls.into_iter().next() {
            return Ok(CommitOutcome::PullRequest { url: p.html_url });
        }
        let body = json!({
            "title": message,
            "head": PROPOSAL_BRANCH,
            "base": default_branch,
            "body": format!("Slipway could not write `{}` on `{default_branch}` directly (the branch is protected), so it proposes the change here.", self.path),
        });
        let r = self
            .client
            .send(
                Method::POST,
                &format!("/repos/{}/{}/pulls", seg(self.org), seg(self.repo)),
                Some(&body),
                "open a pull request",
            )
            .await?;
        expect_success(&r, "open a pull request", &self.what())?;
        let pull: Pull = r.json("open a pull request")?;
        Ok(CommitOutcome::PullRequest { url: pull.html_url })
    }
}

enum Write {
    Done(String),
    Protected,
}

/// Writes the workflow file on the default branch (or proposes it).
/// `confirmed`: the user has seen the diff and agreed to replace the file.
pub async fn put_workflow(
    client: &GithubClient,
    org: &str,
    repo: &str,
    path: &str,
    content: &str,
    confirmed: bool,
) -> Result<CommitOutcome, GithubError> {
    let t = Target {
        client,
        org,
        repo,
        path,
    };
    let repo_info = t.repo().await?;
    let existing = t.read(&repo_info.default_branch).await?;
    if let Some((_, current)) = &existing {
        if current == content {
            return Ok(CommitOutcome::Unchanged);
        }
        if !confirmed {
            return Ok(CommitOutcome::NeedsConfirmation {
                diff: diff(current, content, path),
            });
        }
    }
    let message = if existing.is_some() {
        format!("Update {path} (Slipway)")
    } else {
        format!("Add {path} (Slipway)")
    };
    let sha = existing.as_ref().map(|(s, _)| s.as_str());
    match t
        .write(&repo_info.default_branch, sha, Some(content), &message)
        .await?
    {
        Write::Done(commit_sha) => Ok(CommitOutcome::Committed {
            commit_sha,
            created: existing.is_none(),
        }),
        Write::Protected => {
            t.propose(&repo_info.default_branch, Some(content), &message)
                .await
        }
    }
}

/// Removes Slipway's workflow file (never a file without Slipway's marker).
pub async fn remove_workflow(
    client: &GithubClient,
    org: &str,
    repo: &str,
    path: &str,
) -> Result<CommitOutcome, GithubError> {
    let t = Target {
        client,
        org,
        repo,
        path,
    };
    let repo_info = t.repo().await?;
    let Some((sha, current)) = t.read(&repo_info.default_branch).await? else {
        return Ok(CommitOutcome::NotPresent);
    };
    if !current.starts_with(MANAGED_MARKER) {
        return Err(GithubError::Token(format!(
            "{org}/{repo}:{path} was not written by Slipway (no \"{MANAGED_MARKER}\" header), so Slipway leaves it in place"
        )));
    }
    let message = format!("Remove {path} (Slipway)");
    match t
        .write(&repo_info.default_branch, Some(&sha), None, &message)
        .await?
    {
        Write::Done(commit_sha) => Ok(CommitOutcome::Removed { commit_sha }),
        Write::Protected => t.propose(&repo_info.default_branch, None, &message).await,
    }
}

/// An open Slipway pull request proposing the file: (its URL, the file's
/// text on the proposal branch, or `None` when the proposal removes it).
pub async fn pending_proposal(
    client: &GithubClient,
    org: &str,
    repo: &str,
    path: &str,
) -> Result<Option<(String, Option<String>)>, GithubError> {
    let pulls: Vec<Pull> = client
        .get_json(
            &format!(
                "/repos/{}/{}/pulls?head={}&state=open",
                seg(org),
                seg(repo),
                seg(&format!("{org}:{PROPOSAL_BRANCH}"))
            ),
            "list pull requests",
            "the pull requests",
        )
        .await?;
    let Some(pull) = pulls.into_iter().next() else {
        return Ok(None);
    };
    let t = Target {
        client,
        org,
        repo,
        path,
    };
    let text = t.read(PROPOSAL_BRANCH).await?.map(|(_, text)| text);
    Ok(Some((pull.html_url, text)))
}
