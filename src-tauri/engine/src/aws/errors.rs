//! AWS failures turned into messages that say what to do: which IAM action is
//! missing and for whom, which session to renew, which limit was hit.

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AwsError {
    #[error("AWS denied {action} to {identity}. Grant that action to this identity (for example attach the IAMFullAccess and AmazonEC2ContainerRegistryFullAccess managed policies, or a policy with {action}) and apply again")]
    AccessDenied { action: String, identity: String },
    #[error("AWS rejected the admin credentials ({code}). Check the access key, or pick another profile")]
    InvalidCredentials { code: String },
    #[error("the AWS session has expired. Run `aws sso login{profile_arg}` (or refresh the credentials) and try again")]
    SessionExpired { profile_arg: String },
    #[error("no AWS credentials could be loaded: {detail}. Choose a profile, run `aws configure sso`, or type admin keys in the AWS step")]
    NoCredentials { detail: String },
    #[error("cannot reach AWS in region \"{region}\": {detail}. Check the region name (for example eu-west-1) and the network")]
    Unreachable { region: String, detail: String },
    #[error("the IAM user {user} already has 2 access keys, IAM's limit. Delete the key that is not in use (`aws iam list-access-keys --user-name {user}`, then `aws iam delete-access-key`), or run `slipway rotate`, which removes keys Slipway no longer holds")]
    KeyLimit { user: String },
    #[error("{kind} \"{name}\" already exists and was not created by this Slipway install. Choose another name in the AWS settings, or adopt it explicitly with `slipway apply --adopt`")]
    NameClash { kind: &'static str, name: String },
    #[error("AWS rejected the policy document for {target} as malformed: {detail}")]
    MalformedPolicy { target: String, detail: String },
    #[error("the IAM user {user} does not exist (deleted outside Slipway?). Run `slipway apply` to create it again")]
    MissingUser { user: String },
    #[error("{action} failed: {code}: {message}")]
    Other {
        action: String,
        code: String,
        message: String,
    },
}

/// Classifies an SDK error from the call that performed `action` (the IAM
/// action name, e.g. `iam:CreateUser`), made as `identity`.
pub fn classify<E, R>(action: &str, identity: &str, region: &str, error: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let message = e.message().unwrap_or_default().to_string();
            from_code(action, identity, &code, &message)
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => AwsError::Unreachable {
            region: region.to_string(),
            detail: error_chain(&error),
        },
        _ => {
            let detail = error_chain(&error);
            if detail.contains("expired")
                && (detail.contains("SSO") || detail.contains("sso") || detail.contains("token"))
            {
                AwsError::SessionExpired {
                    profile_arg: String::new(),
                }
            } else if detail.contains("credentials") || detail.contains("Credentials") {
                AwsError::NoCredentials { detail }
            } else {
                AwsError::Other {
                    action: action.to_string(),
                    code: "Client".into(),
                    message: detail,
                }
            }
        }
    }
}

/// The code-based part of [`classify`], on its own for unit tests.
pub fn from_code(action: &str, identity: &str, code: &str, message: &str) -> AwsError {
    match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            AwsError::AccessDenied {
                action: denied_action(message).unwrap_or(action).to_string(),
                identity: denied_identity(message).unwrap_or(identity).to_string(),
            }
        }
        "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "InvalidAccessKeyId" => AwsError::InvalidCredentials {
            code: code.to_string(),
        },
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => AwsError::SessionExpired {
            profile_arg: String::new(),
        },
        "MalformedPolicyDocument"
        | "MalformedPolicyDocumentException"
        | "InvalidParameterException"
            if message.to_ascii_lowercase().contains("polic") =>
        {
            AwsError::MalformedPolicy {
                target: action.to_string(),
                detail: message.to_string(),
            }
        }
        _ => AwsError::Other {
            action: action.to_string(),
            code: code.to_string(),
            message: message.to_string(),
        },
    }
}

/// "User: arn:... is not authorized to perform: iam:CreateUser on resource: ..."
fn denied_action(message: &str) -> Option<&str> {
    let rest = message.split("to perform: ").nth(1)?;
    rest.split_whitespace().next()
}

fn denied_identity(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("User: ")?;
    rest.split_whitespace().next()
}

/// An error and its causes, joined: transport errors hide the useful part
/// ("connection refused", "dns error") in their sources.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        parts.push(e.to_string());
        source = e.source();
    }
    parts.dedup();
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_the_action_and_the_identity_from_awss_message() {
        let e = from_code(
            "iam:CreateUser",
            "arn:aws:iam::1:user/fallback",
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/slipway/x",
        );
        assert_eq!(
            e,
            AwsError::AccessDenied {
                action: "iam:CreateUser".into(),
                identity: "arn:aws:iam::123456789012:user/bob".into()
            }
        );
        assert!(e
            .to_string()
            .starts_with("AWS denied iam:CreateUser to arn:aws:iam::123456789012:user/bob."));
    }

    #[test]
    fn access_denied_without_details_falls_back_to_the_call_and_caller() {
        let e = from_code(
            "ecr:CreateRepository",
            "arn:aws:sts::1:assumed-role/Admin/me",
            "AccessDeniedException",
            "denied",
        );
        assert!(e
            .to_string()
            .contains("ecr:CreateRepository to arn:aws:sts::1:assumed-role/Admin/me"));
    }

    #[test]
    fn each_failure_kind_gets_its_own_message() {
        assert!(matches!(
            from_code("x", "i", "InvalidClientTokenId", ""),
            AwsError::InvalidCredentials { .. }
        ));
        assert!(matches!(
            from_code("x", "i", "ExpiredToken", ""),
            AwsError::SessionExpired { .. }
        ));
        assert!(matches!(
            from_code(
                "iam:PutUserPolicy",
                "i",
                "MalformedPolicyDocument",
                "Syntax errors in policy."
            ),
            AwsError::MalformedPolicy { .. }
        ));
        assert!(matches!(
            from_code("x", "i", "Throttling", "slow down"),
            AwsError::Other { .. }
        ));
    }
}
