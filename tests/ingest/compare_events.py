#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compares `etiolog events --format jsonl` of a log and of the same log rewrapped.

Rewrapping (tests/ingest/rewrap.py) keeps lines one for one, so events pair up
by (line, rule). Each pair must agree on the kind, the component and the host,
and on the time to the second when the original event had a time: the
wrapper may date an event the original could not date at all. Prints each
difference and exits 1 if there is any.

Usage: compare_events.py ORIGINAL.jsonl WRAPPED.jsonl
"""

import json
import sys


def load(path):
    events = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            events[(e["line"], e["rule"])] = e
    return events


def main():
    original, wrapped = load(sys.argv[1]), load(sys.argv[2])
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
