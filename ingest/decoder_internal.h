// SPDX-License-Identifier: Apache-2.0
//
// Decoder::Impl: the per-source state of a Decoder (the records and times
// carried from chunk to chunk, the per-chunk memos of the searches, the
// wrapper clocks) and the searches over a chunk. Its record framing lives in
// decoder.cc, its time searches in decoder_time.cc.

#ifndef ETIOLOG_INGEST_DECODER_INTERNAL_H_
#define ETIOLOG_INGEST_DECODER_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ingest/decoder.h"
#include "ingest/line_format_internal.h"
#include "ingest/peel_internal.h"
#include "ingest/wall_time_internal.h"

namespace etiolog::ingest {

struct Decoder::Impl {
  using Peeled = internal::Peeled;
  using LineKind = internal::LineKind;
  using ClockFacts = internal::ClockFacts;
  using Completion = internal::Completion;
  using WallTime = internal::WallTime;

  // Lines an own-stream time search walks when a neighbour's time is known
  // (InheritTime).
  static constexpr int kOwnAfterAny = 64;

  SourceContext ctx;
  DecoderOptions opt;
  const TimeZone* zone = nullptr;
  ProcessIdentity path_identity;
  int64_t year_hint = 0;
  uint64_t chunk_seq = 0;
  bool chunk_clean = false;  // Chunk::clean of the chunk being read.

  // A record start, resolved: where it is and what it said.
  struct Start {
    bool found = false;
    bool in_chunk = false;  // Else carried from an earlier chunk.
    size_t pos = 0;         // Start of the line in the chunk, if in_chunk.
    uint64_t index = 0;     // Its line index in the chunk, if in_chunk.
  };
  struct Carry {
    LogRecord record;  // The decoded start of the stream's open record.
    bool has_record = false;
    int64_t time_us = 0;  // Last own time of the stream.
    TimeQuality time_quality = TimeQuality::kNone;
  };
  struct Memo {
    uint64_t seq = ~uint64_t{0};
    size_t pos = 0;  // A line of the stream resolved in this chunk...
    Start start;     // ...to this start.
  };
  struct TimeMemo {
    uint64_t seq = ~uint64_t{0};
    size_t pos = 0;  // A line resolved in this chunk...
    bool found = false;
    int64_t us = 0;
    TimeQuality quality = TimeQuality::kNone;
  };
  std::unordered_map<uint64_t, Carry> carry;
  std::unordered_map<uint64_t, Memo> start_memo;
  std::unordered_map<uint64_t, TimeMemo> time_memo;
  TimeMemo any_time_memo;
  int64_t global_time_us = 0;
  TimeQuality global_quality = TimeQuality::kNone;
  bool have_global_time = false;

  // Wrapper clocks (Peeled::clock) and what their lines taught; kept for the
  // whole source (bounded like carry).
  std::unordered_map<uint64_t, ClockFacts> clocks;
  // The latest line time with a full date seen in the source (any stream):
  // dates a clock that taught nothing, before the file's mtime does.
  bool have_source_anchor = false;
  int64_t source_anchor_us = 0;
  // Lines [lo, hi) of the chunk were searched for lines with both times.
  struct ScanMemo {
    uint64_t seq = ~uint64_t{0};
    size_t lo = 0, hi = 0;
  };
  ScanMemo scanned;

  // A line's own time, found but maybe not resolved yet: EndChunk resolves
  // the wrapper times it collects after its walk has learned from the
  // lines before them.
  struct RawTime {
    bool found = false;
    bool wall = false;  // Else us and quality are final.
    int64_t us = 0;
    TimeQuality quality = TimeQuality::kNone;
    WallTime w;
    uint64_t clock = 0;
  };

  // The line before the one starting at pos, or false at the chunk start.
  static bool PrevLine(std::string_view d, size_t pos, size_t* begin, size_t* end) {
    if (pos == 0) return false;
    *end = pos - 1;  // The '\n'.
    const void* nl = *end == 0 ? nullptr : memrchr(d.data(), '\n', *end);
    *begin = nl == nullptr ? 0 : static_cast<size_t>(static_cast<const char*>(nl) - d.data()) + 1;
    return true;
  }

  // Peels a raw line of the chunk. The returned views point into the chunk
  // or, for a line that needed cleaning (ANSI codes, bad bytes), into *buf:
  // they are valid while *buf is neither changed nor destroyed. Each caller
  // owns its buffer, so a nested peel (KindOf looking at the line before)
  // can never free the text an outer view still reads.
  Peeled PeelAt(std::string_view raw, std::string* buf) const {
    std::string_view line = internal::Clean(raw, chunk_clean, buf);
    Peeled p;
    internal::Peel(line, &p);
    return p;
  }

