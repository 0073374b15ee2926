// SPDX-License-Identifier: Apache-2.0
//
// Workers take inputs in order from a shared counter. For each source of an
// input a worker sends the writer a Begin message, Batches (the events of a
// run of chunks, bounded in events, event bytes and input bytes, plus the
// checkpoint after them) and an End message with the source's facts.
// Messages go to the input's slot; the writer drains slot 0, then slot 1,
// ..., so commits happen in input order. A worker waits until its message
// fits in max_buffered_bytes of events beside those queued in its slot (the
// writer is draining it, or will), and, if the writer has not reached its
// slot yet, beside those of all such slots together; a message goes through
// when what it waits for is empty, and the writer always drains the slot it
// is at, so the run always progresses and memory stays bounded. Counters and messages for the
// run summary are kept per input and merged in input order too.

#include "analyzer/pipeline/pipeline.h"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "ingest/check.h"
#include "ingest/dump_time.h"
#include "ingest/framing.h"
#include "ingest/input.h"
#include "ingest/path_identity.h"
#include "ingest/text.h"

namespace etiolog::analyzer {

namespace {

constexpr int kMaxWarningsPerSource = 3;
// A batch is sent once it holds this many events, or this many bytes of
// events (EventBytes), or covers this many bytes of input, whichever comes
// first. Fewer, larger batches make fewer store transactions; the event
// bound keeps a batch small beside IngestOptions::max_buffered_bytes.
constexpr size_t kBatchEvents = 1024;
constexpr size_t kBatchEventBytes = size_t{256} << 10;
constexpr uint64_t kBatchBytes = uint64_t{64} << 20;

void ApplyField(const std::string& key, const std::string& value, db::Event* ev) {
  ProcessIdentity& p = ev->record.process;
  if (key == "component") {
    p.component = value;
  } else if (key == "host") {
    p.host = value;
  } else if (key == "pid") {
    int64_t pid = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), pid);
    if (ec == std::errc() && ptr == value.data() + value.size()) p.pid = pid;
  } else if (key == "surface") {
    ev->surface = value;
  }
}

// Approximate heap and inline bytes of an event (a map entry costs its two
// strings plus a tree node of about 32 bytes).
size_t EventBytes(const db::Event& e) {
  constexpr size_t kEntry = 2 * sizeof(std::string) + 32;
  const LogRecord& r = e.record;
  size_t n = sizeof(db::Event) + r.text.capacity() + r.message.capacity() + r.logger.capacity() +
             r.format.capacity() + r.process.host.capacity() + r.process.component.capacity() +
             e.kind.capacity() + e.rule.capacity() + e.surface.capacity() + e.severity.capacity();
  for (const auto& [k, v] : r.fields) n += kEntry + k.capacity() + v.capacity();
  for (const auto& [k, v] : e.captures) n += kEntry + k.capacity() + v.capacity();
  return n;
}

struct Message {
  enum class Kind { kBegin, kBatch, kEnd } kind = Kind::kBatch;
  std::string name;  // kBegin
  std::vector<db::Event> events;
  size_t event_bytes = 0;  // EventBytes of events.
  uint64_t checkpoint_offset = 0, checkpoint_line = 0;
  int64_t first_us = 0, last_us = 0;  // kEnd
  int64_t modified_us = 0;            // kEnd: the source's mtime, 0 if unknown.
  uint64_t capped = 0, bad = 0;       // kEnd
};

using EmitFn = std::function<Status(Message&&)>;

void AddCounts(const IngestStats& from, IngestStats* to) {
  to->sources += from.sources;
  to->bytes += from.bytes;
  to->lines += from.lines;
  to->candidates += from.candidates;
  to->events += from.events;
  to->capped_lines += from.capped_lines;
  to->bad_records += from.bad_records;
  to->errors.insert(to->errors.end(), from.errors.begin(), from.errors.end());
  to->warnings.insert(to->warnings.end(), from.warnings.begin(), from.warnings.end());
}

