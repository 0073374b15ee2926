#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compares `etiolog events --format jsonl` of a log and of the same log rewrapped.

Rewrapping (tests/ingest/rewrap.py) keeps lines one for one, so events pair up
by (line, rule). Each pair must agree on the kind, the component and the host,
and on the time to the second when the original event had a time: the
wrapper may date an event the original could not date at all. Prints each
difference and exits 1 if there is any.

With --line-map (from rewrap.py on a directory of per-pod files), events of
the original files pair up with those of the one wrapped file through the
map, and an original event without a host must get the pod's (its file's
name) from the wrapped line's kubectl prefix.

With --grouped (a compose log rewrapped as kubectl --prefix), an event whose
original time was inherited from another stream may have none: kubectl prints
containers one after another, so a prefixed line before its container's first
time takes no other container's time (docs/formats.md).

Usage: compare_events.py ORIGINAL.jsonl WRAPPED.jsonl [--line-map MAP.json] [--grouped]
"""

import json
import os
import sys


def load(path, line_map=None):
    events = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            n = e["line"]
            if line_map is not None:
                n = line_map["%s:%d" % (e["path"], n)]
                if e["host"] is None:
                    e["host"] = os.path.splitext(os.path.basename(e["path"]))[0]
            events[(n, e["rule"])] = e
    return events


def main():
    line_map = None
    if "--line-map" in sys.argv:
        with open(sys.argv[sys.argv.index("--line-map") + 1], encoding="utf-8") as f:
            line_map = json.load(f)
    grouped = "--grouped" in sys.argv
    original, wrapped = load(sys.argv[1], line_map), load(sys.argv[2])
    problems = []
    for key in sorted(original.keys() - wrapped.keys()):
        problems.append("line %d %s: only in the original" % key)
    for key in sorted(wrapped.keys() - original.keys()):
        problems.append("line %d %s: only in the wrapped log" % key)
    for key in sorted(original.keys() & wrapped.keys()):
        a, b = original[key], wrapped[key]
        for field in ("kind", "component", "host"):
            if a[field] != b[field]:
                problems.append("line %d %s: %s %r, wrapped %r" % (key + (field, a[field], b[field])))
        if grouped and b["time"] is None and a["time_quality"] == "inherited":
            continue
        if a["time"] is not None and (b["time"] is None or a["time"][:19] != b["time"][:19]):
            problems.append("line %d %s: time %s, wrapped %s (%s)" %
                            (key + (a["time"], b["time"], b["time_quality"])))
    for p in problems:
        print("  " + p)
    if not original:
        print("  no events in the original")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
