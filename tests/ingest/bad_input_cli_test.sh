#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: `etiolog analyze` on bad input next to good input. Each bad
# input gets a message naming it (and its line or offset), the run exits 3
# (some input could not be read completely), and the good input is still
# analysed. Also checks stdin ("-"), labels, globs and --timezone.
# Usage: bad_input_cli_test.sh ETIOLOG   (run from the repository root)
set -uo pipefail
etiolog=$(realpath "$1")
root=$(pwd)
tmp=$(mktemp -d /tmp/etiolog_bad_input_XXXXXX)
trap 'chmod -R u+rwX "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
failures=0
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
contains() {  # contains NAME HAYSTACK NEEDLE
  if [[ "$2" != *"$3"* ]]; then fail "$1: output lacks '$3'. Output:"; echo "$2"; fi
}

good=$root/samples/scenarios/per_process_key/docker-compose.log
mkdir -p "$tmp/in"
cp "$good" "$tmp/in/good.log"
# A truncated gzip: the first half of a compressed log.
for _ in $(seq 300); do cat "$root/samples/formats/structlog/api-server-3.1.log"; done | gzip -c > "$tmp/full.gz"
head -c $(( $(stat -c %s "$tmp/full.gz") / 2 )) "$tmp/full.gz" > "$tmp/in/truncated.log.gz"
# NUL bytes and invalid UTF-8, then a line that must still be read.
printf 'first\n\0\0\0\0 zeroed block\nbad \xff\xfe bytes\nINFO:     after the damage\n' > "$tmp/in/nul-utf8.log"
# A 100 MB line between two ordinary ones.
{ echo "before"; head -c 100000000 /dev/zero | tr '\0' 'a'; echo; echo "after"; } > "$tmp/in/huge.log"
# An unreadable file and a symbolic link loop.
echo "secret" > "$tmp/in/unreadable.log"
chmod 000 "$tmp/in/unreadable.log"
ln -s loop-b "$tmp/in/loop-a"
ln -s loop-a "$tmp/in/loop-b"
chmod -R a+rX "$tmp/in" 2>/dev/null; chmod 000 "$tmp/in/unreadable.log"

run=("$etiolog")
if [[ $(id -u) -eq 0 ]]; then
  # Root reads mode-000 files; drop to nobody so the file is unreadable.
  if command -v setpriv >/dev/null; then
    run=(setpriv --reuid=65534 --regid=65534 --clear-groups "$etiolog")
  else
    echo "note: running as root without setpriv; the unreadable-file check is skipped"
    rm -f "$tmp/in/unreadable.log"
  fi
fi

out=$(timeout 120 "${run[@]}" analyze --format json "$tmp/in" 2>"$tmp/err")
rc=$?
err=$(cat "$tmp/err")
[[ $rc -eq 3 ]] || { fail "bad-input: exit $rc, want 3. stderr:"; echo "$err"; }
contains truncated "$err" "truncated.log.gz: truncated gzip input; reading stopped after line"
contains nul "$err" "nul-utf8.log: line 2 (byte offset 6): NUL byte"
contains utf8 "$err" "nul-utf8.log: 2 line(s) with NUL bytes or invalid UTF-8 in total"
contains huge "$err" "huge.log: line 2 (byte offset 7): line longer than 4194304 bytes"
contains loop "$err" "loop-a: symbolic link loop"
if [[ -e "$tmp/in/unreadable.log" ]]; then
  contains unreadable "$err" "unreadable.log: Permission denied"
fi
contains json-errors "$out" '"errors": ['
contains json-capped "$out" '"capped_lines": 1'
contains json-bad "$out" '"bad_records": 2'
# The good input was analysed despite all that.
contains analysed "$out" '"cause": "per_process_key"'
# Every line of the damaged files was counted: nothing after the damage lost.
lines=$(echo "$out" | sed -n 's/.*"lines": \([0-9]*\).*/\1/p' | head -1)
[[ ${lines:-0} -gt 70 ]] || fail "lines counted: $lines"

# Standard input, plain and compressed.
out=$(timeout 60 "$etiolog" analyze --format json - < "$good" 2>&1)
[[ $? -eq 0 ]] || fail "stdin: exit non-zero: $out"
contains stdin "$out" '"cause": "per_process_key"'
out=$(gzip -c "$good" | timeout 60 "$etiolog" analyze --format json - 2>&1)
contains stdin-gz "$out" '"cause": "per_process_key"'

# Globs: only the good file is read.
out=$(timeout 60 "$etiolog" analyze --format json --include 'good*' "$tmp/in" 2>&1)
[[ $? -eq 0 ]] || fail "include: exit non-zero: $out"
contains include "$out" '"sources": 1'
out=$(timeout 60 "$etiolog" analyze --format json --exclude '*.gz' --exclude 'huge*' \
  --exclude 'nul*' --exclude 'loop*' --exclude 'unreadable*' "$tmp/in" 2>&1)
contains exclude "$out" '"sources": 1'

# Options: labels and zones.
out=$(timeout 60 "$etiolog" analyze --label component=scheduler 2>&1)
[[ $? -eq 2 ]] || fail "dangling label should be a usage error: $out"
out=$(timeout 60 "$etiolog" analyze --label colour=red "$good" 2>&1)
[[ $? -eq 2 ]] || fail "bad label key should be a usage error: $out"
contains bad-label "$out" "colour=red"
out=$(timeout 60 "$etiolog" analyze --timezone Mars/Olympus "$good" 2>&1)
[[ $? -eq 2 ]] || fail "bad zone should be a usage error: $out"
contains bad-zone "$out" "Mars/Olympus"
out=$(timeout 60 "$etiolog" analyze --timezone Europe/Berlin --jobs 2 --format json "$good" 2>&1)
[[ $? -eq 0 ]] || fail "Europe/Berlin: $out"

if [[ $failures -ne 0 ]]; then
  echo "$failures bad-input CLI check(s) failed"
  exit 1
fi
echo "all bad-input CLI checks passed"
