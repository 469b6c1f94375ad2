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

/// The newest `limit` runs of the workflow at `workflow_path` (GitHub takes
/// the file name as the workflow's id), newest first. None while the
/// workflow is not on the default branch yet (GitHub answers 404).
pub async fn recent_runs(
    client: &GithubClient,
    org: &str,
    repo: &str,
    workflow_path: &str,
    limit: usize,
) -> Result<Vec<RunSummary>, GithubError> {
    let result = client
        .get_json::<RunList>(
            &format!(
                "/repos/{}/{}/actions/workflows/{}/runs?per_page={limit}",
                seg(org),
                seg(repo),
                seg(workflow_file_name(workflow_path))
            ),
            "list workflow runs",
            &format!("the workflow {workflow_path} in {org}/{repo}"),
        )
        .await;
    match result {
        Ok(list) => Ok(list.workflow_runs.into_iter().take(limit).collect()),
        Err(GithubError::NotFound { .. }) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// `.github/workflows/slipway-ecr.yml` → `slipway-ecr.yml`.
fn workflow_file_name(workflow_path: &str) -> &str {
    workflow_path.rsplit('/').next().unwrap_or(workflow_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_is_named_by_its_file() {
        assert_eq!(
            workflow_file_name(".github/workflows/slipway-ecr.yml"),
            "slipway-ecr.yml"
        );
        assert_eq!(workflow_file_name("build.yml"), "build.yml");
    }
}
