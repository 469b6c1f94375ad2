//! Apply for AWS resources: one idempotent function per kind and action.
//! Creating something that already exists (and is ours) succeeds; deleting
//! something already gone succeeds.

use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability, Tag as EcrTag};
use aws_sdk_iam::types::Tag as IamTag;

use super::support::{is_no_such_entity, tags_are_ours};
use super::*;
use crate::apply::{StepError, StepProgress, StepRunner};
use crate::plan::{Action, Step};

impl From<AwsError> for StepError {
    fn from(e: AwsError) -> Self {
        StepError::new(e.to_string())
    }
}

fn iam_tags(install_id: &str) -> Vec<IamTag> {
    tag_attrs(install_id)
        .into_iter()
        .map(|(k, v)| {
            IamTag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value are set")
        })
        .collect()
}

fn ecr_tags(install_id: &str) -> Vec<EcrTag> {
    tag_attrs(install_id)
        .into_iter()
        .map(|(k, v)| {
            EcrTag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value are set")
        })
        .collect()
}

fn attr<'a>(step: &'a Step, key: &str) -> Result<&'a str, AwsError> {
    step.attributes
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| AwsError::Other {
            action: step.resource.to_string(),
            code: "Internal".into(),
            message: format!("the plan has no {key} for this resource"),
        })
}

/// `user/policy` → (`user`, `policy`).
fn split_owner(name: &str) -> (&str, &str) {
    name.split_once('/').unwrap_or((name, PUSH_POLICY_NAME))
}

impl StepRunner for AwsProvider {
    async fn run(&self, step: &Step, _progress: &StepProgress<'_>) -> Result<(), StepError> {
        let name = step.resource.name.as_str();
        let result = match (step.resource.kind.as_str(), step.action) {
            (KIND_USER, Action::Create | Action::Update) => self.ensure_user(name, step).await,
            (KIND_USER, Action::Delete) => self.delete_user(name).await,
            (KIND_USER_POLICY, Action::Create | Action::Update) => {
                let (user, policy) = split_owner(name);
                self.put_user_policy(user, policy, attr(step, "document")?)
                    .await
            }
            (KIND_USER_POLICY, Action::Delete) => {
                let (user, policy) = split_owner(name);
                self.delete_user_policy(user, policy).await
            }
            (KIND_ACCESS_KEY, Action::Create | Action::Update) => self.converge_key(name).await,
            (KIND_ACCESS_KEY, Action::Delete) => self.remove_keys(name).await,
            (KIND_REPOSITORY, Action::Create | Action::Update) => {
                self.ensure_repository(name, step).await
            }
            (KIND_REPOSITORY, Action::Delete) => self.delete_repository(name).await,
            (KIND_OIDC_PROVIDER, Action::Create | Action::Update) => {
                self.ensure_oidc_provider(step).await
            }
            (KIND_OIDC_PROVIDER, Action::Delete) => self.delete_oidc_provider().await,
            (KIND_ROLE, Action::Create | Action::Update) => self.ensure_role(name, step).await,
            (KIND_ROLE, Action::Delete) => self.delete_role(name).await,
            (KIND_ROLE_POLICY, Action::Create | Action::Update) => {
                let (role, policy) = split_owner(name);
                self.put_role_policy(role, policy, attr(step, "document")?)
                    .await
            }
            (KIND_ROLE_POLICY, Action::Delete) => {
                let (role, policy) = split_owner(name);
                self.delete_role_policy(role, policy).await
            }
            (_, Action::NoOp) => Ok(()),
            (kind, _) => Err(AwsError::Other {
                action: step.resource.to_string(),
                code: "Internal".into(),
                message: format!("the AWS provider does not handle {kind}"),
            }),
        };
        result.map_err(StepError::from)
    }
}

