#!/usr/bin/env bash
# Builds the stand-in runner image and pushes it to the local registry.
#   build.sh REGISTRY   e.g. 127.0.0.1:5001 → REGISTRY/slipway-test/runner:1
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
registry=$1
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$here/Dockerfile" "$here/entrypoint.sh" "$ctx/"
cp /bin/busybox "$ctx/busybox"
head -c $((24 * 1024 * 1024)) /dev/urandom > "$ctx/padding.bin"
image="$registry/slipway-test/runner:1"
docker build -q -t "$image" "$ctx" >/dev/null
docker push -q "$image" >/dev/null
# Tests pull it themselves, so the engine starts without it.
docker rmi -f "$image" >/dev/null
echo "$image"
