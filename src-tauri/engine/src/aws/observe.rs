//! Observation: reads the AWS world into resources the plan can compare.
//! Slipway's resources are found by their tags (under the IAM path and the
//! repository prefix), and same-named resources are read too, so a clash is
//! seen before anything is created.

use std::collections::BTreeMap;

use super::keys::read_stored_key;
use super::policy::{canonical_json, GITHUB_OIDC_HOST};
use super::support::tags_are_ours;
use super::*;
use crate::plan::{Attributes, ObservedResource, ResourceId};

fn decode_policy(url_encoded: &str) -> String {
    let text = percent_encoding::percent_decode_str(url_encoded)
        .decode_utf8_lossy()
        .to_string();
    canonical_json(&text).unwrap_or(text)
}

fn tagged(
    pairs: impl IntoIterator<Item = (String, String)>,
) -> (Attributes, BTreeMap<String, String>) {
    let tags: BTreeMap<String, String> = pairs.into_iter().collect();
    let attrs = tags
        .iter()
        .map(|(k, v)| (format!("tag.{k}"), v.clone()))
        .collect();
    (attrs, tags)
}

fn is_ours(tags: &BTreeMap<String, String>, install_id: &str) -> bool {
    tags_are_ours(
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        install_id,
    )
}

pub(super) async fn observe(
    p: &AwsProvider,
    _state: &DesiredState,
) -> Result<Vec<ObservedResource>, AwsError> {
    let mut out = Vec::new();
    observe_users(p, &mut out).await?;
    observe_roles(p, &mut out).await?;
    observe_oidc(p, &mut out).await?;
    observe_repositories(p, &mut out).await?;
    Ok(out)
}

async fn observe_users(p: &AwsProvider, out: &mut Vec<ObservedResource>) -> Result<(), AwsError> {
    let iam = &p.session.iam;
    let mut names: Vec<String> = iam
        .list_users()
        .path_prefix(&p.settings.iam_path)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(p.err("iam:ListUsers"))?
        .iter()
        .map(|u| u.user_name().to_string())
        .collect();
    if !names.contains(&p.settings.push_user) {
        names.push(p.settings.push_user.clone());
    }
    for name in names {
        let user = match iam.get_user().user_name(&name).send().await {
            Ok(out) => out.user.expect("GetUser returns the user"),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                continue
            }
            Err(e) => return Err(p.err("iam:GetUser")(e)),
        };
        let tags = iam
            .list_user_tags()
            .user_name(&name)
            .send()
            .await
            .map_err(p.err("iam:ListUserTags"))?;
        let (mut attributes, tags) = tagged(
            tags.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string())),
        );
        let owned = is_ours(&tags, &p.install_id);
        // Another install's or a foreign user under our path: not ours, and
        // only of interest when it has the configured name.
        if !owned && name != p.settings.push_user {
            continue;
        }
        attributes.insert("path".into(), user.path().to_string());
        let user_id = ResourceId::new(KIND_USER, &name);
        out.push(ObservedResource {
            id: user_id.clone(),
            depends_on: vec![],
            attributes,
            owned,
        });
        if !owned {
            continue;
        }
        match iam
            .get_user_policy()
            .user_name(&name)
            .policy_name(PUSH_POLICY_NAME)
            .send()
            .await
        {
            Ok(pol) => out.push(ObservedResource {
                id: ResourceId::new(KIND_USER_POLICY, format!("{name}/{PUSH_POLICY_NAME}")),
                depends_on: vec![user_id.clone()],
                attributes: Attributes::from([(
                    "document".into(),
                    decode_policy(pol.policy_document()),
                )]),
                owned: true,
            }),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) => {}
            Err(e) => return Err(p.err("iam:GetUserPolicy")(e)),
        }
        let key_ids = p.list_key_ids(&name).await?;
        let held = read_stored_key(&p.keychain, &p.settings.key_secret)
            .await?
            .filter(|k| k.user == name);
        let state = match (&held, key_ids.len()) {
            (Some(k), n) if key_ids.contains(&k.access_key_id) && n == 1 => {
                Some(KEY_HELD.to_string())
            }
            (Some(k), n) if key_ids.contains(&k.access_key_id) => {
                Some(format!("held, plus {} key(s) nobody holds", n - 1))
            }
            (Some(_), 0) => Some("keychain holds a key IAM no longer has".to_string()),
            (Some(_), n) => Some(format!(
                "keychain holds a deleted key; {n} key(s) nobody holds"
            )),
            (None, 0) => None,
            (None, n) => Some(format!("{n} key(s), none in the keychain")),
        };
        if let Some(state) = state {
            out.push(ObservedResource {
                id: ResourceId::new(KIND_ACCESS_KEY, &name),
                depends_on: vec![user_id],
                attributes: Attributes::from([
                    ("keychain_entry".into(), p.settings.key_secret.clone()),
                    ("key".into(), state),
                ]),
                owned: true,
            });
        }
    }
    Ok(())
}