std::string Where(uint64_t line, uint64_t offset) {
  return "line " + std::to_string(line) + " (byte offset " + std::to_string(offset) + ")";
}

// One failure, one event of each kind. A traceback shows a failure in its
// frames and in its last line, each matched by a rule; counted separately
// they would make one refused token look like two or three (in a paste
// without times the timeline cannot tell them apart by their moment). So a
// record (a line and its continuation lines) gives at most one event of
// each kind: the first line's (several rules of one line all stay). The
// decision depends only on the record, never on where chunks or batches
// end, so a growing file read in pieces gives the same events. Records
// that began with a bare line (no time, no level) do not count: in a paste
// of bare lines the decoder cannot tell where one record ends, and each
// line may be a failure of its own. Records of interleaved streams
// alternate, so a few recent ones are remembered.
class RecordKinds {
 public:
  // True if no line of record record_line other than line gave kind yet;
  // remembers that line gave it.
  bool FirstOfRecord(uint64_t record_line, uint64_t line, std::string_view kind) {
    for (const Seen& s : seen_) {
      if (s.record_line == record_line && s.kind == kind) return s.line == line;
    }
    if (seen_.size() >= kRemembered) seen_.erase(seen_.begin());
    seen_.push_back({record_line, line, std::string(kind)});
    return true;
  }

 private:
  static constexpr size_t kRemembered = 32;
  struct Seen {
    uint64_t record_line;
    uint64_t line;
    std::string kind;
  };
  std::vector<Seen> seen_;
};

// Reads one source through the chain, emitting its messages: Begin, then
// Pump() (again and again for a source that grows), then Finish. Pump()
// returns non-OK only if emit does (the store failed).
class SourceReading {
 public:
  // reader (options.reader, or a copy saying where a followed file
  // resumes) is used by the constructor only; the rest must outlive this.
  SourceReading(const rules::Matcher& matcher, const IngestOptions& options,
                const ingest::LineReader::Options& reader, rules::Matcher::Scratch* scratch,
                ingest::Source* src, const ProcessIdentity& labels)
      : matcher_(matcher),
        options_(options),
        scratch_(scratch),
        src_(src),
        name_(src->name()),
        reader_(ingest::NewFramingReader(src, reader)),
        decoder_(ingest::SourceContext{name_, labels, src->mtime()}, options.decoder),
        last_line_(reader.first_line - 1),
        last_offset_(reader.first_offset) {}

  Status Begin(const EmitFn& emit) {
    Message begin;
    begin.kind = Message::Kind::kBegin;
    begin.name = name_;
    return emit(std::move(begin));
  }

  // Reads chunks until the reader hands out an empty one (end of input, or
  // nothing more for now) or fails, and sends what was read.
  Status Pump(IngestStats* stats, const EmitFn& emit);

  // Sends the source's facts so far (time span; capped and bad lines not
  // sent before): a followed source does so after each Pump(), so that a
  // diagnosis sees them.
  Status SendFacts(const EmitFn& emit);

  // Counts and summarises the source's warnings and sends its facts.
  Status Finish(IngestStats* stats, const EmitFn& emit);

  bool ended() const { return ended_; }
  uint64_t next_offset() const { return last_offset_; }
  uint64_t next_line() const { return last_line_ + 1; }

 private:
  void Warn(IngestStats* stats, std::string msg) {
    if (warned_++ < kMaxWarningsPerSource) {
      stats->warnings.push_back(name_ + ": " + std::move(msg));
    }
  }

  // Events of the chunks read since the last batch was sent, with the
  // checkpoint after them. One batch is one store transaction: sending one
  // per chunk cost more than scanning the chunk.
  Status Send(const EmitFn& emit) {
    if (!pending_) return Status::OK();
    batch_.kind = Message::Kind::kBatch;
    Status st = emit(std::move(batch_));
    batch_ = Message();
    pending_ = false;
    pending_bytes_ = 0;
    return st;
  }

