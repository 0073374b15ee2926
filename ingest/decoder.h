// SPDX-License-Identifier: Apache-2.0
//
// Decoder: turns one candidate line into a LogRecord, in the context of the
// lines around it.
//
// The matcher flags candidate lines; only those are decoded, so decoding can
// afford to try several formats per line. A line is read outside in:
//   1. ANSI colour is removed.
//   2. Wrappers are peeled, outermost first, each telling something about
//      the writer:
//        kubectl --prefix "[pod/NAME/CONTAINER] ", "[pod/NAME] "
//                                  host (the pod), component (container, else pod)
//        Kubernetes CRI   "<RFC3339Nano> stderr F "        time, stream
//        runtime time     "2025-12-07T15:50:01.104233000Z " (kubectl logs
//                         --timestamps, docker logs -t, and docker compose
//                         logs -t after the service prefix)  time
//        journald short   "Nov 06 10:30:09 host airflow[1018681]: "
//                         (or an ISO time, as `-o short-iso` and the
//                         journald-export unwrapping print it)  time, host, pid
//        compose/honcho   "airflow-apiserver-1  | ", "scheduler  | "
//                         (up to three deep)                  host, component
//        honcho/foreman   "15:50:01 scheduler.1 | "           time of day
//      An ISO time followed by a space is a wrapper's only if it has a zone
//      and nine fractional digits (as kubectl and Docker print it), or if
//      what follows starts with a header of its own (an ISO time, "[<ISO
//      time>", a JSON object, "INFO:  "): Airflow's own formats print one
//      time ("<time> [info     ] ...", "<time> logLevel=WARNING ..."), and
//      those lines are never peeled. The outermost wrapper time is kept.
//   3. The body is matched against the record formats (docs/formats.md):
//        structlog console 3.1+/3.0  2025-12-07T15:56:23.562782Z [error    ] msg [logger] k=v
//        classic 3.0/2.x             [2025-03-01T22:21:42.874+0000] {file.py:338} INFO - msg
//        classic variants            2025-07-23 01:27:58,919 {_client.py:1025} INFO - msg
//                                    2026-05-28T10:47:22.147535Z logLevel=WARNING logger=x - msg
//                                    2025-05-01 10:00:00,123 INFO - msg
//        gunicorn                    [2019-12-05 11:57:27 +0000] [8] [INFO] msg
//        Celery                      [2025-05-25 18:05:00,485: INFO/ForkPoolWorker-15] msg
//        uvicorn                     INFO:     Started server process [51990]
//        structlog JSON (task logs)  {"timestamp":"...","level":"info","event":"..."}
//        Docker json-file            {"log":"...","stream":"stderr","time":"..."}
//        bare                        anything else: the whole line is the message
//
// Records. A line that is not the start of a record (a traceback frame, an
// exception line, a banner's "Workers: 1", a hard-wrapped tail) is a
// continuation of the nearest earlier record start of the same stream (same
// wrappers and prefixes): it takes that record's level, logger and process,
// its time unless it has its own, and LogRecord::record_line names where the
// record began. Starts are lines with a header of a known format, plus a few
// shapes that begin records without one ("Simple auth manager | ...",
// the Airflow ASCII banner, a Python warnings line). The search looks back
// at most DecoderOptions::lookback_lines lines of the stream and
// lookback_bytes bytes; what the previous chunk left open is carried over,
// per stream. A structlog event spanning lines names its
// logger on its last line; the header and its continuations look forward
// for it within the chunk (64 lines at most).
//
// Time. Every record gets a UTC time when one can be known: its own (Z or an
// offset: kExact; a local time read in DecoderOptions::zone: kAssumedZone),
// its wrapper's (see below), its record's, or else the time of the nearest
// earlier timed line of the same stream, then of any stream (kInherited).
// A kubectl-prefixed line takes another stream's time only once its own
// stream has had one: kubectl prints one container after another unless it
// follows them, so before that the neighbour is another container's block.
// Zone differences between formats are normalised, never reported as skew.
//
// Wrapper times. A runtime's time (CRI, kubectl, Docker) has a zone: kExact.
// The others are partial: journald's short format has no year and is in the
// host's zone, honcho prints the local time of day only, an ISO wrapper time
// may lack a zone. They are completed per clock (the journald host, the
// container or the honcho instance that printed them), from what the
// source's own lines teach:
//   * A line that prints both a partial wrapper time and a full time of its
//     own (Airflow's) teaches its clock the offset between them, rounded to
//     a quarter hour and kept if within +-14 h (from a time with a zone: the
//     clock's UTC offset, and completed times are kExact; from a zoneless
//     one: the offset from DecoderOptions::zone, and they stay
//     kAssumedZone), and a date anchor: a year-less date gets the year, a
//     time of day the day, that puts it nearest that line.
//   * A clock that taught nothing yet uses DecoderOptions::zone and the date
//     nearest the last full time the decoder saw in the source, else the
//     latest date not after the source's mtime (two days' grace for a
//     year-less date), else not after the current time (standard input):
//     kAssumedZone.
//   * Learning happens on every line decoded or walked over (record and time
//     searches, EndChunk's last lines), and is kept for the whole source.
//     Before completing a partial time of a clock with no offset learned
//     from a zoned time, the decoder looks around the line in its chunk,
//     lookback_bytes before and after, for lines with both times (so lines
//     before the first such line are corrected too); what a chunk's
//     look-arounds covered is remembered, so a chunk is walked at most
//     about once however many candidates ask. A line farther than that from
//     any such line of its chunk, with nothing learned from earlier chunks,
//     falls back as above.
//
// Thread safety: a Decoder keeps per-source state; one thread at a time.
// DecodeLine and the other free functions are pure.

