// SPDX-License-Identifier: Apache-2.0
//
// Fuzzes ParseDuration and ParseDumpTime. Invariants: never reads past the
// input; a parsed duration is within [0, kMaxDurationUs] with a positive
// resolution, parses the same from its own prefix, and formats back to
// text that parses to the same value; a parsed date parses the same from
// its own prefix, and a zoned one is independent of the zone assumed.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/dump_time.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const etiolog::ParsedDuration d = etiolog::ParseDuration(text);
  if (d.length > 0) {
    if (d.length > size || d.us < 0 || d.us > etiolog::kMaxDurationUs || d.resolution_us <= 0) {
      std::abort();
    }
    const etiolog::ParsedDuration prefix = etiolog::ParseDuration(text.substr(0, d.length));
    if (prefix.length != d.length || prefix.us != d.us) std::abort();
    const std::string formatted = etiolog::FormatDuration(d.us);
    const etiolog::ParsedDuration again = etiolog::ParseDuration(formatted);
    if (again.length != formatted.size() || again.us != d.us) std::abort();
  }
  static const etiolog::TimeZone kUtc;
  static const etiolog::TimeZone kPlus5 = etiolog::TimeZone::Fixed(330);
  const etiolog::ParsedTime t = etiolog::ParseDumpTime(text, kUtc);
  if (t.length > 0) {
    if (t.length > size) std::abort();
    const etiolog::ParsedTime prefix = etiolog::ParseDumpTime(text.substr(0, t.length), kUtc);
    if (prefix.length != t.length || prefix.utc_us != t.utc_us) std::abort();
    const etiolog::ParsedTime other = etiolog::ParseDumpTime(text, kPlus5);
    if (other.length != t.length || other.has_zone != t.has_zone) std::abort();
    if (t.has_zone && other.utc_us != t.utc_us) std::abort();
    if (!t.has_zone && other.utc_us != t.utc_us - int64_t{330} * 60 * 1000000) std::abort();
  }
  return 0;
}