  const rules::Matcher& matcher_;
  const IngestOptions& options_;
  rules::Matcher::Scratch* scratch_;
  ingest::Source* src_;
  std::string name_;
  std::unique_ptr<ingest::ChunkReader> reader_;
  ingest::Decoder decoder_;
  LogRecord record_;
  std::vector<rules::Match> matches_;
  RecordKinds record_kinds_;
  rules::Match with_context_;
  // Captures that rules with `sets_context` left for the later lines of
  // this source (redacted).
  std::map<std::string, std::string, std::less<>> context_;
  uint64_t bad_ = 0, capped_ = 0, warned_ = 0;
  uint64_t sent_bad_ = 0, sent_capped_ = 0;  // Sent by SendFacts().
  uint64_t last_line_ = 0, last_offset_ = 0;
  Message batch_;
  bool pending_ = false;
  uint64_t pending_bytes_ = 0;
  bool ended_ = false;
};

Status SourceReading::Pump(IngestStats* stats, const EmitFn& emit) {
  while (!ended_) {
    Result<ingest::Chunk> next = reader_->Next();
    if (!next.ok()) {
      stats->errors.push_back(next.status().message() + "; reading stopped after " +
                              Where(last_line_, last_offset_));
      ended_ = true;
      break;
    }
    ingest::Chunk& chunk = *next;
    if (chunk.data.empty()) {
      // A source that may grow has nothing more for now, unless it ended.
      if (src_->drained() == ingest::Drained::kEnd) {
        ++stats->sources;
        ended_ = true;
      }
      break;
    }
    size_t events_before = batch_.events.size();
    size_t event_bytes_before = batch_.event_bytes;
    Status sent;  // The first failure of a send made inside the scan.
    // LineReader checked plain chunks as it read them; others are checked
    // here.
    ingest::BadBytes bb;
    if (!chunk.clean) {
      bb = ingest::CheckChunk(chunk.data);
      chunk.clean = bb.lines() == 0;
    }
    if (bb.lines() > 0) {
      bad_ += bb.lines();
      const size_t line_begin =
          chunk.data.rfind('\n', bb.first_pos == 0 ? 0 : bb.first_pos - 1) == std::string_view::npos
              ? 0
              : chunk.data.rfind('\n', bb.first_pos == 0 ? 0 : bb.first_pos - 1) + 1;
      const uint64_t k = bb.first_line_index;
      const uint64_t at = chunk.LineOffset(k, line_begin) + (bb.first_pos - line_begin);
      Warn(stats, Where(chunk.LineNumber(k), at) + ": " + bb.first_what +
                      (bb.first_what == std::string_view("NUL byte") ? " (removed)"
                                                                     : " (shown as U+FFFD)"));
    }
    if (chunk.capped) {
      ++capped_;
      Warn(stats, Where(chunk.LineNumber(0), chunk.offset) + ": line longer than " +
                      std::to_string(options_.reader.chunk_size) +
                      " bytes; only its start was read");
    }
    uint64_t index = 0;
    size_t counted_to = 0;
    Status scan = matcher_.Scan(
        chunk.data, scratch_, [&](size_t begin, size_t end, const std::vector<int>& atoms) {
          ++stats->candidates;
          // Count on from the previous candidate, or from the nearest line
          // mark if that is closer.
          if (chunk.line_marks != nullptr &&
              begin / ingest::kLineMarkBytes > counted_to / ingest::kLineMarkBytes) {
            counted_to = begin / ingest::kLineMarkBytes * ingest::kLineMarkBytes;
            index = chunk.line_marks[begin / ingest::kLineMarkBytes];
          }
          index += ingest::CountNewlines(chunk.data.substr(counted_to, begin - counted_to));
          counted_to = begin;
          decoder_.Decode(chunk, begin, end, index, &record_);
          matches_.clear();
          matcher_.MatchRecord(record_, atoms, &matches_);
          if (matches_.empty()) return;
          matcher_.Redact(&record_.text);
          matcher_.Redact(&record_.message);
          for (const rules::Match& m : matches_) {
            const rules::Rule& rule = matcher_.rules()[m.rule];
            if (record_.format != "bare" &&
                !record_kinds_.FirstOfRecord(record_.record_line, record_.line, rule.kind)) {
              continue;
            }
            const rules::Match* match = &m;
            if (!rule.uses_context.empty()) {
              with_context_ = m;
              for (const std::string& name : rule.uses_context) {
                auto it = context_.find(name);
                if (it == context_.end()) continue;
                auto has = [&](const auto& kv) { return kv.first == name; };
                if (std::none_of(m.captures.begin(), m.captures.end(), has)) {
                  with_context_.captures.emplace_back(name, it->second);
                }
              }
              match = &with_context_;
            }
            db::Event ev = MakeEvent(rule, *match, record_, options_.decoder.zone.get());
            for (auto& kv : ev.captures) matcher_.Redact(&kv.second);
            batch_.event_bytes += EventBytes(ev);
            batch_.events.push_back(std::move(ev));
          }
          // A storm of matching lines fills a batch inside one chunk: send it
          // now, so memory stays bounded in events however dense they are.
          // The checkpoint stays where the previous chunk ended: a replay of
          // this chunk stores nothing twice.
          if (batch_.events.size() >= kBatchEvents || batch_.event_bytes >= kBatchEventBytes) {
            stats->events += batch_.events.size() - events_before;
            batch_.checkpoint_offset = last_offset_;
            batch_.checkpoint_line = last_line_;
            pending_ = true;
            if (Status st = Send(emit); !st.ok() && sent.ok()) sent = st;
            events_before = 0;
            event_bytes_before = 0;
          }
          // The line's own events are made; now it sets the context of the
          // lines after it.
          for (const rules::Match& m : matches_) {
            for (const std::string& name : matcher_.rules()[m.rule].sets_context) {
              auto it = std::find_if(m.captures.begin(), m.captures.end(),
                                     [&](const auto& kv) { return kv.first == name; });
              if (it == m.captures.end()) {
                context_.erase(name);
              } else {
                std::string value = it->second;
                matcher_.Redact(&value);
                context_[name] = std::move(value);
              }
            }
          }
        });
    ETIOLOG_RETURN_IF_ERROR(sent);
    if (!scan.ok()) {
      stats->errors.push_back(name_ + ": " + scan.message());
      batch_.events.resize(events_before);  // The chunk was not read completely.
      batch_.event_bytes = event_bytes_before;
      ended_ = true;
      break;
    }
    decoder_.EndChunk(chunk);
    stats->bytes += chunk.source_bytes;
    stats->lines += chunk.source_lines;
    stats->events += batch_.events.size() - events_before;
    ETIOLOG_DCHECK(chunk.next_offset >= last_offset_, "the checkpoint only moves forward");
    last_line_ = chunk.next_line - 1;
    last_offset_ = chunk.next_offset;
    batch_.checkpoint_offset = chunk.next_offset;
    batch_.checkpoint_line = chunk.next_line - 1;
    pending_ = true;
    pending_bytes_ += chunk.source_bytes;
    if (batch_.events.size() >= kBatchEvents || batch_.event_bytes >= kBatchEventBytes ||
        pending_bytes_ >= kBatchBytes) {
      ETIOLOG_RETURN_IF_ERROR(Send(emit));
    }
  }
  return Send(emit);
}

