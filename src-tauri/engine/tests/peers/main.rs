//! Engine tests against real peers, one test binary: the Secret Service
//! (gnome-keyring on a private D-Bus session), a real Docker engine, and moto
//! server for AWS. `scripts/test-all.sh` starts all of them; without them
//! these tests fail with the reason.

mod aws_moto;
mod docker_hosts;
mod github_fake;
mod keychain_docker;
mod runners_docker;
mod workflow_tools;
