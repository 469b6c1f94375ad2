#!/usr/bin/env bash
# The one launch command: installs what is missing, builds the front end and
# the desktop app (release, front end embedded), and opens the window.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh app
(cd ui && npm run --silent build)
cargo build --release --features custom-protocol --bin slipway-desktop
exec target/release/slipway-desktop "$@"
