// SPDX-License-Identifier: Apache-2.0
//
// Workers take inputs in order from a shared counter. For each source of an
// input a worker sends the writer a Begin message, Batches (the events of a
// run of chunks, at most kBatchEvents events or kBatchBytes of input, plus
// the checkpoint after them) and an End message with the source's facts.
// Messages go to the input's slot; the writer drains slot 0, then slot 1,
// ..., so commits happen in input order. A worker waits while its slot
// holds more than max_buffered_bytes of events (the writer is draining it,
// or will), and, if the writer has not reached its slot yet, while all such
// slots together do; the writer always drains the slot it is at, so the run
// always progresses and memory stays bounded. Counters and messages for the
// run summary are kept per input and merged in input order too.

#include "analyzer/pipeline.h"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "ingest/framing.h"
#include "ingest/input.h"
#include "ingest/text.h"

namespace etiolog::analyzer {

namespace {

constexpr int kMaxWarningsPerSource = 3;
// A batch is sent once it holds this many events or covers this many bytes
// of input, whichever comes first.
constexpr size_t kBatchEvents = 1024;
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

// Approximate heap and inline bytes of an event.
size_t EventBytes(const db::Event& e) {
  const LogRecord& r = e.record;
  size_t n = sizeof(db::Event) + r.text.capacity() + r.message.capacity() + r.logger.capacity() +
             r.format.capacity() + r.process.host.capacity() + r.process.component.capacity() +
             e.kind.capacity() + e.rule.capacity() + e.surface.capacity() + e.severity.capacity();
  for (const auto& [k, v] : r.fields) n += 2 * sizeof(std::string) + k.capacity() + v.capacity();
  for (const auto& [k, v] : e.captures) n += 2 * sizeof(std::string) + k.capacity() + v.capacity();
  return n;
}

struct Message {
  enum class Kind { kBegin, kBatch, kEnd } kind = Kind::kBatch;
  std::string name;  // kBegin
  std::vector<db::Event> events;
  uint64_t checkpoint_offset = 0, checkpoint_line = 0;
  int64_t first_us = 0, last_us = 0;  // kEnd
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

// Reads one source to its end, emitting its messages. Returns non-OK only if
// emit does (the store failed).
Status ReadSource(const rules::Matcher& matcher, const IngestOptions& options,
                  rules::Matcher::Scratch* scratch, ingest::Source* src,
                  const ProcessIdentity& labels, IngestStats* stats, const EmitFn& emit) {
  const std::string& name = src->name();
  {
    Message begin;
    begin.kind = Message::Kind::kBegin;
    begin.name = name;
    ETIOLOG_RETURN_IF_ERROR(emit(std::move(begin)));
  }
  std::unique_ptr<ingest::ChunkReader> reader = ingest::NewFramingReader(src, options.reader);
  ingest::Decoder decoder(ingest::SourceContext{name, labels, src->mtime()}, options.decoder);
  LogRecord record;
  std::vector<rules::Match> matches;
  uint64_t bad = 0, capped = 0, warned = 0;
  uint64_t last_line = 0, last_offset = 0;
  auto warn = [&](std::string msg) {
    if (warned++ < kMaxWarningsPerSource) stats->warnings.push_back(name + ": " + std::move(msg));
  };
  // Events of the chunks read since the last batch was sent, with the
  // checkpoint after them. One batch is one store transaction: sending one
  // per chunk cost more than scanning the chunk.
  Message batch;
  bool pending = false;
  uint64_t pending_bytes = 0;
  auto send = [&]() -> Status {
    if (!pending) return Status::OK();
    batch.kind = Message::Kind::kBatch;
    Status st = emit(std::move(batch));
    batch = Message();
    pending = false;
    pending_bytes = 0;
    return st;
  };
  for (;;) {
    Result<ingest::Chunk> next = reader->Next();
    if (!next.ok()) {
      stats->errors.push_back(next.status().message() + "; reading stopped after " +
                              Where(last_line, last_offset));
      break;
    }
    ingest::Chunk& chunk = *next;
    if (chunk.data.empty()) {
      ++stats->sources;
      break;
    }
    const size_t events_before = batch.events.size();
    // LineReader checked plain chunks as it read them; others are checked
    // here.
    ingest::BadBytes bb;
    if (!chunk.clean) {
      bb = ingest::CheckChunk(chunk.data);
      chunk.clean = bb.lines() == 0;
    }
    if (bb.lines() > 0) {
      bad += bb.lines();
      const size_t line_begin =
          chunk.data.rfind('\n', bb.first_pos == 0 ? 0 : bb.first_pos - 1) == std::string_view::npos
              ? 0
              : chunk.data.rfind('\n', bb.first_pos == 0 ? 0 : bb.first_pos - 1) + 1;
      const uint64_t k = bb.first_line_index;
      const uint64_t at = chunk.LineOffset(k, line_begin) + (bb.first_pos - line_begin);
      warn(Where(chunk.LineNumber(k), at) + ": " + bb.first_what +
           (bb.first_what == std::string_view("NUL byte") ? " (removed)" : " (shown as U+FFFD)"));
    }
    if (chunk.capped) {
      ++capped;
      warn(Where(chunk.LineNumber(0), chunk.offset) + ": line longer than " +
           std::to_string(options.reader.chunk_size) + " bytes; only its start was read");
    }
    uint64_t index = 0;
    size_t counted_to = 0;
    Status scan = matcher.Scan(
        chunk.data, scratch, [&](size_t begin, size_t end, const std::vector<int>& atoms) {
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
          decoder.Decode(chunk, begin, end, index, &record);
          matches.clear();
          matcher.MatchRecord(record, atoms, &matches);
          if (matches.empty()) return;
          matcher.Redact(&record.text);
          matcher.Redact(&record.message);
          for (const rules::Match& m : matches) {
            db::Event ev = MakeEvent(matcher.rules()[m.rule], m, record);
            for (auto& kv : ev.captures) matcher.Redact(&kv.second);
            batch.events.push_back(std::move(ev));
          }
        });
    if (!scan.ok()) {
      stats->errors.push_back(name + ": " + scan.message());
      batch.events.resize(events_before);  // The chunk was not read completely.
      break;
    }
    decoder.EndChunk(chunk);
    stats->bytes += chunk.source_bytes;
    stats->lines += chunk.source_lines;
    stats->events += batch.events.size() - events_before;
    last_line = chunk.next_line - 1;
    last_offset = chunk.next_offset;
    batch.checkpoint_offset = chunk.next_offset;
    batch.checkpoint_line = chunk.next_line - 1;
    pending = true;
    pending_bytes += chunk.source_bytes;
    if (batch.events.size() >= kBatchEvents || pending_bytes >= kBatchBytes) {
      ETIOLOG_RETURN_IF_ERROR(send());
    }
  }
  ETIOLOG_RETURN_IF_ERROR(send());
  capped = std::max(capped, reader->capped_lines());
  if (bad > 0) {
    warn(std::to_string(bad) + " line(s) with NUL bytes or invalid UTF-8 in total");
  }
  if (warned > static_cast<uint64_t>(kMaxWarningsPerSource)) {
    stats->warnings.push_back(name + ": " + std::to_string(warned - kMaxWarningsPerSource) +
                              " more warning(s) not shown");
  }
  stats->capped_lines += capped;
  stats->bad_records += bad;
  Message end;
  end.kind = Message::Kind::kEnd;
  end.first_us = decoder.first_time_us();
  end.last_us = decoder.last_time_us();
  end.capped = capped;
  end.bad = bad;
  return emit(std::move(end));
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
        return st.Annotate(name_);
      }
      case Message::Kind::kEnd:
        return store_->UpdateSourceStats(source_id_, m.first_us, m.last_us, m.capped, m.bad)
            .Annotate(name_);
    }
    return Status::OK();
  }

