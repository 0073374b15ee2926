// SPDX-License-Identifier: Apache-2.0
//
// The Decoder: record framing over a chunk, and what a chunk carries to the
// next (EndChunk). Two levels of reading a line:
//  * Peel + Classify (peel.cc; cheap, no allocation unless the line has ANSI
//    codes): strips wrappers and prefixes, computes a hash of them (the
//    stream), and says whether the body starts a record. Used on the many
//    lines the record and time searches walk over.
//  * DecodePeeled (line_format.cc; full): parses the body's format into a
//    LogRecord. Used on candidate lines and on the record starts they
//    belong to.
// Time searches and wrapper times: decoder_time.cc, wall_time.cc.
//
// Searches walk backwards over lines of the chunk, skipping other streams.
// Each search remembers its answer per stream (memo_*), so a later
// candidate of the same stream stops where the previous one was resolved:
// over a chunk the walking is linear in its lines, whatever the number of
// candidates, and each single search is bounded by lookback_lines.

#include "ingest/decoder.h"

#include <optional>
#include <string>

#include "ingest/check.h"
#include "ingest/decoder_internal.h"
#include "ingest/path_identity.h"

namespace etiolog::ingest {

using internal::Classify;
using internal::Clean;
using internal::Completion;
using internal::kSecondUs;
using internal::LineKind;
using internal::NowSeconds;
using internal::Peel;
using internal::Peeled;
using internal::ResolveWall;
using internal::TrailingLogger;
using internal::WallKind;

void DecodeLine(std::string_view raw, const DecoderOptions& options, LogRecord* out) {
  std::string buf;
  std::string_view line = Clean(raw, false, &buf);
  Peeled p;
  Peel(line, &p);
  DecodePeeled(line, p, options.zone.get(), out);
  if (out->time_quality == TimeQuality::kNone && p.wrapper.kind != WallKind::kNone) {
    // No context: nothing learned; the date nearest now, the zone option's zone.
    Completion c;
    c.zone = options.zone.get();
    c.anchor_us = NowSeconds() * kSecondUs;
    c.not_after = true;
    out->time_quality = ResolveWall(p.wrapper, c, &out->time_us);
  }
}

// ---------------------------------------------------------------------------
// Record framing.

LineKind Decoder::Impl::KindOf(std::string_view d, size_t begin, const Peeled& p) {
  LineKind k = Classify(p);
  if (k != LineKind::kArt) return k;
  std::string buf;
  size_t b = begin, e = 0;
  for (int n = 0; n < 8 && PrevLine(d, b, &b, &e); ++n) {
    Peeled q = PeelAt(d.substr(b, e - b), &buf);
    if (q.stream != p.stream) continue;
    return Classify(q) == LineKind::kArt ? LineKind::kContinuation : LineKind::kStart;
  }
  return LineKind::kStart;
}

Decoder::Impl::Start Decoder::Impl::FindStart(std::string_view d, size_t begin, uint64_t index,
                                              const Peeled& p) {
  LineKind k = KindOf(d, begin, p);
  Start s;
  if (k != LineKind::kContinuation) {
    s = Start{true, true, begin, index};
    Memo& m = start_memo[p.stream];
    if (m.seq != chunk_seq || m.pos < begin) m = Memo{chunk_seq, begin, s};
    return s;
  }
  Memo& memo = start_memo[p.stream];
  const bool memo_valid = memo.seq == chunk_seq && memo.pos < begin;
  size_t b = 0, e = 0, pos = begin;
  int same = 0, visited = 0;
  std::optional<size_t> earliest;  // Earliest continuation of the stream seen.
  uint64_t earliest_index = 0;
  std::string buf;
  while (same < opt.lookback_lines && visited < 8 * opt.lookback_lines) {
    if (!PrevLine(d, pos, &b, &e)) {
      // Reached the chunk start: the stream's carried record, if any. At
      // the start of the source, a record may begin without a header (a
      // traceback printed before any log line): its first line starts it.
      auto it = carry.find(p.stream);
      if (it != carry.end() && it->second.has_record) {
        s = Start{true, false, 0};
      } else if (chunk_seq == 0) {
        s = earliest ? Start{true, true, *earliest, earliest_index}
                     : Start{true, true, begin, index};
      }
      break;
    }
    if (begin - b > opt.lookback_bytes) break;  // Beyond the look-back.
    pos = b;
    ++visited;
    if (memo_valid && b <= memo.pos) {
      if (b == memo.pos) {
        s = memo.start;
        break;
      }
    }
    Peeled q = PeelAt(d.substr(b, e - b), &buf);
    if (q.stream != p.stream) continue;
    ++same;
    if (KindOf(d, b, q) != LineKind::kContinuation) {
      s = Start{true, true, b, index - static_cast<uint64_t>(visited)};
      break;
    }
    earliest = b;
    earliest_index = index - static_cast<uint64_t>(visited);
  }
  // Memos only move forward: a search for an earlier line (a record's
  // start) must not make later searches walk again.
  if (memo.seq != chunk_seq || memo.pos < begin) memo = Memo{chunk_seq, begin, s};
  return s;
}

void Decoder::Impl::DecodeOwn(std::string_view d, size_t begin, size_t end, LogRecord* out) {
  std::string buf;
  std::string_view line = Clean(d.substr(begin, end - begin), chunk_clean, &buf);
  Peeled p;
  Peel(line, &p);
  DecodePeeled(line, p, zone, out);
  if (ParsedTime t = BodyTime(p); t.length > 0) Observe(p, t, ToUtc(t));
  if (out->time_quality == TimeQuality::kNone && p.wrapper.kind != WallKind::kNone) {
    EnsureClock(d, begin, p);
    out->time_quality = ResolveWall(p.wrapper, CompletionFor(p.clock), &out->time_us);
  }
}

void Decoder::Impl::FindTrailingLogger(std::string_view d, size_t begin, uint64_t stream,
                                       LogRecord* out, bool from_line_start) {
  std::string buf;
  size_t b = begin;
  if (!from_line_start) {
    size_t nl = d.find('\n', begin);
    if (nl == std::string_view::npos) return;
    b = nl + 1;
  }
  for (int n = 0; n < 64 && b < d.size(); ++n) {
    size_t e = d.find('\n', b);
    if (e == std::string_view::npos) e = d.size();
    Peeled q = PeelAt(d.substr(b, e - b), &buf);
    b = e + 1;
    if (q.stream != stream) continue;
    if (Classify(q) != LineKind::kContinuation) return;
    if (TrailingLogger(q.body, out)) return;
  }
}
// ---------------------------------------------------------------------------
// Decoder.

Decoder::Decoder(SourceContext context, const DecoderOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->ctx = std::move(context);
  impl_->opt = options;
  if (impl_->opt.lookback_lines < 1) impl_->opt.lookback_lines = 1;
  impl_->zone = options.zone.get();
  impl_->path_identity = IdentityFromPath(impl_->ctx.name);
  impl_->year_hint = impl_->ctx.mtime > 0 ? impl_->ctx.mtime : NowSeconds();
}

Decoder::~Decoder() = default;

void Decoder::Decode(const Chunk& chunk, size_t begin, size_t end, uint64_t index, LogRecord* out) {
  ETIOLOG_DCHECK(begin <= end && end <= chunk.data.size(), "the line lies inside its chunk");
  ETIOLOG_DCHECK(index < chunk.lines, "the line index is one of the chunk's");
  Impl& m = *impl_;
  m.chunk_clean = chunk.clean;
  *out = LogRecord();
  std::string_view d = chunk.data;
  m.DecodeOwn(d, begin, end, out);
  out->offset = chunk.LineOffset(index, begin);
  out->line = chunk.LineNumber(index);
  out->record_line = out->line;

  std::string buf;
  Peeled p = m.PeelAt(d.substr(begin, end - begin), &buf);
  Impl::Start start = m.FindStart(d, begin, index, p);
  const bool own_start = start.found && start.in_chunk && start.pos == begin;
  LogRecord head;
  bool have_head = false;
  if (start.found && !own_start) {
    if (start.in_chunk) {
      size_t se = d.find('\n', start.pos);
      if (se == std::string_view::npos) se = d.size();
      m.DecodeOwn(d, start.pos, se, &head);
      head.line = chunk.LineNumber(start.index);
      if (head.time_quality == TimeQuality::kNone) {
        int64_t us = 0;
        TimeQuality q = TimeQuality::kNone;
        if (m.InheritTime(d, start.pos, p.stream, p.kubectl, &us, &q)) {
          head.time_us = us;
          head.time_quality = TimeQuality::kInherited;
        }
      }
    } else {
      head = m.carry[p.stream].record;
    }
    have_head = true;
    if (head.logger.empty() && head.format == "structlog") {
      m.FindTrailingLogger(d, start.in_chunk ? start.pos : 0, p.stream, &head, !start.in_chunk);
    }
  } else if (out->logger.empty() && out->format == "structlog") {
    m.FindTrailingLogger(d, begin, p.stream, out);
  }
  if (have_head) {
    out->continuation = true;
    out->record_line = head.line;
    out->level = head.level;
    out->logger = head.logger;
    if (out->format == "bare") out->format = head.format;
    if (out->process.host.empty()) out->process.host = head.process.host;
    if (out->process.component.empty()) out->process.component = head.process.component;
    if (out->process.pid == 0) out->process.pid = head.process.pid;
    if (out->time_quality == TimeQuality::kNone && head.time_quality != TimeQuality::kNone) {
      out->time_us = head.time_us;
      out->time_quality =
          head.time_quality == TimeQuality::kExact || head.time_quality == TimeQuality::kAssumedZone
              ? TimeQuality::kInherited
              : head.time_quality;
    }
  }
  if (out->time_quality == TimeQuality::kNone) {
    int64_t us = 0;
    TimeQuality q = TimeQuality::kNone;
    if (m.InheritTime(d, begin, p.stream, p.kubectl, &us, &q)) {
      out->time_us = us;
      out->time_quality = TimeQuality::kInherited;
    }
  }
  // Identity: the line, then the path; the user's labels override both.
  ProcessIdentity& id = out->process;
  if (id.component.empty()) id.component = m.path_identity.component;
  if (id.host.empty()) id.host = m.path_identity.host;
  if (!m.ctx.labels.component.empty()) id.component = m.ctx.labels.component;
  if (!m.ctx.labels.host.empty()) id.host = m.ctx.labels.host;
  if (m.ctx.labels.pid != 0) id.pid = m.ctx.labels.pid;

  if (out->time_quality != TimeQuality::kNone) {
    if (first_time_us_ == 0 || out->time_us < first_time_us_) first_time_us_ = out->time_us;
    if (out->time_us > last_time_us_) last_time_us_ = out->time_us;
  }
}

void Decoder::EndChunk(const Chunk& chunk) {
  Impl& m = *impl_;
  m.chunk_clean = chunk.clean;
  std::string_view d = chunk.data;
  std::string buf;  // Holds the cleaned text of the line being looked at.
  // One walk back from the end serves every stream. Streams met in the last
  // lookback_lines lines get a carry: their last own time in that window
  // (else the one they carried in) and their open record, whose start is
  // searched as FindStart would search it from the stream's last line (at
  // most lookback_lines lines of the stream, 8 * lookback_lines lines and
  // lookback_bytes bytes in all), all searches advancing together over
  // lines peeled once. Streams not met in the window lose their carry
  // rather than keep a stale one.
  struct Search {
    Impl::Carry carry;
    uint64_t latest_n = 0;      // Distance of the stream's last line from the end,
    size_t latest_begin = 0;    // its position
    uint64_t latest_index = 0;  // and its index.
    bool resolved = false;
    Impl::Start start;
    int same = 0;                    // Lines of the stream walked so far.
    bool memo_valid = false;         // start_memo[stream] lies before the last line.
    std::optional<size_t> earliest;  // Earliest line of the stream walked.
    uint64_t earliest_index = 0;
    bool time_done = false;
    Impl::RawTime time;  // The stream's last own time in the window.
  };
  Impl::RawTime global;  // The last own time of any stream in the window.
  std::unordered_map<uint64_t, Search> streams;
  size_t unresolved = 0;
  const int window = m.opt.lookback_lines;
  const uint64_t max_visit = 8 * static_cast<uint64_t>(window);
  bool global_done = false;
  size_t end = d.size();
  if (end > 0 && d[end - 1] == '\n') --end;
  for (uint64_t n = 0; end <= d.size(); ++n) {
    const bool in_window = n < static_cast<uint64_t>(window);
    if (!in_window && unresolved == 0) break;
    const void* nl = end == 0 ? nullptr : memrchr(d.data(), '\n', end);
    const size_t begin =
        nl == nullptr ? 0 : static_cast<size_t>(static_cast<const char*>(nl) - d.data()) + 1;
    const uint64_t index = chunk.lines > n ? chunk.lines - 1 - n : 0;
    if (unresolved > 0) {
      // Searches whose look-back ends before this line found nothing.
      for (auto& [id, s] : streams) {
        if (!s.resolved && s.latest_begin - begin > m.opt.lookback_bytes) {
          s.resolved = true;
          --unresolved;
        }
      }
      if (!in_window && unresolved == 0) break;
    }
    Peeled p = m.PeelAt(d.substr(begin, end - begin), &buf);
    const uint64_t stream = p.stream;
    auto it = streams.find(stream);
    if (it == streams.end() && in_window) {
      it = streams.try_emplace(stream).first;
      Search& s = it->second;
      s.latest_n = n;
      s.latest_begin = begin;
      s.latest_index = index;
      auto old = m.carry.find(stream);
      if (old != m.carry.end()) {
        s.carry.time_us = old->second.time_us;
        s.carry.time_quality = old->second.time_quality;
      }
      const Impl::Memo& memo = m.start_memo[stream];
      s.memo_valid = memo.seq == m.chunk_seq && memo.pos < begin;
      if (m.KindOf(d, begin, p) != LineKind::kContinuation) {
        s.resolved = true;
        s.start = Impl::Start{true, true, begin, index};
      } else {
        ++unresolved;
      }
    } else if (it != streams.end() && !it->second.resolved) {
      Search& s = it->second;
      const Impl::Memo& memo = m.start_memo[stream];
      if (s.memo_valid && begin == memo.pos) {
        s.start = memo.start;
        s.resolved = true;
      } else {
        ++s.same;
        if (m.KindOf(d, begin, p) != LineKind::kContinuation) {
          s.start = Impl::Start{true, true, begin, index};
          s.resolved = true;
        } else {
          s.earliest = begin;
          s.earliest_index = index;
        }
      }
      if (s.resolved) --unresolved;
    }
    if (in_window) {
      Search& s = it->second;
      if (!global_done || !s.time_done) {
        Impl::RawTime t = m.OwnRaw(p);
        if (t.found) {
          if (!global_done) {
            global = t;
            global_done = true;
          }
          if (!s.time_done) {
            s.time_done = true;
            s.time = t;
          }
        }
      }
    }
    // Searches that reached their bounds found nothing.
    if (unresolved > 0) {
      for (auto& [id, s] : streams) {
        if (!s.resolved && (s.same >= window || n - s.latest_n >= max_visit)) {
          s.resolved = true;
          --unresolved;
        }
      }
    }
    if (begin == 0) break;
    end = begin - 1;
  }
  // Wrapper times are resolved now that the walk has learned from the lines
  // before them. First timed line (for first_time_us), searching a bounded
  // prefix.
  if (first_time_us_ == 0) {
    size_t pos = 0;
    for (int n = 0; n < m.opt.lookback_lines && pos < d.size(); ++n) {
      size_t e = d.find('\n', pos);
      if (e == std::string_view::npos) e = d.size();
      int64_t us = 0;
      TimeQuality q = TimeQuality::kNone;
      if (m.OwnTime(m.PeelAt(d.substr(pos, e - pos), &buf), &us, &q)) {
        first_time_us_ = us;
        break;
      }
      pos = e + 1;
    }
  }
  if (global.found) {
    m.Resolve(&global);
    m.global_time_us = global.us;
    m.global_quality = global.quality;
    m.have_global_time = true;
    if (global.us > last_time_us_) last_time_us_ = global.us;
    if (first_time_us_ == 0 || global.us < first_time_us_) first_time_us_ = global.us;
  }
  // Searches that reached the chunk start: the stream's carried record, if
  // any; at the start of the source, a record may begin without a header.
  std::unordered_map<uint64_t, Impl::Carry> next;
  for (auto& [stream, s] : streams) {
    if (s.time.found) {
      m.Resolve(&s.time);
      s.carry.time_us = s.time.us;
      s.carry.time_quality = s.time.quality;
    }
    if (!s.resolved) {
      auto it = m.carry.find(stream);
      if (it != m.carry.end() && it->second.has_record) {
        s.start = Impl::Start{true, false, 0, 0};
      } else if (m.chunk_seq == 0) {
        s.start = s.earliest ? Impl::Start{true, true, *s.earliest, s.earliest_index}
                             : Impl::Start{true, true, s.latest_begin, s.latest_index};
      }
    }
    Impl::Carry& c = s.carry;
    if (s.start.found && s.start.in_chunk) {
      size_t se = d.find('\n', s.start.pos);
      if (se == std::string_view::npos) se = d.size();
      m.DecodeOwn(d, s.start.pos, se, &c.record);
      c.record.line = chunk.LineNumber(s.start.index);
      c.has_record = true;
    } else if (s.start.found) {
      c.record = m.carry[stream].record;
      c.has_record = true;
    }
    next.emplace(stream, std::move(c));
  }
  m.carry = std::move(next);
  if (m.carry.size() > 4096) m.carry.clear();
  // Memos hold positions in this chunk: none is valid in the next one.
  m.start_memo.clear();
  m.time_memo.clear();
  m.any_time_memo = Impl::TimeMemo();
  ++m.chunk_seq;
}

}  // namespace etiolog::ingest
