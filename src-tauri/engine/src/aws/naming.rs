//! ECR repository names: `{prefix}/{repo}/{branch-slug}`, with GitHub
//! repository and branch names turned into valid ECR path components.
//!
//! ECR allows `[a-z0-9]+([._-][a-z0-9]+)*` per component, `/` between
//! components, 2 to 256 characters in all. Branch names allow far more
//! (`feature/Login`, `release/1.2`, `fix--UTF8✓`), so they are slugged:
//! lowercased, every other character becomes `-`, runs of separators collapse
//! into one `-`, separators are trimmed from both ends, and a slug longer than
//! 60 characters is cut and given a short hash so distinct branches stay distinct.

use sha2::{Digest, Sha256};
use thiserror::Error;

const MAX_SLUG: usize = 60;
const MAX_REPOSITORY_NAME: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NamingError {
    #[error("\"{0}\" has no letters or digits, so it cannot name an ECR repository")]
    Empty(String),
    #[error("the repository prefix \"{0}\" is not valid for ECR: use lowercase letters, digits, '.', '_', '-' and '/' between parts (for example \"slipway\" or \"ci/images\")")]
    BadPrefix(String),
    #[error("the ECR repository name for {repo}@{branch} would be {len} characters; ECR allows {MAX_REPOSITORY_NAME}. Use a shorter prefix")]
    TooLong {
        repo: String,
        branch: String,
        len: usize,
    },
}

fn is_separator(c: char) -> bool {
    matches!(c, '.' | '_' | '-')
}

/// One ECR path component from any text (a branch or a repository name).
pub fn slug(text: &str) -> Result<String, NamingError> {
    let mapped: String = text
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || is_separator(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    // Collapse separator runs: one separator stays as it is, a run becomes '-'.
    let mut out = String::with_capacity(mapped.len());
    let mut run = String::new();
    for c in mapped.chars() {
        if is_separator(c) {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            if !out.is_empty() {
                out.push(if run.len() == 1 {
                    run.chars().next().unwrap()
                } else {
                    '-'
                });
            }
            run.clear();
        }
        out.push(c);
    }
    if out.is_empty() {
        return Err(NamingError::Empty(text.to_string()));
    }
    if out.len() > MAX_SLUG {
        let hash = Sha256::digest(text.as_bytes());
        let short: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
        let mut cut = out[..MAX_SLUG - 9].to_string();
        while cut.ends_with(is_separator) {
            cut.pop();
        }
        out = format!("{cut}-{short}");
    }
    Ok(out)
}

/// Checks a prefix such as `slipway` or `ci/images`.
pub fn validate_prefix(prefix: &str) -> Result<(), NamingError> {
    let ok = !prefix.is_empty()
        && prefix
            .split('/')
            .all(|part| slug(part).map(|s| s == part).unwrap_or(false));
    if ok {
        Ok(())
    } else {
        Err(NamingError::BadPrefix(prefix.to_string()))
    }
}

/// `{prefix}/{repo}/{branch-slug}`.
pub fn repository_name(prefix: &str, repo: &str, branch: &str) -> Result<String, NamingError> {
    validate_prefix(prefix)?;
    let name = format!("{prefix}/{}/{}", slug(repo)?, slug(branch)?);
    if name.len() > MAX_REPOSITORY_NAME {
        return Err(NamingError::TooLong {
            repo: repo.to_string(),
            branch: branch.to_string(),
            len: name.len(),
        });
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_become_valid_components() {
        let cases = [
            ("main", "main"),
            ("feature/Login-Page", "feature-login-page"),
            ("release/1.2", "release-1.2"),
            ("fix__double", "fix-double"),
            ("--weird--", "weird"),
            (
                "dependabot/npm_and_yarn/lodash-4.17.21",
                "dependabot-npm_and_yarn-lodash-4.17.21",
            ),
            ("ÜberFix✓", "berfix"),
            ("a.b_c-d", "a.b_c-d"),
            ("a._-b", "a-b"),
        ];
        for (branch, want) in cases {
            assert_eq!(slug(branch).unwrap(), want, "{branch}");
        }
    }

    #[test]
    fn every_slug_matches_ecrs_component_pattern() {
        for branch in [
            "x",
            "A/B/C",
            "1.0.0-rc.1",
            "..a..",
            "a",
            "feature/ünïcödé-42",
            "__init__",
        ] {
            let s = slug(branch).unwrap();
            let mut prev_sep = true;
            for c in s.chars() {
                let sep = is_separator(c);
                assert!(!(sep && prev_sep), "{s} has a leading or doubled separator");
                assert!(c.is_ascii_lowercase() || c.is_ascii_digit() || sep, "{s}");
                prev_sep = sep;
            }
            assert!(!prev_sep, "{s} ends with a separator");
        }
    }

    #[test]
    fn names_with_nothing_usable_are_refused() {
        assert_eq!(slug("///"), Err(NamingError::Empty("///".into())));
        assert!(slug("✓✓").is_err());
    }

    #[test]
    fn long_branches_are_cut_with_a_hash_that_keeps_them_distinct() {
        let a = format!("feature/{}", "x".repeat(100));
        let b = format!("feature/{}y", "x".repeat(99));
        let (sa, sb) = (slug(&a).unwrap(), slug(&b).unwrap());
        assert_eq!(sa.len(), MAX_SLUG);
        assert_ne!(sa, sb);
        assert!(sa.starts_with("feature-xxx"));
    }

    #[test]
    fn repository_names_join_prefix_repo_and_branch() {
        assert_eq!(
            repository_name("slipway", "My.API", "feature/x").unwrap(),
            "slipway/my.api/feature-x"
        );
        assert_eq!(
            repository_name("ci/images", "web", "main").unwrap(),
            "ci/images/web/main"
        );
        assert!(matches!(
            repository_name("Bad Prefix", "web", "main"),
            Err(NamingError::BadPrefix(_))
        ));
        assert!(matches!(
            repository_name("a//b", "web", "main"),
            Err(NamingError::BadPrefix(_))
        ));
        let long_prefix = vec!["p".repeat(60); 5].join("/");
        assert!(matches!(
            repository_name(&long_prefix, "web", "main"),
            Err(NamingError::TooLong { .. })
        ));
    }
}
