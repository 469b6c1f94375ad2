//! `slipway plan | apply | rotate | teardown`: AWS, and GitHub once a token
//! is in the keychain.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use slipway_engine::apply::apply as run_plan;
use slipway_engine::aws::session::{connect, AdminCredentials};
use slipway_engine::aws::{AwsPlanOptions, AwsProvider};
use slipway_engine::config::DesiredState;
use slipway_engine::github::provider::GithubProvider;
use slipway_engine::github::GithubClient;
use slipway_engine::plan::{Plan, ResourceId};
use slipway_engine::providers::{teardown_state, Providers, RotationOutcome};
use slipway_engine::runners::provider::RunnersProvider;
use slipway_engine::secrets::Keychain;

use crate::render::{plan_text, EventPrinter};

#[derive(Args)]
pub struct AdminArgs {
    /// AWS profile with admin rights (default: the config's, else the default chain).
    #[arg(long)]
    profile: Option<String>,
}

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// Also delete ECR repositories (and images) that are no longer wanted.
    #[arg(long)]
    delete_repositories: bool,
    /// Take over an existing resource that lacks Slipway's tags, by id (repeat).
    #[arg(long = "adopt", value_name = "KIND/NAME")]
    adopt: Vec<String>,
    /// Also list resources that are already as desired.
    #[arg(long, short)]
    verbose: bool,
    /// Remove runner containers another Slipway install left for this
    /// organization on the Docker host (the plan lists them as strays).
    #[arg(long)]
    remove_stray_runners: bool,
}

#[derive(Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    plan: PlanArgs,
    /// Apply without asking.
    #[arg(long, short)]
    yes: bool,
}

#[derive(Args)]
pub struct TeardownArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// Also delete the ECR repositories and every image in them.
    #[arg(long)]
    delete_repositories: bool,
    /// Tear down without asking.
    #[arg(long, short)]
    yes: bool,
}

fn parse_id(text: &str) -> Result<ResourceId, String> {
    let (kind, name) = text
        .split_once('/')
        .ok_or_else(|| format!("\"{text}\" is not a resource id; use KIND/NAME as the plan shows it, e.g. aws.iam_user/slipway-ecr-pusher"))?;
    Ok(ResourceId::new(kind, name))
}

/// Loads the config and connects as the admin, printing who that is; adds
/// GitHub when the settings name an organization.
async fn provider(admin: &AdminArgs) -> Result<(DesiredState, Providers), String> {
    let (_, state) = crate::load_state()?;
    let state = state
        .ok_or("there is no Slipway config yet: run `slipway init` or the desktop app's wizard")?;
    let settings = state
        .aws
        .clone()
        .ok_or("the config has no AWS settings: run `slipway init --region REGION`")?;
    let profile = admin.profile.clone().or(settings.bootstrap_profile.clone());
    let credentials = profile
        .map(AdminCredentials::Profile)
        .unwrap_or(AdminCredentials::DefaultChain);
    let session = connect(&settings, &credentials)
        .await
        .map_err(|e| e.to_string())?;
    let who = &session.identity;
    println!(
        "AWS account {} as {}, region {}",
        who.account_id, who.arn, who.region
    );
    let aws = AwsProvider::new(session, Keychain::default(), &state, settings);
    let github = match &state.github {
        Some(g) if !g.organization.is_empty() => {
            match Keychain::default()
                .get(&g.token_secret)
                .await
                .map_err(|e| e.to_string())?
            {
                Some(token) => {
                    let client =
                        GithubClient::new(&g.api_url, &token).map_err(|e| e.to_string())?;
                    Some(GithubProvider {
                        client,
                        keychain: Keychain::default(),
                        settings: g.clone(),
                        install_id: state.install_id.clone(),
                    })
                }
                None => {
                    eprintln!(
                        "note: no GitHub token in the keychain, so this covers AWS only. Run `slipway github login --org {} --token-stdin` (or --from-gh) to include the repositories.",
                        g.organization
                    );
                    None
                }
            }
        }
        _ => None,
    };
    let runners = match (&github, &state.github) {
        (Some(_), Some(_)) => RunnersProvider::for_state(&state, &Keychain::default()).await?,
        _ => None,
    };
    let providers = Providers::new(aws, github, runners, &state);
    Ok((state, providers))
}

