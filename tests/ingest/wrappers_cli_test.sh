#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Wrappers that move time (issue 11, class 4), end to end: scenario logs
# rewrapped the way other tools print them (tests/ingest/rewrap.py: kubectl
# --prefix, kubectl --prefix --timestamps, docker compose with colours and
# with -t, journald's short format on hosts in a local zone) must give the
# same events as the original: kind, time to the second, component and host
# (tests/ingest/compare_events.py), and the same findings. One deliberate
# difference: a kubectl-prefixed line before its container's first time takes
# no time from other containers (kubectl prints them one after another), where
# a compose line takes its neighbour's. The kubectl scenarios (one file per
# pod) rewrapped into the single file `kubectl logs -l ... --prefix` prints
# must give the same events and findings as the files.
#
# journald lines carry no year: the wrapped file's mtime is set a year and
# more later, and the log is also read from standard input (no mtime at
# all), so a year taken from anything but the lines themselves shows.
#
# Findings: wrappers without a time (kubectl --prefix, colours) must give
# identical findings (cause, surface, confidence). Wrappers with a time give
# the same causes and surfaces; the confidence may differ, because the
# wrapper dates lines the original could not (a start banner gets a runtime
# time, which rewrap.py can only guess; an inherited time dates no start).
# Usage: wrappers_cli_test.sh ETIOLOG   (run from the repository root)
set -uo pipefail
etiolog=$1
failures=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_CONFIG_HOME="$scratch/empty-config"

findings() {  # findings JSON_REPORT WITH_CONFIDENCE
  python3 -c '
import json, sys
report = json.load(open(sys.argv[1]))
keep_confidence = sys.argv[2] == "1"
for f in sorted(report["findings"], key=lambda f: (f["cause"], f["surface"] or "")):
    print(f["cause"], f["surface"], f["confidence"] if keep_confidence else "")
' "$1" "$2"
}

for scenario in per_process_key mixed_per_process_key_and_restart token_expired_queue_compose; do
  log=samples/scenarios/$scenario/docker-compose.log
  "$etiolog" events --no-default-rules --format jsonl "$log" >"$scratch/orig.jsonl"
  "$etiolog" analyze --no-default-rules --format json "$log" >"$scratch/orig.json"
  for wrap in kubectl-prefix kubectl-prefix-timestamps compose-colour compose-colour-timestamps \
              journald:-05:00 journald:+05:45; do
    mode=${wrap%%:*}
    zone=+00:00
    [[ $wrap == *:* ]] && zone=${wrap#*:}
    wrapped=$scratch/$scenario.$mode.log
    if ! python3 tests/ingest/rewrap.py "$mode" "$log" --times "$scratch/orig.jsonl" \
         --zone="$zone" >"$wrapped"; then
      echo "FAIL $scenario $wrap: rewrap.py failed"; failures=$((failures + 1)); continue
    fi
    touch -d 2027-03-01T00:00:00Z "$wrapped"
    inputs=(file)
    [[ $mode == journald ]] && inputs=(file stdin)
    for input in "${inputs[@]}"; do
      if [[ $input == stdin ]]; then
        "$etiolog" events --no-default-rules --format jsonl - <"$wrapped" >"$scratch/wrapped.jsonl"
      else
        "$etiolog" events --no-default-rules --format jsonl "$wrapped" >"$scratch/wrapped.jsonl"
      fi
      grouped=()
      [[ $mode == kubectl-prefix ]] && grouped=(--grouped)
      if ! out=$(python3 tests/ingest/compare_events.py "$scratch/orig.jsonl" \
                 "$scratch/wrapped.jsonl" "${grouped[@]}"); then
        echo "FAIL $scenario $wrap ($input): events differ:"; echo "$out" | head -20
        failures=$((failures + 1))
      fi
    done
    "$etiolog" analyze --no-default-rules --format json "$wrapped" >"$scratch/wrapped.json"
    with_confidence=1
    [[ $mode == *timestamps || $mode == journald ]] && with_confidence=0
    if ! diff <(findings "$scratch/orig.json" $with_confidence) \
              <(findings "$scratch/wrapped.json" $with_confidence) >"$scratch/diff"; then
      echo "FAIL $scenario $wrap: findings differ:"; cat "$scratch/diff"
      failures=$((failures + 1))
    fi
  done
done

# kubectl scenarios hold one file per pod; `kubectl logs -l ... --prefix`
# prints them one after another in one file. Same events (the pod names the
# host), same findings.
for scenario in stale_key_after_rollout_kubectl log_server_key_mismatch_kubectl; do
  dir=samples/scenarios/$scenario/kubectl-logs
  wrapped=$scratch/$scenario.prefix.log
  "$etiolog" events --no-default-rules --format jsonl "$dir" >"$scratch/orig.jsonl"
  "$etiolog" analyze --no-default-rules --format json "$dir" >"$scratch/orig.json"
  python3 tests/ingest/rewrap.py kubectl-prefix "$dir" --line-map "$scratch/map.json" >"$wrapped"
  "$etiolog" events --no-default-rules --format jsonl "$wrapped" >"$scratch/wrapped.jsonl"
  if ! out=$(python3 tests/ingest/compare_events.py "$scratch/orig.jsonl" "$scratch/wrapped.jsonl" \
             --line-map "$scratch/map.json"); then
    echo "FAIL $scenario kubectl-prefix (pods one after another): events differ:"
    echo "$out" | head -20
    failures=$((failures + 1))
  fi
  "$etiolog" analyze --no-default-rules --format json "$wrapped" >"$scratch/wrapped.json"
  if ! diff <(findings "$scratch/orig.json" 1) <(findings "$scratch/wrapped.json" 1) \
       >"$scratch/diff"; then
    echo "FAIL $scenario kubectl-prefix (pods one after another): findings differ:"
    cat "$scratch/diff"
    failures=$((failures + 1))
  fi
done

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all wrapper checks passed"
