//! Text rendering of plans and progress events for the terminal.

use std::io::Write;

use slipway_engine::events::{ProgressEvent, ProgressUnit};
use slipway_engine::plan::{Action, Plan};

const VALUE_WIDTH: usize = 72;

fn short(value: &str) -> String {
    if value.chars().count() <= VALUE_WIDTH {
        value.to_string()
    } else {
        let cut: String = value.chars().take(VALUE_WIDTH - 1).collect();
        format!("{cut}…")
    }
}

fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Delete => "-",
        Action::NoOp => "=",
    }
}

/// The plan as lines: changes first with their reasons and changed
/// attributes; unchanged resources only when `verbose`.
pub fn plan_text(plan: &Plan, verbose: bool) -> String {
    let mut out = String::new();
    for step in &plan.steps {
        if step.action == Action::NoOp && !verbose {
            continue;
        }
        out.push_str(&format!(
            "  {} {}  ({})\n",
            symbol(step.action),
            step.resource,
            step.reason
        ));
        for change in &step.changes {
            if let (Some(from), Some(to)) = (&change.from, &change.to) {
                if change.attribute == "content" {
                    let diff =
                        slipway_engine::github::contents::diff(from, to, "the workflow file");
                    for line in diff.lines() {
                        out.push_str(&format!("      {line}\n"));
                    }
                    continue;
                }
            }
            out.push_str(&format!(
                "      {}: {} → {}\n",
                change.attribute,
                change
                    .from
                    .as_deref()
                    .map(short)
                    .unwrap_or_else(|| "(none)".into()),
                change
                    .to
                    .as_deref()
                    .map(short)
                    .unwrap_or_else(|| "(none)".into()),
            ));
        }
    }
    let holding = slipway_engine::runners::provider::runners_holding_token(plan);
    if holding > 0 {
        out.push_str(&format!(
            "warning: {holding} runner container(s) will hold your GitHub token (ACCESS_TOKEN), as chosen with --pat-in-container: anyone who can run `docker inspect` on the Docker host, including jobs on these runners, can read it\n"
        ));
    }
    if plan.is_noop() {
        out.push_str("No changes: everything is as desired.\n");
    } else {
        out.push_str(&format!("Plan: {}.\n", plan.summary()));
    }
    out
}

/// Prints events as they come: one line per step, a progress bar for counts.
pub struct EventPrinter {
    pub total: std::sync::atomic::AtomicUsize,
}

impl EventPrinter {
    pub fn new() -> Self {
        Self { total: 0.into() }
    }

    pub fn print(&self, event: ProgressEvent) {
        use std::sync::atomic::Ordering::Relaxed;
        let total = self.total.load(Relaxed);
        let mut err = std::io::stderr().lock();
        let _ = match event {
            ProgressEvent::ApplyStarted { steps } => {
                self.total.store(steps, Relaxed);
                writeln!(err, "Applying {steps} step(s)…")
            }
            ProgressEvent::StepStarted {
                index,
                resource,
                action,
            } => {
                writeln!(err, "[{}/{total}] {} {resource}", index + 1, verb(action))
            }
            ProgressEvent::StepProgress {
                label,
                done,
                total: of,
                unit,
                ..
            } => {
                writeln!(err, "      {label} {}", bar(done, of, unit))
            }
            ProgressEvent::StepNote { message, .. } => writeln!(err, "      {message}"),
            ProgressEvent::StepFinished { index } => writeln!(err, "[{}/{total}] done", index + 1),
            ProgressEvent::StepFailed {
                index,
                message,
                hint,
            } => {
                let hint = hint
                    .map(|h| format!("\n      what to do: {h}"))
                    .unwrap_or_default();
                writeln!(err, "[{}/{total}] FAILED: {message}{hint}", index + 1)
            }
            ProgressEvent::StepSkipped { index, blocked_by } => {
                writeln!(
                    err,
                    "[{}/{total}] skipped: it needs {blocked_by}, which failed",
                    index + 1
                )
            }
            ProgressEvent::ApplyFinished {
                succeeded,
                failed,
                skipped,
            } => {
                writeln!(
                    err,
                    "Finished: {succeeded} done, {failed} failed, {skipped} skipped."
                )
            }
        };
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Delete => "deleting",
        Action::NoOp => "checking",
    }
}

/// `[#########-----------]  45% 12.0/26.6 MiB`
pub fn bar(done: u64, total: Option<u64>, unit: ProgressUnit) -> String {
    let fmt = |n: u64| match unit {
        ProgressUnit::Bytes => format!("{:.1} MiB", n as f64 / 1_048_576.0),
        ProgressUnit::Items => n.to_string(),
    };
    match total {
        Some(t) if t > 0 => {
            let filled = ((done.min(t) as f64 / t as f64) * 20.0).round() as usize;
            format!(
                "[{}{}] {:>3}% {}/{}",
                "#".repeat(filled),
                "-".repeat(20 - filled),
                done.min(t) * 100 / t,
                fmt(done),
                fmt(t)
            )
        }
        _ => fmt(done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slipway_engine::plan::{plan, DesiredResource, ResourceId};

    #[test]
    fn plans_show_changes_with_symbols_reasons_and_a_summary() {
        let desired = vec![DesiredResource {
            id: ResourceId::new("aws.iam_user", "pusher"),
            depends_on: vec![],
            attributes: [("path".to_string(), "/slipway/".to_string())].into(),
        }];
        let text = plan_text(&plan(&desired, &[]).unwrap(), false);
        assert_eq!(
            text,
            "  + aws.iam_user/pusher  (does not exist yet)\nPlan: 1 to create, 0 to update, 0 to delete, 0 unchanged.\n"
        );
        assert_eq!(
            plan_text(&plan(&[], &[]).unwrap(), false),
            "No changes: everything is as desired.\n"
        );
    }

    #[test]
    fn progress_bars_show_bytes_and_percent() {
        assert_eq!(
            bar(5 * 1_048_576, Some(10 * 1_048_576), ProgressUnit::Bytes),
            "[##########----------]  50% 5.0 MiB/10.0 MiB"
        );
        assert_eq!(bar(3, None, ProgressUnit::Items), "3");
    }

    #[test]
    fn long_values_are_shortened() {
        assert_eq!(short(&"x".repeat(100)).chars().count(), VALUE_WIDTH);
    }
}
