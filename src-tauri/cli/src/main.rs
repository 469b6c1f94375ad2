//! `slipway`: the command-line face of the engine, for terminals and scripts.
//! It renders the same doctor checks, plans and progress events as the app.

mod aws_cmds;
mod github_cmds;
mod render;
mod status_cmd;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use slipway_engine::config::{
    AwsAuthMode, AwsSettings, ConfigStore, DesiredState, GithubSettings, RunnerAuthMode,
    PAT_IN_CONTAINER_WARNING,
};
use slipway_engine::doctor::{self, Status};
use slipway_engine::secrets::Keychain;

#[derive(Parser)]
#[command(
    name = "slipway",
    version,
    about = "Self-hosted GitHub Actions runners that push to Amazon ECR, set up safely"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the environment: Docker engine, keychain, AWS credentials, gh token.
    Doctor {
        /// Print the checks as JSON, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Show where the desired state lives and what it holds (never secrets).
    Config,
    /// Create or update the desired state from flags.
    Init(Box<InitArgs>),
    /// Check a GitHub token, or check it and keep it in the keychain.
    #[command(subcommand)]
    Github(GithubCommand),
    /// Runners, recent workflow runs, images and credential health.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Show what apply would change, without changing anything.
    Plan(aws_cmds::PlanArgs),
    /// Show the plan, then carry it out.
    Apply(aws_cmds::ApplyArgs),
    /// Rotate the ECR push key: new key → keychain → old key deleted.
    Rotate(aws_cmds::AdminArgs),
    /// Remove everything Slipway created (ECR repositories only with --delete-repositories).
    Teardown(aws_cmds::TeardownArgs),
}

