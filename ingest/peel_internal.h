// SPDX-License-Identifier: Apache-2.0
//
// Peeling a line (see decoder.h, "A line is read outside in"): removes the
// wrappers and prefixes around a line's body without allocating, hashes
// them into the line's stream, keeps the outermost wrapper time, and says
// whether the body starts a record (Classify). Runs on every line the
// Decoder's searches walk over. Implementation of the Decoder.

#ifndef ETIOLOG_INGEST_PEEL_INTERNAL_H_
#define ETIOLOG_INGEST_PEEL_INTERNAL_H_

#include <cstdint>
#include <string_view>

#include "ingest/timestamp.h"
#include "ingest/wall_time_internal.h"

namespace etiolog::ingest::internal {

// ASCII letters and digits (what std::isalnum means in the C locale, without
// the library call), '_', '.' and '-'.
inline bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Everything about the outside of a line, without allocating.
struct Peeled {
  std::string_view body;
  uint64_t stream = 1469598103934665603ull;  // Hash of the wrappers' identity.
  uint64_t clock = 0;                        // Identity of whoever printed the wrapper time: the
                                             // stream up to and including the journald host,
                                             // the container, or what encloses honcho.
  std::string_view host;                     // Outermost container / pod / host name.
  std::string_view inner;                    // Innermost nested prefix (honcho in compose).
  std::string_view names[3];                 // The "name  | " prefixes, outermost first.
  int num_names = 0;
  bool kubectl = false;         // The line had a kubectl --prefix.
  std::string_view container;   // Its container, if it names one.
  std::string_view ident;       // journald identifier.
  int64_t pid = 0;              // journald [pid].
  WallTime wrapper;             // The outermost wrapper time, if any.
  bool body_iso_known = false;  // body_iso holds LeadingIsoTime(body): use BodyIso.
  ParsedTime body_iso;
};

// Peels line into *p (see peel.cc for the order of the wrappers).
void Peel(std::string_view line, Peeled* p);

// The ISO timestamp at the start of s, parsed only if s can start one.
ParsedTime LeadingIsoTime(std::string_view s);

// p.body's leading ISO time (length 0 if none).
ParsedTime BodyIso(const Peeled& p);

// What a line's body is to record framing.
enum class LineKind {
  kHeader,        // A header of a known format: starts a record.
  kStart,         // No header, but a shape that starts a record.
  kArt,           // A line of the Airflow ASCII banner.
  kContinuation,  // Anything else: continues the open record.
};

// Whether s starts with uvicorn's "LEVEL:  " header.
bool IsUvicornHeader(std::string_view s);

// p.body's kind (p.body_iso spares parsing its time again).
LineKind Classify(const Peeled& p);

}  // namespace etiolog::ingest::internal

#endif  // ETIOLOG_INGEST_PEEL_INTERNAL_H_
