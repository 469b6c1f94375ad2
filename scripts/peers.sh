# Starts and stops the real peers the tests run against, on loopback.
# Sourced by test-all.sh; every process started here is recorded by PID and
# stopped by stop_peers, which the caller runs from an EXIT trap.
#   dockerd           /var/run/docker.sock (reused if an engine already answers)
#   moto server       http://127.0.0.1:$MOTO_PORT       (AWS IAM, ECR, STS)
#   docker-registry   http://127.0.0.1:$REGISTRY_PORT   (image pulls with progress)
#   Xvfb              $DISPLAY                           (the GUI test's screen)
#   fake GitHub       http://127.0.0.1:$GITHUB_FAKE_PORT (held to GitHub's OpenAPI description)
#   docker-registry   http://127.0.0.1:$AUTH_REGISTRY_PORT (htpasswd: private-registry pulls)
#   stunnel           tcp://127.0.0.1:$DOCKER_TLS_PORT   (the engine behind mutual TLS)
#   sshd              ssh://root@127.0.0.1:$SSHD_PORT   (the engine over SSH, as root)

MOTO_PORT=${MOTO_PORT:-5000}
REGISTRY_PORT=${REGISTRY_PORT:-5001}
GITHUB_FAKE_PORT=${GITHUB_FAKE_PORT:-5002}
XVFB_DISPLAY=${XVFB_DISPLAY:-:99}
AUTH_REGISTRY_PORT=${AUTH_REGISTRY_PORT:-5003}
DOCKER_TLS_PORT=${DOCKER_TLS_PORT:-2376}
SSHD_PORT=${SSHD_PORT:-2222}
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

# Runner containers of the tests' organization "acme" left by an aborted
# run (labelled by Slipway, org acme) would make the next run's plans see
# foreign containers; they are removed with their registration volumes.
# Nothing of any other organization is touched.
remove_leftover_test_runners() {
  local ids
  ids=$(docker ps -aq --filter label=dev.slipway.org=acme)
  if [ -n "$ids" ]; then
    peer_log "removing runner containers left by an earlier test run: $(echo $ids | wc -w)"
    # shellcheck disable=SC2086
    docker rm -f -v $ids >/dev/null
  fi
  docker volume ls -q --filter name=slipway-acme- | xargs -r docker volume rm -f >/dev/null
}

start_moto() {
  start_bg moto "$PEER_WORK/moto.log" "$PEER_WORK/venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
  wait_for "moto server" 30 curl -sf "http://127.0.0.1:$MOTO_PORT/moto-api/"
  export SLIPWAY_TEST_MOTO_URL="http://127.0.0.1:$MOTO_PORT"
}

# registry_config NAME PORT [AUTH_YAML]: writes a docker-registry config.
registry_config() {
  mkdir -p "$PEER_WORK/$1"
  cat >"$PEER_WORK/$1.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $PEER_WORK/$1
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
${3:-}
YML
}

start_registry() {
  registry_config registry "$REGISTRY_PORT"
  start_bg registry "$PEER_WORK/registry.log" docker-registry serve "$PEER_WORK/registry.yml"
  wait_for "docker-registry" 30 curl -sf "http://127.0.0.1:$REGISTRY_PORT/v2/"
  export SLIPWAY_TEST_REGISTRY="127.0.0.1:$REGISTRY_PORT"
}

# A second registry that wants a user and password (htpasswd, bcrypt); the
# password is new on every run.
start_auth_registry() {
  export SLIPWAY_TEST_REGISTRY_USER=slipway-ci
  SLIPWAY_TEST_REGISTRY_PASSWORD=$(openssl rand -hex 16)
  export SLIPWAY_TEST_REGISTRY_PASSWORD
  htpasswd -Bbn "$SLIPWAY_TEST_REGISTRY_USER" "$SLIPWAY_TEST_REGISTRY_PASSWORD" >"$PEER_WORK/htpasswd"
  registry_config auth-registry "$AUTH_REGISTRY_PORT" "auth:
  htpasswd:
    realm: slipway-test
    path: $PEER_WORK/htpasswd"
  start_bg "docker-registry (auth)" "$PEER_WORK/auth-registry.log" docker-registry serve "$PEER_WORK/auth-registry.yml"
  wait_for "docker-registry (auth)" 30 bash -c "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$AUTH_REGISTRY_PORT/v2/ | grep -q 401"
  export SLIPWAY_TEST_AUTH_REGISTRY="127.0.0.1:$AUTH_REGISTRY_PORT"
}

# Builds the stand-in runner image into the local registries (needs dockerd
# and both registries running).
build_runner_image() {
  SLIPWAY_TEST_RUNNER_IMAGE=$(REGISTRY_USER=$SLIPWAY_TEST_REGISTRY_USER REGISTRY_PASSWORD=$SLIPWAY_TEST_REGISTRY_PASSWORD \
    tests/runner-image/build.sh "127.0.0.1:$REGISTRY_PORT" "127.0.0.1:$AUTH_REGISTRY_PORT")
  export SLIPWAY_TEST_RUNNER_IMAGE
  export SLIPWAY_TEST_PRIVATE_RUNNER_IMAGE="127.0.0.1:$AUTH_REGISTRY_PORT/slipway-test/runner:1"
  peer_log "runner image $SLIPWAY_TEST_RUNNER_IMAGE pushed (and to the private registry)"
}

