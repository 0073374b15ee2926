#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command-line contract: help texts, error messages and exit codes.
# Usage: cli_test.sh ETIOLOG   (run from the repository root)
set -uo pipefail
etiolog=$1
failures=0
# Hermetic: no user rule directory unless a check sets one up.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_CONFIG_HOME="$scratch/empty-config"
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
check analyze-help-output 0 "$etiolog" analyze --help && contains analyze-help-output "--post" && \
  contains analyze-help-output "--to"
check tail-help 0 "$etiolog" tail --help && contains tail-help "--exit-when-idle" && \
  contains tail-help "--from-start"
check tail-bad-duration 2 "$etiolog" tail --poll-interval 5x samples/scenarios && \
  contains tail-bad-duration "--poll-interval"
check tail-jsonl-sink 2 "$etiolog" tail --format jsonl --to "$scratch/t" samples/scenarios && \
  contains tail-jsonl-sink "jsonl"
check tail-no-path 2 "$etiolog" tail && contains tail-no-path "no PATH"
check missing-file 4 "$etiolog" analyze /nonexistent/api-server.log && \
  contains missing-file "/nonexistent/api-server.log"
check partial 3 "$etiolog" analyze samples/scenarios/per_process_key /nonexistent/x.log && \
  contains partial "per_process_key"
check bad-pack 2 "$etiolog" analyze --rules /nonexistent/pack.yaml samples/scenarios && \
  contains bad-pack "/nonexistent/pack.yaml"
check fail-on-finding 1 "$etiolog" analyze --fail-on-finding samples/scenarios/per_process_key
check negative-json 0 "$etiolog" analyze --format json samples/scenarios/negative_key_warning_only && \
  contains negative-json '"findings": []'

# rules test|lint|list
check rules-help 0 "$etiolog" rules --help && contains rules-help "test|lint|list"
check rules-no-action 2 "$etiolog" rules && contains rules-no-action "no action given"
check rules-bad-action 2 "$etiolog" rules frob && contains rules-bad-action "unknown action 'frob'"
check rules-test-builtin 0 "$etiolog" rules test --no-default-rules && \
  contains rules-test-builtin "ok    airflow.ui.signature_failure" && \
  contains rules-test-builtin " 0 failure(s)"
check rules-test-failing 1 "$etiolog" rules test tests/rules/packs/failing_example.yaml && \
  contains rules-test-failing "FAIL  failing.rule" && \
  contains rules-test-failing "tests/rules/packs/failing_example.yaml:7:9: example does not match" && \
  contains rules-test-failing "tests/rules/packs/failing_example.yaml:8:24: counter-example matches"
# A pack tested alone may use the built-in kinds, unless told not to.
check rules-test-own-vocabulary 2 "$etiolog" rules test --no-builtin-rules \
  tests/rules/packs/failing_example.yaml && \
  contains rules-test-own-vocabulary "failing_example.yaml:4:11: unknown kind 'process.start'"
check rules-test-broken 2 "$etiolog" rules test tests/rules/packs/broken_kind.yaml && \
  contains rules-test-broken "tests/rules/packs/broken_kind.yaml:4:11: unknown kind 'auth.signature_fail'"
check rules-test-missing 2 "$etiolog" rules test /nonexistent/pack.yaml && \
  contains rules-test-missing "/nonexistent/pack.yaml"
check rules-lint-builtin 0 "$etiolog" rules lint --no-default-rules && \
  contains rules-lint-builtin " 0 warning(s)"
check rules-lint-warns 1 "$etiolog" rules lint tests/rules/packs/site_override.yaml && \
  contains rules-lint-warns "site_override.yaml:7:11: warning: disable: no rule 'airflow.banner'"
check rules-list 0 "$etiolog" rules list --no-default-rules && \
  contains rules-list "airflow.ui.signature_failure" && \
  contains rules-list "builtin:airflow_auth.yaml:"
