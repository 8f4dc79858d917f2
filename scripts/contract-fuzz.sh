#!/usr/bin/env bash
# The public API against its own description: Schemathesis (`st run`, every check and every
# phase, stateful included) against the all-in-one server, signed in as a person it registers first.
# Fails on any failure: a 5xx, a status or body the document does not describe, a schema-valid
# request refused, an invalid one accepted.
#
#   bash scripts/contract-fuzz.sh            install Schemathesis if needed, start a server, fuzz, stop it
#
# Environment (all optional):
#   CONTRACT_FUZZ_PORT_BASE=27100   the server's ports: gateway BASE, admin BASE+1, services BASE+2..BASE+6
#                                   (GATEWAY_PORT, ADMIN_PORT, <SERVICE>_PORT, when set, win)
#   CONTRACT_FUZZ_MAX_EXAMPLES=20   test cases per operation and phase
#   CONTRACT_FUZZ_SEED              a seed, to repeat a run (CI gives one, so its runs are the same)
#   CONTRACT_FUZZ_MAX_TIME          unset: each phase runs once (the bound is MAX_EXAMPLES, so a
#                                   seed gives the same run on any machine); set: a time budget
#                                   that fuzzing and stateful testing repeat until spent (longer
#                                   exploratory runs)
#   CONTRACT_FUZZ_TIMEOUT=1200      seconds after which a hung run is stopped and fails
#   CONTRACT_FUZZ_VENV=.ci/venv     where Schemathesis is installed (pip, from PyPI)
#
# Checks: all of them, as scripts/contract-fuzz.toml says (not `--checks all` on the command
# line, which would override that file's per-operation rules). Operations left out:
# `DELETE /api/v1/me` (deletes the fuzzing account) and `POST /api/v1/auth/logout` (ends its
# session); e2e/gateway-api.test.ts covers both.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO_ROOT"
# Node 24 from node_modules (npm ci installs it), as `npm start` runs the server.
export PATH="$REPO_ROOT/node_modules/.bin:$PATH"

VENV="${CONTRACT_FUZZ_VENV:-$REPO_ROOT/.ci/venv}"
BASE="${CONTRACT_FUZZ_PORT_BASE:-27100}"
MAX_EXAMPLES="${CONTRACT_FUZZ_MAX_EXAMPLES:-20}"
MAX_TIME="${CONTRACT_FUZZ_MAX_TIME:-}"
TIMEOUT="${CONTRACT_FUZZ_TIMEOUT:-1200}"
export GATEWAY_PORT="${GATEWAY_PORT:-$BASE}" ADMIN_PORT="${ADMIN_PORT:-$((BASE + 1))}"
export VOICE_PORT="${VOICE_PORT:-$((BASE + 2))}" CONVERSATION_PORT="${CONVERSATION_PORT:-$((BASE + 3))}"
export HEALTH_PORT="${HEALTH_PORT:-$((BASE + 4))}" NOTIFICATION_PORT="${NOTIFICATION_PORT:-$((BASE + 5))}"
export EXTERNAL_PORT="${EXTERNAL_PORT:-$((BASE + 6))}"
GATEWAY="http://127.0.0.1:$GATEWAY_PORT"

say() { printf 'contract-fuzz: %s\n' "$*" >&2; }

install_schemathesis() {
  if [ -x "$VENV/bin/st" ] && [ "$("$VENV/bin/st" --version 2>/dev/null)" = "st, version $SCHEMATHESIS_VERSION" ]; then
    return
  fi
  command -v python3 >/dev/null || { say 'python3 is required'; exit 1; }
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    # Debian ships venv apart from python3.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}

install_schemathesis

work="$(mktemp -d)"
# Embedded PostgreSQL runs as its own user when started as root: it must reach its data directory.
chmod o+x "$work"
server_pid=''
weather_pid=''
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  [ -n "$weather_pid" ] && kill -TERM "$weather_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap stop_server EXIT

# The weather and places provider, faked on loopback: CI has no internet, and a fuzzer must not
# send its traffic to a real one.
weather_pid=''
node --import tsx scripts/fake-weather.ts >"$work/weather.url" 2>"$work/weather.log" &
weather_pid=$!
for _ in $(seq 1 60); do [ -s "$work/weather.url" ] && break; sleep 0.5; done
weather_url="$(head -n 1 "$work/weather.url")"
[ -n "$weather_url" ] || { say 'the fake weather provider did not start'; cat "$work/weather.log" >&2; exit 1; }

say "starting the server on $GATEWAY (data in a temporary directory)"
node scripts/build-server.mjs
# The fuzzer sends thousands of requests as one person: the per-person limit must not refuse them.
TEND_DATA_DIR="$work/data" RATE_LIMIT_PER_MINUTE=1000000 LOG_LEVEL=warn \
  WEATHER_BASE_URL="$weather_url" GEOCODING_BASE_URL="$weather_url" AIR_QUALITY_BASE_URL="$weather_url" \
  node apps/server/dist/main.js serve --target=all >"$work/server.log" 2>&1 &
server_pid=$!
ready=''
for _ in $(seq 1 180); do
  if curl -sf "$GATEWAY/readyz" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 1
done
if [ -z "$ready" ]; then
  say 'the server did not become ready:'
  tail -n 40 "$work/server.log" >&2
  exit 1
fi

email="fuzz-$(date +%s)-$$@example.test"
token="$(curl -sf "$GATEWAY/api/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"correct horse battery staple\",\"displayName\":\"Fuzz\",\"timezone\":\"Europe/Berlin\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')"

seed=()
[ -n "${CONTRACT_FUZZ_SEED:-}" ] && seed=(--seed "$CONTRACT_FUZZ_SEED")
budget=()
[ -n "$MAX_TIME" ] && budget=(--max-time "$MAX_TIME")
say "fuzzing: ${MAX_EXAMPLES} examples per operation and phase${MAX_TIME:+, repeated for ${MAX_TIME}s}${CONTRACT_FUZZ_SEED:+, seed $CONTRACT_FUZZ_SEED}"
status=0
timeout "$TIMEOUT" "$VENV/bin/st" --config-file "$REPO_ROOT/scripts/contract-fuzz.toml" run "$GATEWAY/openapi.json" \
  --url "$GATEWAY" \
  --header "Authorization: Bearer $token" \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$MAX_EXAMPLES" \
  "${budget[@]}" \
  --workers 1 \
  --request-timeout 30 \
  --suppress-health-check all \
  --exclude-name 'DELETE /api/v1/me' \
  --exclude-name 'POST /api/v1/auth/logout' \
  --report junit --report-dir "$REPO_ROOT/schemathesis-report" \
  "${seed[@]}" || status=$?
if [ "$status" -ne 0 ]; then
  say "failed (exit $status); the server's warnings and errors:"
  tail -n 40 "$work/server.log" >&2
fi
exit "$status"
