#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Risks, explanations and cause checks through the command line: `etiolog
# explain`, `analyze --explain` (text and JSON), risks in text and JSON and
# back from a store, --fail-on-finding ignoring risks, `rules test` failing
# on a broken cause example, `rules lint` failing on bad cause SQL and on an
# unknown suppressed_by, pack SQL contained (lint refuses, analyze skips).
# Usage: explain_cli_test.sh ETIOLOG   (run from the repository root)
set -uo pipefail
etiolog=$1
failures=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_CONFIG_HOME="$scratch/empty-config"
check() {  # check NAME EXPECTED_RC CMD... ; output (stdout and stderr) in $out
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
json() {  # json NAME PYTHON-ASSERTIONS (on j, the JSON in $out)
  if ! python3 -c "import json, sys
j = json.loads(sys.stdin.read())
$2" <<<"$out"; then
    echo "FAIL $1: JSON check failed. Output:"; echo "$out"
    failures=$((failures + 1))
  fi
}

# etiolog explain
check explain-help 0 "$etiolog" explain --help && contains explain-help "--deployment"
check explain-cause 0 "$etiolog" explain --no-default-rules per_process_key && \
  contains explain-cause "per_process_key (cause):" && contains explain-cause "What it means:" && \
  contains explain-cause "What it looks for:" && contains explain-cause "What would settle it" && \
  contains explain-cause "Fix (default;"
check explain-risk 0 "$etiolog" explain --no-default-rules --deployment kubernetes jwt_secret_unset && \
  contains explain-risk "jwt_secret_unset (risk):" && contains explain-risk "kubectl create secret"
check explain-typo 2 "$etiolog" explain --no-default-rules per_proces_key && \
  contains explain-typo "unknown cause 'per_proces_key'; did you mean per_process_key?"
check explain-unknown 2 "$etiolog" explain --no-default-rules frobnicate && \
  contains explain-unknown "Known causes:"
check explain-list 0 "$etiolog" explain --no-default-rules && contains explain-list "secret_key_unset" && \
  contains explain-list " cause(s) and risk(s); etiolog explain CAUSE for one"
check explain-bad-deployment 2 "$etiolog" explain --no-default-rules --deployment nomad token_expired && \
  contains explain-bad-deployment "no fix for deployment 'nomad'"

# analyze --explain
scenario=samples/scenarios/mixed_per_process_key_and_restart
check explain-text 0 "$etiolog" analyze --no-default-rules --explain "$scenario" && \
  contains explain-text "    Alternatives considered:" && \
  contains explain-text "- unexplained_signature_failure (confidence 0.35, surface execution_api): suppressed" && \
  contains explain-text "- stale_key_after_rollout: not_found" && \
  contains explain-text "would change the verdict:"
check explain-json 0 "$etiolog" analyze --no-default-rules --explain --format json "$scenario" && \
  json explain-json '
keys = {"cause", "title", "surface", "confidence", "status", "reason", "summary", "evidence", "against", "collect"}
assert len(j["findings"]) == 2
for f in j["findings"]:
    alts = f["alternatives"]
    assert alts and all(set(a) == keys for a in alts), alts
    assert f["cause"] not in [a["cause"] for a in alts]
    assert {a["status"] for a in alts} <= {"reported", "suppressed", "below_threshold", "zero_confidence", "not_found"}
    assert all(a["confidence"] is None for a in alts if a["status"] == "not_found")
assert [c["status"] for c in j["considered"]][:2] == ["reported", "reported"]
'
check no-explain-json 0 "$etiolog" analyze --no-default-rules --format json "$scenario" && \
  json no-explain-json '
assert "considered" not in j and "risks" not in j
assert all("alternatives" not in f for f in j["findings"])
'
check explain-threshold 0 "$etiolog" analyze --no-default-rules --explain --min-confidence 0.9 \
  --format json "$scenario" && \
  json explain-threshold '
assert j["findings"] == []
assert "below_threshold" in [c["status"] for c in j["considered"]]
'

# Risks
negative=samples/scenarios/negative_key_warning_only
check risk-text 0 "$etiolog" analyze --no-default-rules "$negative" && \
  contains risk-text "No finding" && contains risk-text "Risks: nothing has failed" && \
  contains risk-text "[R1] jwt_secret_unset"
check risk-json 0 "$etiolog" analyze --no-default-rules --format json "$negative" && \
  json risk-json '
assert j["findings"] == []
assert [r["cause"] for r in j["risks"]] == ["jwt_secret_unset"]
assert "confidence" not in j["risks"][0]
'
check risk-fail-on-finding 0 "$etiolog" analyze --no-default-rules --fail-on-finding "$negative"
check risk-store 0 "$etiolog" analyze --no-default-rules --db "$scratch/risk.db" "$negative"
check risk-report 0 "$etiolog" report --no-default-rules --db "$scratch/risk.db" && \
  contains risk-report "[R1] jwt_secret_unset"
check risk-report-md 0 "$etiolog" report --no-default-rules --db "$scratch/risk.db" --format markdown && \
  contains risk-report-md "## Risks"
check risk-no-ticket 0 "$etiolog" report --no-default-rules --db "$scratch/risk.db" --to "$scratch/tickets" && \
  contains risk-no-ticket "0 new" && contains risk-no-ticket "etiolog: risk (not a ticket): jwt_secret_unset"
if ls "$scratch/tickets"/*.md >/dev/null 2>&1; then
  echo "FAIL risk-no-ticket: a risk became a ticket file"; failures=$((failures + 1))
fi
check risk-github 0 "$etiolog" report --no-default-rules --db "$scratch/risk.db" --format github
[[ -z "$out" ]] || { echo "FAIL risk-github: a risk became an issue payload: $out"; failures=$((failures + 1)); }
check report-explain 0 "$etiolog" analyze --no-default-rules --db "$scratch/mixed.db" "$scenario"
check report-explain 0 "$etiolog" report --no-default-rules --db "$scratch/mixed.db" --explain --format json && \
  json report-explain 'assert all(f["alternatives"] for f in j["findings"]) and j["considered"]'

# Causes tested and linted like rules
check rules-test-cause-ok 0 "$etiolog" rules test --no-default-rules && \
  contains rules-test-cause-ok "ok    per_process_key" && \
  contains rules-test-cause-ok "ok    jwt_secret_unset               risk:" && \
  contains rules-test-cause-ok " 0 failure(s) in 0 cause(s)"
check rules-test-cause-broken 1 "$etiolog" rules test tests/rules/packs/broken_cause_example.yaml && \
  contains rules-test-cause-broken "FAIL  site_ui_failures" && \
  contains rules-test-cause-broken "broken_cause_example.yaml:15:9: example 'an Execution API failure is not a UI failure': expected a site_ui_failures finding on ui"
check rules-lint-bad-sql 1 "$etiolog" rules lint tests/rules/packs/bad_cause_sql.yaml && \
  contains rules-lint-bad-sql "bad_cause_sql.yaml:7:13: error: cause 'site_bad_sql': detect: no such column: burst"
# A cause whose SQL fails is skipped; the others still run (exit 3: partial).
check analyze-bad-sql 3 "$etiolog" analyze --no-default-rules --rules tests/rules/packs/bad_cause_sql.yaml "$negative" && \
  contains analyze-bad-sql "bad_cause_sql.yaml:5:5: cause 'site_bad_sql' detect: no such column: burst (SQL line 2, column 43) (cause skipped)"

# Pack SQL is contained (issue 12, item 2): every attempt in the malicious
# pack is refused by lint at its detect and skipped by analyze, which still
# reports the built-in findings and exits 3.
malicious=tests/rules/packs/malicious_causes.yaml
attached=/tmp/etiolog-malicious-attach.db
rm -f "$attached"
if check rules-lint-malicious 1 "$etiolog" rules lint "$malicious"; then
  for expected in \
      "malicious_causes.yaml:10:13: error: cause 'attach_file': detect: ATTACH is not allowed" \
      "malicious_causes.yaml:15:13: error: cause 'insert_event': detect: INSERT into events is not allowed" \
      "malicious_causes.yaml:24:13: error: cause 'update_events': detect: UPDATE of events is not allowed" \
      "malicious_causes.yaml:29:13: error: cause 'delete_events': detect: DELETE from events is not allowed" \
      "malicious_causes.yaml:34:13: error: cause 'drop_table': detect: changing the schema (CREATE, DROP) is not allowed" \
      "malicious_causes.yaml:39:13: error: cause 'writable_schema': detect: PRAGMA writable_schema is not allowed" \
      "malicious_causes.yaml:44:13: error: cause 'begin_transaction': detect: BEGIN is not allowed" \
      "malicious_causes.yaml:49:13: error: cause 'savepoint': detect: SAVEPOINT is not allowed" \
      "malicious_causes.yaml:54:13: error: cause 'endless_cte': detect: query stopped after 1000000 steps (a recursive query without a bound?), on an empty store" \
      "malicious_causes.yaml:61:13: error: cause 'load_extension': detect: load_extension() is not allowed" \
      "malicious_causes.yaml:66:13: error: cause 'read_schema': detect: reading sqlite_master is not allowed" \
      "11 causes and risks, 11 error(s)"; do
    contains rules-lint-malicious "$expected"
  done
fi
store="$scratch/malicious.db"
"$etiolog" analyze --no-default-rules --format json --db "$store" --query-step-limit 5000000 \
  --rules "$malicious" samples/scenarios/per_process_key >"$scratch/malicious.json" \
  2>"$scratch/malicious.err"
rc=$?
[[ $rc -eq 3 ]] || { echo "FAIL analyze-malicious: exit $rc, want 3"; cat "$scratch/malicious.err"; failures=$((failures + 1)); }
out=$(cat "$scratch/malicious.json")
json analyze-malicious '
assert "per_process_key" in [f["cause"] for f in j["findings"]], j["findings"]
errors = j["run"]["cause_errors"]
assert len(errors) == 11, errors
assert any("cause \x27endless_cte\x27 detect: query stopped after 5000000 steps" in e for e in errors), errors
'
out=$(cat "$scratch/malicious.err")
for id in attach_file insert_event update_events delete_events drop_table writable_schema \
    begin_transaction savepoint endless_cte load_extension read_schema; do
  contains analyze-malicious "malicious_causes.yaml"
  contains analyze-malicious "cause '$id' detect: "
done
contains analyze-malicious "(cause skipped)"
[[ ! -e "$attached" ]] || { echo "FAIL analyze-malicious: ATTACH created $attached"; failures=$((failures + 1)); }
check malicious-store-intact 0 "$etiolog" report --no-default-rules --db "$store" --format json && \
  json malicious-store-intact 'assert "per_process_key" in [f["cause"] for f in j["findings"]]'
check rules-lint-suppressed-by 1 "$etiolog" rules lint tests/rules/packs/unknown_suppressed_by.yaml && \
  contains rules-lint-suppressed-by "unknown_suppressed_by.yaml:10:21: error: cause 'site_vague': suppressed_by names 'per_proces_key', which is not a loaded cause (did you mean per_process_key?)" && \
  contains rules-lint-suppressed-by "1 causes and risks, 1 error(s), 0 warning(s)"
check rules-lint-builtin-causes 0 "$etiolog" rules lint --no-default-rules && \
  contains rules-lint-builtin-causes " causes and risks, 0 error(s), 0 warning(s)"

if [[ $failures -ne 0 ]]; then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all explain/risk/cause CLI checks passed"
