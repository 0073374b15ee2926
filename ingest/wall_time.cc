// SPDX-License-Identifier: Apache-2.0
//
// Completing partial wrapper times: a clock's offset is learned from lines
// that print both a partial wrapper time and a full one of their own,
// rounded to a quarter hour; a date comes from the nearest anchor.

#include <ctime>

#include "ingest/wall_time_internal.h"

namespace etiolog::ingest::internal {

namespace {

constexpr int64_t kDayUs = 86400 * kSecondUs;
constexpr int64_t kHourUs = 3600 * kSecondUs;
// Zone offsets are multiples of a quarter hour (Nepal's +05:45 included).
constexpr int64_t kOffsetStepUs = int64_t{15} * 60 * kSecondUs;
// The widest zone offsets in use: -12:00 and +14:00.
constexpr int64_t kMaxOffsetUs = 14 * kHourUs;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t CivilYear(int64_t utc_us) {
  const time_t t = static_cast<time_t>(FloorDiv(utc_us, kSecondUs));
  struct tm tm;
  if (gmtime_r(&t, &tm) == nullptr) return 1970;
  return int64_t{tm.tm_year} + 1900;
}

// The wall clock of a kYearless time in year y, read as if it were UTC.
int64_t WallInYear(const WallTime& w, int64_t y) {
  return DaysFromCivil(y, w.month, w.day) * kDayUs + w.us;
}

}  // namespace

void LearnClock(const WallTime& w, const ParsedTime& inner, int64_t inner_utc, ClockFacts* f) {
  if (!IsPartial(w)) return;
  f->has_anchor = true;
  f->anchor_us = inner_utc;
  if (!inner.has_zone && f->has_offset && f->offset_exact) return;
  const int64_t ref = inner.has_zone ? inner_utc : inner.utc_us;
  int64_t raw = 0;
  if (w.kind == WallKind::kLocal) {
    raw = w.us - ref;
  } else if (w.kind == WallKind::kYearless) {
    // The year that puts the wall clock nearest the line's own time (New
    // Year's Eve may separate them).
    const int64_t y = CivilYear(ref);
    raw = WallInYear(w, y) - ref;
    for (int64_t other : {y - 1, y + 1}) {
      const int64_t r = WallInYear(w, other) - ref;
      if ((r < 0 ? -r : r) < (raw < 0 ? -raw : raw)) raw = r;
    }
  } else {  // kTimeOfDay: the difference modulo a day, in (-12 h, +12 h].
    raw = w.us - (ref - FloorDiv(ref, kDayUs) * kDayUs);
    raw -= FloorDiv(raw, kDayUs) * kDayUs;
    if (raw > kDayUs / 2) raw -= kDayUs;
  }
  if (raw > kDayUs || raw < -kDayUs) return;  // Not a zone: a wrong year, a bad clock.
  const int64_t rounded = FloorDiv(raw + kOffsetStepUs / 2, kOffsetStepUs) * kOffsetStepUs;
  if (rounded > kMaxOffsetUs || rounded < -kMaxOffsetUs) return;
  f->has_offset = true;
  f->offset_exact = inner.has_zone;
  f->offset_us = rounded;
}

TimeQuality ResolveWall(const WallTime& w, const Completion& c, int64_t* utc_us) {
  if (w.kind == WallKind::kZoned) {
    *utc_us = w.us;
    return TimeQuality::kExact;
  }
  const bool learned = c.clock != nullptr && c.clock->has_offset;
  const bool exact = learned && c.clock->offset_exact;
  auto to_utc = [&](int64_t wall) {
    if (exact) return wall - c.clock->offset_us;
    if (learned) wall -= c.clock->offset_us;  // Now in the zone option's local time.
    return c.zone != nullptr ? c.zone->LocalToUtc(wall) : wall;
  };
  const TimeQuality quality = exact ? TimeQuality::kExact : TimeQuality::kAssumedZone;
  if (w.kind == WallKind::kLocal) {
    *utc_us = to_utc(w.us);
    return quality;
  }
  const bool anchored = c.clock != nullptr && c.clock->has_anchor;
  const int64_t anchor = anchored ? c.clock->anchor_us : c.anchor_us;
  const bool not_after = !anchored && c.not_after;
  // Three candidates a year (or a day) apart around the anchor.
  int64_t cand[3];
  if (w.kind == WallKind::kYearless) {
    const int64_t y = CivilYear(anchor);
    for (int i = 0; i < 3; ++i) cand[i] = to_utc(WallInYear(w, y - 1 + i));
  } else {
    const int64_t day = FloorDiv(anchor, kDayUs);
    for (int i = 0; i < 3; ++i) cand[i] = to_utc((day - 1 + i) * kDayUs + w.us);
  }
  int64_t best = cand[1];
  if (not_after) {
    // A file is written after its lines: the latest candidate not after its
    // mtime, else the earliest. A year-less date may be two days later (as
    // it always was here: a wrong zone option must not cost a year).
    const int64_t limit = anchor + (w.kind == WallKind::kYearless ? 2 * kDayUs : 0);
    best = cand[0];
    for (int64_t t : cand) {
      if (t <= limit && t > best) best = t;
    }
  } else {
    auto dist = [&](int64_t t) { return t > anchor ? t - anchor : anchor - t; };
    for (int64_t t : cand) {
      if (dist(t) < dist(best)) best = t;
    }
  }
  *utc_us = best;
  return quality;
}

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace etiolog::ingest::internal
