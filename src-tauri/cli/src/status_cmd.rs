//! `slipway status [--json]`: runners, recent workflow runs, images and
//! credential health, as the app's Status window shows them.

use std::process::ExitCode;

use slipway_engine::doctor::{Check, Status};
use slipway_engine::secrets::Keychain;
use slipway_engine::status::{collect, Section, StatusReport};

use crate::load_state;

pub async fn status(json: bool) -> Result<ExitCode, String> {
    let (_, state) = load_state()?;
    let state =
        state.ok_or("nothing is set up yet: run the desktop app's wizard or `slipway init`")?;
    let report = collect(&state, &Keychain::default(), None).await;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        );
    } else {
        print!("{}", render(&report));
    }
    let failing = report.credentials.iter().any(|c| c.status == Status::Error);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn section<T>(out: &mut String, title: &str, s: &Section<Vec<T>>, row: impl Fn(&T) -> String) {
    out.push_str(title);
    out.push('\n');
    match s {
        Section::Ready { items } if items.is_empty() => out.push_str("  (none)\n"),
        Section::Ready { items } => items.iter().for_each(|i| {
            out.push_str("  ");
            out.push_str(&row(i));
            out.push('\n');
        }),
        Section::Unavailable { reason } => out.push_str(&format!("  unavailable: {reason}\n")),
    }
}

fn check_line(c: &Check) -> String {
    let mark = match c.status {
        Status::Ok => "ok  ",
        Status::Warning => "warn",
        Status::Error => "FAIL",
    };
    let mut line = format!("[{mark}] {}: {}", c.title, c.summary);
    if let Some(fix) = &c.fix {
        line.push_str(&format!("\n         fix: {fix}"));
    }
    line
}

fn render(r: &StatusReport) -> String {
    let mut out = String::new();
    let org = r.organization.as_deref().unwrap_or("no organization");
    section(&mut out, &format!("Runners ({org})"), &r.runners, |row| {
        format!(
            "{:<24} container {:<8} GitHub {:<15}{}{}",
            row.name,
            row.container,
            row.github,
            if row.busy { " busy" } else { "" },
            if row.stray {
                " (another Slipway install's: `slipway apply --remove-stray-runners` removes it)"
            } else if row.wanted {
                ""
            } else {
                " (not wanted: apply removes it)"
            }
        )
    });
    section(
        &mut out,
        "Workflow runs",
        &r.workflow_runs,
        |repo| match repo.runs.first() {
            None => format!("{}: no runs yet", repo.repository),
            Some(run) => format!(
                "{}: {} ({}) on {}, {} {}",
                repo.repository,
                run.conclusion
                    .as_deref()
                    .or(run.status.as_deref())
                    .unwrap_or("?"),
                run.event,
                run.branch.as_deref().unwrap_or("?"),
                run.created_at,
                run.html_url
            ),
        },
    );
    section(&mut out, "Images", &r.images, |i| {
        if !i.exists {
            format!("{}: not created yet (apply creates it)", i.repository)
        } else if i.images == 0 {
            format!("{}: empty", i.repository)
        } else {
            format!(
                "{}: {} image(s), {:.1} MiB; newest [{}] pushed {}",
                i.repository,
                i.images,
                i.total_bytes as f64 / (1024.0 * 1024.0),
                i.latest_tags.join(", "),
                i.latest_pushed_at.as_deref().unwrap_or("?")
            )
        }
    });
    out.push_str("Credentials and hosts\n");
    for c in &r.credentials {
        out.push_str("  ");
        out.push_str(&check_line(c).replace('\n', "\n  "));
        out.push('\n');
    }
    out
}
