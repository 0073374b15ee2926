#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The HTTP sink end to end: `etiolog report --post` against a server on
127.0.0.1 started here, which answers by path: /ok 201, /flaky 500 then 201
(per Idempotency-Key), /bad 400, /mixed 400 for the first finding only,
/down 503 always, /echo 401 echoing the Authorization header. Checks bodies,
headers, retries on 5xx and connection errors, none on 4xx, the exit code,
the error messages, and that a token is never printed.

Usage: http_sink_test.py ETIOLOG   (run from the repository root)
Bounded: at most MAX_REQUESTS requests are served, each etiolog run has a
timeout, and the server stops at the end.
"""
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

MAX_REQUESTS = 200
RUN_TIMEOUT_S = 90
TOKEN = "sekrit-token-0123456789"
SCENARIO = "samples/scenarios/mixed_per_process_key_and_restart"

etiolog = sys.argv[1]
failures = []
requests = []  # (path, headers dict (lower-case names), body bytes)
seen_keys = {}  # path -> set of Idempotency-Keys seen
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # Quiet.
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        key = headers.get("idempotency-key", "")
        path = self.path.split("?")[0]
        with lock:
            if len(requests) >= MAX_REQUESTS:
                status, reply = 503, b"request budget exhausted"
                self.respond(status, reply)
                return
            requests.append((path, headers, body))
            keys = seen_keys.setdefault(path, [])
            first_time = key not in keys
            if first_time:
                keys.append(key)
            first_key = keys[0] if keys else ""
        if path == "/ok":
            self.respond(201, b'{"id": 1}')
        elif path == "/flaky":
            self.respond(500 if first_time else 201, b"try again")
        elif path == "/bad":
            self.respond(400, b'{"message": "Validation Failed"}')
        elif path == "/mixed":
            self.respond(400 if key == first_key else 201, b'{"message": "Validation Failed"}')
        elif path == "/down":
            self.respond(503, b"maintenance", retry_after="0")
        elif path == "/echo":
            self.respond(401, ("bad credentials: " + headers.get("authorization", "")).encode())
        else:
            self.respond(404, b"no such path")

    def respond(self, status, body, retry_after=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(body)


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL " + what)


def run(*args):
    p = subprocess.run([etiolog, *args], capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                       env=dict(os.environ, XDG_CONFIG_HOME=scratch))
    return p.returncode, p.stdout, p.stderr


def posts(path):
    with lock:
        return [r for r in requests if r[0] == path]


def no_token(out, err, what):
    check(TOKEN not in out and TOKEN not in err, what + ": the token was printed")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.timeout = 5
port = server.server_address[1]
threading.Thread(target=server.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % port
scratch = tempfile.mkdtemp(prefix="etiolog_http_")
store = os.path.join(scratch, "store.db")
auth = "Authorization: Bearer " + TOKEN
try:
    rc, out, err = run("analyze", "--no-default-rules", "--db", store, "--format", "json", SCENARIO)
    check(rc == 0, "analyze exit %d: %s" % (rc, err))
    findings = json.loads(out)["findings"]
    fingerprints = [f["fingerprint"] for f in findings]
    check(len(fingerprints) == 2, "the scenario should give 2 findings, not %d" % len(fingerprints))

    # Success: one POST per finding, the GitHub payload, our headers and the user's.
    rc, out, err = run("report", "--db", store, "--format", "github", "--post", base + "/ok",
                       "--header", auth, "-H", "X-Team: sre")
    check(rc == 0, "/ok exit %d: %s" % (rc, err))
    got = posts("/ok")
    check(len(got) == 2, "/ok: %d requests, want 2" % len(got))
    for (path, headers, body), fp in zip(got, fingerprints):
        check(headers.get("content-type") == "application/json", "/ok: content-type %r" % headers)
        check(headers.get("idempotency-key") == fp, "/ok: idempotency-key %r, want %s"
              % (headers.get("idempotency-key"), fp))
        check(headers.get("authorization") == "Bearer " + TOKEN, "/ok: authorization not sent")
        check(headers.get("x-team") == "sre", "/ok: X-Team not sent")
        check(headers.get("user-agent", "").startswith("etiolog/"), "/ok: user-agent")
        issue = json.loads(body)
        check(set(issue) == {"title", "body", "labels"}, "/ok: payload keys %s" % sorted(issue))
        check(issue["title"].startswith("[etiolog] "), "/ok: title %r" % issue["title"])
        check("etiolog" in issue["labels"], "/ok: labels %r" % issue["labels"])
        check("## Evidence" in issue["body"] and fp in issue["body"], "/ok: body")
    check("posted 2 of 2" in out, "/ok: summary line: " + out)
    no_token(out, err, "/ok")

    # Jira payload, format json by default.
    rc, out, err = run("report", "--db", store, "--format", "jira", "--jira-project", "OPS",
                       "--post", base + "/ok")
    check(rc == 0, "/ok jira exit %d: %s" % (rc, err))
    issue = json.loads(posts("/ok")[-1][2])
    check(issue["fields"]["project"]["key"] == "OPS", "jira: project key")
    check(issue["fields"]["description"]["type"] == "doc", "jira: ADF description")
    rc, out, err = run("report", "--db", store, "--post", base + "/ok")
    report = json.loads(posts("/ok")[-1][2])
    check(rc == 0 and len(report["findings"]) == 1, "--post without --format sends the JSON report")

    # 500 then 201: retried once per finding, same body and key.
    rc, out, err = run("report", "--db", store, "--format", "github", "--post", base + "/flaky")
    check(rc == 0, "/flaky exit %d: %s" % (rc, err))
    got = posts("/flaky")
    check(len(got) == 4, "/flaky: %d requests, want 4 (one retry each)" % len(got))
    if len(got) == 4:
        check(got[0][2] == got[1][2] and got[0][1]["idempotency-key"] == got[1][1]["idempotency-key"],
              "/flaky: the retry differs from the first attempt")
    check("after 2 attempts" in out, "/flaky: stdout should say it took 2 attempts: " + out)

    # 400: not retried; each finding tried; error names URL and status; exit 5.
    rc, out, err = run("report", "--db", store, "--format", "github", "--post",
                       base + "/bad?token=" + TOKEN, "-H", auth)
    check(rc == 5, "/bad exit %d, want 5" % rc)
    check(len(posts("/bad")) == 2, "/bad: %d requests, want 2 (no retry)" % len(posts("/bad")))
    check(err.count("HTTP 400") == 2, "/bad: one error per finding: " + err)
    check(base + "/bad?..." in err, "/bad: the error should name the URL without its query: " + err)
    check("Validation Failed" in err, "/bad: the error should quote the answer: " + err)
    no_token(out, err, "/bad")

    # One finding refused, the other still posted.
    rc, out, err = run("report", "--db", store, "--format", "github", "--post", base + "/mixed")
    check(rc == 5, "/mixed exit %d, want 5" % rc)
    check("posted 1 of 2" in out, "/mixed: the second finding should be posted: " + out)
    check(fingerprints[0] in err and fingerprints[1] not in err, "/mixed: error names the finding")

    # 503 always: 1 + retries attempts per finding.
    rc, out, err = run("report", "--db", store, "--format", "github", "--post", base + "/down",
                       "--retries", "1")
    check(rc == 5, "/down exit %d, want 5" % rc)
    check(len(posts("/down")) == 4, "/down: %d requests, want 4" % len(posts("/down")))
    check("after 2 attempts" in err and "HTTP 503" in err, "/down: " + err)

    # An endpoint echoing our token does not get it printed.
    rc, out, err = run("report", "--db", store, "--format", "github", "--post", base + "/echo",
                       "-H", auth)
    check(rc == 5 and "HTTP 401" in err, "/echo: " + err)
    no_token(out, err, "/echo")

    # Connection refused: retried, then an error naming the URL.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()
    url = "http://user:%s@127.0.0.1:%d/hook" % (TOKEN, closed)
    rc, out, err = run("report", "--db", store, "--format", "json", "--post", url,
                       "--retries", "1", "--connect-timeout", "2")
    check(rc == 5, "refused exit %d, want 5" % rc)
    check(err.count("http://127.0.0.1:%d/hook failed (after 2 attempts)" % closed) == 2,
          "refused: " + err)
    no_token(out, err, "refused")
finally:
    server.shutdown()
    server.server_close()

if failures:
    print("%d HTTP sink check(s) failed" % len(failures))
    sys.exit(1)
print("all HTTP sink checks passed (%d requests served)" % len(requests))