check rules-list-literals 0 "$etiolog" rules list --literals --no-default-rules && \
  contains rules-list-literals "scans for: 'jwt token is not valid: signature verification failed'"
# The standard user directory is read unless --no-default-rules.
mkdir -p "$scratch/config/etiolog/rules.d"
cp tests/rules/packs/site_override.yaml "$scratch/config/etiolog/rules.d/"
check rules-user-dir 0 env XDG_CONFIG_HOME="$scratch/config" "$etiolog" rules list && \
  contains rules-user-dir "site.deploy"
if check rules-user-dir-off 0 env XDG_CONFIG_HOME="$scratch/config" "$etiolog" rules list \
     --no-default-rules && [[ "$out" == *"site.deploy"* ]]; then
  echo "FAIL rules-user-dir-off: --no-default-rules still loaded the user directory"
  failures=$((failures + 1))
fi

# events
scenario=samples/scenarios/per_process_key
check events-help 0 "$etiolog" events --help && contains events-help "--format"
check events-no-path 2 "$etiolog" events && contains events-no-path "no PATH given"
check events-bad-format 2 "$etiolog" events --format xml "$scenario" && \
  contains events-bad-format "--format must be text or jsonl"
check events-missing 4 "$etiolog" events /nonexistent/x.log && contains events-missing "/nonexistent/x.log"
check events-text 0 "$etiolog" events "$scenario" && \
  contains events-text "2025-12-07T15:49:58.120000Z airflow-apiserver-1/api-server key.generated airflow.key.generated $scenario/docker-compose.log:6 airflow-apiserver-1  | " && \
  contains events-text "auth.signature_failure airflow.ui.signature_failure"
check events-jsonl 0 "$etiolog" events --format jsonl "$scenario" && \
  if ! python3 -c '
import json, sys
required = {"kind", "rule", "time", "path", "line", "component", "pid", "message", "captures"}
n = 0
for line in sys.stdin:
    e = json.loads(line)
    missing = required - e.keys()
    assert not missing, missing
    assert isinstance(e["captures"], dict)
    n += 1
assert n > 10, n
' <<<"$out"; then
    echo "FAIL events-jsonl: output is not one JSON object per event with the required keys"
    failures=$((failures + 1))
  fi
check events-user-pack 0 "$etiolog" events --rules tests/rules/packs/site_override.yaml "$scenario" && \
  if [[ "$out" == *"airflow.banner"* ]]; then
    echo "FAIL events-user-pack: a disabled rule still produced events"
    failures=$((failures + 1))
  fi
printf '%s\n' "Simple auth manager | Password for user 'admin': xZZFA8CZBNu9zmWs" \
  'AIRFLOW__SECRETS__JWT_SECRET=Zm9vYmFyYmF6cXV4' >"$scratch/secrets.log"
check events-redacted 0 "$etiolog" events "$scratch/secrets.log" && \
  contains events-redacted "auth_manager.simple" && contains events-redacted "config.misplaced_key"
if [[ "$out" == *xZZFA8CZBNu9zmWs* || "$out" == *Zm9vYmFyYmF6cXV4* ]]; then
  echo "FAIL events-redacted: a secret was printed"; failures=$((failures + 1))
fi
check analyze-no-default-rules 0 "$etiolog" analyze --no-default-rules "$scenario"

# Output formats and sinks (analyze and report share them).
scenario=samples/scenarios/mixed_per_process_key_and_restart
store="$scratch/store.db"
check analyze-markdown 0 "$etiolog" analyze --no-default-rules --format markdown --db "$store" \
  "$scenario" && contains analyze-markdown "## 1. \[etiolog\] " && contains analyze-markdown "### Evidence"
check analyze-github 0 "$etiolog" analyze --no-default-rules --format github "$scenario" && \
  if ! python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 2, lines
for l in lines:
    issue = json.loads(l)
    assert set(issue) == {"title", "body", "labels"}, issue.keys()
' <<<"$out"; then
    echo "FAIL analyze-github: not one GitHub issue payload per line"; failures=$((failures + 1))
  fi
