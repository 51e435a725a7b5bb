#!/usr/bin/env bash
# The API contract: schemathesis (`--checks all`, a fixed seed, a bounded number of examples)
# against the real server on a fresh SQLite file, with a user, a service and two staff tokens.
# Exits non-zero on any failure. Needs the debug build of consent-server and schemathesis in
# .tools/venv (both made by scripts/test.sh; scripts/setup.sh installs schemathesis).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
SEED="${SEED:-20261129}"
EXAMPLES="${EXAMPLES:-40}"

work="$(mktemp -d)"
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
export CONSENT_RECEIPT_KEY="$(secret)"
export CONSENT_JWT_SECRET="$(secret)" CONSENT_SERVICE_SECRET="$(secret)" \
  CONSENT_STAFF_SECRET="$(secret)" CONSENT_SERVER_SECRET="$(secret)"
server="$root/target/debug/consent-server"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# Schemathesis sends a thousand requests as one user from one address: the rate limits
# (tested on their own in server/tests/api/limits.rs) would answer most of them 429.
NO_COLOR=1 RUST_LOG=warn "$server" serve --bind "127.0.0.1:$port" --database "sqlite://$work/contract.db" \
  --rate-subject 0 --rate-address 0 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done

# A checkpoint to publish, so that GET /v1/checkpoints/latest answers 200 as well as 404.
"$server" checkpoint --database "sqlite://$work/contract.db" >/dev/null

export USER_TOKEN="$("$server" token --user contract-user)"
export SERVICE_TOKEN="$("$server" token --user contract-crm --service)"
export STAFF_TOKEN="$("$server" token --user contract-dpo --role privacy-officer)"
export EDITOR_TOKEN="$("$server" token --user contract-editor --role policy-editor)"

status=0
PYTHONPATH="$root/tests/contract" SCHEMATHESIS_HOOKS=hooks .tools/venv/bin/st --config-file tests/contract/schemathesis.toml run \
  "http://127.0.0.1:$port/v1/openapi.json" \
  --checks all --seed "$SEED" --max-examples "$EXAMPLES" --no-color || status=$?
if [ "$status" -ne 0 ]; then
  echo "== contract: the server's log" >&2
  tail -20 "$work/server.log" >&2
fi
exit "$status"
