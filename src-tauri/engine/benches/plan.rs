//! Benchmark: how long the pure plan takes for installs of growing size.
//! Run with `cargo bench -p slipway-engine --bench plan`; results and the
//! machine they were measured on go in docs/BENCHMARKS.md.
//!
//! Each "repository" brings what Slipway really plans for it: one ECR
//! repository per branch, key secrets, two variables and a workflow file that
//! depends on the secrets, which depend on the push key.

use std::hint::black_box;
use std::time::{Duration, Instant};

use slipway_engine::plan::{plan, DesiredResource, ObservedResource, ResourceId};

fn resources(repos: usize, branches: usize) -> Vec<DesiredResource> {
    let user = ResourceId::new("aws.iam_user", "slipway-ecr-pusher");
    let key = ResourceId::new("aws.access_key", "slipway-ecr-pusher");
    let attrs = |pairs: &[(&str, String)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let mut out = vec![
        DesiredResource {
            id: user.clone(),
            depends_on: vec![],
            attributes: attrs(&[("path", "/slipway/".into())]),
        },
        DesiredResource {
            id: key.clone(),
            depends_on: vec![user],
            attributes: attrs(&[("key", "held".into())]),
        },
    ];
    for r in 0..repos {
        for b in 0..branches {
            out.push(DesiredResource {
                id: ResourceId::new("aws.ecr_repository", format!("slipway/repo-{r}/branch-{b}")),
                depends_on: vec![],
                attributes: attrs(&[
                    ("lifecycle_policy", "x".repeat(400)),
                    ("scan_on_push", "true".into()),
                ]),
            });
        }
        let secrets = ResourceId::new("github.aws_key_secrets", format!("repo-{r}"));
        out.push(DesiredResource {
            id: secrets.clone(),
            depends_on: vec![key.clone()],
            attributes: attrs(&[("holds", "live".into())]),
        });
        for v in ["SLIPWAY_AWS_REGION", "SLIPWAY_ECR_REGISTRY"] {
            out.push(DesiredResource {
                id: ResourceId::new("github.actions_variable", format!("repo-{r}/{v}")),
                depends_on: vec![],
                attributes: attrs(&[("value", "eu-west-1".into())]),
            });
        }
        out.push(DesiredResource {
            id: ResourceId::new("github.workflow_file", format!("repo-{r}")),
            depends_on: vec![secrets],
            attributes: attrs(&[("content", "y".repeat(2500))]),
        });
    }
    out
}

fn observed_as_desired(desired: &[DesiredResource]) -> Vec<ObservedResource> {
    desired
        .iter()
        .map(|d| ObservedResource {
            id: d.id.clone(),
            depends_on: d.depends_on.clone(),
            attributes: d.attributes.clone(),
            owned: true,
        })
        .collect()
}

fn measure(label: &str, f: impl Fn()) {
    f(); // warm up
    let mut runs = Vec::new();
    let budget = Instant::now();
    while runs.len() < 5 || (budget.elapsed() < Duration::from_secs(2) && runs.len() < 200) {
        let t = Instant::now();
        f();
        runs.push(t.elapsed());
    }
    runs.sort();
    println!(
        "{label:<52} median {:>10.3} ms  (min {:.3} ms, {} runs)",
        runs[runs.len() / 2].as_secs_f64() * 1e3,
        runs[0].as_secs_f64() * 1e3,
        runs.len()
    );
}

fn main() {
    for (repos, branches) in [(10, 1), (100, 3), (300, 5)] {
        let desired = resources(repos, branches);
        let n = desired.len();
        measure(
            &format!("fresh install, {repos} repos x {branches} branches ({n} res.)"),
            || {
                black_box(plan(black_box(&desired), &[]).unwrap());
            },
        );
        let observed = observed_as_desired(&desired);
        measure(
            &format!("no-op re-plan, {repos} repos x {branches} branches ({n} res.)"),
            || {
                black_box(plan(black_box(&desired), black_box(&observed)).unwrap());
            },
        );
    }
}
