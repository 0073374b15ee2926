// SPDX-License-Identifier: Apache-2.0
//
// TimeZone: the zone that log times printed without one are in.
//
// Many Airflow lines carry an explicit zone (structlog's "Z", the classic
// formatter's "+0000"); some do not: structlog's default renderer in Airflow
// 3.0, Python logging's asctime, journald's short format. For those the user
// names the deployment's zone with --timezone, either as a fixed offset
// ("+02:00", "-0530", "UTC") or as an IANA name ("Europe/Berlin"). A named
// zone is resolved once, with the C library and the system's tzdata, into a
// table of UTC offsets and their transition instants (1970 to 2100), so that
// converting a time later is a pure lookup: no global state, no locale, safe
// from any thread.
//
// Thread safety: a TimeZone is immutable after Parse; share it freely.

#ifndef ETIOLOG_INGEST_TIME_ZONE_H_
#define ETIOLOG_INGEST_TIME_ZONE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/status.h"

namespace etiolog {

class TimeZone {
 public:
  // UTC.
  TimeZone();

  // A zone at a fixed offset east of UTC, in minutes.
  static TimeZone Fixed(int offset_minutes);

  // Parses "UTC", "Z", "+HH:MM", "+HHMM", "+HH" (or '-'), or an IANA zone
  // name found in the system's tzdata ($TZDIR or /usr/share/zoneinfo).
  // Returns InvalidArgument naming spec if it is none of these.
  // Resolving a name briefly sets the process's TZ variable (restored
  // afterwards): call it before starting threads that read the environment.
  static Result<TimeZone> Parse(std::string_view spec);

  // Converts a wall-clock time in this zone, given as microseconds since the
  // epoch as if the wall clock were UTC, to UTC microseconds. A wall time
  // that a daylight-saving change skips or repeats gets one of the two
  // offsets around the change (an hour of ambiguity the log cannot resolve).
  int64_t LocalToUtc(int64_t local_us) const;

  // The UTC offset in seconds in force at the UTC instant utc_seconds.
  int32_t OffsetAt(int64_t utc_seconds) const;

  // The spec this zone was parsed from ("UTC" for the default).
  const std::string& name() const { return name_; }
  bool is_utc() const { return transitions_.empty() && base_offset_ == 0; }

 private:
  struct Transition {
    int64_t utc_seconds;  // From this instant on...
    int32_t offset;       // ...this offset (seconds east of UTC) applies.
  };
  std::string name_ = "UTC";
  int32_t base_offset_ = 0;              // Offset before the first transition.
  std::vector<Transition> transitions_;  // Sorted by utc_seconds.
};

}  // namespace etiolog

#endif  // ETIOLOG_INGEST_TIME_ZONE_H_