 private:
  db::Store* store_;
  int64_t source_id_ = 0;
  std::string name_;
};

}  // namespace

db::Event MakeEvent(const rules::Rule& rule, const rules::Match& match, const LogRecord& record) {
  db::Event ev;
  ev.record = record;
  ev.kind = rule.kind;
  ev.rule = rule.id;
  ev.surface = rule.surface;
  ev.severity = rule.severity;
  ev.captures = match.captures;
  for (const auto& [k, v] : rule.sets) ApplyField(k, v, &ev);
  for (const auto& [k, v] : match.captures) ApplyField(k, v, &ev);
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

Status Pipeline::Run(const std::vector<ingest::InputSpec>& inputs, IngestStats* stats) {
  struct Slot {
    std::deque<Message> queue;
    std::deque<size_t> queue_bytes;  // EventBytes of each queued message.
    size_t buffered_bytes = 0;
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
        size_t bytes = 0;
        for (const db::Event& e : m.events) bytes += EventBytes(e);
        std::unique_lock<std::mutex> lock(mu);
        const size_t limit = options_.max_buffered_bytes;
        cv.wait(lock, [&] {
          return abort || (slot.buffered_bytes <= limit &&
                           (i == head || total_bytes - slots[head].buffered_bytes <= limit));
        });
        if (abort) return Status::Internal("ingestion aborted");
        slot.buffered_bytes += bytes;
        total_bytes += bytes;
        slot.queue_bytes.push_back(bytes);
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
      slot.buffered_bytes -= slot.queue_bytes.front();
      total_bytes -= slot.queue_bytes.front();
      slot.queue_bytes.pop_front();
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
