//! Doctor check: is the Docker engine reachable, and what is it.

use super::{gib, Check, Status};
use crate::config::DockerSettings;
use crate::docker::{connect, DockerEndpoint};
use bollard::Docker;

const TITLE: &str = "Docker engine";

pub(super) async fn check(settings: &DockerSettings, runner_image: &str) -> Check {
    check_and_connect(settings, runner_image).await.0
}

/// The check, and the connected client when the engine answered (so a
/// caller that needs the engine next does not connect twice).
pub(crate) async fn check_and_connect(
    settings: &DockerSettings,
    runner_image: &str,
) -> (Check, Option<Docker>) {
    let endpoint = match DockerEndpoint::resolve(settings) {
        Ok(e) => e,
        Err(e) => {
            let check = Check::new(
                "docker",
                TITLE,
                Status::Error,
                "the Docker host setting is invalid",
            )
            .fix(e.to_string());
            return (check, None);
        }
    };
    match connect(&endpoint).await {
        Ok((docker, info)) => {
            let image = if docker.inspect_image(runner_image).await.is_ok() {
                format!("{runner_image} is present")
            } else {
                format!("{runner_image} is not pulled yet (apply pulls it)")
            };
            let check = Check::new(
                "docker",
                TITLE,
                Status::Ok,
                format!("Docker {} reachable at {}", info.version, info.endpoint),
            )
            .detail(
                "Engine",
                format!("{} (API {})", info.version, info.api_version),
            )
            .detail("OS", format!("{} {}", info.os, info.arch))
            .detail("CPUs", info.cpus.to_string())
            .detail("Memory", gib(info.memory_bytes))
            .detail("Runner image", image);
            (check, Some(docker))
        }
        Err(e) => {
            let check = Check::new(
                "docker",
                TITLE,
                Status::Error,
                format!("cannot reach Docker at {}", endpoint.describe()),
            )
            .fix(e.to_string());
            (check, None)
        }
    }
}
