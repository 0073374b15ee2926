// SPDX-License-Identifier: Apache-2.0
//
// The names of levels and time qualities (record.h).

#include "ingest/record.h"

#include <string_view>

namespace etiolog {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kUnknown:
      return "unknown";
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
    case Level::kCritical:
      return "critical";
  }
  return "unknown";
}

Level ParseLevel(std::string_view word) {
  if (word.empty() || word.size() > 11) return Level::kUnknown;
  char w[12];
  for (size_t i = 0; i < word.size(); ++i) {
    w[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(word[i])));
  }
  std::string_view s(w, word.size());
  if (s == "info" || s == "information" || s == "notice") return Level::kInfo;
  if (s == "warning" || s == "warn") return Level::kWarning;
  if (s == "error" || s == "err" || s == "exception") return Level::kError;
  if (s == "debug") return Level::kDebug;
  if (s == "trace") return Level::kTrace;
  if (s == "critical" || s == "fatal" || s == "crit" || s == "alert" || s == "emerg" ||
      s == "emergency") {
    return Level::kCritical;
  }
  return Level::kUnknown;
}

std::string_view TimeQualityName(TimeQuality quality) {
  switch (quality) {
    case TimeQuality::kNone:
      return "none";
    case TimeQuality::kExact:
      return "exact";
    case TimeQuality::kAssumedZone:
      return "assumed_zone";
    case TimeQuality::kInherited:
      return "inherited";
  }
  return "none";
}

}  // namespace etiolog
