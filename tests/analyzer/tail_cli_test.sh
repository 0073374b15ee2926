#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `etiolog tail` end to end: a scenario's log is written into a followed
# directory in steps (a partial line completed later, a rename rotation
# mid-way), the per_process_key finding must come out as JSON Lines, the run
# must stop by itself (--exit-when-idle) with exit 0, and its last diagnosis
# must equal what `analyze` says of the same files. Then a second run with
# the same --db resumes (no line read twice), and SIGTERM stops a run with
# exit 0. Waits are bounded; no duration is asserted.
# Usage: tail_cli_test.sh ETIOLOG   (run from the repository root)
set -uo pipefail
etiolog=$1
scenario=samples/scenarios/per_process_key/docker-compose.log
scratch=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$scratch"
}
trap cleanup EXIT
export XDG_CONFIG_HOME="$scratch/empty-config"
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}
# wait_exit PID SECONDS: waits for PID to exit (killing it after SECONDS);
# sets rc to its exit code.
wait_exit() {
  local pid=$1 limit=$2 i
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    fail "etiolog tail still running after ${limit}s"
    kill -9 "$pid"
  fi
  wait "$pid"
  rc=$?
}
# ready FILE: waits (bounded) for tail's "following" line on stderr.
ready() {
  local i
  for ((i = 0; i < 300; i++)); do
    grep -q "^etiolog: following" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "tail never said it was following: $(cat "$1")"
}
# findings FILE: "cause confidence fingerprint" per finding of a JSON
# report or of JSON Lines, sorted.
findings() {
  python3 -c '
import json, sys
text = open(sys.argv[1]).read()
try:
    items = json.loads(text)["findings"]
except ValueError:
    items = [json.loads(l) for l in text.splitlines() if l.strip()]
for f in items:
    print(f["cause"], f["confidence"], f["fingerprint"])
' "$1" | sort
}

logs=$scratch/logs
mkdir -p "$logs"
lines=$(wc -l <"$scenario")
half=$((lines / 2))

# 1. Follow an empty directory; write the log in steps, rotate mid-way.
"$etiolog" tail --format jsonl --poll-interval 20ms --debounce 200ms --exit-when-idle 4s \
  --db "$scratch/tail.db" "$logs" >"$scratch/out.jsonl" 2>"$scratch/err.txt" &
pid=$!
pids+=("$pid")
ready "$scratch/err.txt"
head -n 200 "$scenario" >"$logs/airflow.log"
sleep 0.2
# A line written in two pieces: the first without its newline.
line=$(sed -n 201p "$scenario")
printf '%s' "${line:0:20}" >>"$logs/airflow.log"
sleep 0.2
printf '%s\n' "${line:20}" >>"$logs/airflow.log"
sed -n "202,${half}p" "$scenario" >>"$logs/airflow.log"
sleep 0.3
# Rotation by rename; the writer then starts a new file.
mv "$logs/airflow.log" "$logs/airflow.log.1"
sed -n "$((half + 1)),$((lines - 100))p" "$scenario" >"$logs/airflow.log"
sleep 0.2
wait_exit "$pid" 60
[[ $rc -eq 0 ]] || fail "tail exited $rc, want 0: $(cat "$scratch/err.txt")"
grep -q '"cause":"per_process_key"' "$scratch/out.jsonl" ||
  fail "no per_process_key finding in the jsonl output: $(cat "$scratch/out.jsonl")"
grep -q '"change":"new"' "$scratch/out.jsonl" || fail "no finding marked new"
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    f = json.loads(l)
    assert {"cause", "confidence", "evidence", "fingerprint", "remediation"} <= f.keys(), f.keys()
' "$scratch/out.jsonl" || fail "a jsonl line is not a finding object"
# What tail diagnosed last equals analyze on the same files.
"$etiolog" report --db "$scratch/tail.db" --format json >"$scratch/report.json" ||
  fail "report --db on the tail store failed"
"$etiolog" analyze --format json "$logs/airflow.log.1" "$logs/airflow.log" \
  >"$scratch/analyze.json"
diff <(findings "$scratch/report.json") <(findings "$scratch/analyze.json") ||
  fail "tail's diagnosis differs from analyze's on the same files"

# 2. Resume: the rest of the log is written while nothing follows it; the
# next run reads only that (the diagnosis still equals analyze's: nothing
# was counted twice).
sed -n "$((lines - 99)),${lines}p" "$scenario" >>"$logs/airflow.log"
"$etiolog" tail --format jsonl --poll-interval 20ms --debounce 100ms --exit-when-idle 3s \
  --db "$scratch/tail.db" "$logs" >"$scratch/out2.jsonl" 2>"$scratch/err2.txt" &
pid=$!
pids+=("$pid")
wait_exit "$pid" 60
[[ $rc -eq 0 ]] || fail "resumed tail exited $rc: $(cat "$scratch/err2.txt")"
grep -q "resuming at line" "$scratch/err2.txt" || fail "no resume note: $(cat "$scratch/err2.txt")"
"$etiolog" report --db "$scratch/tail.db" --format json >"$scratch/report2.json"
"$etiolog" analyze --format json "$logs/airflow.log.1" "$logs/airflow.log" \
  >"$scratch/analyze2.json"
diff <(findings "$scratch/report2.json") <(findings "$scratch/analyze2.json") ||
  fail "after resuming, tail's diagnosis differs from analyze's"

# 3. SIGTERM: a clean stop, exit 0; copytruncate is announced on stderr.
"$etiolog" tail --poll-interval 20ms --from-start "$logs/airflow.log" \
  >"$scratch/out3.txt" 2>"$scratch/err3.txt" &
pid=$!
pids+=("$pid")
ready "$scratch/err3.txt"
: >"$logs/airflow.log"
for ((i = 0; i < 50; i++)); do
  grep -q truncated "$scratch/err3.txt" && break
  sleep 0.1
done
grep -q "truncated" "$scratch/err3.txt" || fail "no truncation note: $(cat "$scratch/err3.txt")"
kill -TERM "$pid"
wait_exit "$pid" 30
[[ $rc -eq 0 ]] || fail "tail exited $rc after SIGTERM, want 0"

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "tail CLI: all checks passed"
