#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `etiolog tail -`: standard input, the way an operator pipes into it
# (`kubectl logs -f --prefix ... | etiolog tail -`, `docker compose logs -f
# | etiolog tail -`). For scenarios in the formats those commands print, the
# findings at the end of input equal what `analyze` says of the same bytes,
# and the run ends by itself with exit 0. A writer that pauses mid-way (a
# FIFO held open) gets its finding printed before its input ends. With --db
# the note that standard input cannot be resumed is printed and `report
# --db` renders the finding. Waits are bounded; no duration is asserted.
# Usage: tail_stdin_cli_test.sh ETIOLOG   (run from the repository root)
set -uo pipefail
etiolog=$1
scratch=$(mktemp -d)
writer=
cleanup() {
  [[ -n "$writer" ]] && kill "$writer" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT
export XDG_CONFIG_HOME="$scratch/empty-config"
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}
# findings FILE: "cause confidence" per finding of a JSON report or of JSON
# Lines (the last state of each fingerprint), sorted.
findings() {
  python3 -c '
import json, sys
text = open(sys.argv[1]).read()
try:
    doc = json.loads(text)
except ValueError:
    doc = None
if isinstance(doc, dict) and "findings" in doc:
    items = doc["findings"]
else:
    items = [json.loads(l) for l in text.splitlines() if l.strip()]
last = {f["fingerprint"]: f for f in items}
for f in last.values():
    print(f["cause"], f["confidence"])
' "$1" | sort
}

# 1. Whole scenarios through a pipe: kubectl --prefix, compose, CRI.
for scenario in jwt_secret_missing_kubectl stale_key_after_rollout_kubectl per_process_key \
                log_server_key_mismatch_kubectl; do
  files=$(find "samples/scenarios/$scenario" -type f | sort)
  # shellcheck disable=SC2086
  cat $files | timeout 60 "$etiolog" tail - --format jsonl >"$scratch/tail.jsonl" 2>"$scratch/err"
  rc=$?
  [[ $rc == 0 ]] || fail "$scenario: tail - exited $rc: $(cat "$scratch/err")"
  # shellcheck disable=SC2086
  cat $files | "$etiolog" analyze - --format json >"$scratch/analyze.json" 2>/dev/null
  want=$(findings "$scratch/analyze.json")
  got=$(findings "$scratch/tail.jsonl")
  [[ -n "$want" ]] || fail "$scenario: analyze found nothing (the test needs a finding)"
  [[ "$got" == "$want" ]] || fail "$scenario: tail - says '$got', analyze says '$want'"
  grep -q "^etiolog: following standard input until it ends" "$scratch/err" ||
    fail "$scenario: no 'following standard input' line: $(cat "$scratch/err")"
done

# 2. A writer that pauses: the finding comes before the end of input.
scenario=samples/scenarios/per_process_key/docker-compose.log
mkfifo "$scratch/fifo"
"$etiolog" tail - --format jsonl --debounce 100ms --db "$scratch/store.sqlite" \
  <"$scratch/fifo" >"$scratch/live.jsonl" 2>"$scratch/live.err" &
tail_pid=$!
exec 3>"$scratch/fifo"  # Held open: no end of input yet.
cat "$scenario" >&3
for ((i = 0; i < 300; i++)); do
  [[ -s "$scratch/live.jsonl" ]] && break
  sleep 0.1
done
[[ -s "$scratch/live.jsonl" ]] || fail "no finding printed while standard input stayed open"
kill -0 "$tail_pid" 2>/dev/null || fail "tail ended before its input did"
exec 3>&-  # The end of input ends the run.
for ((i = 0; i < 300; i++)); do
  kill -0 "$tail_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$tail_pid" 2>/dev/null; then
  fail "tail still running 30 s after its input ended"
  kill -9 "$tail_pid"
fi
wait "$tail_pid"
rc=$?
[[ $rc == 0 ]] || fail "tail - with a FIFO exited $rc: $(cat "$scratch/live.err")"
grep -q "standard input cannot be resumed" "$scratch/live.err" ||
  fail "--db with - does not say that standard input cannot be resumed"
"$etiolog" report --db "$scratch/store.sqlite" --format json >"$scratch/report.json"
[[ "$(findings "$scratch/report.json")" == "$(findings "$scratch/live.jsonl")" ]] ||
  fail "report --db differs from what tail - printed"

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "tail stdin: all checks passed"
