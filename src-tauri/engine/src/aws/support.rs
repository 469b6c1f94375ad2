//! Small shared helpers of the AWS provider: error mapping bound to the
//! caller's identity, and tag checks.

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;

use super::errors::{classify, AwsError};
use super::{AwsProvider, MANAGED_BY_VALUE, TAG_INSTALL_ID, TAG_MANAGED_BY};

/// True when the tags carry `managed-by=slipway` and this install's id.
pub(super) fn tags_are_ours<'a>(
    tags: impl Iterator<Item = (&'a str, &'a str)>,
    install_id: &str,
) -> bool {
    let (mut managed, mut install) = (false, false);
    for (k, v) in tags {
        managed |= k == TAG_MANAGED_BY && v == MANAGED_BY_VALUE;
        install |= k == TAG_INSTALL_ID && v == install_id;
    }
    managed && install
}

/// IAM's "no such entity", for any operation's error type.
pub(super) fn is_no_such_entity<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.as_service_error().and_then(|s| s.code()) == Some("NoSuchEntity")
}

impl AwsProvider {
    /// Maps an SDK error of the call that performed `action`.
    pub(super) fn err<E, R>(&self, action: &str) -> impl FnOnce(SdkError<E, R>) -> AwsError + '_
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let action = action.to_string();
        move |e| {
            classify(
                &action,
                &self.session.identity.arn,
                &self.session.identity.region,
                e,
            )
        }
    }

    /// Like [`Self::err`], naming the document when AWS rejects it as malformed.
    pub(super) fn policy_err<E, R>(&self, action: &str, target: &str, e: SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match self.err(action)(e) {
            AwsError::MalformedPolicy { detail, .. } => AwsError::MalformedPolicy {
                target: target.to_string(),
                detail,
            },
            other => other,
        }
    }
}