async fn observe_roles(p: &AwsProvider, out: &mut Vec<ObservedResource>) -> Result<(), AwsError> {
    let iam = &p.session.iam;
    let mut names: Vec<String> = iam
        .list_roles()
        .path_prefix(&p.settings.iam_path)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(p.err("iam:ListRoles"))?
        .iter()
        .map(|r| r.role_name().to_string())
        .collect();
    if !names.contains(&p.settings.push_role) {
        names.push(p.settings.push_role.clone());
    }
    for name in names {
        let role = match iam.get_role().role_name(&name).send().await {
            Ok(out) => out.role.expect("GetRole returns the role"),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                continue
            }
            Err(e) => return Err(p.err("iam:GetRole")(e)),
        };
        let (mut attributes, tags) = tagged(
            role.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string())),
        );
        let owned = is_ours(&tags, &p.install_id);
        if !owned && name != p.settings.push_role {
            continue;
        }
        attributes.insert("path".into(), role.path().to_string());
        if let Some(doc) = role.assume_role_policy_document() {
            attributes.insert("trust_policy".into(), decode_policy(doc));
        }
        let role_id = ResourceId::new(KIND_ROLE, &name);
        let depends_on = vec![ResourceId::new(KIND_OIDC_PROVIDER, GITHUB_OIDC_HOST)];
        out.push(ObservedResource {
            id: role_id.clone(),
            depends_on: depends_on.clone(),
            attributes,
            owned,
        });
        if !owned {
            continue;
        }
        match iam
            .get_role_policy()
            .role_name(&name)
            .policy_name(PUSH_POLICY_NAME)
            .send()
            .await
        {
            Ok(pol) => out.push(ObservedResource {
                id: ResourceId::new(KIND_ROLE_POLICY, format!("{name}/{PUSH_POLICY_NAME}")),
                depends_on: vec![role_id],
                attributes: Attributes::from([(
                    "document".into(),
                    decode_policy(pol.policy_document()),
                )]),
                owned: true,
            }),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) => {}
            Err(e) => return Err(p.err("iam:GetRolePolicy")(e)),
        }
    }
    Ok(())
}

async fn observe_oidc(p: &AwsProvider, out: &mut Vec<ObservedResource>) -> Result<(), AwsError> {
    let iam = &p.session.iam;
    let list = iam
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(p.err("iam:ListOpenIDConnectProviders"))?;
    for entry in list.open_id_connect_provider_list() {
        let Some(arn) = entry.arn() else { continue };
        if !arn.ends_with(&format!("/{GITHUB_OIDC_HOST}")) {
            continue;
        }
        let provider = iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
            .map_err(p.err("iam:GetOpenIDConnectProvider"))?;
        let (mut attributes, tags) = tagged(
            provider
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string())),
        );
        let url = provider.url().unwrap_or_default();
        let url = if url.starts_with("https://") {
            url.to_string()
        } else {
            format!("https://{url}")
        };
        attributes.insert("url".into(), url);
        attributes.insert("audience".into(), provider.client_id_list().join(","));
        attributes.insert("arn".into(), arn.to_string());
        out.push(ObservedResource {
            id: ResourceId::new(KIND_OIDC_PROVIDER, GITHUB_OIDC_HOST),
            depends_on: vec![],
            attributes,
            owned: is_ours(&tags, &p.install_id),
        });
    }
    Ok(())
}

async fn observe_repositories(
    p: &AwsProvider,
    out: &mut Vec<ObservedResource>,
) -> Result<(), AwsError> {
    let ecr = &p.session.ecr;
    let prefix = format!("{}/", p.settings.repository_prefix);
    let repos = ecr
        .describe_repositories()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(p.err("ecr:DescribeRepositories"))?;
    for repo in repos {
        let (Some(name), Some(arn)) = (repo.repository_name(), repo.repository_arn()) else {
            continue;
        };
        if !name.starts_with(&prefix) {
            continue;
        }
        let tags = ecr
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(p.err("ecr:ListTagsForResource"))?;
        let (mut attributes, tags) = tagged(
            tags.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string())),
        );
        let scan = repo
            .image_scanning_configuration()
            .map(|c| c.scan_on_push())
            .unwrap_or(false);
        attributes.insert("scan_on_push".into(), scan.to_string());
        match ecr
            .get_lifecycle_policy()
            .repository_name(name)
            .send()
            .await
        {
            Ok(pol) => {
                let text = pol.lifecycle_policy_text().unwrap_or_default();
                attributes.insert(
                    "lifecycle_policy".into(),
                    canonical_json(text).unwrap_or(text.to_string()),
                );
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_lifecycle_policy_not_found_exception()) => {}
            Err(e) => return Err(p.err("ecr:GetLifecyclePolicy")(e)),
        }
        out.push(ObservedResource {
            id: ResourceId::new(KIND_REPOSITORY, name),
            depends_on: vec![],
            attributes,
            owned: is_ours(&tags, &p.install_id),
        });
    }
    Ok(())
}
