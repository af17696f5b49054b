#!/usr/bin/env bash
# Runs Frontegg's Node SDK (@frontegg/client, pinned in package.json) unchanged against real yolk processes.
#
#   SDK_YOLK_BIN  the yolk binary (default: target/release/yolk; e.g. target/debug/yolk while iterating)
#
# Starts two yolk processes on one fresh temporary data dir (so one signing key): the main one, and one whose
# access tokens live 2 s (for the expired-token case). Both listen on free loopback ports and are stopped on exit,
# whatever happens. Without node/npm the test fails under CI=true and is skipped otherwise.
# (Variables are named SDK_*, not YOLK_*: yolk reads YOLK_* as configuration.)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="${SDK_YOLK_BIN:-$root/target/release/yolk}"

say() { echo "sdk-node: $*"; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [[ -n "${CI:-}" ]]; then
    say "FAIL: node and npm are required (install Debian's nodejs and npm)"
    exit 1
  fi
  say "SKIP: node/npm not found (install Debian's nodejs and npm to run the Node SDK test)"
  exit 0
fi
if [[ ! -x "$bin" ]]; then
  say "FAIL: yolk binary not found at $bin (cargo build --release -p yolk, or set SDK_YOLK_BIN)"
  exit 1
fi

cd "$here"
if [[ ! -d node_modules/@frontegg/client ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/yolk-sdk-node.XXXXXX")"
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ $status -ne 0 ]]; then
    for log in "$work"/*.log; do
      [[ -f "$log" ]] || continue
      say "--- $(basename "$log") (last 40 lines)"
      tail -n 40 "$log" || true
    done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

client_id="$(node -e 'console.log(require("node:crypto").randomUUID())')"
api_key="sdk-test-$(node -e 'console.log(require("node:crypto").randomBytes(16).toString("hex"))')"

# Starts yolk (no inherited YOLK_* variables, extra assignments from $2...) and sets START_URL once it listens
# and /health answers 200.
start_yolk() {
  local name="$1"
  shift
  local log="$work/$name.log"
  local unset=() v
  for v in $(compgen -e); do
    [[ "$v" == YOLK_* ]] && unset+=(-u "$v")
  done
  env "${unset[@]}" NO_COLOR=1 "$@" "$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" \
    --client-id "$client_id" --api-key "$api_key" >"$log" 2>&1 &
  pids+=("$!")
  local pid=$! addr="" i
  for ((i = 0; i < 300; i++)); do
    addr="$(grep -oE 'listening on http://[0-9.]+:[0-9]+' "$log" | head -n1 | sed 's|listening on http://||' || true)"
    [[ -n "$addr" ]] && break
    kill -0 "$pid" 2>/dev/null || { say "FAIL: yolk ($name) exited during start-up"; return 1; }
    sleep 0.1
  done
  [[ -n "$addr" ]] || { say "FAIL: yolk ($name) did not start listening in 30 s"; return 1; }
  for ((i = 0; i < 100; i++)); do
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' \
      "http://$addr/health"; then
      START_URL="http://$addr"
      return 0
    fi
    sleep 0.1
  done
  say "FAIL: yolk ($name) at $addr: /health did not answer 200"
  return 1
}

say "yolk binary: $bin"
start_yolk main YOLK_LOG=info
main_url="$START_URL"
# The second process migrates the same (already migrated) database and reuses its key and credentials.
start_yolk short YOLK_LOG=info YOLK_ACCESS_TOKEN_TTL=2
short_url="$START_URL"
say "yolk at $main_url (short-lived tokens at $short_url)"

# In the background with `wait`, so a signal to this script is handled (and everything stopped) at once even if
# the test hangs; `timeout` bounds the test itself.
SDK_YOLK_URL="$main_url" SDK_YOLK_SHORT_URL="$short_url" SDK_CLIENT_ID="$client_id" SDK_API_KEY="$api_key" \
  timeout --kill-after=10 300 node --test --test-reporter=spec test/frontegg-client.test.js &
pids+=("$!")
wait "$!"