impl AwsProvider {
    async fn ensure_user(&self, name: &str, step: &Step) -> Result<(), AwsError> {
        let path = attr(step, "path")?;
        let iam = &self.session.iam;
        let created = iam
            .create_user()
            .user_name(name)
            .path(path)
            .set_tags(Some(iam_tags(&self.install_id)))
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_entity_already_exists_exception()) =>
            {
                if step.action == Action::Create && !self.user_is_ours(name).await? {
                    return Err(AwsError::NameClash {
                        kind: "The IAM user",
                        name: name.to_string(),
                    });
                }
                // Ours already (a re-run), or adopted: make path and tags
                // right. The path first: it changes the user's ARN.
                iam.update_user()
                    .user_name(name)
                    .new_path(path)
                    .send()
                    .await
                    .map_err(self.err("iam:UpdateUser"))?;
                iam.tag_user()
                    .user_name(name)
                    .set_tags(Some(iam_tags(&self.install_id)))
                    .send()
                    .await
                    .map_err(self.err("iam:TagUser"))?;
                Ok(())
            }
            Err(e) => Err(self.err("iam:CreateUser")(e)),
        }
    }

    async fn user_is_ours(&self, name: &str) -> Result<bool, AwsError> {
        let tags = self
            .session
            .iam
            .list_user_tags()
            .user_name(name)
            .send()
            .await
            .map_err(self.err("iam:ListUserTags"))?;
        Ok(tags_are_ours(
            tags.tags().iter().map(|t| (t.key(), t.value())),
            &self.install_id,
        ))
    }

    async fn delete_user(&self, name: &str) -> Result<(), AwsError> {
        let iam = &self.session.iam;
        self.remove_keys(name).await?;
        let policies = match iam.list_user_policies().user_name(name).send().await {
            Ok(out) => out.policy_names().to_vec(),
            Err(e) if is_no_such_entity(&e) => return Ok(()),
            Err(e) => return Err(self.err("iam:ListUserPolicies")(e)),
        };
        for policy in policies {
            self.delete_user_policy(name, &policy).await?;
        }
        let attached = iam
            .list_attached_user_policies()
            .user_name(name)
            .send()
            .await
            .map_err(self.err("iam:ListAttachedUserPolicies"))?;
        for policy in attached.attached_policies() {
            if let Some(arn) = policy.policy_arn() {
                iam.detach_user_policy()
                    .user_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(self.err("iam:DetachUserPolicy"))?;
            }
        }
        match iam.delete_user().user_name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_no_such_entity(&e) => Ok(()),
            Err(e) => Err(self.err("iam:DeleteUser")(e)),
        }
    }

    async fn put_user_policy(
        &self,
        user: &str,
        policy: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        self.session
            .iam
            .put_user_policy()
            .user_name(user)
            .policy_name(policy)
            .policy_document(document)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                self.policy_err(
                    "iam:PutUserPolicy",
                    &format!("the inline policy {policy} of {user}"),
                    e,
                )
            })
    }

    async fn delete_user_policy(&self, user: &str, policy: &str) -> Result<(), AwsError> {
        match self
            .session
            .iam
            .delete_user_policy()
            .user_name(user)
            .policy_name(policy)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_no_such_entity(&e) => Ok(()),
            Err(e) => Err(self.err("iam:DeleteUserPolicy")(e)),
        }
    }

    async fn ensure_repository(&self, name: &str, step: &Step) -> Result<(), AwsError> {
        let ecr = &self.session.ecr;
        let scan = attr(step, "scan_on_push")? == "true";
        let lifecycle = attr(step, "lifecycle_policy")?;
        let scanning = ImageScanningConfiguration::builder()
            .scan_on_push(scan)
            .build();
        let created = ecr
            .create_repository()
            .repository_name(name)
            .image_scanning_configuration(scanning.clone())
            .image_tag_mutability(ImageTagMutability::Mutable)
            .set_tags(Some(ecr_tags(&self.install_id)))
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_repository_already_exists_exception()) =>
            {
                let arn = self.repository_arn(name).await?;
                let tags = ecr
                    .list_tags_for_resource()
                    .resource_arn(&arn)
                    .send()
                    .await
                    .map_err(self.err("ecr:ListTagsForResource"))?;
                let ours = tags_are_ours(
                    tags.tags().iter().map(|t| (t.key(), t.value())),
                    &self.install_id,
                );
                if step.action == Action::Create && !ours {
                    return Err(AwsError::NameClash {
                        kind: "The ECR repository",
                        name: name.to_string(),
                    });
                }
                ecr.tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(ecr_tags(&self.install_id)))
                    .send()
                    .await
                    .map_err(self.err("ecr:TagResource"))?;
                ecr.put_image_scanning_configuration()
                    .repository_name(name)
                    .image_scanning_configuration(scanning)
                    .send()
                    .await
                    .map_err(self.err("ecr:PutImageScanningConfiguration"))?;
            }
            Err(e) => return Err(self.err("ecr:CreateRepository")(e)),
        }
        ecr.put_lifecycle_policy()
            .repository_name(name)
            .lifecycle_policy_text(lifecycle)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                self.policy_err(
                    "ecr:PutLifecyclePolicy",
                    &format!("the lifecycle policy of {name}"),
                    e,
                )
            })
    }

    async fn repository_arn(&self, name: &str) -> Result<String, AwsError> {
        let out = self
            .session
            .ecr
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
            .map_err(self.err("ecr:DescribeRepositories"))?;
        Ok(out
            .repositories()
            .first()
            .and_then(|r| r.repository_arn())
            .unwrap_or_default()
            .to_string())
    }

    async fn delete_repository(&self, name: &str) -> Result<(), AwsError> {
        match self
            .session
            .ecr
            .delete_repository()
            .repository_name(name)
            .force(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_repository_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(self.err("ecr:DeleteRepository")(e)),
        }
    }

    fn oidc_provider_arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:oidc-provider/{}",
            self.session.identity.account_id,
            policy::GITHUB_OIDC_HOST
        )
    }

    async fn ensure_oidc_provider(&self, step: &Step) -> Result<(), AwsError> {
        let iam = &self.session.iam;
        let created = iam
            .create_open_id_connect_provider()
            .url(attr(step, "url")?)
            .client_id_list(attr(step, "audience")?)
            .set_tags(Some(iam_tags(&self.install_id)))
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_entity_already_exists_exception()) =>
            {
                iam.tag_open_id_connect_provider()
                    .open_id_connect_provider_arn(self.oidc_provider_arn())
                    .set_tags(Some(iam_tags(&self.install_id)))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(self.err("iam:TagOpenIDConnectProvider"))
            }
            Err(e) => Err(self.err("iam:CreateOpenIDConnectProvider")(e)),
        }
    }

    async fn delete_oidc_provider(&self) -> Result<(), AwsError> {
        let arn = self.oidc_provider_arn();
        match self
            .session
            .iam
            .delete_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_no_such_entity(&e) => Ok(()),
            Err(e) => Err(self.err("iam:DeleteOpenIDConnectProvider")(e)),
        }
    }

    async fn ensure_role(&self, name: &str, step: &Step) -> Result<(), AwsError> {
        let iam = &self.session.iam;
        let trust = attr(step, "trust_policy")?;
        let created = iam
            .create_role()
            .role_name(name)
            .path(attr(step, "path")?)
            .assume_role_policy_document(trust)
            .description(
                "Slipway: lets GitHub Actions in the selected repositories push images to ECR",
            )
            .set_tags(Some(iam_tags(&self.install_id)))
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_entity_already_exists_exception()) =>
            {
                if step.action == Action::Create {
                    let role = iam
                        .get_role()
                        .role_name(name)
                        .send()
                        .await
                        .map_err(self.err("iam:GetRole"))?;
                    let ours = role.role().is_some_and(|r| {
                        tags_are_ours(
                            r.tags().iter().map(|t| (t.key(), t.value())),
                            &self.install_id,
                        )
                    });
                    if !ours {
                        return Err(AwsError::NameClash {
                            kind: "The IAM role",
                            name: name.to_string(),
                        });
                    }
                }
                iam.update_assume_role_policy()
                    .role_name(name)
                    .policy_document(trust)
                    .send()
                    .await
                    .map_err(|e| {
                        self.policy_err(
                            "iam:UpdateAssumeRolePolicy",
                            &format!("the trust policy of {name}"),
                            e,
                        )
                    })?;
                iam.tag_role()
                    .role_name(name)
                    .set_tags(Some(iam_tags(&self.install_id)))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(self.err("iam:TagRole"))
            }
            Err(e) => {
                Err(self.policy_err("iam:CreateRole", &format!("the trust policy of {name}"), e))
            }
        }
    }

    async fn delete_role(&self, name: &str) -> Result<(), AwsError> {
        let iam = &self.session.iam;
        let policies = match iam.list_role_policies().role_name(name).send().await {
            Ok(out) => out.policy_names().to_vec(),
            Err(e) if is_no_such_entity(&e) => return Ok(()),
            Err(e) => return Err(self.err("iam:ListRolePolicies")(e)),
        };
        for policy in policies {
            self.delete_role_policy(name, &policy).await?;
        }
        match iam.delete_role().role_name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_no_such_entity(&e) => Ok(()),
            Err(e) => Err(self.err("iam:DeleteRole")(e)),
        }
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        self.session
            .iam
            .put_role_policy()
            .role_name(role)
            .policy_name(policy)
            .policy_document(document)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                self.policy_err(
                    "iam:PutRolePolicy",
                    &format!("the inline policy {policy} of {role}"),
                    e,
                )
            })
    }

    async fn delete_role_policy(&self, role: &str, policy: &str) -> Result<(), AwsError> {
        match self
            .session
            .iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_no_such_entity(&e) => Ok(()),
            Err(e) => Err(self.err("iam:DeleteRolePolicy")(e)),
        }
    }
}