#[derive(Subcommand)]
enum GithubCommand {
    /// Check what a token can do, without storing it.
    Check(github_cmds::TokenArgs),
    /// Check a token and, if it passes, keep it in the OS keychain.
    Login(github_cmds::TokenArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum AuthArg {
    AccessKey,
    Oidc,
}

#[derive(Args)]
struct InitArgs {
    /// GitHub organization.
    #[arg(long)]
    org: Option<String>,
    /// Repository to build (repeat for several).
    #[arg(long = "repo")]
    repos: Vec<String>,
    /// Branch that builds (repeat; default: main).
    #[arg(long = "branch")]
    branches: Vec<String>,
    /// AWS region.
    #[arg(long)]
    region: Option<String>,
    /// ECR repository prefix.
    #[arg(long)]
    prefix: Option<String>,
    /// How many images each ECR repository keeps.
    #[arg(long)]
    keep_images: Option<u32>,
    /// How workflows authenticate to AWS.
    #[arg(long, value_enum)]
    auth: Option<AuthArg>,
    /// AWS endpoint override (for rehearsals against moto).
    #[arg(long)]
    aws_endpoint: Option<String>,
    /// Admin profile used to set AWS up.
    #[arg(long)]
    profile: Option<String>,
    /// How many runner containers to run.
    #[arg(long)]
    runners: Option<u32>,
    /// The runner image (default: the pinned myoung34/github-runner tag).
    #[arg(long)]
    runner_image: Option<String>,
    /// Base directory of the runners' work directories on the Docker host.
    #[arg(long)]
    runner_work_dir: Option<std::path::PathBuf>,
    /// Docker network mode of the runners (bridge, host).
    #[arg(long)]
    runner_network: Option<String>,
    /// Extra runner label (repeat).
    #[arg(long = "runner-label")]
    runner_labels: Vec<String>,
    /// The most runners this install may run (default 32).
    #[arg(long)]
    max_runners: Option<u32>,
    /// Seconds apply waits for a new runner to be online in GitHub.
    #[arg(long)]
    online_timeout: Option<u64>,
    /// Put the GitHub token itself in every runner container (ACCESS_TOKEN)
    /// so runners re-register on their own. Anyone with `docker inspect` on
    /// the host can read it; the default passes only registration tokens.
    #[arg(long, conflicts_with = "registration_token_only")]
    pat_in_container: bool,
    /// Back to the default: only a registration token in each container.
    #[arg(long)]
    registration_token_only: bool,
    /// User name for the private registry that holds the runner image.
    #[arg(long)]
    registry_user: Option<String>,
    /// Read that registry's password from standard input into the keychain.
    #[arg(long, requires = "registry_user")]
    registry_password_stdin: bool,
    /// Forget the registry user and remove its password from the keychain.
    #[arg(long, conflicts_with = "registry_user")]
    no_registry_login: bool,
    /// Docker host: unix:///PATH, tcp://HOST:PORT (with --docker-tls-dir) or ssh://USER@HOST.
    #[arg(long)]
    docker_host: Option<String>,
    /// Directory with ca.pem, cert.pem and key.pem for a tcp:// host.
    #[arg(long)]
    docker_tls_dir: Option<std::path::PathBuf>,
    /// Private key for an ssh:// host (default: the ssh agent and ~/.ssh).
    #[arg(long)]
    ssh_key: Option<std::path::PathBuf>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Doctor { json } => return doctor_command(json).await,
        Command::Config => config_command(),
        Command::Init(args) => init_command(*args),
        Command::Github(GithubCommand::Check(args)) => github_cmds::check(args, false).await,
        Command::Github(GithubCommand::Login(args)) => github_cmds::check(args, true).await,
        Command::Status { json } => status_cmd::status(json).await,
        Command::Plan(args) => aws_cmds::plan(args).await,
        Command::Apply(args) => aws_cmds::apply(args).await,
        Command::Rotate(args) => aws_cmds::rotate(args).await,
        Command::Teardown(args) => aws_cmds::teardown(args).await,
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The config store and its current state (a new one if none exists yet).
pub(crate) fn load_state() -> Result<(ConfigStore, Option<DesiredState>), String> {
    let store = ConfigStore::default_location().map_err(|e| e.to_string())?;
    let loaded = store.load().map_err(|e| e.to_string())?;
    if let Some(backup) = loaded.as_ref().and_then(|l| l.migrated_backup.as_ref()) {
        eprintln!(
            "note: {} was migrated to the current format; the original is at {}",
            store.path().display(),
            backup.display()
        );
    }
    Ok((store, loaded.map(|l| l.state)))
}

async fn doctor_command(json: bool) -> ExitCode {
    let state = match load_state() {
        Ok((_, state)) => state.unwrap_or_default(),
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let report = doctor::run(&state.docker, &state.runners.image, &Keychain::default()).await;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        );
    } else {
        for check in &report.checks {
            let mark = match check.status {
                Status::Ok => "ok  ",
                Status::Warning => "warn",
                Status::Error => "FAIL",
            };
            println!("[{mark}] {}: {}", check.title, check.summary);
            for d in &check.details {
                println!("         {}: {}", d.label, d.value);
            }
            if let Some(fix) = &check.fix {
                println!("         fix: {fix}");
            }
        }
    }
    match report.overall() {
        Status::Error => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn config_command() -> Result<ExitCode, String> {
    let (store, state) = load_state()?;
    println!("config file: {}", store.path().display());
    match state {
        None => println!("(not created yet: run the desktop app's wizard or `slipway init`)"),
        Some(state) => print!("{}", ConfigStore::render(&state)),
    }
    Ok(ExitCode::SUCCESS)
}

fn init_command(args: InitArgs) -> Result<ExitCode, String> {
    let (store, state) = load_state()?;
    let mut state = state.unwrap_or_default();
    if args.org.is_some() || !args.repos.is_empty() || !args.branches.is_empty() {
        let github = state
            .github
            .get_or_insert_with(|| GithubSettings::for_organization(String::new()));
        if let Some(org) = args.org {
            github.organization = org;
        }
        if !args.repos.is_empty() {
            github.repositories = args.repos;
        }
        if !args.branches.is_empty() {
            github.branches = args.branches;
        }
        if github.organization.is_empty() {
            return Err("--org is needed the first time repositories are chosen".into());
        }
    }
    if let Some(region) = args.region {
        let aws = state
            .aws
            .get_or_insert_with(|| AwsSettings::for_region(region.clone()));
        aws.region = region;
    }
    if let Some(aws) = state.aws.as_mut() {
        if let Some(prefix) = args.prefix {
            aws.repository_prefix = prefix;
        }
        if let Some(keep) = args.keep_images {
            aws.keep_tagged_images = keep;
        }
        if let Some(auth) = args.auth {
            aws.auth = match auth {
                AuthArg::AccessKey => AwsAuthMode::AccessKey,
                AuthArg::Oidc => AwsAuthMode::Oidc,
            };
        }
        if args.aws_endpoint.is_some() {
            aws.endpoint_url = args.aws_endpoint;
        }
        if args.profile.is_some() {
            aws.bootstrap_profile = args.profile;
        }
    } else if args.prefix.is_some()
        || args.auth.is_some()
        || args.aws_endpoint.is_some()
        || args.keep_images.is_some()
    {
        return Err("--region is needed the first time AWS settings are given".into());
    }
    if let Some(max) = args.max_runners {
        state.runners.max_count = max;
    }
    if let Some(n) = args.runners {
        state.runners.count = n;
    }
    if let Some(secs) = args.online_timeout {
        state.runners.online_timeout_secs = secs;
    }
    if let Some(image) = args.runner_image {
        state.runners.image = image;
    }
    if let Some(dir) = args.runner_work_dir {
        state.runners.work_dir = dir;
    }
    if let Some(mode) = args.runner_network {
        state.runners.network_mode = mode;
    }
    if !args.runner_labels.is_empty() {
        state.runners.labels = args.runner_labels;
    }
    if args.pat_in_container {
        eprintln!("warning: {PAT_IN_CONTAINER_WARNING}");
        state.runners.auth = RunnerAuthMode::PatInContainer;
    } else if args.registration_token_only {
        state.runners.auth = RunnerAuthMode::RegistrationToken;
    }
    if let Some(host) = args.docker_host {
        state.docker.host = Some(host).filter(|h| !h.is_empty());
    }
    if let Some(dir) = args.docker_tls_dir {
        state.docker.tls_cert_dir = Some(dir);
    }
    if let Some(key) = args.ssh_key {
        state.docker.ssh_identity = Some(key);
    }
    slipway_engine::docker::DockerEndpoint::resolve(&state.docker).map_err(|e| e.to_string())?;
    if args.registry_user.is_some() {
        state.runners.registry_username = args.registry_user;
    }
    state.runners.validate()?;
    let keychain = Keychain::default();
    if args.no_registry_login {
        state.runners.registry_username = None;
        keychain
            .delete_blocking(&state.runners.registry_secret)
            .map_err(|e| e.to_string())?;
    } else if args.registry_password_stdin {
        let password = github_cmds::read_stdin_secret("the registry password")?;
        keychain
            .set_blocking(&state.runners.registry_secret, &password)
            .map_err(|e| e.to_string())?;
    } else if let Some(user) = &state.runners.registry_username {
        if keychain
            .get_blocking(&state.runners.registry_secret)
            .map_err(|e| e.to_string())?
            .is_none()
        {
            return Err(format!(
                "no registry password for {user} in the keychain: add --registry-password-stdin and give it on standard input"
            ));
        }
    }
    store.save(&state).map_err(|e| e.to_string())?;
    println!("saved {}", store.path().display());
    Ok(ExitCode::SUCCESS)
}
