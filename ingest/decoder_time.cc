// SPDX-License-Identifier: Apache-2.0
//
// The Decoder's time searches: a line's own time (its body's, else its
// wrapper's), the nearest earlier timed line (InheritTime, memoised per
// stream like the record searches), and the completion of partial wrapper
// times.
//
// Wrapper times. Peel keeps a wrapper's time as printed (WallTime): an
// instant, or a wall clock missing its zone, year or date, with the
// identity of the clock that printed it. Any line seen with both such a
// partial time and a full time of its own teaches its clock (LearnClock:
// the offset rounded to a quarter hour, and a date anchor); ResolveWall
// completes a partial time with what its clock taught, else with the zone
// option and an anchor from the source (its latest full time, its mtime).
// A candidate whose clock taught no offset yet first looks around itself in
// the chunk (LookAround, memoised per chunk as one growing interval, so the
// extra walking is at most one pass over the chunk). EndChunk collects the
// times it carries unresolved and resolves them after its walk, which may
// have learned from lines before them.

#include <algorithm>
#include <string>

#include "ingest/decoder_internal.h"

namespace etiolog::ingest {

using internal::BodyIso;
using internal::Completion;
using internal::IsPartial;
using internal::kSecondUs;
using internal::LearnClock;
using internal::Peeled;
using internal::ResolveWall;
using internal::WallKind;

ParsedTime Decoder::Impl::BodyTime(const Peeled& p) {
  std::string_view b = p.body;
  if (ParsedTime t = BodyIso(p); t.length > 0) return t;
  if (!b.empty() && b[0] == '[') return ParseIsoTimestamp(b.substr(1));
  if (!b.empty() && b[0] == '{') {
    size_t k = b.substr(0, 512).find("\"timestamp\":\"");
    if (k != std::string_view::npos) return ParseIsoTimestamp(b.substr(k + 13));
  }
  return ParsedTime();
}

void Decoder::Impl::Observe(const Peeled& p, const ParsedTime& t, int64_t utc_us) {
  have_source_anchor = true;
  source_anchor_us = utc_us;
  if (!IsPartial(p.wrapper)) return;
  if (clocks.size() > 4096) clocks.clear();
  LearnClock(p.wrapper, t, utc_us, &clocks[p.clock]);
}

Completion Decoder::Impl::CompletionFor(uint64_t clock) const {
  Completion c;
  auto it = clocks.find(clock);
  if (it != clocks.end()) c.clock = &it->second;
  c.zone = zone;
  if (have_source_anchor) {
    c.anchor_us = source_anchor_us;
  } else {
    c.anchor_us = year_hint * kSecondUs;
    c.not_after = true;
  }
  return c;
}

void Decoder::Impl::EnsureClock(std::string_view d, size_t pos, const Peeled& p) {
  if (!IsPartial(p.wrapper)) return;
  auto it = clocks.find(p.clock);
  if (it != clocks.end() && it->second.has_offset && it->second.offset_exact) return;
  LookAround(d, pos);
}

void Decoder::Impl::LookAround(std::string_view d, size_t pos) {
  if (scanned.seq != chunk_seq) scanned = ScanMemo{chunk_seq, pos, pos};
  const size_t from = pos > opt.lookback_bytes ? LineStartAfter(d, pos - opt.lookback_bytes) : 0;
  const size_t to = std::min(d.size(), pos + opt.lookback_bytes);
  if (from < scanned.lo) {
    ScanLines(d, from, scanned.lo);
    scanned.lo = from;
  }
  if (to > scanned.hi) scanned.hi = ScanLines(d, scanned.hi, to);
}

size_t Decoder::Impl::LineStartAfter(std::string_view d, size_t pos) {
  if (pos == 0) return 0;
  size_t nl = d.find('\n', pos - 1);
  return nl == std::string_view::npos ? d.size() : nl + 1;
}

size_t Decoder::Impl::ScanLines(std::string_view d, size_t from, size_t to) {
  std::string buf;
  size_t b = from;
  while (b < to && b < d.size()) {
    size_t e = d.find('\n', b);
    if (e == std::string_view::npos) e = d.size();
    Peeled q = PeelAt(d.substr(b, e - b), &buf);
    if (IsPartial(q.wrapper)) {
      ParsedTime t = BodyTime(q);
      if (t.length > 0) Observe(q, t, ToUtc(t));
    }
    b = e + 1;
  }
  return std::min(b, d.size());
}

Decoder::Impl::RawTime Decoder::Impl::OwnRaw(const Peeled& p) {
  RawTime r;
  ParsedTime t = BodyTime(p);
  if (t.length > 0) {
    r.found = true;
    r.us = ToUtc(t);
    Observe(p, t, r.us);
    r.quality = t.has_zone ? TimeQuality::kExact : TimeQuality::kAssumedZone;
  } else if (p.wrapper.kind != WallKind::kNone) {
    r.found = true;
    r.wall = true;
    r.w = p.wrapper;
    r.clock = p.clock;
  }
  return r;
}

void Decoder::Impl::Resolve(RawTime* r) const {
  if (!r->found || !r->wall) return;
  r->quality = ResolveWall(r->w, CompletionFor(r->clock), &r->us);
  r->wall = false;
}

bool Decoder::Impl::OwnTime(const Peeled& p, int64_t* us, TimeQuality* q) {
  RawTime r = OwnRaw(p);
  if (!r.found) return false;
  Resolve(&r);
  *us = r.us;
  *q = r.quality;
  return true;
}

Decoder::Impl::TimeMemo Decoder::Impl::SearchTime(std::string_view d, size_t begin,
                                                  const uint64_t* stream, TimeMemo* memo,
                                                  const TimeMemo& fallback, int max_visited) {
  const bool memo_valid = memo->seq == chunk_seq && memo->pos < begin;
  size_t b = 0, e = 0, pos = begin;
  int same = 0, visited = 0;
  const int visit_bound = max_visited > 0 ? max_visited : 8 * opt.lookback_lines;
  TimeMemo result;
  std::string buf;
  while (same < opt.lookback_lines && visited < visit_bound) {
    if (!PrevLine(d, pos, &b, &e)) {
      result = fallback;
      break;
    }
    if (begin - b > opt.lookback_bytes) break;  // Beyond the look-back.
    pos = b;
    ++visited;
    if (memo_valid && b == memo->pos) {
      result = *memo;
      break;
    }
    Peeled pl = PeelAt(d.substr(b, e - b), &buf);
    if (stream != nullptr && pl.stream != *stream) continue;
    ++same;
    if (OwnTime(pl, &result.us, &result.quality)) {
      result.found = true;
      break;
    }
  }
  if (memo->seq != chunk_seq || memo->pos < begin) {
    *memo = result;
    memo->seq = chunk_seq;
    memo->pos = begin;
  }
  return result;
}

bool Decoder::Impl::InheritTime(std::string_view d, size_t begin, uint64_t stream, bool grouped,
                                int64_t* us, TimeQuality* q) {
  TimeMemo carried;
  auto it = carry.find(stream);
  if (it != carry.end() && it->second.time_quality != TimeQuality::kNone) {
    carried.found = true;
    carried.us = it->second.time_us;
    carried.quality = it->second.time_quality;
  }
  TimeMemo global;
  global.found = have_global_time;
  global.us = global_time_us;
  global.quality = global_quality;
  TimeMemo own, any;
  if (grouped) {
    own = SearchTime(d, begin, &stream, &time_memo[stream], carried);
    if (!own.found) return false;
    any = SearchTime(d, begin, nullptr, &any_time_memo, global);
  } else {
    any = SearchTime(d, begin, nullptr, &any_time_memo, global);
    // Interleaved output (a neighbour of any stream has a time): the
    // stream's own earlier line wins only if it is later than that
    // neighbour, which happens when output is grouped per container,
    // where that line is close by. So the own search stops after
    // kOwnAfterAny lines: with thousands of interleaved streams (a
    // fleet), a full walk per stream start cost most of the ingest, to
    // find a time that loses anyway.
    own = SearchTime(d, begin, &stream, &time_memo[stream], carried, any.found ? kOwnAfterAny : 0);
  }
  TimeMemo r = own;
  if (any.found && (!own.found || any.us >= own.us)) r = any;
  if (!r.found) return false;
  *us = r.us;
  *q = r.quality;
  return true;
}
}  // namespace etiolog::ingest
