//! GitHub: the REST client Slipway uses (octocrab underneath, with an
//! overridable API URL for GitHub Enterprise Server, rehearsals and tests),
//! token checks, repositories, the workflow file, and Actions secrets.
//!
//! Every call goes through one path that honours `Retry-After` and
//! `x-ratelimit-reset` on 403/429, retries idempotent reads on 5xx with
//! backoff, and serializes writes (GitHub's secondary limits punish bursts).

pub mod contents;
mod errors;
pub mod provider;
pub mod repos;
pub mod runners;
pub mod runs;
pub mod secrets;
pub mod token;

use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

pub use errors::GithubError;

pub const DEFAULT_API_URL: &str = "https://api.github.com";
const MAX_ATTEMPTS: u32 = 4;

/// A raw answer: status, headers and body.
#[derive(Debug)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl ApiResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// GitHub's `message` field, or the body.
    pub fn message(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| self.body.chars().take(200).collect())
    }

    pub fn json<T: DeserializeOwned>(&self, action: &str) -> Result<T, GithubError> {
        serde_json::from_str(&self.body).map_err(|e| GithubError::Unexpected {
            action: action.to_string(),
            status: self.status.as_u16(),
            message: format!("unreadable answer: {e}"),
        })
    }
}

/// The GitHub REST client for one token.
pub struct GithubClient {
    octo: Octocrab,
    api_url: String,
    writes: tokio::sync::Mutex<()>,
    /// Longest rate-limit wait Slipway sits through before giving up.
    pub max_wait: Duration,
}

impl GithubClient {
    pub fn new(api_url: &str, token: &SecretString) -> Result<Self, GithubError> {
        let api_url = api_url.trim_end_matches('/').to_string();
        let octo = Octocrab::builder()
            .base_uri(api_url.as_str())
            .map_err(|e| GithubError::Network {
                url: api_url.clone(),
                detail: e.to_string(),
            })?
            .personal_token(token.expose_secret().to_string())
            .add_header(
                http::header::ACCEPT,
                "application/vnd.github+json".to_string(),
            )
            .add_header(
                http::HeaderName::from_static("x-github-api-version"),
                "2022-11-28".to_string(),
            )
            .build()
            .map_err(|e| GithubError::Network {
                url: api_url.clone(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            octo,
            api_url,
            writes: tokio::sync::Mutex::new(()),
            max_wait: Duration::from_secs(60),
        })
    }

    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The web page where a classic token with these scopes can be created.
    pub fn new_token_url(&self, scopes: &[&str]) -> String {
        token::new_token_url(&self.api_url, scopes)
    }

    /// Sends one request, waiting out rate limits and retrying reads on 5xx.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        action: &str,
    ) -> Result<ApiResponse, GithubError> {
        let _write_turn = if method == Method::GET {
            None
        } else {
            Some(self.writes.lock().await)
        };
        let url = format!("{}{}", self.api_url, path);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let response = self.once(&method, &url, body).await?;
            let status = response.status;
            if let Some(wait) = rate_limit_wait(&response)? {
                if wait > self.max_wait || attempt >= MAX_ATTEMPTS {
                    return Err(GithubError::RateLimited {
                        until: reset_time(&response),
                    });
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            if status.is_server_error() && method == Method::GET && attempt < MAX_ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
                continue;
            }
            if status.is_server_error() {
                return Err(GithubError::Server {
                    action: action.to_string(),
                    status: status.as_u16(),
                    attempts: attempt,
                });
            }
            if status == StatusCode::UNAUTHORIZED {
                return Err(GithubError::Unauthorized {
                    new_token_url: self.new_token_url(token::NEEDED_SCOPES),
                });
            }
            return Ok(response);
        }
    }

    async fn once(
        &self,
        method: &Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<ApiResponse, GithubError> {
        let network = |e: octocrab::Error| GithubError::Network {
            url: self.api_url.clone(),
            detail: crate::aws::errors::error_chain(&e),
        };
        let result = match *method {
            Method::GET => self.octo._get(url).await,
            Method::POST => self.octo._post(url, body).await,
            Method::PUT => self.octo._put(url, body).await,
            Method::PATCH => self.octo._patch(url, body).await,
            Method::DELETE => self.octo._delete(url, body).await,
            _ => unreachable!("Slipway uses GET, POST, PUT, PATCH and DELETE only"),
        };
        let response = result.map_err(network)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = self.octo.body_to_string(response).await.map_err(network)?;
        Ok(ApiResponse {
            status,
            headers,
            body,
        })
    }

    /// GET that must succeed with JSON.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        action: &str,
        what: &str,
    ) -> Result<T, GithubError> {
        let r = self.send(Method::GET, path, None, action).await?;
        expect_success(&r, action, what)?;
        r.json(action)
    }

