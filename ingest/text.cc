// SPDX-License-Identifier: Apache-2.0
#include "ingest/text.h"

#include <cstring>

#include <simdjson.h>

#include "ingest/line_reader.h"

namespace etiolog::ingest {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

size_t FirstInvalidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

}  // namespace

bool IsCleanText(std::string_view text) {
  return std::memchr(text.data(), 0, text.size()) == nullptr &&
         simdjson::validate_utf8(text.data(), text.size());
}

bool IsValidUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

BadBytes CheckChunk(std::string_view data) {
  BadBytes out;
  if (data.empty() || IsCleanText(data)) return out;
  ForEachLine(data, [&](uint64_t k, size_t pos, size_t e) {
    std::string_view line = data.substr(pos, e - pos);
    const void* nul = std::memchr(line.data(), 0, line.size());
    const char* what = nullptr;
    size_t at = 0;
    if (nul != nullptr) {
      ++out.nul_lines;
      what = "NUL byte";
      at = static_cast<size_t>(static_cast<const char*>(nul) - line.data());
    } else if (!simdjson::validate_utf8(line.data(), line.size())) {
      ++out.utf8_lines;
      what = "invalid UTF-8";
      at = FirstInvalidUtf8(line);
      if (at == std::string_view::npos) at = 0;
    }
    if (what != nullptr && out.first_what == nullptr) {
      out.first_what = what;
      out.first_line_index = k;
      out.first_pos = pos + at;
    }
  });
  return out;
}

std::string SanitizeText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '\0') {
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out.append("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace etiolog::ingest
