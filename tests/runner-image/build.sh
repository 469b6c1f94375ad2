#!/usr/bin/env bash
# Builds the stand-in runner image and pushes it to the local registry.
#   build.sh REGISTRY [AUTH_REGISTRY]
#     REGISTRY       e.g. 127.0.0.1:5001 → REGISTRY/slipway-test/runner:1 (printed)
#     AUTH_REGISTRY  also pushed there, logging in as $REGISTRY_USER with
#                    $REGISTRY_PASSWORD under a throwaway DOCKER_CONFIG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
registry=$1
auth_registry=${2:-}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$here/Dockerfile" "$here/entrypoint.sh" "$ctx/"
cp /bin/busybox "$ctx/busybox"
head -c $((24 * 1024 * 1024)) /dev/urandom > "$ctx/padding.bin"
image="$registry/slipway-test/runner:1"
# quiet (the legacy builder's deprecation notice) unless it fails
quietly() { local out; out=$("$@" 2>&1) || { echo "$out" >&2; return 1; }; }
quietly docker build -q -t "$image" "$ctx"
docker push -q "$image" >/dev/null
if [ -n "$auth_registry" ]; then
  private="$auth_registry/slipway-test/runner:1"
  docker tag "$image" "$private"
  mkdir -p "$ctx/docker-config"
  printf %s "$REGISTRY_PASSWORD" >"$ctx/password"
  quietly env DOCKER_CONFIG="$ctx/docker-config" docker login -u "$REGISTRY_USER" --password-stdin "$auth_registry" <"$ctx/password"
  DOCKER_CONFIG="$ctx/docker-config" docker push -q "$private" >/dev/null
  docker rmi -f "$private" >/dev/null
fi
# Tests pull it themselves, so the engine starts without it.
docker rmi -f "$image" >/dev/null
echo "$image"
