// SPDX-License-Identifier: Apache-2.0
//
// LogRecord: one decoded log record, the unit every later stage works on.
//
// A record is produced only for lines the matcher flagged as candidates
// (decoding is lazy), so it owns its strings: clarity beats saving a copy on
// the rare lines that reach it.
//
// Thread safety: plain data; no shared state.

#ifndef ETIOLOG_INGEST_RECORD_H_
#define ETIOLOG_INGEST_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace etiolog {

// Severity as the log line states it. Ordered: a larger value is more severe.
enum class Level {
  kUnknown = 0,  // The line carries no level.
  kTrace,
  kDebug,
  kInfo,
  kWarning,
  kError,
  kCritical,
};

// Lower-case name: "unknown", "trace", "debug", "info", "warning", "error",
// "critical".
std::string_view LevelName(Level level);

// Parses a level word in any case ("WARN", "warning", "err", "FATAL").
// Returns Level::kUnknown for anything else.
Level ParseLevel(std::string_view word);

// How a record's time was obtained.
enum class TimeQuality {
  kNone = 0,     // No time known: the line has none and no neighbour had one.
  kExact,        // Parsed from the line, with an explicit zone (Z, +0000).
  kAssumedZone,  // Parsed from the line; the zone was assumed (local times).
  kInherited,    // The line has no time; taken from the nearest earlier line.
};

std::string_view TimeQualityName(TimeQuality quality);

// Which process wrote a record, as far as the record and its source tell.
// Empty strings and pid 0 mean "unknown".
struct ProcessIdentity {
  std::string host;       // Host, container or pod name.
  std::string component;  // "api-server", "scheduler", "worker", ...
  int64_t pid = 0;        // OS process id.
};

struct LogRecord {
  uint64_t offset = 0;  // Byte offset of the line's first byte in the source.
  uint64_t line = 0;    // 1-based line number in the source.
  int64_t time_us = 0;  // UTC microseconds since the epoch; valid unless
                        // time_quality == kNone.
  TimeQuality time_quality = TimeQuality::kNone;
  Level level = Level::kUnknown;
  std::string format;  // Decoder that recognised the line: "structlog",
                       // "classic", "uvicorn", "json", "bare", ...
  std::string logger;  // Logger name; empty if the line names none.
  ProcessIdentity process;
  std::string message;  // The event text, without time, level, logger and
                        // key=value fields. Patterns match against this.
  std::string text;     // The whole line as evidence shows it: ANSI colour
                        // removed, prefixes kept.
  std::vector<std::pair<std::string, std::string>> fields;  // key=value.
  bool continuation = false;  // True if the line continues an earlier record
                              // (traceback body, banner line); level, logger
                              // and process then come from that record.
  uint64_t record_line = 0;   // Line number where the record this line
                              // belongs to starts (== line unless
                              // continuation).
};

}  // namespace etiolog

#endif  // ETIOLOG_INGEST_RECORD_H_
