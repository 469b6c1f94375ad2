//! `slipway github check | login`: token checks before anything is created.
//! The token comes from standard input or from `gh`, never from an argument
//! (argument lists are visible to every user of the machine).

use std::io::BufRead;
use std::process::ExitCode;

use clap::Args;
use secrecy::SecretString;
use slipway_engine::github::token::{
    check_token, import_from_gh, keep_token, Grant, TokenKind, TokenReport,
};
use slipway_engine::github::{GithubClient, DEFAULT_API_URL};
use slipway_engine::secrets::Keychain;

#[derive(Args)]
pub struct TokenArgs {
    /// The GitHub organization the runners serve.
    #[arg(long)]
    org: Option<String>,
    /// Read the token from standard input.
    #[arg(long, conflicts_with = "from_gh")]
    token_stdin: bool,
    /// Take the token the GitHub CLI holds (`gh auth token`).
    #[arg(long)]
    from_gh: bool,
    /// API URL (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long)]
    api_url: Option<String>,
}

async fn read_token(args: &TokenArgs, api_url: &str) -> Result<SecretString, String> {
    if args.from_gh {
        return import_from_gh(api_url).await.map_err(|e| e.to_string());
    }
    if !args.token_stdin {
        return Err(
            "give the token on standard input with --token-stdin, or take gh's with --from-gh"
                .into(),
        );
    }
    read_stdin_secret("the token")
}

/// One line of standard input as a secret (never echoed, never an argument).
pub(crate) fn read_stdin_secret(what: &str) -> Result<SecretString, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let secret = line.trim().to_string();
    if secret.is_empty() {
        return Err(format!("standard input held no line with {what}"));
    }
    Ok(SecretString::from(secret))
}

fn print_report(report: &TokenReport) {
    let kind = match &report.token {
        TokenKind::Classic { scopes } => {
            format!("classic token with scopes: {}", scopes.join(", "))
        }
        TokenKind::FineGrained => "fine-grained token".to_string(),
    };
    println!("GitHub user {} ({kind})", report.login);
    println!(
        "expires: {}",
        report.expires_at.as_deref().unwrap_or("never")
    );
    println!(
        "{}: {}",
        report.organization,
        report
            .org_role
            .as_deref()
            .map(|r| format!("you are {r}"))
            .unwrap_or_else(|| "not a member".into())
    );
    for c in &report.capabilities {
        let mark = match c.grant {
            Grant::Yes => "ok  ",
            Grant::No => "MISS",
            Grant::ReadOnlyChecked => "read",
        };
        println!("[{mark}] {}", c.title);
        if c.grant != Grant::Yes {
            if let Some(fix) = &c.fix {
                println!("       {fix}");
            }
        }
    }
}

/// Checks the token; with `store`, saves it to the keychain (only if it
/// passes) and the organization to the settings.
pub async fn check(args: TokenArgs, store: bool) -> Result<ExitCode, String> {
    let (config, state) = crate::load_state()?;
    let mut state = state.unwrap_or_default();
    let org = args
        .org
        .clone()
        .or_else(|| state.github.as_ref().map(|g| g.organization.clone()))
        .filter(|o| !o.is_empty())
        .ok_or("which organization? pass --org ORG")?;
    let api_url = args
        .api_url
        .clone()
        .or_else(|| state.github.as_ref().map(|g| g.api_url.clone()))
        .unwrap_or_else(|| DEFAULT_API_URL.to_string());
    let token = read_token(&args, &api_url).await?;
    let client = GithubClient::new(&api_url, &token).map_err(|e| e.to_string())?;
    let report = check_token(&client, &org)
        .await
        .map_err(|e| e.to_string())?;
    print_report(&report);
    if !report.passes() {
        eprintln!("The token cannot do everything Slipway needs:");
        for p in report.problems() {
            eprintln!("  - {p}");
        }
        eprintln!("A token with everything: {}", report.new_token_url);
        return Ok(ExitCode::from(1));
    }
    if store {
        keep_token(&Keychain::default(), &mut state, &token, &report, &api_url)
            .await
            .map_err(|e| e.to_string())?;
        config.save(&state).map_err(|e| e.to_string())?;
        println!(
            "The token passed and is in the OS keychain; the organization is saved in {}",
            config.path().display()
        );
    } else {
        println!("The token has what Slipway needs.");
    }
    Ok(ExitCode::SUCCESS)
}
