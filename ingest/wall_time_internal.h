// SPDX-License-Identifier: Apache-2.0
//
// Wrapper times (see "Wrapper times" in decoder.h): a wrapper's time as
// printed (WallTime), what the lines of one clock taught about its partial
// times (ClockFacts, LearnClock), and how a partial time is completed into
// UTC (Completion, ResolveWall). Implementation of the Decoder.

#ifndef ETIOLOG_INGEST_WALL_TIME_INTERNAL_H_
#define ETIOLOG_INGEST_WALL_TIME_INTERNAL_H_

#include <cstdint>

#include "ingest/record.h"
#include "ingest/time_zone.h"
#include "ingest/timestamp.h"

namespace etiolog::ingest::internal {

inline constexpr int64_t kSecondUs = 1000000;

// A wrapper's time as printed. Only kZoned is an instant; the others miss
// the zone, the year or the whole date, which the Decoder supplies (see
// "Wrapper times" in decoder.h).
enum class WallKind : uint8_t {
  kNone = 0,   // The line has no wrapper time.
  kZoned,      // Date, time and zone: kubectl/docker --timestamps, CRI, short-iso.
  kLocal,      // Date and time, no zone: an ISO wrapper time printed without one.
  kYearless,   // Month, day and time, no zone: journald's (syslog's) short format.
  kTimeOfDay,  // Time of day only: honcho, foreman.
};

struct WallTime {
  WallKind kind = WallKind::kNone;
  int64_t us = 0;     // kZoned: UTC us. kLocal: the wall clock read as UTC.
                      // kYearless, kTimeOfDay: us since midnight.
  uint8_t month = 0;  // kYearless: 1-12.
  uint8_t day = 0;    // kYearless: 1-31.
};

inline bool IsPartial(const WallTime& w) {
  return w.kind != WallKind::kNone && w.kind != WallKind::kZoned;
}

// What the lines of one clock taught about its partial times.
struct ClockFacts {
  bool has_offset = false;
  // Learned from a time printed with a zone: offset_us is the clock's offset
  // from UTC. Else it was learned from a time printed without one and is the
  // offset from the zone option's local time (which such times are read in).
  bool offset_exact = false;
  int64_t offset_us = 0;  // The clock's wall time minus the reference's.
  bool has_anchor = false;
  int64_t anchor_us = 0;  // The UTC time of a line of it that had both times.
};

// A line carries the partial wrapper time w and a full time of its own,
// inner (as parsed: a zoneless time is its wall clock read as UTC), which is
// inner_utc in UTC. Learns what that says about w's clock: a date anchor
// always; the offset (the difference rounded to a quarter hour, if within
// +-14 h), exact from a zoned time, relative to the zone option from a
// zoneless one (which never replaces an exact one).
void LearnClock(const WallTime& w, const ParsedTime& inner, int64_t inner_utc, ClockFacts* f);

// How to complete a partial wrapper time.
struct Completion {
  const ClockFacts* clock = nullptr;  // What its clock taught, if anything.
  const TimeZone* zone = nullptr;     // The zone without a learned offset (null: UTC).
  int64_t anchor_us = 0;              // The date is the one nearest this time,
  bool not_after = false;             // or the latest not after it (a file's mtime).
};

// Resolves w to UTC microseconds; returns the quality: exact for a zoned
// time or one completed with a learned offset, assumed_zone otherwise.
// REQUIRES: w.kind != kNone.
TimeQuality ResolveWall(const WallTime& w, const Completion& c, int64_t* utc_us);

// The current time (s since the epoch).
int64_t NowSeconds();

}  // namespace etiolog::ingest::internal

#endif  // ETIOLOG_INGEST_WALL_TIME_INTERNAL_H_
