// SPDX-License-Identifier: Apache-2.0
//
// Fuzzes ParseIsoTimestamp. Invariants: never reads past the input; a parsed
// timestamp formats back to text that parses to the same instant.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/timestamp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  etiolog::ParsedTime t = etiolog::ParseIsoTimestamp(text, 120);
  if (t.length == 0) return 0;
  if (t.length > size) std::abort();
  char buf[32];
  size_t n = etiolog::FormatIsoTimestamp(t.utc_us, buf);
  etiolog::ParsedTime again = etiolog::ParseIsoTimestamp(std::string_view(buf, n));
  // Years outside 0000-9999 do not round-trip through a 4-digit format.
  if (again.length == n && again.utc_us != t.utc_us) std::abort();
  return 0;
}