Status SourceReading::SendFacts(const EmitFn& emit) {
  ETIOLOG_RETURN_IF_ERROR(Send(emit));
  const uint64_t capped = std::max(capped_, reader_->capped_lines());
  Message end;
  end.kind = Message::Kind::kEnd;
  end.first_us = decoder_.first_time_us();
  end.last_us = decoder_.last_time_us();
  end.modified_us = src_->mtime() > 0 ? src_->mtime() * 1000000 : 0;
  // The store adds the counts: send what was not sent yet.
  end.capped = capped - sent_capped_;
  end.bad = bad_ - sent_bad_;
  sent_capped_ = capped;
  sent_bad_ = bad_;
  return emit(std::move(end));
}

Status SourceReading::Finish(IngestStats* stats, const EmitFn& emit) {
  ETIOLOG_RETURN_IF_ERROR(Send(emit));
  const uint64_t capped = std::max(capped_, reader_->capped_lines());
  if (bad_ > 0) {
    Warn(stats, std::to_string(bad_) + " line(s) with NUL bytes or invalid UTF-8 in total");
  }
  if (warned_ > static_cast<uint64_t>(kMaxWarningsPerSource)) {
    stats->warnings.push_back(name_ + ": " + std::to_string(warned_ - kMaxWarningsPerSource) +
                              " more warning(s) not shown");
  }
  stats->capped_lines += capped;
  stats->bad_records += bad_;
  return SendFacts(emit);
}

