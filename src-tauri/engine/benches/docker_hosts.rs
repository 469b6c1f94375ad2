//! Benchmark: what each kind of Docker host costs Slipway, on one engine.
//! For the local socket, TCP+TLS and SSH: connecting (what the host step's
//! check and every plan do: for SSH a `docker version` preflight, then
//! version + info) and one warm request (listing containers on a connected
//! client, as the plan and the Status window do per refresh).
//!
//! Needs the peers `scripts/bench.sh` starts (it sets SLIPWAY_TEST_DOCKER_TLS_*
//! and SLIPWAY_TEST_SSH_*). Results go in docs/BENCHMARKS.md.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bollard::query_parameters::ListContainersOptionsBuilder;
use slipway_engine::config::DockerSettings;
use slipway_engine::docker::{connect, DockerEndpoint};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by scripts/bench.sh"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let hosts = [
        ("local socket", DockerSettings::default()),
        (
            "TCP + TLS",
            DockerSettings {
                host: Some(env("SLIPWAY_TEST_DOCKER_TLS_HOST")),
                tls_cert_dir: Some(PathBuf::from(env("SLIPWAY_TEST_DOCKER_TLS_CERTS"))),
                ssh_identity: None,
            },
        ),
        (
            "SSH",
            DockerSettings {
                host: Some(env("SLIPWAY_TEST_SSH_HOST")),
                tls_cert_dir: None,
                ssh_identity: Some(PathBuf::from(env("SLIPWAY_TEST_SSH_KEY"))),
            },
        ),
    ];
    println!("| host | connect (median of 20) | warm list-containers (median of 200) |");
    println!("|---|---|---|");
    for (name, settings) in hosts {
        let endpoint = DockerEndpoint::resolve(&settings).unwrap();
        let mut connects = Vec::new();
        for _ in 0..20 {
            let started = Instant::now();
            let (docker, _) = connect(&endpoint).await.unwrap();
            connects.push(started.elapsed());
            drop(docker);
        }
        let (docker, _) = connect(&endpoint).await.unwrap();
        let options = ListContainersOptionsBuilder::default().all(true).build();
        let mut requests = Vec::new();
        for _ in 0..200 {
            let started = Instant::now();
            docker.list_containers(Some(options.clone())).await.unwrap();
            requests.push(started.elapsed());
        }
        println!(
            "| {name} | {} | {} |",
            ms(median(connects)),
            ms(median(requests))
        );
    }
}
