#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs `etiolog analyze --format FORMAT samples/scenarios/<scenario>` and
# compares the normalised output with tests/golden/<scenario>.expected.<ext>
# (json: .expected.json, the default; markdown: .expected.md).
# Usage: run_golden.sh ETIOLOG SCENARIO [--format json|markdown] [--update]
# Run from the repository root (paths in reports are relative to it).
set -euo pipefail
etiolog=$1
scenario=$2
shift 2
format=json
update=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --format) format=$2; shift 2 ;;
    --update) update=1; shift ;;
    *) echo "run_golden.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $format in
  json) ext=json ;;
  markdown) ext=md ;;
  *) echo "run_golden.sh: no golden format $format" >&2; exit 2 ;;
esac
expected=tests/golden/${scenario}.expected.${ext}
actual=$(mktemp)
trap 'rm -f "$actual" "$actual.raw" "$actual.err"' EXIT

set +e
"$etiolog" analyze --no-default-rules --format "$format" "samples/scenarios/${scenario}" >"$actual.raw" 2>"$actual.err"
rc=$?
set -e
# Normalise what may change without the diagnosis changing: the version.
sed -E 's/"version": "[^"]*"/"version": "X"/' "$actual.raw" >"$actual"
if [[ $rc -ne 0 ]]; then
  echo "etiolog exited $rc on samples/scenarios/${scenario}:" >&2
  cat "$actual.err" >&2
  exit 1
fi
if [[ $update -eq 1 ]]; then
  cp "$actual" "$expected"
  echo "updated $expected"
  exit 0
fi
if [[ ! -f "$expected" ]]; then
  echo "missing $expected (run scripts/update-golden)" >&2
  exit 1
fi
if ! diff -u "$expected" "$actual"; then
  echo "golden mismatch for ${scenario} (${format}); if the change is intended run scripts/update-golden" >&2
  exit 1
fi
