// SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the JSON-line paths: the JSON string unescaper used to unwrap
// Docker json-file lines, and the structlog / Docker / journald JSON line
// decoders. Invariants: escaping any text JSON-style and unescaping it gives
// the text back; the unescaper never consumes past its input; a JSON line
// decodes to clean text, deterministically.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/decoder.h"
#include "ingest/framing.h"
#include "ingest/text.h"

namespace ingest = etiolog::ingest;

namespace {

std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);

  // Round trip through escaping.
  const std::string text = ingest::SanitizeText(raw);
  std::string back;
  const std::string escaped = Escape(text) + "\"";
  if (ingest::UnescapeJsonString(escaped, &back) != escaped.size() || back != text) std::abort();

  // The unescaper on arbitrary bytes.
  std::string out;
  if (ingest::UnescapeJsonString(raw, &out) > raw.size()) std::abort();

  // JSON line decoders: as given, and wrapped as a Docker line.
  for (const std::string& line :
       {std::string(raw), "{\"log\":\"" + Escape(text) +
                              "\\n\",\"stream\":\"stderr\",\"time\":\"2025-12-07T15:49:58Z\"}"}) {
    etiolog::LogRecord a, b;
    ingest::DecodeLine(line, {}, &a);
    ingest::DecodeLine(line, {}, &b);
    if (!ingest::IsCleanText(a.text) || !ingest::IsCleanText(a.message)) std::abort();
    if (a.message != b.message || a.format != b.format || a.time_us != b.time_us) std::abort();
    for (const auto& [k, v] : a.fields) {
      if (!ingest::IsCleanText(k) || !ingest::IsCleanText(v)) std::abort();
    }
  }
  return 0;
}