// Reads one source to its end, emitting its messages. Returns non-OK only if
// emit does (the store failed).
Status ReadSource(const rules::Matcher& matcher, const IngestOptions& options,
                  rules::Matcher::Scratch* scratch, ingest::Source* src,
                  const ProcessIdentity& labels, IngestStats* stats, const EmitFn& emit) {
  SourceReading reading(matcher, options, options.reader, scratch, src, labels);
  ETIOLOG_RETURN_IF_ERROR(reading.Begin(emit));
  ETIOLOG_RETURN_IF_ERROR(reading.Pump(stats, emit));
  return reading.Finish(stats, emit);
}

// Reads every stream of one input.
Status ReadInput(const rules::Matcher& matcher, const IngestOptions& options,
                 rules::Matcher::Scratch* scratch, const ingest::InputSpec& spec,
                 IngestStats* stats, const EmitFn& emit) {
  Result<std::unique_ptr<ingest::Input>> input = ingest::Input::Open(spec.path);
  if (!input.ok()) {
    stats->errors.push_back(input.status().message());
    return Status::OK();
  }
  for (;;) {
    Result<std::unique_ptr<ingest::Source>> src = (*input)->Next();
    if (!src.ok()) {
      stats->errors.push_back(src.status().message());
      return Status::OK();
    }
    if (*src == nullptr) return Status::OK();
    ETIOLOG_RETURN_IF_ERROR(
        ReadSource(matcher, options, scratch, src->get(), spec.labels, stats, emit));
  }
}

// Applies messages to the store, one source at a time.
class Writer {
 public:
  explicit Writer(db::Store* store) : store_(store) {}

  Status Apply(Message&& m) {
    switch (m.kind) {
      case Message::Kind::kBegin: {
        Result<db::SourceInfo> info = store_->AddSource(m.name);
        if (!info.ok()) return info.status();
        source_id_ = info->id;
        name_ = m.name;
        return Status::OK();
      }
      case Message::Kind::kBatch: {
        Status st =
            store_->AppendEvents(source_id_, m.events, m.checkpoint_offset, m.checkpoint_line);
        return st.Annotate("storing " + name_);
      }
      case Message::Kind::kEnd:
        return store_
            ->UpdateSourceStats(source_id_, m.first_us, m.last_us, m.capped, m.bad, m.modified_us)
            .Annotate("storing " + name_);
    }
    return Status::OK();
  }

 private:
  db::Store* store_;
  int64_t source_id_ = 0;
  std::string name_;
};

}  // namespace

