//! Recent runs of Slipway's workflow in a repository, for the status window.

use serde::{Deserialize, Serialize};

use super::{seg, GithubClient, GithubError};

/// One workflow run, as the status window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: u64,
    #[serde(rename(deserialize = "head_branch"))]
    pub branch: Option<String>,
    /// queued, in_progress, completed, ...
    pub status: Option<String>,
    /// success, failure, cancelled, ... once completed.
    pub conclusion: Option<String>,
    pub event: String,
    pub created_at: String,
    pub html_url: String,
    /// The workflow file the run came from.
    pub path: String,
}

#[derive(Deserialize)]
struct RunList {
    workflow_runs: Vec<RunSummary>,
}

/// The newest `limit` runs of the workflow at `workflow_path`, newest first.
pub async fn recent_runs(
    client: &GithubClient,
    org: &str,
    repo: &str,
    workflow_path: &str,
    limit: usize,
) -> Result<Vec<RunSummary>, GithubError> {
    let list: RunList = client
        .get_json(
            &format!("/repos/{}/{}/actions/runs?per_page=50", seg(org), seg(repo)),
            "list workflow runs",
            &format!("the repository {org}/{repo}"),
        )
        .await?;
    Ok(only_workflow(list.workflow_runs, workflow_path, limit))
}

/// Runs of one workflow file (GitHub may suffix the path with `@ref`).
fn only_workflow(runs: Vec<RunSummary>, workflow_path: &str, limit: usize) -> Vec<RunSummary> {
    runs.into_iter()
        .filter(|r| r.path.split('@').next() == Some(workflow_path))
        .take(limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: u64, path: &str) -> RunSummary {
        RunSummary {
            id,
            branch: Some("main".into()),
            status: Some("completed".into()),
            conclusion: Some("success".into()),
            event: "push".into(),
            created_at: "2026-11-27T10:00:00Z".into(),
            html_url: format!("https://github.com/acme/api/actions/runs/{id}"),
            path: path.into(),
        }
    }

    #[test]
    fn only_slipways_workflow_counts_with_or_without_a_ref_suffix() {
        let runs = vec![
            run(1, ".github/workflows/slipway-ecr.yml"),
            run(2, ".github/workflows/test.yml"),
            run(3, ".github/workflows/slipway-ecr.yml@refs/heads/main"),
            run(4, ".github/workflows/slipway-ecr.yml"),
        ];
        let ids: Vec<u64> = only_workflow(runs, ".github/workflows/slipway-ecr.yml", 2)
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, [1, 3]);
    }
}