  // The time the body of p prints, as parsed (a zoneless time is its wall
  // clock read as UTC), or length 0.
  static ParsedTime BodyTime(const Peeled& p);

  // t in UTC: a zoneless time is read in the zone option.
  int64_t ToUtc(const ParsedTime& t) const {
    return !t.has_zone && zone != nullptr ? zone->LocalToUtc(t.utc_us) : t.utc_us;
  }

  // A line of clock p.clock printed its own full time t (as BodyTime
  // returns it), utc_us in UTC: it dates the source and, beside a partial
  // wrapper time, teaches the clock.
  void Observe(const Peeled& p, const ParsedTime& t, int64_t utc_us);

  // How to complete a partial time of clock: with what it taught, else with
  // the zone option and the date nearest the source's latest full time, else
  // the latest not after the file's mtime (the current time for a stream).
  Completion CompletionFor(uint64_t clock) const;

  // Before resolving a partial time of p's clock that taught no offset yet:
  // looks around pos (the line's start) in the chunk for lines with both
  // times, learning from every one (see LookAround).
  void EnsureClock(std::string_view d, size_t pos, const Peeled& p);

  // Searches lookback_bytes before and after pos for lines that print a
  // partial wrapper time and a full time of their own, and learns from each
  // (Observe). Lines the chunk already had searched are skipped, so that a
  // chunk is walked at most once however many candidates ask.
  void LookAround(std::string_view d, size_t pos);

  // The first line start at or after pos.
  static size_t LineStartAfter(std::string_view d, size_t pos);

  // Observes the lines that start in [from, to); returns where the line
  // after the last one starts. REQUIRES: from is a line start.
  size_t ScanLines(std::string_view d, size_t from, size_t to);

  // A line's own time: its body's, else its wrapper's (resolved now, or in
  // raw->w for the caller to resolve with Resolve).
  RawTime OwnRaw(const Peeled& p);

  void Resolve(RawTime* r) const;

  // A line's own time (body or wrapper); false if none.
  bool OwnTime(const Peeled& p, int64_t* us, TimeQuality* q);

  // Classify, plus the one shape that needs context: an art line continues
  // the banner if the stream's previous line (within 8 lines) is art too.
  LineKind KindOf(std::string_view d, size_t begin, const Peeled& p);

  // The start of the record the line at begin (index in the chunk) belongs to.
  Start FindStart(std::string_view d, size_t begin, uint64_t index, const Peeled& p);

  // Walks back from the line at begin to the nearest line with a time of its
  // own, among the lines of *stream (any stream if null), reusing and
  // updating memo. At the chunk start the answer is fallback.
  // max_visited (> 0) bounds the lines walked over, of any stream, below
  // the usual 8 * lookback_lines.
  TimeMemo SearchTime(std::string_view d, size_t begin, const uint64_t* stream, TimeMemo* memo,
                      const TimeMemo& fallback, int max_visited = 0);

  // Time of the nearest earlier timed line. Two candidates: the stream's
  // own last time (in this chunk, else carried) and the nearest timed line of
  // any stream. Interleaved output (`docker compose up`, `logs -f`) is in
  // arrival order, so the neighbour of any stream is the closer estimate;
  // but a line never precedes its own stream's previous line, so a
  // neighbour earlier than that (output grouped per container) loses.
  // grouped: the line's stream is a kubectl --prefix container. kubectl
  // prints one container's lines after another's unless it follows them
  // (-f), so a line before its stream's first time would take the time of
  // another container's block; it gets none, as in a file of its own. Once
  // the stream has a time, a later neighbour is still the closer estimate
  // (and within a block the nearest timed line is the stream's own).
  bool InheritTime(std::string_view d, size_t begin, uint64_t stream, bool grouped, int64_t* us,
                   TimeQuality* q);

  // Decodes the line at [begin, end) with its own fields only.
  // A line's own time is its body's, else its wrapper's, completed with
  // what the wrapper's clock taught (looked for around the line if needed).
  void DecodeOwn(std::string_view d, size_t begin, size_t end, LogRecord* out);

  // Looks forward from a structlog header without a logger for the line
  // that ends its event ("... [logger] k=v").
  // The search stays inside the chunk: lines of an event cut by a chunk
  // boundary, before it, keep an empty logger.
  // from_line_start: begin is the first line to examine (a record carried
  // into this chunk), not the header itself.
  void FindTrailingLogger(std::string_view d, size_t begin, uint64_t stream, LogRecord* out,
                          bool from_line_start = false);
};

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_DECODER_INTERNAL_H_