db::Event MakeEvent(const rules::Rule& rule, const rules::Match& match, const LogRecord& record,
                    const TimeZone* zone) {
  db::Event ev;
  ev.record = record;
  ev.kind = rule.kind;
  ev.rule = rule.id;
  ev.surface = rule.surface;
  ev.severity = rule.severity;
  ev.captures = match.captures;
  auto named = [](const rules::KeyValues& kv, std::string_view name) -> const std::string* {
    for (const auto& [k, v] : kv) {
      if (k == name) return &v;
    }
    return nullptr;
  };
  if ((named(rule.sets, "host") || named(match.captures, "host")) &&
      !named(rule.sets, "component") && !named(match.captures, "component")) {
    // The rule names the process: whatever the line's decoding said about
    // its component was about the file or prefix the line came in.
    ev.record.process.component.clear();
  }
  for (const auto& [k, v] : rule.sets) ApplyField(k, v, &ev);
  for (const auto& [k, v] : match.captures) ApplyField(k, v, &ev);
  if (ev.record.process.component.empty() && !ev.record.process.host.empty()) {
    ev.record.process.component.assign(ingest::InferComponent(ev.record.process.host));
  }
  if (ev.kind.rfind("dump.", 0) == 0) {
    // A state dump states when; the line's own (inherited) time means nothing.
    ev.record.time_us = 0;
    ev.record.time_quality = TimeQuality::kNone;
    auto trimmed = [](std::string_view v) {
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return v;
    };
    if (const std::string* at = named(match.captures, "at")) {
      const std::string_view text = trimmed(*at);
      static const TimeZone kUtc;
      const ParsedTime t = ParseDumpTime(text, zone != nullptr ? *zone : kUtc);
      if (t.length > 0 && t.length == text.size()) {
        ev.record.time_us = t.utc_us;
        ev.record.time_quality = t.has_zone ? TimeQuality::kExact : TimeQuality::kAssumedZone;
      }
    }
    if (const std::string* ago = named(match.captures, "ago")) {
      const std::string_view text = trimmed(*ago);
      const ParsedDuration d = ParseDuration(text);
      if (d.length > 0 && d.length == text.size()) {
        ev.age_us = d.us;
        ev.age_resolution_us = d.resolution_us;
      }
    }
  }
  return ev;
}

Pipeline::Pipeline(const rules::Matcher* matcher, db::Store* store, const IngestOptions& options)
    : matcher_(matcher), store_(store), options_(options) {}

Status Pipeline::Ingest(ingest::Source* src, IngestStats* stats, const ProcessIdentity& labels) {
  rules::Matcher::ScratchPtr scratch = matcher_->NewScratch();
  Writer writer(store_);
  return ReadSource(*matcher_, options_, scratch.get(), src, labels, stats,
                    [&](Message&& m) { return writer.Apply(std::move(m)); });
}

struct Pipeline::Stream::Impl {
  Impl(const rules::Matcher& matcher, const IngestOptions& options,
       const ingest::LineReader::Options& reader, rules::Matcher::Scratch* scratch,
       ingest::Source* src, const ProcessIdentity& labels, db::Store* store)
      : reading(matcher, options, reader, scratch, src, labels),
        writer(store),
        emit([this](Message&& m) { return writer.Apply(std::move(m)); }) {}

  SourceReading reading;
  Writer writer;
  EmitFn emit;
  bool began = false;
  bool finished = false;
};

Pipeline::Stream::Stream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pipeline::Stream::~Stream() = default;

Status Pipeline::Stream::Pump(IngestStats* stats) {
  if (!impl_->began) {
    ETIOLOG_RETURN_IF_ERROR(impl_->reading.Begin(impl_->emit));
    impl_->began = true;
  }
  ETIOLOG_RETURN_IF_ERROR(impl_->reading.Pump(stats, impl_->emit));
  return impl_->reading.SendFacts(impl_->emit);
}

Status Pipeline::Stream::Finish(IngestStats* stats) {
  if (impl_->finished) return Status::OK();
  if (!impl_->began) {
    ETIOLOG_RETURN_IF_ERROR(impl_->reading.Begin(impl_->emit));
    impl_->began = true;
  }
  impl_->finished = true;
  return impl_->reading.Finish(stats, impl_->emit);
}

