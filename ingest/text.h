// SPDX-License-Identifier: Apache-2.0
//
// Text hygiene: finding and repairing bytes that are not text.
//
// Logs get NUL runs (a file preallocated or truncated under a writer, a
// crash before the page was written) and invalid UTF-8 (binary output, a
// Latin-1 terminal, a line cut mid-character). Neither stops analysis:
// CheckChunk finds them cheaply so they are reported with their line, and
// SanitizeText makes a decoded line safe for the store and the reports.
//
// Thread safety: pure functions.

#ifndef ETIOLOG_INGEST_TEXT_H_
#define ETIOLOG_INGEST_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace etiolog::ingest {

// What CheckChunk found in a run of lines.
struct BadBytes {
  uint64_t nul_lines = 0;   // Lines containing a NUL byte.
  uint64_t utf8_lines = 0;  // Lines (without NUL) that are not valid UTF-8.
  // The first bad line: its index in the run (0-based), the position of its
  // first bad byte in data, and what is wrong with it.
  uint64_t first_line_index = 0;
  size_t first_pos = 0;
  const char* first_what = nullptr;  // "NUL byte" or "invalid UTF-8"; null if clean.

  uint64_t lines() const { return nul_lines + utf8_lines; }
};

// Checks data (whole lines). The clean case costs one vectorised UTF-8
// validation and one memchr over data; only a dirty run is walked line by
// line.
BadBytes CheckChunk(std::string_view data);

// True if text is valid UTF-8 without NUL bytes.
bool IsCleanText(std::string_view text);

// True if text is valid UTF-8 (NUL bytes allowed). Vectorised.
bool IsValidUtf8(std::string_view text);

// Copy of text with NUL bytes removed and each invalid UTF-8 sequence
// replaced by U+FFFD.
std::string SanitizeText(std::string_view text);

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_TEXT_H_
