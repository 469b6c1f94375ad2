//! IAM policy documents, built from a typed model so their exact content is
//! unit-tested: the ECR push policy (for the IAM user or the OIDC role) and the
//! OIDC role's trust policy. Documents are compared in a canonical form
//! (sorted keys, no whitespace), so a re-apply sees no change.

use std::collections::BTreeMap;

use serde::Serialize;

pub const POLICY_VERSION: &str = "2012-10-17";
pub const GITHUB_OIDC_HOST: &str = "token.actions.githubusercontent.com";
pub const STS_AUDIENCE: &str = "sts.amazonaws.com";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: &'static str,
    pub statement: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub sid: &'static str,
    pub effect: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<BTreeMap<&'static str, String>>,
    pub action: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Vec<String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: BTreeMap<&'static str, BTreeMap<String, Vec<String>>>,
}

impl PolicyDocument {
    /// The canonical JSON text: what is sent and what observed documents are
    /// compared against.
    pub fn to_canonical_json(&self) -> String {
        let value = serde_json::to_value(self).expect("policy serializes");
        serde_json::to_string(&value).expect("value serializes")
    }
}

/// Re-serializes any JSON document with sorted keys and no whitespace; `None`
/// when it is not JSON.
pub fn canonical_json(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    serde_json::to_string(&value).ok()
}

/// Push and pull on the repositories under the prefix. `GetDownloadUrlForLayer`
/// is a pull action that docker needs to pull base layers and build caches
/// from these repositories. No `CreateRepository`: Slipway creates the
/// repositories itself (see docs/ARCHITECTURE.md on create-on-push).
pub fn ecr_push_policy(region: &str, account_id: &str, prefix: &str) -> PolicyDocument {
    let actions = vec![
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:DescribeImages",
        "ecr:DescribeRepositories",
        "ecr:GetDownloadUrlForLayer",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
    ];
    PolicyDocument {
        version: POLICY_VERSION,
        statement: vec![
            Statement {
                sid: "EcrLogin",
                effect: "Allow",
                principal: None,
                action: vec!["ecr:GetAuthorizationToken"],
                resource: Some(vec!["*".into()]),
                condition: BTreeMap::new(),
            },
            Statement {
                sid: "PushPullSlipwayRepositories",
                effect: "Allow",
                principal: None,
                action: actions,
                resource: Some(vec![format!(
                    "arn:aws:ecr:{region}:{account_id}:repository/{prefix}/*"
                )]),
                condition: BTreeMap::new(),
            },
        ],
    }
}

/// A repository allowed to assume the OIDC role; ids give the immutable
/// subject form when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRepository {
    pub name: String,
    pub id: Option<u64>,
}

/// The OIDC role's trust policy: GitHub's token service, audience
/// `sts.amazonaws.com`, and subjects for the selected repositories in both
/// forms GitHub emits (`repo:ORG/REPO:*` and `repo:ORG@ORGID/REPO@REPOID:*`).
pub fn github_oidc_trust_policy(
    account_id: &str,
    org: &str,
    org_id: Option<u64>,
    repositories: &[TrustedRepository],
) -> PolicyDocument {
    let mut subjects = Vec::new();
    for repo in repositories {
        subjects.push(format!("repo:{org}/{}:*", repo.name));
        if let (Some(org_id), Some(repo_id)) = (org_id, repo.id) {
            subjects.push(format!("repo:{org}@{org_id}/{}@{repo_id}:*", repo.name));
        }
    }
    let mut condition = BTreeMap::new();
    condition.insert(
        "StringEquals",
        BTreeMap::from([(
            format!("{GITHUB_OIDC_HOST}:aud"),
            vec![STS_AUDIENCE.to_string()],
        )]),
    );
    condition.insert(
        "StringLike",
        BTreeMap::from([(format!("{GITHUB_OIDC_HOST}:sub"), subjects)]),
    );
    PolicyDocument {
        version: POLICY_VERSION,
        statement: vec![Statement {
            sid: "GitHubActionsOidc",
            effect: "Allow",
            principal: Some(BTreeMap::from([(
                "Federated",
                format!("arn:aws:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"),
            )])),
            action: vec!["sts:AssumeRoleWithWebIdentity"],
            resource: None,
            condition,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_policy_is_exactly_login_plus_push_pull_on_the_prefix() {
        let doc = ecr_push_policy("eu-west-1", "123456789012", "slipway");
        let want = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "EcrLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": ["*"]},
                {"Sid": "PushPullSlipwayRepositories", "Effect": "Allow",
                 "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
                            "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer",
                            "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"],
                 "Resource": ["arn:aws:ecr:eu-west-1:123456789012:repository/slipway/*"]}
            ]
        });
        assert_eq!(serde_json::to_value(&doc).unwrap(), want);
        assert!(!doc.to_canonical_json().contains(' '));
    }

    #[test]
    fn no_wildcard_action_and_no_repository_outside_the_prefix() {
        let doc = ecr_push_policy("us-east-1", "1", "p").to_canonical_json();
        assert!(
            !doc.contains("ecr:*")
                && !doc.contains("CreateRepository")
                && doc.contains("repository/p/*")
        );
    }

    #[test]
    fn trust_policy_allows_both_subject_forms_for_selected_repos_only() {
        let repos = [
            TrustedRepository {
                name: "api".into(),
                id: Some(42),
            },
            TrustedRepository {
                name: "web".into(),
                id: None,
            },
        ];
        let doc = github_oidc_trust_policy("123456789012", "acme", Some(7), &repos);
        let want = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "GitHubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
                "Action": ["sts:AssumeRoleWithWebIdentity"],
                "Condition": {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": ["sts.amazonaws.com"]},
                    "StringLike": {"token.actions.githubusercontent.com:sub": [
                        "repo:acme/api:*", "repo:acme@7/api@42:*", "repo:acme/web:*"
                    ]}
                }
            }]
        });
        assert_eq!(serde_json::to_value(&doc).unwrap(), want);
    }

    #[test]
    fn canonical_form_ignores_key_order_and_whitespace() {
        let a = "{ \"b\": [1, 2], \"a\": {\"y\": 1, \"x\": 2} }";
        let b = "{\"a\":{\"x\":2,\"y\":1},\"b\":[1,2]}";
        assert_eq!(canonical_json(a), canonical_json(b));
        assert_eq!(canonical_json("not json"), None);
    }
}
