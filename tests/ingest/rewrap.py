#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Rewraps a `docker compose logs` file the way other tools print the same lines.

Each line `service   | text` becomes, line for line:

  kubectl-prefix            [pod/SERVICE/CONTAINER] text
                            (kubectl logs --prefix --all-containers -l ...)
  kubectl-prefix-timestamps [pod/SERVICE/CONTAINER] 2025-12-07T15:50:01.104233000Z text
                            (kubectl logs --prefix --timestamps)
  compose-colour            ESC[36mservice   |ESC[0m text (docker compose logs on a terminal)
  compose-colour-timestamps ESC[36mservice   |ESC[0m 2025-...000Z text (docker compose logs -t)
  journald                  Dec 07 10:50:01 SERVICE airflow[PID]: text
                            (journalctl -o short: one host per service, its clock in
                            --zone, no year)

The wrapper's time for a line is the line's own time when it prints one with a
zone (a runtime receives a line as it is written). For a line without one it is
the time the unwrapped analysis gave the line's event (--times, the output of
`etiolog events --format jsonl` on the original), else the previous line's
wrapper time, else the first time found further on: times a runtime could have
printed, so that the wrapped and unwrapped analyses must agree.

A directory of per-pod files (`kubectl logs POD > POD.log`, as the kubectl
scenarios hold them) becomes, in kubectl-prefix mode, the one file that
`kubectl logs -l ... --prefix` prints: each pod's lines after the other's, with
`[pod/POD/CONTAINER] ` before each; --line-map writes where each source line
went ({"PATH:LINE": WRAPPED_LINE}, PATH as etiolog reports it).

Usage: rewrap.py MODE COMPOSE_LOG [--times EVENTS.jsonl] [--zone +HH:MM] > OUT
       rewrap.py kubectl-prefix POD_LOG_DIR --line-map MAP.json > OUT
"""

import argparse
import datetime
import json
import os
import re
import sys
import zlib

PREFIX = re.compile(r"^([A-Za-z0-9_.-]+) +\| ?(.*)$")
OWN_TIME = re.compile(r"^\[?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})")
COLOURS = [36, 33, 32, 35, 34, 96, 93, 92]


def container_of(service):
    """The container name a Helm-chart pod would run for a compose service."""
    base = re.sub(r"-\d+$", "", service)
    base = re.sub(r"^airflow-", "", base)
    return {"apiserver": "api-server", "webserver": "webserver"}.get(base, base)


def parse_time(text):
    m = OWN_TIME.match(text)
    if not m:
        return None
    stamp, zone = m.group(1), m.group(2)
    if zone == "Z":
        zone = "+00:00"
    elif ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    if "." in stamp:
        head, frac = stamp.split(".")
        stamp = head + "." + (frac + "000000")[:6]
    return datetime.datetime.fromisoformat(stamp + zone).astimezone(datetime.timezone.utc)


def rfc3339nano(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d000Z" % t.microsecond


def prefix_pod_files(args):
    if args.mode != "kubectl-prefix":
        sys.exit("rewrap.py: a directory is rewrapped in kubectl-prefix mode only")
    line_map = {}
    n = 0
    for name in sorted(os.listdir(args.log)):
        path = os.path.join(args.log, name)
        pod = re.sub(r"\.log$", "", name)
        # The chart's container names: the pod name without its deployment
        # hashes or ordinal, and without "airflow-".
        container = re.sub(r"-[0-9a-f]{8,10}-[a-z0-9]{5}$|-\d+$", "", pod)
        container = re.sub(r"^airflow-", "", container)
        with open(path, encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for k, text in enumerate(lines, start=1):
            n += 1
            line_map["%s:%d" % (path, k)] = n
            sys.stdout.write("[pod/%s/%s] %s\n" % (pod, container, text))
    if args.line_map:
        with open(args.line_map, "w", encoding="utf-8") as f:
            json.dump(line_map, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["kubectl-prefix", "kubectl-prefix-timestamps",
                                     "compose-colour", "compose-colour-timestamps", "journald"])
    ap.add_argument("log")
    ap.add_argument("--times", help="etiolog events --format jsonl of the original")
    ap.add_argument("--zone", default="+00:00", help="journald hosts' zone offset")
    ap.add_argument("--line-map", help="with a directory: where each line went (JSON)")
    args = ap.parse_args()
    if os.path.isdir(args.log):
        return prefix_pod_files(args)

    event_times = {}
    if args.times:
        with open(args.times, encoding="utf-8") as f:
            for line in f:
                e = json.loads(line)
                if e.get("time"):
                    t = datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00"))
                    event_times.setdefault(e["line"], t)

    with open(args.log, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    parsed = []
    for text in lines:
        m = PREFIX.match(text.rstrip("\r"))
        if not m:
            sys.exit("rewrap.py: not a compose line: %r" % text)
        parsed.append((m.group(1), m.group(2), parse_time(m.group(2))))

    # The wrapper time of every line.
    times = []
    last = None
    for n, (_, text, own) in enumerate(parsed, start=1):
        t = own or event_times.get(n) or last
        times.append(t)
        if t is not None:
            last = t
    first = next((t for t in times if t is not None), None)
    times = [t or first for t in times]

    sign = -1 if args.zone.startswith("-") else 1
    hh, mm = args.zone[1:].split(":")
    offset = datetime.timedelta(hours=int(hh), minutes=int(mm)) * sign
    width = max(len(s) for s, _, _ in parsed)
    colour = {}
    out = sys.stdout
    for (service, text, _), t in zip(parsed, times):
        if args.mode == "kubectl-prefix":
            out.write("[pod/%s/%s] %s\n" % (service, container_of(service), text))
        elif args.mode == "kubectl-prefix-timestamps":
            out.write("[pod/%s/%s] %s %s\n" % (service, container_of(service), rfc3339nano(t), text))
        elif args.mode.startswith("compose-colour"):
            c = colour.setdefault(service, COLOURS[len(colour) % len(COLOURS)])
            stamp = rfc3339nano(t) + " " if args.mode.endswith("timestamps") else ""
            out.write("\x1b[%dm%s |\x1b[0m %s%s\n" % (c, service.ljust(width), stamp, text))
        else:
            local = t + offset
            pid = 1000 + zlib.crc32(service.encode()) % 60000
            out.write("%s %s airflow[%d]: %s\n" % (local.strftime("%b %d %H:%M:%S"), service, pid,
                                                   text))


if __name__ == "__main__":
    main()
