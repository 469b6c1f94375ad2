//! Repository Actions secrets and variables. Secrets are encrypted with the
//! repository's public key as a libsodium sealed box (RustCrypto's
//! `crypto_box`), so GitHub never sees them in the clear; rotation simply
//! encrypts and writes the new value.

use base64::Engine as _;
use http::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::{expect_success, seg, GithubClient, GithubError};

#[derive(Deserialize)]
struct PublicKey {
    key_id: String,
    key: String,
}

/// Encrypts `value` for the repository and stores it as secret `name`.
pub async fn set_secret(
    client: &GithubClient,
    org: &str,
    repo: &str,
    name: &str,
    value: &SecretString,
) -> Result<(), GithubError> {
    let what = format!("{org}/{repo}");
    let key: PublicKey = client
        .get_json(
            &format!(
                "/repos/{}/{}/actions/secrets/public-key",
                seg(org),
                seg(repo)
            ),
            "read the repository's secrets key",
            &format!("the repository {what}"),
        )
        .await?;
    let encrypted_value = seal(&key.key, value.expose_secret().as_bytes())?;
    let body = json!({ "encrypted_value": encrypted_value, "key_id": key.key_id });
    let r = client
        .send(
            Method::PUT,
            &format!(
                "/repos/{}/{}/actions/secrets/{}",
                seg(org),
                seg(repo),
                seg(name)
            ),
            Some(&body),
            "set an Actions secret",
        )
        .await?;
    expect_success(&r, "set an Actions secret", &what)
}

/// Sealed box of `plain` for a base64 X25519 public key, base64-encoded.
pub fn seal(public_key_b64: &str, plain: &[u8]) -> Result<String, GithubError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bad = |m: &str| GithubError::Unexpected {
        action: "encrypt a secret".into(),
        status: 200,
        message: m.to_string(),
    };
    let bytes: [u8; 32] = b64
        .decode(public_key_b64)
        .map_err(|_| bad("the repository's public key is not base64"))?
        .try_into()
        .map_err(|_| bad("the repository's public key is not 32 bytes"))?;
    let sealed = crypto_box::PublicKey::from(bytes)
        .seal(&mut crypto_box::aead::OsRng, plain)
        .map_err(|_| bad("sealing failed"))?;
    Ok(b64.encode(sealed))
}

#[derive(Deserialize)]
struct Variable {
    value: String,
}

/// Creates or updates an Actions variable (not secret: region, registry).
pub async fn set_variable(
    client: &GithubClient,
    org: &str,
    repo: &str,
    name: &str,
    value: &str,
) -> Result<(), GithubError> {
    let what = format!("{org}/{repo}");
    let path = format!(
        "/repos/{}/{}/actions/variables/{}",
        seg(org),
        seg(repo),
        seg(name)
    );
    let r = client
        .send(Method::GET, &path, None, "read an Actions variable")
        .await?;
    if r.status.as_u16() == 404 {
        let r = client
            .send(
                Method::POST,
                &format!("/repos/{}/{}/actions/variables", seg(org), seg(repo)),
                Some(&json!({ "name": name, "value": value })),
                "create an Actions variable",
            )
            .await?;
        return expect_success(&r, "create an Actions variable", &what);
    }
    expect_success(&r, "read an Actions variable", &what)?;
    let current: Variable = r.json("read an Actions variable")?;
    if current.value == value {
        return Ok(());
    }
    let r = client
        .send(
            Method::PATCH,
            &path,
            Some(&json!({ "name": name, "value": value })),
            "update an Actions variable",
        )
        .await?;
    expect_success(&r, "update an Actions variable", &what)
}

/// Deletes an Actions secret; gone already is fine.
pub async fn delete_secret(
    client: &GithubClient,
    org: &str,
    repo: &str,
    name: &str,
) -> Result<(), GithubError> {
    delete_actions_item(
        client,
        org,
        repo,
        "secrets",
        name,
        "delete an Actions secret",
    )
    .await
}

/// Deletes an Actions variable; gone already is fine.
pub async fn delete_variable(
    client: &GithubClient,
    org: &str,
    repo: &str,
    name: &str,
) -> Result<(), GithubError> {
    delete_actions_item(
        client,
        org,
        repo,
        "variables",
        name,
        "delete an Actions variable",
    )
    .await
}

/// `DELETE /repos/{org}/{repo}/actions/{kind}/{name}`, 404 being fine.
async fn delete_actions_item(
    client: &GithubClient,
    org: &str,
    repo: &str,
    kind: &str,
    name: &str,
    action: &str,
) -> Result<(), GithubError> {
    client
        .delete_if_present(
            &format!(
                "/repos/{}/{}/actions/{kind}/{}",
                seg(org),
                seg(repo),
                seg(name)
            ),
            action,
            &format!("{org}/{repo}"),
        )
        .await
}

#[derive(Deserialize)]
struct SecretList {
    secrets: Vec<Named>,
}

#[derive(Deserialize)]
struct VariableList {
    variables: Vec<NamedValue>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
pub struct NamedValue {
    pub name: String,
    pub value: String,
}

/// Names of the repository's Actions secrets (values are never readable).
pub async fn secret_names(
    client: &GithubClient,
    org: &str,
    repo: &str,
) -> Result<Vec<String>, GithubError> {
    let list: SecretList = client
        .get_json(
            &format!(
                "/repos/{}/{}/actions/secrets?per_page=100",
                seg(org),
                seg(repo)
            ),
            "list Actions secrets",
            &format!("the repository {org}/{repo}"),
        )
        .await?;
    Ok(list.secrets.into_iter().map(|s| s.name).collect())
}

/// The repository's Actions variables.
pub async fn variables(
    client: &GithubClient,
    org: &str,
    repo: &str,
) -> Result<Vec<NamedValue>, GithubError> {
    let list: VariableList = client
        .get_json(
            &format!(
                "/repos/{}/{}/actions/variables?per_page=30",
                seg(org),
                seg(repo)
            ),
            "list Actions variables",
            &format!("the repository {org}/{repo}"),
        )
        .await?;
    Ok(list.variables)
}
