#!/usr/bin/env bash
# Drives Frontegg's browser SDK (@frontegg/js, pinned in package.json) in headless Chromium against a real yolk.
#
#   BROWSER_YOLK_BIN  the yolk binary (default: target/release/yolk; e.g. target/debug/yolk while iterating)
#   BROWSER_CHROMIUM  the browser (default: /usr/bin/chromium, Debian's `chromium` package; never downloaded)
#
# Starts the test app's web server (server.js: the page and the stand-in login box) and one yolk (dev mode, so the
# app's loopback origin may call it with credentials; its app URL is the test app, so email links point there) on
# a fresh temporary data dir, both on free loopback ports, stopped on exit whatever happens. Without node/npm or
# Chromium the test fails under CI=true and is skipped otherwise.
# (Variables are named BROWSER_*, not YOLK_*: yolk reads YOLK_* as configuration.)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${BROWSER_YOLK_BIN:-$root/target/release/yolk}"
chromium="${BROWSER_CHROMIUM:-/usr/bin/chromium}"

say() { echo "browser: $*"; }

missing=""
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing="node and npm (Debian's nodejs and npm)"
elif [[ ! -x "$chromium" ]]; then
  missing="Chromium at $chromium (Debian's chromium)"
fi
if [[ -n "$missing" ]]; then
  if [[ -n "${CI:-}" ]]; then
    say "FAIL: $missing required"
    exit 1
  fi
  say "SKIP: $missing not found"
  exit 0
fi
if [[ ! -x "$bin" ]]; then
  say "FAIL: yolk binary not found at $bin (cargo build --release -p yolk, or set BROWSER_YOLK_BIN)"
  exit 1
fi

cd "$here"
export PUPPETEER_SKIP_DOWNLOAD=1
if [[ ! -d node_modules/@frontegg/js ]] || [[ ! -d node_modules/puppeteer-core ]] ||
  [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/yolk-browser.XXXXXX")"
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
api_key="browser-test-$(node -e 'console.log(require("node:crypto").randomBytes(16).toString("hex"))')"

# Runs "$@" in the background with its output in $work/NAME.log and sets START_URL once the log says
# `listening on http://HOST:PORT` and HEALTH (a path) answers 200.
start() {
  local name="$1" health="$2"
  shift 2
  local log="$work/$name.log"
  "$@" >"$log" 2>&1 &
  pids+=("$!")
  local pid=$! addr="" i
  for ((i = 0; i < 300; i++)); do
    addr="$(grep -oE 'listening on http://[0-9.]+:[0-9]+' "$log" | head -n1 | sed 's|listening on http://||' || true)"
    [[ -n "$addr" ]] && break
    kill -0 "$pid" 2>/dev/null || { say "FAIL: $name exited during start-up"; return 1; }
    sleep 0.1
  done
  [[ -n "$addr" ]] || { say "FAIL: $name did not start listening in 30 s"; return 1; }
  for ((i = 0; i < 100; i++)); do
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' \
      "http://$addr$health"; then
      START_URL="http://$addr"
      return 0
    fi
    sleep 0.1
  done
  say "FAIL: $name at $addr: $health did not answer 200"
  return 1
}

say "yolk binary: $bin"
start app / node "$here/server.js"
app_url="$START_URL"

# yolk without inherited YOLK_* variables.
unset_yolk=()
for v in $(compgen -e); do
  [[ "$v" == YOLK_* ]] && unset_yolk+=(-u "$v")
done
start yolk /health env "${unset_yolk[@]}" NO_COLOR=1 YOLK_LOG=info YOLK_DEV_MODE=true YOLK_APP_URL="$app_url" \
  "$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" --client-id "$client_id" --api-key "$api_key"
yolk_url="$START_URL"
say "yolk at $yolk_url, the test app at $app_url"

# In the background with `wait`, so a signal to this script is handled (and everything stopped) at once even if
# the test hangs; `timeout` bounds the test itself.
BROWSER_YOLK_URL="$yolk_url" BROWSER_PAGE_URL="$app_url" BROWSER_CLIENT_ID="$client_id" BROWSER_API_KEY="$api_key" \
  BROWSER_CHROMIUM="$chromium" HOME="$work" \
  timeout --kill-after=10 150 node --test --test-reporter=spec --test-concurrency=1 test/browser.test.js &
pids+=("$!")
wait "$!"
