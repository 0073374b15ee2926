#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `etiolog tail` run as a service: SIGHUP loads the packs again (a broken
# pack keeps the old ones, a fixed one adds its rule to what is read next),
# the status file and `etiolog status` (healthy while following, unhealthy
# when stopped or stale, exit 4 for a file that is no status file), SIGTERM
# ends with every line read checkpointed, and the shipped systemd unit's
# command line is valid. Waits are bounded; no duration is asserted.
# Usage: tail_service_cli_test.sh ETIOLOG   (run from the repository root)
set -uo pipefail
etiolog=$1
scratch=$(mktemp -d)
pid=
cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT
export XDG_CONFIG_HOME="$scratch/empty-config"
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}
# await WHAT COMMAND...: retries COMMAND (bounded, 30 s) until it succeeds.
await() {
  local what=$1 i
  shift
  for ((i = 0; i < 300; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "$what (after 30 s)"
  return 1
}
# events RULE: how many events of RULE the store holds.
events() {
  python3 -c '
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=5)
print(db.execute("SELECT count(*) FROM events WHERE rule = ?", (sys.argv[2],)).fetchone()[0])
' "$scratch/store.sqlite" "$1"
}
has_events() { [[ "$(events "$1")" -ge "$2" ]]; }

pack() {  # pack PATTERN: a one-rule pack matching PATTERN.
  cat <<YAML
pack: reload-test
rules:
  - id: reload.marker
    title: a marker line of the reload test
    kind: auth.signature_failure
    surface: ui
    severity: error
    match: line
    patterns:
      - '$1'
    examples:
      - 'etiolog reload marker one'
YAML
}
mkdir -p "$scratch/logs" "$scratch/packs"
pack 'etiolog reload marker (?P<n>\w+)' >"$scratch/packs/reload.yaml"
failure='2026-12-07T10:00:00.000000Z [error    ] JWT token is not valid: Signature verification failed [airflow.api_fastapi.auth.managers.base_auth_manager] loc=base_auth_manager.py:107'
: >"$scratch/logs/api.log"

"$etiolog" tail --db "$scratch/store.sqlite" --status-file "$scratch/status.json" \
  --rules "$scratch/packs" --debounce 100ms --format jsonl "$scratch/logs" \
  >"$scratch/out.jsonl" 2>"$scratch/err" &
pid=$!
await "tail never said it was following: $(cat "$scratch/err")" grep -q "^etiolog: following" "$scratch/err"

# Status while following.
await "no status file" test -s "$scratch/status.json"
"$etiolog" status "$scratch/status.json" >"$scratch/status.txt"
rc=$?
[[ $rc == 0 ]] || fail "status of a running tail exited $rc: $(cat "$scratch/status.txt")"
grep -q "^healthy" "$scratch/status.txt" || fail "status does not say healthy: $(cat "$scratch/status.txt")"
grep -q '"state": "following"' "$scratch/status.json" || fail "status file: $(cat "$scratch/status.json")"

echo "etiolog reload marker one" >>"$scratch/logs/api.log"
await "the marker rule of the pack at start matched nothing" has_events reload.marker 1

# A broken pack: the old rules stay.
echo "rules: [ {id: broken" >"$scratch/packs/reload.yaml"
kill -HUP "$pid"
await "a broken pack on SIGHUP was not reported" \
  grep -q "SIGHUP: the packs did not load; going on with those loaded before" "$scratch/err"
kill -0 "$pid" 2>/dev/null || fail "tail died on a broken pack"
echo "etiolog reload marker two" >>"$scratch/logs/api.log"
await "after a failed reload the old rule stopped matching" has_events reload.marker 2

# A fixed pack with another pattern: lines written after the reload are
# matched by the new rule only.
pack 'etiolog reloaded (?P<n>\w+)' >"$scratch/packs/reload.yaml"
kill -HUP "$pid"
await "a good pack on SIGHUP was not loaded" grep -q "SIGHUP: .* causes loaded" "$scratch/err"
echo "etiolog reloaded three" >>"$scratch/logs/api.log"
echo "etiolog reload marker four" >>"$scratch/logs/api.log"
echo "$failure" >>"$scratch/logs/api.log"
await "the reloaded rule did not match" has_events reload.marker 3
await "the built-in rules stopped after a reload" has_events airflow.ui.signature_failure 1
[[ "$(events reload.marker)" == 3 ]] || fail "the old pattern still matched after the reload"

# SIGTERM: exit 0, every line read and checkpointed, status says stopped.
size=$(stat -c %s "$scratch/logs/api.log")
kill -TERM "$pid"
for ((i = 0; i < 300; i++)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
wait "$pid"
rc=$?
pid=
[[ $rc == 0 ]] || fail "SIGTERM: exit $rc: $(cat "$scratch/err")"
checkpoint=$(python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT checkpoint_offset FROM sources WHERE path LIKE ?", ("%api.log",)).fetchone()[0])
' "$scratch/store.sqlite")
[[ "$checkpoint" == "$size" ]] || fail "checkpoint after SIGTERM is $checkpoint, the file has $size bytes"
"$etiolog" status "$scratch/status.json" >"$scratch/status.txt"
rc=$?
[[ $rc == 1 ]] || fail "status of a stopped tail exited $rc"
grep -q "stopped" "$scratch/status.txt" || fail "status does not say stopped: $(cat "$scratch/status.txt")"

# Stale: a status file not updated for longer than --max-age.
python3 - "$scratch/status.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
st["state"] = "following"
st["updated_unix"] -= 120
json.dump(st, open(sys.argv[1], "w"))
PY
"$etiolog" status --max-age 60s "$scratch/status.json" >"$scratch/status.txt"
rc=$?
[[ $rc == 1 ]] || fail "status of a stale file exited $rc"
grep -q "not updated for" "$scratch/status.txt" || fail "stale: $(cat "$scratch/status.txt")"
echo '{"x": 1}' >"$scratch/other.json"
"$etiolog" status "$scratch/other.json" >/dev/null 2>"$scratch/status.err"
rc=$?
[[ $rc == 4 ]] || fail "status of a file that is no status file exited $rc"
grep -q "not a status file" "$scratch/status.err" || fail "$(cat "$scratch/status.err")"

# The systemd unit: its ExecStart, with paths moved into the scratch
# directory, is a valid command line.
unit=packaging/systemd/etiolog-tail.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[[ -n "$exec_start" ]] || fail "$unit has no ExecStart"
read -r -a argv <<<"$exec_start"
args=()
for a in "${argv[@]:1}"; do
  case "$a" in
    /var/lib/etiolog/*) a=$scratch/state/${a#/var/lib/etiolog/} ;;
    /run/etiolog/*) a=$scratch/run/${a#/run/etiolog/} ;;
    \$ETIOLOG_TAIL_ARGS) a=--exit-after=1s ;;
    \$ETIOLOG_LOGS) a=$scratch/logs ;;
  esac
  args+=("$a")
done
mkdir -p "$scratch/state" "$scratch/run"
"$etiolog" "${args[@]}" >/dev/null 2>"$scratch/unit.err"
rc=$?
[[ $rc == 0 ]] || fail "the unit's command line (${args[*]}) exited $rc: $(cat "$scratch/unit.err")"

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "tail as a service: all checks passed"
