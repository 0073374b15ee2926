// SPDX-License-Identifier: Apache-2.0
//
// Framing: undoes the wrapping that container runtimes and journald put
// around each log line, before the literal scan sees the bytes.
//
// Why before the scan: the scan (rules/matcher.h) looks for literals in raw
// chunk bytes. Docker's json-file driver stores a line as a JSON string, so
// a quote becomes \" and Go's encoder writes <, > and & as \u003c, \u003e,
// \u0026: literals containing them would never be found. Kubernetes' CRI
// format and Docker both split long lines into partial pieces, so a literal
// can straddle two source lines. `journalctl -o json` escapes like Docker.
// Unwrapping only the candidate lines after the scan cannot fix either, so
// the unwrapping happens here, per chunk, for the sources that need it.
//
// The framing is detected from the first non-blank line of a source:
//   Docker json-file   {"log":"...\n","stream":"stderr","time":"<RFC3339>"}
//   Kubernetes CRI     <RFC3339Nano> stdout|stderr P|F <text>
//   journald export    {"__REALTIME_TIMESTAMP":"...","MESSAGE":"...",...}
//   anything else      plain: chunks pass through untouched, at no cost
// Unwrapped lines are rewritten into a plain-text shape the decoder reads
// like any other line (docs/formats.md):
//   Docker json-file   "<time> <stream> F <text>"    (the CRI shape)
//   CRI                unchanged, except that P pieces are joined into the
//                      F line that completes them; a chunk without a P line
//                      passes through untouched
//   journald export    "<ISO time>Z <host> <identifier>[<pid>]: <text>"
// Each transformed chunk carries Chunk::origins, so every line is still
// reported at its first source line number and byte offset. A line that
// does not parse as the detected framing passes through unchanged. Joined
// lines are capped at the reader's chunk size like any other line.
//
// Thread safety: one thread at a time.

#ifndef ETIOLOG_INGEST_FRAMING_H_
#define ETIOLOG_INGEST_FRAMING_H_

#include <memory>
#include <string_view>

#include "ingest/line_reader.h"
#include "ingest/source.h"

namespace etiolog::ingest {

enum class Framing {
  kPlain = 0,    // No wrapping.
  kDockerJson,   // Docker's json-file log driver.
  kCri,          // Kubernetes container runtime (CRI) log files.
  kJournalJson,  // `journalctl -o json`.
};

// Detects the framing from one line (without its newline).
Framing DetectFraming(std::string_view line);

// A reader over src that unwraps its framing (detected from its first
// non-blank line). *src must outlive the reader.
std::unique_ptr<ChunkReader> NewFramingReader(Source* src, const LineReader::Options& options);

// Decodes the JSON string body at s[0..] (just after the opening quote) into
// *out, appending. Returns the number of bytes consumed including the
// closing quote, or 0 if the string is not terminated or has a bad escape.
// \u escapes become UTF-8; lone surrogates become U+FFFD.
size_t UnescapeJsonString(std::string_view s, std::string* out);

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_FRAMING_H_
