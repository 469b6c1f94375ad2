//! What each of Slipway's ECR repositories holds, for the status window:
//! how many images, the newest one's tags and push time, the bytes stored.

use aws_sdk_ecr::Client;
use serde::Serialize;

use super::errors::{classify, AwsError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepositoryImages {
    pub repository: String,
    /// False when the repository does not exist (yet).
    pub exists: bool,
    pub images: u32,
    pub latest_tags: Vec<String>,
    /// RFC 3339, UTC.
    pub latest_pushed_at: Option<String>,
    pub total_bytes: u64,
}

/// Summarises one repository's images (every page).
pub async fn repository_images(
    ecr: &Client,
    repository: &str,
    identity: &str,
    region: &str,
) -> Result<RepositoryImages, AwsError> {
    let mut out = RepositoryImages {
        repository: repository.to_string(),
        exists: true,
        images: 0,
        latest_tags: Vec::new(),
        latest_pushed_at: None,
        total_bytes: 0,
    };
    let mut newest: Option<(i64, Vec<String>)> = None;
    let mut pages = ecr
        .describe_images()
        .repository_name(repository)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let not_found = e
                    .as_service_error()
                    .is_some_and(|s| s.is_repository_not_found_exception());
                if not_found {
                    out.exists = false;
                    return Ok(out);
                }
                return Err(classify("ecr:DescribeImages", identity, region, e));
            }
        };
        for image in page.image_details() {
            out.images += 1;
            out.total_bytes += image.image_size_in_bytes().unwrap_or(0).max(0) as u64;
            let pushed = image.image_pushed_at().map(|t| t.secs()).unwrap_or(0);
            if newest.as_ref().is_none_or(|(t, _)| pushed > *t) {
                newest = Some((pushed, image.image_tags().to_vec()));
            }
        }
    }
    if let Some((secs, tags)) = newest {
        out.latest_tags = tags;
        out.latest_pushed_at = rfc3339(secs);
    }
    Ok(out)
}

/// Seconds since the epoch as RFC 3339 (UTC).
fn rfc3339(secs: i64) -> Option<String> {
    aws_sdk_ecr::primitives::DateTime::from_secs(secs)
        .fmt(aws_sdk_ecr::primitives::DateTimeFormat::DateTime)
        .ok()
}