    /// DELETE where "gone already" (404) is as good as deleted.
    pub async fn delete_if_present(
        &self,
        path: &str,
        action: &str,
        what: &str,
    ) -> Result<(), GithubError> {
        let r = self.send(Method::DELETE, path, None, action).await?;
        if r.status.as_u16() == 404 {
            return Ok(());
        }
        expect_success(&r, action, what)
    }
}

/// Turns an unsuccessful status into the matching error.
pub fn expect_success(r: &ApiResponse, action: &str, what: &str) -> Result<(), GithubError> {
    match r.status.as_u16() {
        200..=299 => Ok(()),
        404 => Err(GithubError::NotFound { what: what.to_string() }),
        403 => Err(GithubError::Forbidden {
            action: action.to_string(),
            message: r.message(),
            hint: "The token may lack a scope or permission; `slipway github check` lists what is missing".into(),
        }),
        409 => Err(GithubError::Conflict { what: what.to_string(), message: r.message() }),
        422 => Err(GithubError::Validation { action: action.to_string(), message: r.message() }),
        status => Err(GithubError::Unexpected { action: action.to_string(), status, message: r.message() }),
    }
}

/// How long to wait before retrying a rate-limited answer; `None` if it is not one.
fn rate_limit_wait(r: &ApiResponse) -> Result<Option<Duration>, GithubError> {
    let limited = r.status == StatusCode::TOO_MANY_REQUESTS
        || (r.status == StatusCode::FORBIDDEN
            && (r.header("retry-after").is_some()
                || r.header("x-ratelimit-remaining") == Some("0")));
    if !limited {
        return Ok(None);
    }
    if let Some(secs) = r
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Ok(Some(Duration::from_secs(secs)));
    }
    if let Some(reset) = r
        .header("x-ratelimit-reset")
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        return Ok(Some(Duration::from_secs(reset.saturating_sub(now) + 1)));
    }
    // GitHub's advice for secondary limits without a header: wait a minute.
    Ok(Some(Duration::from_secs(60)))
}

fn reset_time(r: &ApiResponse) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let at = r
        .header("x-ratelimit-reset")
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| {
            r.header("retry-after")
                .and_then(|v| v.parse::<u64>().ok())
                .map(|s| now + s)
        })
        .unwrap_or(now + 60);
    let secs_of_day = at % 86_400;
    format!(
        "{:02}:{:02}:{:02}",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

/// Percent-encodes one path segment (an owner, a repository, a secret name).
pub fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2D", "-")
        .replace("%2E", ".")
        .replace("%5F", "_")
}

/// Encodes a file path, keeping its slashes.
pub fn file_path(p: &str) -> String {
    p.split('/').map(seg).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&'static str, &str)]) -> ApiResponse {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        ApiResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: String::new(),
        }
    }

    #[test]
    fn rate_limits_are_recognized_and_their_wait_read_from_headers() {
        assert_eq!(rate_limit_wait(&response(200, &[])).unwrap(), None);
        assert_eq!(
            rate_limit_wait(&response(403, &[])).unwrap(),
            None,
            "a plain 403 is a permission problem"
        );
        assert_eq!(
            rate_limit_wait(&response(429, &[("retry-after", "7")])).unwrap(),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            rate_limit_wait(&response(403, &[("retry-after", "2")])).unwrap(),
            Some(Duration::from_secs(2))
        );
        let soon = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 5)
        .to_string();
        let wait = rate_limit_wait(&response(
            403,
            &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &soon)],
        ))
        .unwrap()
        .unwrap();
        assert!((5..=7).contains(&wait.as_secs()), "{wait:?}");
        assert_eq!(
            rate_limit_wait(&response(429, &[])).unwrap(),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn path_segments_are_encoded_but_file_paths_keep_slashes() {
        assert_eq!(seg("my repo"), "my%20repo");
        assert_eq!(seg("a.b-c_d"), "a.b-c_d");
        assert_eq!(
            file_path(".github/workflows/slipway-ecr.yml"),
            ".github/workflows/slipway-ecr.yml"
        );
    }
}
