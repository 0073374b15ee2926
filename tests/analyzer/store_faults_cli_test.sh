#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The store failing under a real run: the disk fills up (a file-size limit,
# so the kernel refuses writes past it) during `analyze --db`, during
# `analyze` with its temporary store and during `tail --db`; another process
# holds the store's write lock. Each must exit 4 with an error naming the
# store, leave a store that passes PRAGMA integrity_check, and a second run
# on the same store must end with exactly the events and findings of a
# fresh run (nothing lost, nothing stored twice).
# Usage: store_faults_cli_test.sh ETIOLOG   (run from the repository root)
set -uo pipefail
etiolog=$1
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

# sql DB QUERY: prints the first column of the first row.
sql() {
  python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute(sys.argv[2]).fetchone()[0])' "$1" "$2"
}
# findings FILE: the (cause, confidence) list of a JSON report.
findings() {
  python3 -c 'import json, sys
print([(f["cause"], f["confidence"]) for f in json.load(open(sys.argv[1]))["findings"]])' "$1"
}
events_key='SELECT count(*) || "/" || count(DISTINCT source_id || ":" || offset || ":" || rule) FROM events'

# About 6 MB of log (40,000 events, one finding): its store grows to about
# 25 MB, so a 4 MiB file-size limit stops it part-way.
python3 scripts/gen-stress storm --scale 20000 --out "$scratch/big.log" >/dev/null ||
  { echo "FAIL cannot generate the log"; exit 1; }
"$etiolog" analyze --format json --db "$scratch/fresh.db" "$scratch/big.log" >"$scratch/fresh.json"
fresh_events=$(sql "$scratch/fresh.db" "$events_key")
fresh_findings=$(findings "$scratch/fresh.json")
[[ $fresh_findings == "[]" ]] && fail "the fresh run found nothing: the test proves nothing"

# limited LIMIT_KIB CMD...: runs CMD with a file-size limit; writes past it
# fail with EFBIG (SIGXFSZ ignored) as on a full disk. Sets rc.
limited() {
  local limit=$1
  shift
  (
    ulimit -f "$limit"
    trap '' XFSZ
    exec "$@"
  )
  rc=$?
}

# check_store NAME DB: the store is whole, and a rerun completes it to what
# the fresh run stored and found.
check_store() {
  local name=$1 db=$2
  [[ $(sql "$db" 'PRAGMA integrity_check') == ok ]] || fail "$name: integrity_check"
  "$etiolog" analyze --format json --db "$db" "$scratch/big.log" >"$scratch/rerun.json" 2>"$scratch/rerun.err"
  local r=$?
  [[ $r == 0 ]] || fail "$name: rerun exit $r: $(cat "$scratch/rerun.err")"
  [[ $(sql "$db" "$events_key") == "$fresh_events" ]] ||
    fail "$name: rerun stored $(sql "$db" "$events_key") events (count/distinct), fresh $fresh_events"
  [[ $(findings "$scratch/rerun.json") == "$fresh_findings" ]] ||
    fail "$name: rerun found $(findings "$scratch/rerun.json"), fresh $fresh_findings"
}

# 1. analyze --db: the disk fills up while events are stored.
limited 4096 "$etiolog" analyze --db "$scratch/full.db" "$scratch/big.log" \
  >"$scratch/out" 2>"$scratch/err"
[[ $rc == 4 ]] || fail "analyze --db on a full disk: exit $rc, want 4"
grep -q "$scratch/full.db: disk I/O error" "$scratch/err" ||
  fail "analyze --db on a full disk: stderr does not name the store: $(cat "$scratch/err")"
grep -q "storing $scratch/big.log" "$scratch/err" ||
  fail "analyze --db on a full disk: stderr does not say which log was being stored: $(cat "$scratch/err")"
check_store "analyze --db" "$scratch/full.db"

# 2. analyze with its temporary store in a full $TMPDIR: the error names the
# file, and the file is removed.
mkdir -p "$scratch/tmp"
TMPDIR=$scratch/tmp limited 4096 "$etiolog" analyze "$scratch/big.log" >"$scratch/out" 2>"$scratch/err"
[[ $rc == 4 ]] || fail "analyze on a full \$TMPDIR: exit $rc, want 4"
grep -q "temporary store $scratch/tmp/.*: disk I/O error" "$scratch/err" ||
  fail "analyze on a full \$TMPDIR: stderr does not name the temporary store: $(cat "$scratch/err")"
[[ -z $(ls -A "$scratch/tmp") ]] || fail "analyze on a full \$TMPDIR left $(ls -A "$scratch/tmp")"

# 3. tail --db: the same, then a resumed tail completes the store.
mkdir -p "$scratch/logs"
cp "$scratch/big.log" "$scratch/logs/big.log"
limited 4096 "$etiolog" tail --db "$scratch/tail.db" --from-start --exit-when-idle 1 --format jsonl \
  "$scratch/logs" >"$scratch/out" 2>"$scratch/err"
[[ $rc == 4 ]] || fail "tail --db on a full disk: exit $rc, want 4: $(cat "$scratch/err")"
grep -q "$scratch/tail.db: disk I/O error" "$scratch/err" ||
  fail "tail --db on a full disk: stderr does not name the store: $(cat "$scratch/err")"
[[ $(sql "$scratch/tail.db" 'PRAGMA integrity_check') == ok ]] || fail "tail --db: integrity_check"
timeout 120 "$etiolog" tail --db "$scratch/tail.db" --from-start --exit-when-idle 1 --format jsonl \
  "$scratch/logs" >"$scratch/out" 2>"$scratch/err"
rc=$?
[[ $rc == 0 ]] || fail "tail --db resumed: exit $rc: $(cat "$scratch/err")"
[[ $(sql "$scratch/tail.db" "$events_key") == "$fresh_events" ]] ||
  fail "tail --db resumed: stored $(sql "$scratch/tail.db" "$events_key") events, fresh $fresh_events"

# 4. Another process holds the write lock for longer than the store waits
# (5 s): exit 4, "database is locked", the store named; it works once free.
"$etiolog" analyze --db "$scratch/locked.db" samples/scenarios/per_process_key >/dev/null
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(30)' "$scratch/locked.db" "$scratch/holding" &
holder=$!
pids+=("$holder")
for ((i = 0; i < 100; i++)); do
  [[ -e $scratch/holding ]] && break
  sleep 0.1
done
[[ -e $scratch/holding ]] || fail "the lock holder did not start"
timeout 60 "$etiolog" analyze --db "$scratch/locked.db" "$scratch/big.log" >"$scratch/out" 2>"$scratch/err"
rc=$?
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
[[ $rc == 4 ]] || fail "analyze --db on a locked store: exit $rc, want 4"
grep -q "$scratch/locked.db: .*database is locked" "$scratch/err" ||
  fail "analyze --db on a locked store: stderr: $(cat "$scratch/err")"
[[ $(sql "$scratch/locked.db" 'PRAGMA integrity_check') == ok ]] || fail "locked: integrity_check"
"$etiolog" analyze --db "$scratch/locked.db" "$scratch/big.log" >/dev/null 2>"$scratch/err" ||
  fail "analyze --db once the lock is free: $(cat "$scratch/err")"

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "store faults: all checks passed"
