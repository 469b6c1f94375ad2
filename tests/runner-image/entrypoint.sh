# The stand-in runner: register once (or reuse the kept registration), stay
# online with heartbeats, and on SIGTERM deregister unless told to keep the
# registration. GITHUB_HOST is the fake GitHub's host:port (plain HTTP).
set -u
bb=/bin/busybox
api="http://${GITHUB_HOST:?GITHUB_HOST is required}"
conf="${CONFIGURED_ACTIONS_RUNNER_FILES_DIR:-/runner}"
$bb mkdir -p "$conf" "${RUNNER_WORKDIR:-/_work}"
post() { $bb wget -q -O - --header "Content-Type: application/json" --post-data "$2" "$api$1"; }

token="${RUNNER_TOKEN:-}"
if [ -f "$conf/.runner" ]; then
  id=$($bb cat "$conf/.runner")
  echo "reusing registration $id"
else
  if [ -z "$token" ]; then
    [ -n "${ACCESS_TOKEN:-}" ] || { echo "neither RUNNER_TOKEN nor ACCESS_TOKEN is set" >&2; exit 1; }
    token=$($bb wget -q -O - --header "Authorization: token $ACCESS_TOKEN" --post-data "" \
      "$api/orgs/$ORG_NAME/actions/runners/registration-token" | $bb sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  fi
  id=$(post /_fake/runners/register "{\"org\":\"$ORG_NAME\",\"token\":\"$token\",\"name\":\"$RUNNER_NAME\",\"labels\":\"$LABELS\"}") \
    || { echo "registration failed" >&2; exit 1; }
  echo "$id" > "$conf/.runner"
  echo "registered as $id"
fi

stop() {
  if [ -z "${DISABLE_AUTOMATIC_DEREGISTRATION:-}" ]; then
    post "/_fake/runners/$id/remove" "{}" >/dev/null && echo "deregistered $id"
    $bb rm -f "$conf/.runner"
  fi
  exit 0
}
trap stop TERM INT

while true; do
  post "/_fake/runners/$id/heartbeat" "{}" >/dev/null || echo "heartbeat refused"
  $bb sleep 2 &
  wait $!
done
