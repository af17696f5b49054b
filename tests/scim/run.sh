#!/usr/bin/env bash
# Runs scim2-tester (the SCIM 2.0 compliance checker, PyPI `scim2-tester[httpx2]`, pinned in requirements.txt)
# against a real yolk process's SCIM service (`/directory/resources/scim/v2`).
#
#   SCIM_YOLK_BIN  the yolk binary (default: target/release/yolk; e.g. target/debug/yolk while iterating)
#   SCIM_VENV      where the Python environment lives (default: tests/scim/.venv; created when missing)
#
# Starts yolk on a free loopback port with a fresh temporary data dir, stopped on exit whatever happens, and runs
# check.py, which fails on any check that does not pass. (Variables are named SCIM_*, not YOLK_*: yolk reads
# YOLK_* as configuration.)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${SCIM_YOLK_BIN:-$root/target/release/yolk}"
venv="${SCIM_VENV:-$here/.venv}"

say() { echo "scim: $*"; }

if [[ ! -x "$bin" ]]; then
  say "FAIL: yolk binary not found at $bin (cargo build --release -p yolk, or set SCIM_YOLK_BIN)"
  exit 1
fi
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import scim2_tester, httpx2' 2>/dev/null; then
  say "installing scim2-tester into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/yolk-scim.XXXXXX")"
pid=""
cleanup() {
  local status=$?
  if [[ -n "$pid" ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -f "$work/yolk.log" ]]; then
    say "--- yolk.log (last 40 lines)"
    tail -n 40 "$work/yolk.log" || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

client_id="$("$venv/bin/python" -c 'import uuid; print(uuid.uuid4())')"
api_key="scim-test-$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')"

unset_vars=()
for v in $(compgen -e); do
  [[ "$v" == YOLK_* ]] && unset_vars+=(-u "$v")
done
: >"$work/yolk.log"
env "${unset_vars[@]}" NO_COLOR=1 YOLK_LOG=info "$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" \
  --client-id "$client_id" --api-key "$api_key" >"$work/yolk.log" 2>&1 &
pid=$!
addr=""
for ((i = 0; i < 300; i++)); do
  addr="$(grep -oE 'listening on http://[0-9.]+:[0-9]+' "$work/yolk.log" | head -n1 | sed 's|listening on http://||' || true)"
  [[ -n "$addr" ]] && break
  kill -0 "$pid" 2>/dev/null || { say "FAIL: yolk exited during start-up"; exit 1; }
  sleep 0.1
done
[[ -n "$addr" ]] || { say "FAIL: yolk did not start listening in 30 s"; exit 1; }
say "yolk at http://$addr"

SCIM_YOLK_URL="http://$addr" SCIM_CLIENT_ID="$client_id" SCIM_API_KEY="$api_key" \
  timeout --kill-after=10 300 "$venv/bin/python" "$here/check.py" &
tester=$!
wait "$tester"
