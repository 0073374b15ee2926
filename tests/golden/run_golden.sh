#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs `etiolog analyze --format json samples/<scenario>` and compares the
# normalised output with tests/golden/<scenario>.expected.json.
# Usage: run_golden.sh ETIOLOG SCENARIO [--update]
# Run from the repository root (paths in reports are relative to it).
set -euo pipefail
etiolog=$1
scenario=$2
expected=tests/golden/${scenario}.expected.json
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT

set +e
"$etiolog" analyze --no-default-rules --format json "samples/scenarios/${scenario}" >"$actual.raw" 2>"$actual.err"
rc=$?
set -e
# Normalise what may change without the diagnosis changing: the version.
sed -E 's/"version": "[^"]*"/"version": "X"/' "$actual.raw" >"$actual"
rm -f "$actual.raw"
if [[ $rc -ne 0 ]]; then
  echo "etiolog exited $rc on samples/scenarios/${scenario}:" >&2
  cat "$actual.err" >&2
  rm -f "$actual.err"
  exit 1
fi
rm -f "$actual.err"
if [[ "${3:-}" == "--update" ]]; then
  cp "$actual" "$expected"
  echo "updated $expected"
  exit 0
fi
if [[ ! -f "$expected" ]]; then
  echo "missing $expected (run scripts/update-golden)" >&2
  exit 1
fi
if ! diff -u "$expected" "$actual"; then
  echo "golden mismatch for ${scenario}; if the change is intended run scripts/update-golden" >&2
  exit 1
fi