check jira-no-project 2 "$etiolog" analyze --format jira "$scenario" && \
  contains jira-no-project "--jira-project"
check to-and-post 2 "$etiolog" analyze --to "$scratch/t" --post http://127.0.0.1:9/x "$scenario" && \
  contains to-and-post "exclude each other"
check post-markdown 2 "$etiolog" analyze --format markdown --post http://127.0.0.1:9/x "$scenario" && \
  contains post-markdown "--post sends JSON"
check post-bad-url 2 "$etiolog" analyze --post ftp://x/y "$scenario" && contains post-bad-url "http"
check bad-header 2 "$etiolog" analyze --post http://127.0.0.1:9/x -H 'Authorization Bearer s3cr3t' \
  "$scenario" && contains bad-header "--header #1"
if [[ "$out" == *s3cr3t* ]]; then echo "FAIL bad-header: printed the header value"; failures=$((failures + 1)); fi
check prune-without-to 2 "$etiolog" analyze --prune "$scenario" && contains prune-without-to "--to"

# report
check report-help 0 "$etiolog" report --help && contains report-help "--db" && \
  contains report-help "--min-confidence" && contains report-help "--cause"
check report-no-db 2 "$etiolog" report && contains report-no-db "--db STORE is required"
check report-missing-store 4 "$etiolog" report --db "$scratch/none.db" && \
  contains report-missing-store "none.db: no such store"
[[ ! -e "$scratch/none.db" ]] || { echo "FAIL report-missing-store: created the store"; failures=$((failures + 1)); }
check report-bad-format 2 "$etiolog" report --db "$store" --format xml && contains report-bad-format "markdown"
"$etiolog" analyze --no-default-rules --format json --db "$store" "$scenario" >"$scratch/analyze.json" 2>/dev/null
check report-json 0 "$etiolog" report --no-default-rules --db "$store" --format json
if [[ "$out" != "$(cat "$scratch/analyze.json")" ]]; then
  echo "FAIL report-json: report --format json differs from what analyze printed"; failures=$((failures + 1))
fi
check report-cause 0 "$etiolog" report --db "$store" --format json --cause restart_regenerated_key && \
  contains report-cause '"cause": "restart_regenerated_key"'
if [[ "$out" == *'"cause": "per_process_key"'* ]]; then
  echo "FAIL report-cause: another cause was shown"; failures=$((failures + 1))