# tls_cert DIR NAME CA_DIR EXT: a key and a certificate signed by CA_DIR's CA.
tls_cert() {
  openssl req -new -newkey rsa:2048 -nodes -keyout "$1/key.pem" -subj "/CN=$2" -out "$1/req.csr" 2>/dev/null
  printf '%s\n' "$4" >"$1/ext.cnf"
  openssl x509 -req -in "$1/req.csr" -CA "$3/ca.pem" -CAkey "$3/ca-key.pem" -CAcreateserial \
    -days 2 -extfile "$1/ext.cnf" -out "$1/cert.pem" 2>/dev/null
  cp "$3/ca.pem" "$1/ca.pem"
}

tls_ca() {
  mkdir -p "$1"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/ca-key.pem" -subj "/CN=$2" -days 2 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -out "$1/ca.pem" 2>/dev/null
}

# The local engine behind mutual TLS, the way `dockerd --tlsverify` serves it:
# a server certificate for 127.0.0.1 and client certificates from one CA.
# A second CA's client directory is for the "wrong certificates" test.
start_docker_tls() {
  local dir="$PEER_WORK/tls"
  rm -rf "$dir"; mkdir -p "$dir/server" "$dir/client" "$dir/stranger"
  tls_ca "$dir/ca" "slipway test CA"
  tls_ca "$dir/other-ca" "some other CA"
  tls_cert "$dir/server" 127.0.0.1 "$dir/ca" "basicConstraints=CA:FALSE
subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
  tls_cert "$dir/client" client "$dir/ca" "basicConstraints=CA:FALSE
extendedKeyUsage=clientAuth"
  tls_cert "$dir/stranger" client "$dir/other-ca" "basicConstraints=CA:FALSE
extendedKeyUsage=clientAuth"
  cat >"$dir/stunnel.conf" <<CFG
foreground = yes
pid =
[docker]
accept = 127.0.0.1:$DOCKER_TLS_PORT
connect = /var/run/docker.sock
cert = $dir/server/cert.pem
key = $dir/server/key.pem
CAfile = $dir/ca/ca.pem
verifyChain = yes
requireCert = yes
CFG
  start_bg "Docker over TLS (stunnel)" "$PEER_WORK/docker-tls.log" stunnel4 "$dir/stunnel.conf"
  wait_for "Docker over TLS" 20 curl -sf --cacert "$dir/ca/ca.pem" --cert "$dir/client/cert.pem" \
    --key "$dir/client/key.pem" "https://127.0.0.1:$DOCKER_TLS_PORT/_ping"
  export SLIPWAY_TEST_DOCKER_TLS_HOST="tcp://127.0.0.1:$DOCKER_TLS_PORT"
  export SLIPWAY_TEST_DOCKER_TLS_CERTS="$dir/client" SLIPWAY_TEST_DOCKER_TLS_STRANGER="$dir/stranger"
}

# sshd on loopback that lets root in with a key of ours, so the engine is
# reached the way a remote host is: `ssh … docker system dial-stdio`. Its host
# key is kept between runs (under ~/.cache) and pinned in root's known_hosts.
start_sshd() {
  local keep="${XDG_CACHE_HOME:-$HOME/.cache}/slipway-tests/sshd" dir="$PEER_WORK/ssh"
  mkdir -p "$keep" "$dir" /run/sshd ~/.ssh
  [ -f "$keep/host_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C slipway-test-host -f "$keep/host_ed25519"
  rm -f "$dir"/client* "$dir"/stranger*
  ssh-keygen -q -t ed25519 -N "" -C slipway-test -f "$dir/client_ed25519"
  ssh-keygen -q -t ed25519 -N "" -C stranger -f "$dir/stranger_ed25519"
  cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
  cat >"$dir/sshd_config" <<CFG
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $keep/host_ed25519
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $dir/sshd.pid
CFG
  ssh-keygen -R "[127.0.0.1]:$SSHD_PORT" >/dev/null 2>&1 || true
  echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$keep/host_ed25519.pub")" >>~/.ssh/known_hosts
  start_bg sshd "$PEER_WORK/sshd.log" /usr/sbin/sshd -D -e -f "$dir/sshd_config"
  wait_for sshd 20 ssh -p "$SSHD_PORT" -o BatchMode=yes -o IdentitiesOnly=yes -i "$dir/client_ed25519" \
    root@127.0.0.1 docker version
  export SLIPWAY_TEST_SSH_HOST="ssh://root@127.0.0.1:$SSHD_PORT"
  export SLIPWAY_TEST_SSH_KEY="$dir/client_ed25519" SLIPWAY_TEST_SSH_STRANGER_KEY="$dir/stranger_ed25519"
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
