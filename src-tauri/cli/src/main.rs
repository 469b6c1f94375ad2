//! `slipway`: the command-line face of the engine, for terminals and scripts.
//! It renders the same doctor checks and plans as the desktop app.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use slipway_engine::config::ConfigStore;
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
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Doctor { json } => doctor_command(json).await,
        Command::Config => config_command(),
    }
}

async fn doctor_command(json: bool) -> ExitCode {
    let settings = match load_docker_settings() {
        Ok(s) => s,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let report = doctor::run(&settings, &Keychain::default()).await;
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

fn load_docker_settings() -> Result<slipway_engine::config::DockerSettings, String> {
    let store = ConfigStore::default_location().map_err(|e| e.to_string())?;
    let loaded = store.load().map_err(|e| e.to_string())?;
    Ok(loaded.map(|l| l.state.docker).unwrap_or_default())
}

fn config_command() -> ExitCode {
    let store = match ConfigStore::default_location() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    println!("config file: {}", store.path().display());
    match store.load() {
        Ok(None) => println!("(not created yet: run the desktop app's wizard)"),
        Ok(Some(loaded)) => {
            if let Some(backup) = loaded.migrated_backup {
                println!(
                    "migrated from an older version; the original is at {}",
                    backup.display()
                );
            }
            print!("{}", ConfigStore::render(&loaded.state));
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
