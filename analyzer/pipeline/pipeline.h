// SPDX-License-Identifier: Apache-2.0
//
// Pipeline: moves log bytes from inputs into the store as events.
//
//   Input (file, stdin, archive member) -> framing (Docker/CRI/journald
//   unwrapping) -> chunks of lines -> Matcher::Scan (literal prefilter)
//   -> Decoder (candidate lines only) -> Matcher::MatchRecord
//   -> redaction -> Store::AppendEvents (with the checkpoint)
//
// Inputs are read in parallel by IngestOptions::jobs worker threads, each
// with its own matcher scratch and decoders. One writer, the calling
// thread, commits to the store (which is single-threaded) in input order:
// the events of input i are committed before those of input i+1, whatever
// thread finished first, so store ids and every result derived from them
// do not depend on timing. A worker that runs ahead of the writer queues a
// bounded amount of events and then waits for it.
//
// Bad input never stops the run: a source that cannot be opened or fails
// mid-way keeps the events committed before the failure and is listed in
// IngestStats::errors; bad bytes (NUL, invalid UTF-8) and over-long lines
// are counted and described in IngestStats::warnings, and the rest of the
// source is read.
//
// Thread safety: one Pipeline per thread; the Matcher may be shared.

#ifndef ETIOLOG_ANALYZER_PIPELINE_PIPELINE_H_
#define ETIOLOG_ANALYZER_PIPELINE_PIPELINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "db/store.h"
#include "ingest/decoder.h"
#include "ingest/input_set.h"
#include "ingest/line_reader.h"
#include "ingest/source.h"
#include "ingest/status.h"
#include "rules/matcher.h"

namespace etiolog::analyzer {

struct IngestOptions {
  ingest::DecoderOptions decoder;      // Time zone for local times, etc.
  ingest::LineReader::Options reader;  // Chunk size (= line length cap).
  // Worker threads reading inputs. Default: 0, one per hardware thread.
  int jobs = 0;
  // Memory (approximate bytes of events) a worker may queue for the writer
  // before it waits: for its own input, and, for an input the writer has
  // not reached yet, for all such inputs together. Bounds memory whatever
  // the number of inputs and events. Default: 2 MiB.
  size_t max_buffered_bytes = size_t{2} << 20;
};

// Counters for the run summary. Sums over all sources ingested.
struct IngestStats {
  uint64_t sources = 0;               // Sources read to the end.
  uint64_t bytes = 0;                 // Bytes read.
  uint64_t lines = 0;                 // Lines read.
  uint64_t candidates = 0;            // Lines that passed the literal prefilter.
  uint64_t events = 0;                // Events produced (before de-duplication).
  uint64_t capped_lines = 0;          // Lines longer than the cap, cut.
  uint64_t bad_records = 0;           // Lines with NUL bytes or invalid UTF-8.
  std::vector<std::string> errors;    // One message per source that could not
                                      // be read (completely), naming it.
  std::vector<std::string> warnings;  // Bad lines, naming source, line and
                                      // offset (at most a few per source).
};

class Pipeline {
 public:
  // *matcher and *store must outlive the pipeline.
  Pipeline(const rules::Matcher* matcher, db::Store* store, const IngestOptions& options);

  // Reads every input (opening files, stdin and archives) with
  // options.jobs threads and commits their events in input order. Input
  // failures go to stats->errors; the returned Status is non-OK only if the
  // store fails, which ends the run.
  Status Run(const std::vector<ingest::InputSpec>& inputs, IngestStats* stats);

  // Ingests one source to its end, on this thread.
  Status Ingest(ingest::Source* src, IngestStats* stats,
                const ProcessIdentity& labels = ProcessIdentity());

  // A source that grows (a followed file, ingest/follow.h), read a piece at
  // a time through the same chain as Ingest().
  class Stream {
   public:
    // Owns the source's reader and decoder.
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    ~Stream();

    // Reads what the source holds now (a partial last line waits, see
    // ingest/source.h) and commits its events with the checkpoint after
    // them. Input failures go to stats->errors (the stream has then ended);
    // bad lines to stats->warnings. Returns non-OK only if the store fails.
    Status Pump(IngestStats* stats);
    // Records the source's facts (time span, bad and capped lines) in the
    // store; call once, when the source ended or reading stops. Further
    // calls do nothing.
    Status Finish(IngestStats* stats);
    // Whether the source ended (Drained::kEnd) or failed: Pump() reads no
    // more.
    bool ended() const;
    // The checkpoint: offset and line number just after the last line read.
    uint64_t next_offset() const;
    uint64_t next_line() const;

   private:
    friend class Pipeline;
    struct Impl;
    explicit Stream(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
  };

  // Starts reading *src (which must outlive the stream, as must this
  // pipeline) at first_offset, counting lines from first_line (a
  // checkpoint: offset and line just after the last line read before).
  // Its events go to the store under src->name(). Streams of one pipeline
  // share a matcher scratch: one thread at a time.
  std::unique_ptr<Stream> Follow(ingest::Source* src, const ProcessIdentity& labels,
                                 uint64_t first_offset = 0, uint64_t first_line = 1);

 private:
  const rules::Matcher* matcher_;
  db::Store* store_;
  IngestOptions options_;
  rules::Matcher::ScratchPtr follow_scratch_;  // Of Follow() streams.
};

// Builds the stored event for a rule match on record: the rule's kind,
// surface and severity; its `sets` fields and the captures named
// component, host and pid override the record's process identity. A rule
// that names the host (capture or `sets`) but not the component names the
// process: its component is inferred from the host name, as for a compose
// prefix. The event of a state-dump rule (kind `dump.*`) is dated from its
// captures, never from the line: `at`, a date as printed (ParseDumpTime,
// local ones in *zone; null zone: UTC), gives its time; `ago`, a duration
// as printed (ParseDuration), its age (db::Event::age_us). A capture that
// does not parse as a whole is ignored.
db::Event MakeEvent(const rules::Rule& rule, const rules::Match& match, const LogRecord& record,
                    const TimeZone* zone = nullptr);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_PIPELINE_PIPELINE_H_
