#!/usr/bin/env bash
# The one test command: installs what is missing, starts every real peer on
# loopback, runs every check and test, and stops what it started, even when a
# test fails. Run from anywhere, as root or with sudo rights, on Debian/Ubuntu.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
phase() { printf '\n\033[1m== %s (%ss)\033[0m\n' "$*" $((SECONDS - started)); }

phase "install what is missing"
scripts/install-deps.sh test

mkdir -p tests/.work
# shellcheck source=scripts/peers.sh
source scripts/peers.sh
trap stop_peers EXIT
phase "start peers"
start_dockerd
remove_leftover_test_runners
start_moto
start_registry
start_auth_registry
start_github_fake
build_runner_image
start_docker_tls
start_sshd
start_xvfb

phase "style: cargo fmt, front-end types"
cargo fmt --all --check
(cd ui && npm run --silent check)

phase "build the front end (embedded by the app under test)"
(cd ui && npm run --silent build)

phase "clippy"
cargo clippy --workspace --all-targets --features slipway-desktop/custom-protocol --quiet -- -D warnings

phase "front-end tests"
(cd ui && npm test --silent)

phase "Rust tests: unit, real peers, GUI end to end"
export PATH="$PWD/tests/.work/venv/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export SLIPWAY_SCREENSHOT_DIR="$PWD/tests/.work/screenshots"
in_keyring_session cargo test --workspace --features slipway-desktop/custom-protocol

phase "all tests passed"
