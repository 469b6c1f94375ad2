# Starts and stops the real peers the tests run against, on loopback.
# Sourced by test-all.sh; every process started here is recorded by PID and
# stopped by stop_peers, which the caller runs from an EXIT trap.
#   dockerd           /var/run/docker.sock (reused if an engine already answers)
#   moto server       http://127.0.0.1:$MOTO_PORT       (AWS IAM, ECR, STS)
#   docker-registry   http://127.0.0.1:$REGISTRY_PORT   (image pulls with progress)
#   Xvfb              $DISPLAY                           (the GUI test's screen)
#   fake GitHub       http://127.0.0.1:$GITHUB_FAKE_PORT (held to GitHub's OpenAPI description)

MOTO_PORT=${MOTO_PORT:-5000}
REGISTRY_PORT=${REGISTRY_PORT:-5001}
GITHUB_FAKE_PORT=${GITHUB_FAKE_PORT:-5002}
XVFB_DISPLAY=${XVFB_DISPLAY:-:99}
PEER_WORK=${PEER_WORK:-$PWD/tests/.work}
STARTED_PIDS=()

peer_log() { printf '   [peers] %s\n' "$*"; }

# wait_for NAME SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local name=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "error: $name did not become ready within ${seconds}s; its log is in $PEER_WORK" >&2
      return 1
    fi
    sleep 0.3
  done
  peer_log "$name ready"
}

start_bg() { # start_bg NAME LOG COMMAND...
  local name=$1 log=$2; shift 2
  "$@" >"$log" 2>&1 &
  STARTED_PIDS+=("$!:$name")
}

start_dockerd() {
  if docker version >/dev/null 2>&1; then
    peer_log "reusing the Docker engine that is already running"
    return
  fi
  start_bg dockerd "$PEER_WORK/dockerd.log" dockerd --host unix:///var/run/docker.sock
  wait_for dockerd 60 docker version
}

start_moto() {
  start_bg moto "$PEER_WORK/moto.log" "$PEER_WORK/venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
  wait_for "moto server" 30 curl -sf "http://127.0.0.1:$MOTO_PORT/moto-api/"
  export SLIPWAY_TEST_MOTO_URL="http://127.0.0.1:$MOTO_PORT"
}

start_registry() {
  mkdir -p "$PEER_WORK/registry"
  cat >"$PEER_WORK/registry.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $PEER_WORK/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
YML
  start_bg registry "$PEER_WORK/registry.log" docker-registry serve "$PEER_WORK/registry.yml"
  wait_for "docker-registry" 30 curl -sf "http://127.0.0.1:$REGISTRY_PORT/v2/"
  export SLIPWAY_TEST_REGISTRY="127.0.0.1:$REGISTRY_PORT"
}

# Builds the stand-in runner image into the local registry (needs dockerd and
# the registry running).
build_runner_image() {
  SLIPWAY_TEST_RUNNER_IMAGE=$(tests/runner-image/build.sh "127.0.0.1:$REGISTRY_PORT")
  export SLIPWAY_TEST_RUNNER_IMAGE
  peer_log "runner image $SLIPWAY_TEST_RUNNER_IMAGE pushed"
}

start_github_fake() {
  start_bg "fake GitHub" "$PEER_WORK/github-fake.log" env PORT="$GITHUB_FAKE_PORT" node tests/github-fake/server.js
  wait_for "fake GitHub" 60 curl -sf "http://127.0.0.1:$GITHUB_FAKE_PORT/_fake/state"
  export SLIPWAY_TEST_GITHUB_URL="http://127.0.0.1:$GITHUB_FAKE_PORT"
}

start_xvfb() {
  local n=${XVFB_DISPLAY#:}
  rm -f "/tmp/.X11-unix/X$n" "/tmp/.X$n-lock"
  start_bg Xvfb "$PEER_WORK/xvfb.log" Xvfb "$XVFB_DISPLAY" -screen 0 1280x800x24 -nolisten tcp
  wait_for Xvfb 20 test -S "/tmp/.X11-unix/X$n"
  export DISPLAY=$XVFB_DISPLAY
}

stop_peers() {
  local entry pid name
  for entry in "${STARTED_PIDS[@]}"; do
    pid=${entry%%:*}; name=${entry#*:}
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
      peer_log "stopped $name (pid $pid)"
    fi
  done
  STARTED_PIDS=()
}

# in_keyring_session COMMAND...: runs COMMAND with a private, unlocked
# Secret Service (gnome-keyring on its own D-Bus session) and a throwaway
# HOME, so tests never touch the developer's real keychain or AWS config.
in_keyring_session() {
  local session
  session=$(mktemp -d "$PEER_WORK/session.XXXXXX")
  mkdir -p "$session/home" "$session/run"
  chmod 700 "$session/run"
  local status=0
  CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} \
  HOME="$session/home" XDG_RUNTIME_DIR="$session/run" XDG_DATA_HOME="$session/home/.local/share" \
  XDG_CONFIG_HOME="$session/home/.config" \
    dbus-run-session -- keyctl session - bash -c '
      printf %s slipway-test | gnome-keyring-daemon --foreground --unlock --components=secrets \
        >"$XDG_RUNTIME_DIR/keyring.log" 2>&1 &
      keyring_pid=$!
      for _ in $(seq 1 100); do
        dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
          org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
          | grep -q "boolean true" && break
        sleep 0.1
      done
      echo "   [peers] Secret Service ready (gnome-keyring pid $keyring_pid)"
      "$@"; status=$?
      kill -TERM "$keyring_pid" 2>/dev/null; wait "$keyring_pid" 2>/dev/null
      exit $status' _ "$@" || status=$?
  rm -rf "$session"
  return $status
}
