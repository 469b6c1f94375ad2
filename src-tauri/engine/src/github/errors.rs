//! GitHub failures, each with what to do next.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GithubError {
    #[error("GitHub rejected the token (401): it is wrong, expired or revoked. Create a new one at {new_token_url}")]
    Unauthorized { new_token_url: String },
    #[error("GitHub refused to {action} (403): {message}. {hint}")]
    Forbidden {
        action: String,
        message: String,
        hint: String,
    },
    #[error("{what} was not found, or the token cannot see it. Check the name; for a private repository the token needs the `repo` scope")]
    NotFound { what: String },
    #[error("{repo} is archived, so it is read-only. Unarchive it on GitHub or leave it out")]
    Archived { repo: String },
    #[error("{what} changed while Slipway was writing it ({message}). Run the step again; it starts from what is there now")]
    Conflict { what: String, message: String },
    #[error("GitHub did not accept the request to {action} (422): {message}")]
    Validation { action: String, message: String },
    #[error("GitHub's rate limit is exhausted until {until} (UTC). Wait until then, or use a token with a higher limit")]
    RateLimited { until: String },
    #[error("GitHub answered {status} to {action} after {attempts} attempts. GitHub may be having trouble; try again later")]
    Server {
        action: String,
        status: u16,
        attempts: u32,
    },
    #[error("cannot reach GitHub at {url}: {detail}. Check the network, a proxy, or the API URL (GitHub Enterprise Server: https://HOST/api/v3)")]
    Network { url: String, detail: String },
    #[error("GitHub answered {status} to {action}: {message}")]
    Unexpected {
        action: String,
        status: u16,
        message: String,
    },
    #[error("the token is not usable here: {0}")]
    Token(String),
}
