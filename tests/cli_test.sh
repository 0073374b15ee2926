#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command-line contract: help texts, error messages and exit codes.
# Usage: cli_test.sh ETIOLOG   (run from the repository root)
set -uo pipefail
etiolog=$1
failures=0
check() {  # check NAME EXPECTED_RC CMD... ; output captured in $out
  local name=$1 want=$2
  shift 2
  out=$("$@" 2>&1)
  local rc=$?
  if [[ $rc -ne $want ]]; then
    echo "FAIL $name: exit $rc, want $want. Output:"; echo "$out"
    failures=$((failures + 1))
    return 1
  fi
  return 0
}
contains() {  # contains NAME TEXT
  if [[ "$out" != *"$2"* ]]; then
    echo "FAIL $1: output lacks '$2'. Output:"; echo "$out"
    failures=$((failures + 1))
  fi
}

check help 0 "$etiolog" --help && contains help "analyze PATH"
check analyze-help 0 "$etiolog" analyze --help && contains analyze-help "--format"
check no-command 2 "$etiolog"
check unknown-command 2 "$etiolog" frobnicate && contains unknown-command "unknown command 'frobnicate'"
check bad-option 2 "$etiolog" analyze --frob x && contains bad-option "frob"
check bad-format 2 "$etiolog" analyze --format xml samples/scenarios && contains bad-format "--format"
check missing-file 4 "$etiolog" analyze /nonexistent/api-server.log && \
  contains missing-file "/nonexistent/api-server.log"
check partial 3 "$etiolog" analyze samples/scenarios/per_process_key /nonexistent/x.log && \
  contains partial "per_process_key"
check bad-pack 2 "$etiolog" analyze --rules /nonexistent/pack.yaml samples/scenarios && \
  contains bad-pack "/nonexistent/pack.yaml"
check fail-on-finding 1 "$etiolog" analyze --fail-on-finding samples/scenarios/per_process_key
check negative-json 0 "$etiolog" analyze --format json samples/scenarios/negative_key_warning_only && \
  contains negative-json '"findings": []'

if [[ $failures -ne 0 ]]; then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