bool Pipeline::Stream::ended() const { return impl_->reading.ended(); }
uint64_t Pipeline::Stream::next_offset() const { return impl_->reading.next_offset(); }
uint64_t Pipeline::Stream::next_line() const { return impl_->reading.next_line(); }

std::unique_ptr<Pipeline::Stream> Pipeline::Follow(ingest::Source* src,
                                                   const ProcessIdentity& labels,
                                                   uint64_t first_offset, uint64_t first_line) {
  if (follow_scratch_ == nullptr) follow_scratch_ = matcher_->NewScratch();
  ingest::LineReader::Options reader = options_.reader;
  reader.first_offset = first_offset;
  reader.first_line = first_line;
  return std::unique_ptr<Stream>(new Stream(std::make_unique<Stream::Impl>(
      *matcher_, options_, reader, follow_scratch_.get(), src, labels, store_)));
}

Status Pipeline::Run(const std::vector<ingest::InputSpec>& inputs, IngestStats* stats) {
  struct Slot {
    std::deque<Message> queue;
    size_t buffered_bytes = 0;  // event_bytes of the queued messages.
    bool done = false;
    IngestStats stats;
  };
  std::vector<Slot> slots(inputs.size());
  std::mutex mu;
  std::condition_variable cv;
  size_t head = 0;         // The slot the writer drains.
  size_t total_bytes = 0;  // buffered_bytes of all slots.
  size_t next_input = 0;   // The next input a worker takes.
  bool abort = false;

  auto worker = [&]() {
    rules::Matcher::ScratchPtr scratch = matcher_->NewScratch();
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (abort || next_input >= inputs.size()) return;
        i = next_input++;
      }
      Slot& slot = slots[i];
      EmitFn emit = [&](Message&& m) -> Status {
        const size_t bytes = m.event_bytes;
        std::unique_lock<std::mutex> lock(mu);
        // A message is queued if it fits, or if what it would wait for is
        // empty (one message larger than the limit still goes through).
        const size_t limit = options_.max_buffered_bytes;
        auto fits = [&](size_t held) { return held == 0 || held + bytes <= limit; };
        cv.wait(lock, [&] {
          return abort || (fits(slot.buffered_bytes) &&
                           (i == head || fits(total_bytes - slots[head].buffered_bytes)));
        });
        if (abort) return Status::Internal("ingestion aborted");
        slot.buffered_bytes += bytes;
        total_bytes += bytes;
        slot.queue.push_back(std::move(m));
        cv.notify_all();
        return Status::OK();
      };
      // slot.stats is the worker's until done is set.
      (void)ReadInput(*matcher_, options_, scratch.get(), inputs[i], &slot.stats, emit);
      std::lock_guard<std::mutex> lock(mu);
      slot.done = true;
      cv.notify_all();
    }
  };

  int jobs = options_.jobs > 0
                 ? options_.jobs
                 : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  jobs = static_cast<int>(
      std::min<size_t>(static_cast<size_t>(jobs), std::max<size_t>(inputs.size(), 1)));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(jobs));
  for (int t = 0; t < jobs; ++t) threads.emplace_back(worker);

  Writer writer(store_);
  Status failure;
  for (; head < inputs.size() && failure.ok();) {
    Slot& slot = slots[head];
    Message m;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return !slot.queue.empty() || slot.done; });
      if (slot.queue.empty()) {
        AddCounts(slot.stats, stats);
        slot.stats = IngestStats();
        ++head;
        cv.notify_all();
        continue;
      }
      m = std::move(slot.queue.front());
      slot.queue.pop_front();
      slot.buffered_bytes -= m.event_bytes;
      total_bytes -= m.event_bytes;
      cv.notify_all();
    }
    failure = writer.Apply(std::move(m));
  }
  if (!failure.ok()) {
    std::lock_guard<std::mutex> lock(mu);
    abort = true;
    cv.notify_all();
  }
  for (std::thread& t : threads) t.join();
  return failure;
}

}  // namespace etiolog::analyzer