#ifndef ETIOLOG_INGEST_DECODER_H_
#define ETIOLOG_INGEST_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ingest/line_reader.h"
#include "ingest/record.h"
#include "ingest/time_zone.h"
#include "ingest/timestamp.h"

namespace etiolog::ingest {

struct DecoderOptions {
  // The zone of times printed without one (structlog's default renderer in
  // Airflow 3.0, Python's asctime, journald's short format).
  // Default: null, meaning UTC.
  std::shared_ptr<const TimeZone> zone;
  // How many earlier lines of a stream to search for the start of a record
  // or for a time to inherit (and at most 8 times as many lines in all).
  // Default: 512.
  int lookback_lines = 512;
  // How far back, in bytes, those searches may go. Bounds the work per
  // search whatever the interleaving of streams: a stream that never prints
  // a record header (redis in a compose file) would otherwise have every
  // search walk 8 * lookback_lines lines. Also how far, back and forward,
  // a partial wrapper time looks for a line of its clock that prints both
  // times (see "Wrapper times"). Default: 256 KiB.
  size_t lookback_bytes = size_t{256} << 10;
};

// What is known about a source before reading a line of it.
struct SourceContext {
  std::string name;        // Display name (a path, "-", "a.tgz:member").
  ProcessIdentity labels;  // User labels: override everything else.
  int64_t mtime = 0;       // Modification time (s); dates partial wrapper
                           // times (journald's year-less dates, honcho's
                           // times of day) when no line of the source does.
                           // 0 (standard input): the current time.
};

// Decodes line (no trailing newline) with no context: a line without a time
// gets TimeQuality::kNone and is never a continuation; a partial wrapper
// time is completed in options.zone with the date nearest before now
// (kAssumedZone). Never fails; an unrecognised line is "bare".
void DecodeLine(std::string_view line, const DecoderOptions& options, LogRecord* out);

// Removes ANSI escape sequences (colour, cursor) from text.
std::string StripAnsi(std::string_view text);

class Decoder {
 public:
  Decoder(SourceContext context, const DecoderOptions& options);
  Decoder(std::string source_name, const DecoderOptions& options)
      : Decoder(SourceContext{std::move(source_name), {}, 0}, options) {}
  // Holds per-stream state that refers to the current chunk.
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  ~Decoder();

  // Decodes the line chunk.data[begin, end) (end excludes the '\n'), which
  // is line index (0-based) of the chunk. Record framing and time
  // inheritance look at earlier lines of this chunk and at what earlier
  // chunks left (EndChunk).
  // REQUIRES: begin <= end <= chunk.data.size(); index < chunk.lines; chunk
  // is the chunk most recently passed to EndChunk's successor, i.e. Decode
  // calls for a chunk come before its EndChunk.
  void Decode(const Chunk& chunk, size_t begin, size_t end, uint64_t index, LogRecord* out);

  // Call once per chunk after its candidate lines were decoded: carries the
  // open record and last time of each stream over to the next chunk.
  void EndChunk(const Chunk& chunk);

  // The earliest and latest line times seen by EndChunk / Decode; 0 if none.
  int64_t first_time_us() const { return first_time_us_; }
  int64_t last_time_us() const { return last_time_us_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t first_time_us_ = 0;
  int64_t last_time_us_ = 0;
};

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_DECODER_H_
