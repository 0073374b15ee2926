// SPDX-License-Identifier: Apache-2.0
//
// Decoder: turns one candidate line into a LogRecord.
//
// The matcher flags candidate lines; only those are decoded, so decoding can
// afford to try several formats per line. Recognised shapes (after removing
// ANSI colour and peeling docker-compose / `airflow standalone` prefixes such
// as "airflow-apiserver-1  | "):
//   structlog console (3.1+ and 3.0)  2025-12-07T15:56:23.562782Z [error    ] msg [logger] k=v
//   classic (3.0 / 2.x)               [2025-03-01T22:21:42.874+0000] {file.py:338} INFO - msg
//   uvicorn                           INFO:     Started server process [51990]
//   gunicorn                          [2019-12-05 11:57:27 +0000] [1] [INFO] msg
//   structlog JSON (task logs)        {"timestamp":"...","level":"info","event":"..."}
//   bare                              anything else: the whole line is the message
//
// A line with no time of its own inherits the time of the nearest earlier
// line in the same source that has one (TimeQuality::kInherited).
//
// Thread safety: a Decoder keeps per-source state; one thread at a time.

#ifndef ETIOLOG_INGEST_DECODER_H_
#define ETIOLOG_INGEST_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/line_reader.h"
#include "ingest/record.h"
#include "ingest/timestamp.h"

namespace etiolog::ingest {

struct DecoderOptions {
  // Offset east of UTC, in minutes, for timestamps printed without a zone
  // (structlog's default renderer in Airflow 3.0, Python logging's asctime).
  // Default: 0 (such times are taken as UTC).
  int local_offset_minutes = 0;
  // How many earlier lines to search for a time to inherit. Default: 256.
  int inherit_search_lines = 256;
};

// Decodes line (no trailing newline) with no context: a line without a time
// gets TimeQuality::kNone. Never fails; an unrecognised line is "bare".
void DecodeLine(std::string_view line, const DecoderOptions& options, LogRecord* out);

// Guesses the Airflow component from a name: a compose service
// ("airflow-apiserver-1"), a file path (".../scheduler/0.log") or a logger
// ("airflow.jobs.scheduler_job_runner"). Returns "" when nothing fits.
std::string_view InferComponent(std::string_view name);

// Removes ANSI escape sequences (colour, cursor) from text.
std::string StripAnsi(std::string_view text);

class Decoder {
 public:
  // source_name is the display name of the source (a path); its components
  // hint at the process when lines do not say.
  Decoder(std::string source_name, const DecoderOptions& options);

  // Decodes the line chunk.data[begin, end) (end excludes the '\n') whose
  // 1-based line number is line_no. Lines without a time inherit one from
  // earlier lines of this chunk or, failing that, of earlier chunks.
  // REQUIRES: begin <= end <= chunk.data.size(); chunk is the chunk most
  // recently passed to this decoder or a newer one.
  void Decode(const Chunk& chunk, size_t begin, size_t end, uint64_t line_no, LogRecord* out);

  // Call once per chunk after its candidate lines were decoded: records the
  // time of its last timestamped line for the next chunk to inherit.
  void EndChunk(const Chunk& chunk);

  // The earliest and latest line times seen by EndChunk / Decode; 0 if none.
  int64_t first_time_us() const { return first_time_us_; }
  int64_t last_time_us() const { return last_time_us_; }

 private:
  std::string source_name_;
  std::string_view path_component_;
  DecoderOptions options_;
  int64_t carry_time_us_ = 0;
  bool have_carry_ = false;
  int64_t first_time_us_ = 0;
  int64_t last_time_us_ = 0;
};

// Finds a timestamp near the start of a line (after prefixes and an opening
// bracket). Returns length 0 if none. Cheaper than a full decode.
ParsedTime LineTime(std::string_view line, int local_offset_minutes);

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_DECODER_H_