async fn make_plan(args: &PlanArgs, state: &DesiredState, p: &Providers) -> Result<Plan, String> {
    let options = AwsPlanOptions {
        delete_repositories: args.delete_repositories,
        adopt: args
            .adopt
            .iter()
            .map(|a| parse_id(a))
            .collect::<Result<BTreeSet<_>, _>>()?,
    };
    p.plan(state, &options).await.map_err(|e| e.to_string())
}

pub async fn plan(args: PlanArgs) -> Result<ExitCode, String> {
    let (state, mut p) = provider(&args.admin).await?;
    if let Some(r) = p.runners.as_mut() {
        r.remove_strays = args.remove_stray_runners;
    }
    let plan = make_plan(&args, &state, &p).await?;
    print!("{}", plan_text(&plan, args.verbose));
    Ok(ExitCode::SUCCESS)
}

/// Asks on a terminal; without one, `--yes` is required.
fn confirm(question: &str, yes: bool) -> Result<bool, String> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            "not a terminal, so nothing was changed: pass --yes to proceed without a prompt".into(),
        );
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

async fn execute(plan: &Plan, p: &Providers, yes: bool) -> Result<ExitCode, String> {
    print!("{}", plan_text(plan, false));
    if plan.is_noop() {
        return Ok(ExitCode::SUCCESS);
    }
    if !confirm("Apply these changes?", yes)? {
        println!("Nothing changed.");
        return Ok(ExitCode::SUCCESS);
    }
    let printer = EventPrinter::new();
    let sink = |e| printer.print(e);
    let report = run_plan(plan, p, &sink).await;
    Ok(if report.is_success() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "Run `slipway apply` again after fixing the cause: finished steps are not repeated."
        );
        ExitCode::from(1)
    })
}

pub async fn apply(args: ApplyArgs) -> Result<ExitCode, String> {
    let (state, mut p) = provider(&args.plan.admin).await?;
    if let Some(r) = p.runners.as_mut() {
        r.remove_strays = args.plan.remove_stray_runners;
    }
    let plan = make_plan(&args.plan, &state, &p).await?;
    execute(&plan, &p, args.yes).await
}

pub async fn teardown(args: TeardownArgs) -> Result<ExitCode, String> {
    let (state, p) = provider(&args.admin).await?;
    let options = AwsPlanOptions {
        delete_repositories: args.delete_repositories,
        adopt: BTreeSet::new(),
    };
    let plan = p
        .plan(&teardown_state(&state), &options)
        .await
        .map_err(|e| e.to_string())?;
    if !args.delete_repositories {
        println!("ECR repositories and their images are kept (pass --delete-repositories to delete them).");
    }
    execute(&plan, &p, args.yes).await
}

pub async fn rotate(args: AdminArgs) -> Result<ExitCode, String> {
    let (state, p) = provider(&args).await?;
    let printer = EventPrinter::new();
    let sink = |e| printer.print(e);
    match p.rotate_push_key(&state, &sink).await? {
        RotationOutcome::Rotated {
            new,
            old: Some(old),
        } => {
            println!("rotated: the repositories and the keychain hold {new}; the previous key {old} is deleted");
        }
        RotationOutcome::Rotated { new, old: None } => {
            println!(
                "rotated: the keychain now holds access key {new}; the previous key is deleted"
            );
        }
        RotationOutcome::OldKeyKept { new, reason } => {
            eprintln!("error: {reason}\nThe new key {new} is in the keychain. The old key is kept, so builds keep working, until every repository holds the new one. Fix the cause and run `slipway apply`.");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
