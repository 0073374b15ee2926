// SPDX-License-Identifier: Apache-2.0
//
// Times as state dumps print them. People paste the output of `kubectl get
// pods`, `kubectl describe pod`, `helm history`, `docker ps`, `docker
// compose ps` and `systemctl status` beside their logs; those tools print
// when a process started in two ways:
//
//   durations, relative to when the command ran
//     kubectl   45s  5m30s  12m  150m  3h4m  5d2h  2y3d     (AGE, RESTARTS "(45m ago)")
//     docker    Less than a second  1 second  3 minutes  About a minute
//               About an hour  2 hours  5 days  3 weeks  4 months  2 years
//     systemd   58s  3min 12s  2h 5min  1 day 3h  2 weeks 1 day  123ms
//   dates
//     kubectl describe   Mon, 06 Jan 2025 10:21:33 +0000    (RFC 1123, numeric zone)
//     helm history       Tue Jan  7 09:14:52 2025           (ANSIC: local time, no zone)
//     date(1), Go        Tue Jan  7 09:14:52 UTC 2025
//     systemctl          Thu 2025-11-06 08:31:02 UTC        (zone abbreviation)
//     docker, kubectl -o 2025-11-06T08:31:02Z, 2025-11-06 08:31:02 +0000 UTC
//
// These functions read one such text; the analyzer applies them to the
// captures of state-dump rules (docs/pack-format.md, "State dumps").
//
// Thread safety: pure functions.

#ifndef ETIOLOG_INGEST_DUMP_TIME_H_
#define ETIOLOG_INGEST_DUMP_TIME_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/time_zone.h"
#include "ingest/timestamp.h"

namespace etiolog {

struct ParsedDuration {
  // The duration as printed, in microseconds. The tools round down, so the
  // true duration lies in [us, us + resolution_us).
  int64_t us = 0;
  // The unit of the smallest part printed ("5d2h": an hour; "About a
  // minute": a minute; "Less than a second": a second). > 0 when parsed.
  int64_t resolution_us = 0;
  size_t length = 0;  // Bytes consumed (a trailing " ago" included); 0 if not a duration.
};

// Longest duration accepted: 1000 years. Longer ones are not durations
// (and would overflow microseconds).
inline constexpr int64_t kMaxDurationUs = int64_t{1000} * 365 * 86400 * 1000000;

// Parses a duration at the start of text, in any of the forms above: parts
// "<number><unit>" or "<number> <unit>", separated by nothing or single
// spaces, or one of docker's phrases, optionally followed by " ago". Units,
// in any case: y/year(s) (365 days), month(s) (30 days), w/week(s),
// d/day(s), h/hour(s), m/min/minute(s), s/sec/second(s), ms/msec,
// us/usec/µs. Returns length 0 if text does not start with a duration (a
// number without a unit, an unknown unit, a part over kMaxDurationUs).
ParsedDuration ParseDuration(std::string_view text);

// Formats us (>= 0) as the compact parts ParseDuration reads back exactly:
// "5d2h3m4s", "120ms7us"; "0s" for 0.
std::string FormatDuration(int64_t us);

// Parses a date at the start of text, in any of the forms above (the
// weekday is optional and not checked against the date). A time with a
// numeric offset, Z, or an unambiguous zone abbreviation (UTC, GMT, CET,
// CEST, EST, PDT, JST, ...: see dump_time.cc) is exact (has_zone true). A
// time without zone, or with an abbreviation that is unknown or ambiguous
// (CST, IST, BST, ...), is read as a wall-clock time in zone (has_zone
// false). Returns length 0 if text does not start with such a date.
ParsedTime ParseDumpTime(std::string_view text, const TimeZone& zone);

}  // namespace etiolog

#endif  // ETIOLOG_INGEST_DUMP_TIME_H_
