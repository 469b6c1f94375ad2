#!/usr/bin/env bash
# The bench command: installs what is missing, starts the peers the
# benchmarks need (dockerd, the engine behind TLS and over SSH), runs every
# benchmark in the release profile, and stops what it started.
# Results and the machine they were measured on go in docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
mkdir -p tests/.work
# shellcheck source=scripts/peers.sh
source scripts/peers.sh
trap stop_peers EXIT
start_dockerd
start_docker_tls
start_sshd
cargo bench -p slipway-engine