fi
check report-to 0 "$etiolog" report --db "$store" --to "$scratch/tickets" && contains report-to "2 new"
[[ -f "$scratch/tickets/index.json" && $(ls "$scratch/tickets"/*.md | wc -l) -eq 2 ]] || {
  echo "FAIL report-to: want 2 .md tickets and index.json"; ls -la "$scratch/tickets"; failures=$((failures + 1)); }
check report-to-again 0 "$etiolog" report --db "$store" --to "$scratch/tickets" && \
  contains report-to-again "2 unchanged"
check report-to-other-format 5 "$etiolog" report --db "$store" --to "$scratch/tickets" --format json && \
  contains report-to-other-format "holds markdown tickets"
check report-post-refused 5 "$etiolog" report --db "$store" --post http://127.0.0.1:9/hook --retries 0 && \
  contains report-post-refused "http://127.0.0.1:9/hook failed"

# Secrets seen in logs stay out of every format.
printf '%s\n' \
  'airflow-apiserver-1  | 2025-12-07T15:49:58.120000Z [warning  ] `api_auth/jwt_secret` was empty, using a generated one for now. Please set this in your config [airflow.api_fastapi.auth.tokens] loc=tokens.py:581' \
  'airflow-apiserver-1  | 2025-12-07T15:49:58.200000Z [info     ] Simple auth manager | Password for user '"'"'admin'"'"': xZZFA8CZBNu9zmWs' \
  'airflow-apiserver-2  | 2025-12-07T15:50:00.120000Z [warning  ] `api_auth/jwt_secret` was empty, using a generated one for now. Please set this in your config [airflow.api_fastapi.auth.tokens] loc=tokens.py:581' \
  'airflow-apiserver-2  | 2025-12-07T15:52:25.000000Z [error    ] JWT token is not valid: Signature verification failed token=eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlc2lnbmF0dXJl [airflow.api_fastapi.auth.managers.base_auth_manager] loc=base_auth_manager.py:107' \
  'airflow-apiserver-2  | 2025-12-07T15:53:25.000000Z [error    ] JWT token is not valid: Signature verification failed [airflow.api_fastapi.auth.managers.base_auth_manager] loc=base_auth_manager.py:107' \
  >"$scratch/secret-compose.log"
for format in text json markdown github jira; do
  check "secrets-$format" 0 "$etiolog" analyze --no-default-rules --format "$format" --jira-project OPS \
    --db "$scratch/secrets.db" "$scratch/secret-compose.log"
  if [[ "$out" == *xZZFA8CZBNu9zmWs* || "$out" == *eyJzdWIiOiJhZG1pbiJ9* ]]; then
    echo "FAIL secrets-$format: a secret was printed"; failures=$((failures + 1))
  fi
  if [[ "$format" != text && "$out" != *'eyJ***'* ]]; then
    echo "FAIL secrets-$format: the redacted token is not cited"; failures=$((failures + 1))
  fi
done
# Markdown injection, judged by a GitHub-flavoured renderer (raw HTML allowed,
# as a permissive site would): outside code, no HTML, link, mention or reference
# from the log line survives.
printf '%s\n' \
  'airflow-apiserver-1  | 2025-12-07T15:49:58.120000Z [warning  ] `api_auth/jwt_secret` was empty, using a generated one for now. Please set this in your config [airflow.api_fastapi.auth.tokens] loc=tokens.py:581' \
  'airflow-apiserver-2  | 2025-12-07T15:50:00.120000Z [warning  ] `api_auth/jwt_secret` was empty, using a generated one for now. Please set this in your config [airflow.api_fastapi.auth.tokens] loc=tokens.py:581' \
  'airflow-apiserver-2  | 2025-12-07T15:52:25.000000Z [error    ] JWT token is not valid: Signature verification failed ```` </code><script>alert(1)</script> | @admin #12 [x](javascript:alert(1)) <img src=x onerror=alert(1)>' \
  'airflow-apiserver-2  | 2025-12-07T15:53:25.000000Z [error    ] JWT token is not valid: Signature verification failed' \
  >"$scratch/hostile @admin #12 <img src=x> | x.log"
check markdown-hostile 0 "$etiolog" analyze --no-default-rules --format markdown \
  "$scratch/hostile @admin #12 <img src=x> | x.log" && \
  contains markdown-hostile "<script>alert(1)</script>"  # Shown, inside a code block.
if ! cmark-gfm --unsafe -e table -e autolink <<<"$out" | python3 -c '
import re, sys
html = sys.stdin.read()
assert html.count("<pre") >= 1, "evidence not in a code block"
html = re.sub(r"<pre[^>]*>.*?</pre>", "", html, flags=re.S)
html = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
bad = [t for t in ["<script", "<img", "javascript:", "@admin", "#12"] if t in html]
assert not bad, bad
for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
    assert row.count("<td") in (0, 4, 5), row  # The file name splits no cell.
'; then
  echo "FAIL markdown-hostile: log text became markup"; failures=$((failures + 1))
fi
check secrets-to 0 "$etiolog" report --db "$scratch/secrets.db" --to "$scratch/secret-tickets"
if grep -rqE 'xZZFA8CZBNu9zmWs|eyJzdWIiOiJhZG1pbiJ9' "$scratch/secret-tickets" "$scratch/secrets.db"; then
  echo "FAIL secrets-to: a secret reached the ticket directory or the store"; failures=$((failures + 1))
fi

if [[ $failures -ne 0 ]]; then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
