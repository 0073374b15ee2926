// SPDX-License-Identifier: Apache-2.0
//
// Two levels of reading a line:
//  * Peel + Classify (cheap, no allocation unless the line has ANSI codes):
//    strips wrappers and prefixes, computes a hash of them (the stream),
//    and says whether the body starts a record. Used on the many lines the
//    record and time searches walk over.
//  * DecodeLine (full): parses the body's format into a LogRecord. Used on
//    candidate lines and on the record starts they belong to.
//
// Searches walk backwards over lines of the chunk, skipping other streams.
// Each search remembers its answer per stream (memo_*), so a later
// candidate of the same stream stops where the previous one was resolved:
// over a chunk the walking is linear in its lines, whatever the number of
// candidates, and each single search is bounded by lookback_lines.
//
// Wrapper times. Peel keeps a wrapper's time as printed (WallTime): an
// instant, or a wall clock missing its zone, year or date, with the
// identity of the clock that printed it. Any line seen with both such a
// partial time and a full time of its own teaches its clock (LearnClock:
// the offset rounded to a quarter hour, and a date anchor); ResolveWall
// completes a partial time with what its clock taught, else with the zone
// option and an anchor from the source (its latest full time, its mtime).
// A candidate whose clock taught no offset yet first looks around itself in
// the chunk (LookAround, memoised per chunk as one growing interval, so the
// extra walking is at most one pass over the chunk). EndChunk collects the
// times it carries unresolved and resolves them after its walk, which may
// have learned from lines before them.

#include "ingest/decoder.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "ingest/check.h"
#include "ingest/path_identity.h"
#include "ingest/text.h"

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

namespace ingest {

namespace {

// ASCII letters and digits (what std::isalnum means in the C locale, without
// the library call), '_', '.' and '-'.
bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

uint64_t Mix(uint64_t h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  h ^= 0xff;
  return h * 1099511628211ull;
}

// A wrapper's time as printed. Only kZoned is an instant; the others miss
// the zone, the year or the whole date, which the Decoder supplies (see
// "Wrapper times" in decoder.h).
enum class WallKind : uint8_t {
  kNone = 0,   // The line has no wrapper time.
  kZoned,      // Date, time and zone: kubectl/docker --timestamps, CRI, short-iso.
  kLocal,      // Date and time, no zone: an ISO wrapper time printed without one.
  kYearless,   // Month, day and time, no zone: journald's (syslog's) short format.
  kTimeOfDay,  // Time of day only: honcho, foreman.
};

struct WallTime {
  WallKind kind = WallKind::kNone;
  int64_t us = 0;     // kZoned: UTC us. kLocal: the wall clock read as UTC.
                      // kYearless, kTimeOfDay: us since midnight.
  uint8_t month = 0;  // kYearless: 1-12.
  uint8_t day = 0;    // kYearless: 1-31.
};

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

// Peels one "name  | " prefix (docker compose, airflow standalone, honcho).
// The name has no spaces; at least one space precedes the bar.
bool PeelPrefix(std::string_view* line, std::string_view* name) {
  std::string_view s = *line;
  size_t i = 0;
  while (i < s.size() && IsWordChar(s[i])) ++i;
  if (i == 0 || i > 80) return false;
  size_t j = i;
  while (j < s.size() && s[j] == ' ') ++j;
  if (j == i || j >= s.size() || s[j] != '|') return false;
  if (j + 1 < s.size() && s[j + 1] != ' ') return false;
  *name = s.substr(0, i);
  line->remove_prefix(std::min(s.size(), j + 2));
  return true;
}

// "[pod/NAME/CONTAINER] " or "[pod/NAME] " (kubectl logs --prefix).
bool PeelKubectl(std::string_view* line, Peeled* p) {
  std::string_view s = *line;
  if (!StartsWith(s, "[pod/")) return false;
  size_t i = 5;
  while (i < s.size() && IsWordChar(s[i]) && i < 5 + 253) ++i;
  if (i == 5 || i >= s.size()) return false;
  std::string_view pod = s.substr(5, i - 5);
  std::string_view container;
  if (s[i] == '/') {
    size_t j = i + 1;
    while (j < s.size() && IsWordChar(s[j]) && j - i <= 253) ++j;
    if (j == i + 1 || j >= s.size()) return false;
    container = s.substr(i + 1, j - i - 1);
    i = j;
  }
  if (s[i] != ']' || (i + 1 < s.size() && s[i + 1] != ' ')) return false;
  p->kubectl = true;
  p->host = pod;
  p->container = container;
  p->stream = Mix(p->stream, s.substr(1, i - 1));
  line->remove_prefix(std::min(s.size(), i + 2));
  return true;
}

// "<RFC3339> stdout|stderr F|P[:tags] " (CRI; Docker lines after framing).
// t is ParseIsoTimestamp(*line).
bool PeelCri(std::string_view* line, const ParsedTime& t, Peeled* p) {
  std::string_view s = *line;
  if (s.size() < 30 || t.length == 0 || !t.has_zone || t.length + 9 > s.size()) return false;
  std::string_view rest = s.substr(t.length);
  if (!StartsWith(rest, " stdout ") && !StartsWith(rest, " stderr ")) return false;
  if (rest[8] != 'F' && rest[8] != 'P') return false;
  size_t sp = rest.find(' ', 8);
  if (sp == std::string_view::npos) sp = rest.size() - 1;
  p->wrapper = WallTime{WallKind::kZoned, t.utc_us, 0, 0};
  p->clock = p->stream;
  p->stream = Mix(p->stream, rest.substr(1, 6));
  line->remove_prefix(t.length + sp + 1);
  return true;
}

// Whether b starts with the header of a record format that carries a time
// or a level: an ISO time, "[<ISO time>", a JSON object, "LEVEL:  " (uvicorn).
bool IsUvicornHeader(std::string_view s);
bool IsHeader(std::string_view b) {
  if (b.empty()) return false;
  const char c = b[0];
  if (IsDigit(c)) return ParseIsoTimestamp(b).length > 0;
  if (c == '[') return b.size() > 20 && ParseIsoTimestamp(b.substr(1)).length > 0;
  if (c == '{') return b.size() > 1 && b[1] == '"';
  if (c >= 'A' && c <= 'Z') return IsUvicornHeader(b);
  return false;
}

// "<ISO time> <line>": a time that a container runtime or a tool printed
// before the line it received (kubectl logs --timestamps, docker logs -t,
// docker compose logs -t after the service prefix). t is
// ParseIsoTimestamp(*line). The time is a wrapper's if it has a zone and
// nine fractional digits, as kubectl and Docker print them (Go's
// RFC3339Nano, zero-padded), or, when runtime_only is false, if the line
// after it starts with a header of its own (Airflow's own formats print one
// time, never two). Never a wrapper: "<time> [info     ] ...",
// "<time> logLevel=WARNING ...", "<time> LEVEL - ...".
bool PeelIsoWrapper(std::string_view* line, const ParsedTime& t, bool runtime_only, Peeled* p) {
  std::string_view s = *line;
  if (t.length == 0 || (t.length < s.size() && s[t.length] != ' ')) return false;
  bool nano = false;
  if (t.has_zone && s.size() > 29 && s[19] == '.') {
    size_t k = 20;
    while (k < s.size() && IsDigit(s[k])) ++k;
    nano = k == 29;
  }
  if (!nano) {
    if (runtime_only || t.length >= s.size() || !IsHeader(s.substr(t.length + 1))) return false;
  }
  p->wrapper = WallTime{t.has_zone ? WallKind::kZoned : WallKind::kLocal, t.utc_us, 0, 0};
  p->clock = p->stream;
  line->remove_prefix(std::min(s.size(), t.length + 1));
  return true;
}

// Parses "HH:MM:SS" at s[pos]; false if it is not one.
bool ParseClock(std::string_view s, size_t pos, int64_t* seconds) {
  if (pos + 8 > s.size() || s[pos + 2] != ':' || s[pos + 5] != ':') return false;
  int v[3];
  for (size_t k = 0; k < 3; ++k) {
    char a = s[pos + 3 * k], b = s[pos + 3 * k + 1];
    if (!IsDigit(a) || !IsDigit(b)) return false;
    v[k] = (a - '0') * 10 + (b - '0');
  }
  if (v[0] > 23 || v[1] > 59 || v[2] > 60) return false;
  *seconds = v[0] * 3600 + v[1] * 60 + v[2];
  return true;
}

// "HH:MM:SS name  | " (honcho, foreman): a time of day before a process
// prefix. Peels the time only; the prefix is left for PeelPrefix.
bool PeelClock(std::string_view* line, Peeled* p) {
  std::string_view s = *line;
  int64_t seconds = 0;
  if (s.size() < 12 || s[8] != ' ' || !ParseClock(s, 0, &seconds)) return false;
  // The prefix must follow (PeelPrefix's test, not a call: PeelPrefix is
  // worth inlining into Peel, which calls it on most lines).
  size_t i = 9;
  while (i < s.size() && IsWordChar(s[i])) ++i;
  if (i == 9 || i > 89) return false;
  size_t j = i;
  while (j < s.size() && s[j] == ' ') ++j;
  if (j == i || j >= s.size() || s[j] != '|' || (j + 1 < s.size() && s[j + 1] != ' ')) return false;
  p->wrapper = WallTime{WallKind::kTimeOfDay, seconds * 1000000, 0, 0};
  p->clock = p->stream;
  line->remove_prefix(9);
  return true;
}

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "host ident[pid]: " or "host ident: " after a journald time.
bool PeelJournalTail(std::string_view s, size_t pos, Peeled* p, size_t* consumed) {
  if (pos >= s.size() || s[pos] != ' ') return false;
  size_t h = pos + 1, he = h;
  while (he < s.size() && (IsWordChar(s[he]) || s[he] == ':') && he - h < 256) ++he;
  if (he == h || he >= s.size() || s[he] != ' ') return false;
  size_t i = he + 1, ie = i;
  while (ie < s.size() && s[ie] != '[' && s[ie] != ':' && s[ie] != ' ' && ie - i < 128) ++ie;
  if (ie == i || ie >= s.size()) return false;
  int64_t pid = 0;
  size_t e = ie;
  if (s[e] == '[') {
    size_t d = e + 1;
    while (d < s.size() && IsDigit(s[d]) && d - e < 12) pid = pid * 10 + (s[d++] - '0');
    if (d == e + 1 || d >= s.size() || s[d] != ']') return false;
    e = d + 1;
  }
  if (e >= s.size() || s[e] != ':' || (e + 1 < s.size() && s[e + 1] != ' ')) return false;
  p->host = s.substr(h, he - h);
  p->ident = s.substr(i, ie - i);
  p->pid = pid;
  // The host's clock: every unit and process of the host shares its zone.
  p->clock = Mix(p->stream, p->host);
  p->stream = Mix(Mix(p->stream, p->host), s.substr(i, e - i));
  *consumed = std::min(s.size(), e + 2);
  return true;
}

// journald short ("Nov 06 10:30:09 host airflow[1018681]: ") or ISO
// ("2025-11-06T10:30:09+0000 host airflow[1018681]: "). Short times carry
// neither year nor zone: the wrapper time is kYearless. iso is
// ParseIsoTimestamp(*line) when the line starts with a digit (else unused).
bool PeelJournal(std::string_view* line, const ParsedTime& iso, Peeled* p) {
  std::string_view s = *line;
  if (s.size() < 20) return false;
  size_t consumed = 0;
  if (IsDigit(s[0])) {
    if (iso.length == 0 || !PeelJournalTail(s, iso.length, p, &consumed)) return false;
    p->wrapper = WallTime{iso.has_zone ? WallKind::kZoned : WallKind::kLocal, iso.utc_us, 0, 0};
    line->remove_prefix(consumed);
    return true;
  }
  if (s[3] != ' ') return false;
  int month = 0;
  for (int m = 0; m < 12; ++m) {
    if (s.substr(0, 3) == kMonths[m]) month = m + 1;
  }
  if (month == 0) return false;
  size_t d = 4;
  if (s[d] == ' ') ++d;
  int day = 0;
  while (d < s.size() && IsDigit(s[d]) && day < 100) day = day * 10 + (s[d++] - '0');
  int64_t seconds = 0;
  if (day < 1 || day > 31 || d + 9 > s.size() || s[d] != ' ' || !ParseClock(s, d + 1, &seconds)) {
    return false;
  }
  size_t end = d + 9;
  int64_t frac_us = 0;
  if (end < s.size() && s[end] == '.') {  // -o short-precise
    int64_t scale = 100000;
    ++end;
    while (end < s.size() && IsDigit(s[end])) {
      frac_us += (s[end] - '0') * scale;
      scale /= 10;
      ++end;
    }
  }
  if (!PeelJournalTail(s, end, p, &consumed)) return false;
  p->wrapper = WallTime{WallKind::kYearless, seconds * 1000000 + frac_us,
                        static_cast<uint8_t>(month), static_cast<uint8_t>(day)};
  line->remove_prefix(consumed);
  return true;
}

// Whether s can start with an ISO wrapper time (see PeelIsoWrapper), by
// its shape only, so that the lines of most formats (a time, then "[info",
// "logLevel=", "{file.py") are not parsed for it: nine fractional digits, or
// a time (and zone) followed by a space and what can begin a header. Never
// false for a line PeelIsoWrapper would peel.
bool MayStartIsoWrapper(std::string_view s) {
  if (s.size() < 21 || s[4] != '-' || s[13] != ':') return false;
  size_t i = 19;
  if (s[i] == '.' || s[i] == ',') {
    const size_t f = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i - f == 9) return true;
  }
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else {
    size_t j = i < s.size() && s[i] == ' ' ? i + 1 : i;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) {
      i = j + 1;
      while (i < s.size() && (IsDigit(s[i]) || s[i] == ':')) ++i;
    }
  }
  if (i + 1 >= s.size() || s[i] != ' ') return false;
  const char c = s[i + 1];
  const char d = i + 2 < s.size() ? s[i + 2] : '\0';
  return IsDigit(c) || (c == '[' && IsDigit(d)) || (c == '{' && d == '"') || (c >= 'A' && c <= 'Z');
}

// The ISO timestamp at the start of s, parsed only if s can start one.
ParsedTime LeadingIsoTime(std::string_view s) {
  if (s.size() < 19 || !IsDigit(s[0])) return ParsedTime();
  return ParseIsoTimestamp(s);
}

// Runs on every line a look-back walks over, so it neither allocates nor
// infers components (DecodePeeled does, for the few lines decoded).
//
// Outside in: a kubectl --prefix; a CRI wrapper, a runtime's RFC3339Nano
// time (kubectl --timestamps) or a journald one; then, up to three deep,
// compose/standalone/honcho "name | " prefixes, honcho's time of day before
// one, and an ISO wrapper time after one (docker compose logs -t). Only the
// outermost wrapper time is kept.
void Peel(std::string_view line, Peeled* p) {
  std::string_view s = line;
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  if (!s.empty() && s[0] == '[') PeelKubectl(&s, p);
  // iso is the leading time of s when iso_known; the body's time is parsed
  // only when a wrapper test needs it (Classify and OwnTime parse it
  // otherwise, and only for the lines of the stream they look for).
  ParsedTime iso = LeadingIsoTime(s);
  bool iso_known = true;
  if (iso.length > 0 &&
      (PeelCri(&s, iso, p) || PeelIsoWrapper(&s, iso, /*runtime_only=*/true, p))) {
    iso_known = false;
  }
  if (p->wrapper.kind == WallKind::kNone && PeelJournal(&s, iso, p)) iso_known = false;
  std::string_view name;
  for (int layer = 0; layer < 4; ++layer) {
    if (p->num_names < 3 && PeelPrefix(&s, &name)) {
      // The outermost prefix names the container; an inner one (standalone,
      // honcho) names the component.
      if (p->host.empty()) {
        p->host = name;
      } else {
        p->inner = name;
      }
      p->names[p->num_names++] = name;
      p->stream = Mix(p->stream, name);
      iso_known = false;
      continue;
    }
    if (p->wrapper.kind == WallKind::kNone && p->num_names < 3 && !s.empty() && IsDigit(s[0])) {
      if (PeelClock(&s, p)) continue;
      if (!iso_known && MayStartIsoWrapper(s)) {
        iso = LeadingIsoTime(s);
        iso_known = true;
      }
      if (iso_known && PeelIsoWrapper(&s, iso, /*runtime_only=*/false, p)) {
        iso_known = false;
        continue;
      }
    }
    break;
  }
  p->body = s;
  p->body_iso_known = iso_known;
  if (iso_known) p->body_iso = iso;
}

// p.body's leading ISO time (length 0 if none).
ParsedTime BodyIso(const Peeled& p) {
  return p.body_iso_known ? p.body_iso : LeadingIsoTime(p.body);
}

// ---------------------------------------------------------------------------
// Record starts.

enum class LineKind {
  kHeader,        // A header of a known format: starts a record.
  kStart,         // No header, but a shape that starts a record.
  kArt,           // A line of the Airflow ASCII banner.
  kContinuation,  // Anything else: continues the open record.
};

bool IsUvicornHeader(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon < 4 || colon > 8) return false;
  for (size_t i = 0; i < colon; ++i) {
    if (s[i] < 'A' || s[i] > 'Z') return false;
  }
  if (colon + 1 >= s.size() || s[colon + 1] != ' ') return false;
  return ParseLevel(s.substr(0, colon)) != Level::kUnknown;
}

bool IsArt(std::string_view s) {
  if (s.size() < 20 || s.find("__") == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == '_' || c == '/' || c == '\\' || c == '|' || c == '(' || c == ')' || c == ' ';
  });
}

// p.body's kind (p.body_iso spares parsing its time again).
LineKind Classify(const Peeled& p) {
  std::string_view b = p.body;
  if (b.empty()) return LineKind::kContinuation;
  const char c = b[0];
  if (IsDigit(c) ? BodyIso(p).length > 0 : IsHeader(b)) return LineKind::kHeader;
  // Banners printed before logging is set up ("Running the Gunicorn Server
  // with:") and the Celery worker banner.
  if (StartsWith(b, "Running the ") && b.back() == ':') return LineKind::kStart;
  // The Celery worker banner.
  if (StartsWith(b, " -------------- ") || StartsWith(b, "-------------- celery@")) {
    return LineKind::kStart;
  }
  if (c == ' ' || c == '\t') {
    return IsArt(b) ? LineKind::kArt : LineKind::kContinuation;
  }
  if (IsArt(b)) return LineKind::kArt;
  // "Simple auth manager | Password for user ..." and similar print()s.
  size_t bar = b.find(" | ");
  if (bar != std::string_view::npos && bar < 40 && std::isalpha(static_cast<unsigned char>(c)) &&
      std::all_of(b.begin(), b.begin() + static_cast<long>(bar),
                  [](char x) { return IsWordChar(x) || x == ' '; })) {
    return LineKind::kStart;
  }
  // Python warnings: "/path/file.py:23: DeprecationWarning: ..." (also
  // without the colon after the line number, as Airflow 3.1 prints them).
  if (c == '/' || c == '.') {
    size_t py = b.find(".py:");
    if (py != std::string_view::npos && py < 300 &&
        b.find("Warning: ", py) != std::string_view::npos) {
      return LineKind::kStart;
    }
  }
  return LineKind::kContinuation;
}

// ---------------------------------------------------------------------------
// Full decoding of a body.

void SetTime(ParsedTime t, const TimeZone* zone, LogRecord* out) {
  if (!t.has_zone && zone != nullptr) t.utc_us = zone->LocalToUtc(t.utc_us);
  out->time_us = t.utc_us;
  out->time_quality = t.has_zone ? TimeQuality::kExact : TimeQuality::kAssumedZone;
}

// Parses " k=v k2='quoted v' ..." into fields. Values may be quoted with ' or
// ". Tokens without '=' end the parse (they are not fields).
void ParseFields(std::string_view s, LogRecord* out) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t k = i;
    while (k < s.size() && IsWordChar(s[k]) && s[k] != '=') ++k;
    if (k == i || k >= s.size() || s[k] != '=') return;
    std::string key(s.substr(i, k - i));
    size_t v = k + 1;
    std::string value;
    if (v < s.size() && (s[v] == '\'' || s[v] == '"')) {
      char q = s[v];
      size_t e = s.find(q, v + 1);
      if (e == std::string_view::npos) e = s.size();
      value.assign(s.substr(v + 1, e - v - 1));
      i = e + 1;
    } else {
      size_t e = s.find(' ', v);
      if (e == std::string_view::npos) e = s.size();
      value.assign(s.substr(v, e - v));
      i = e;
    }
    out->fields.emplace_back(std::move(key), std::move(value));
  }
}

// The trailing " [dotted.logger]" (followed by end or " key=...") of a
// structlog console line; npos if none.
size_t FindStructlogLogger(std::string_view rest, size_t* logger_end) {
  size_t logger_pos = std::string_view::npos;
  for (size_t p = rest.find(" ["); p != std::string_view::npos; p = rest.find(" [", p + 1)) {
    size_t q = p + 2;
    while (q < rest.size() && IsWordChar(rest[q])) ++q;
    if (q == p + 2 || q >= rest.size() || rest[q] != ']') continue;
    if (q + 1 != rest.size() && rest[q + 1] != ' ') continue;
    if (q + 1 < rest.size()) {
      size_t k = q + 2;
      while (k < rest.size() && IsWordChar(rest[k])) ++k;
      if (k >= rest.size() || rest[k] != '=') continue;
    }
    logger_pos = p;
    *logger_end = q;
  }
  return logger_pos;
}

// The same for a line that may begin with the logger ("=====... [logger] k=v"
// ends a multi-line event).
bool TrailingLogger(std::string_view line, LogRecord* out) {
  std::string padded = " " + std::string(line);
  size_t end = 0;
  size_t pos = FindStructlogLogger(padded, &end);
  if (pos == std::string_view::npos) return false;
  out->logger.assign(padded.substr(pos + 2, end - pos - 2));
  ParseFields(std::string_view(padded).substr(end + 1), out);
  return true;
}

// "<ts> [<level>] <event> [<logger>] k=v ..."
bool ParseStructlogConsole(std::string_view s, const ParsedTime& t, const TimeZone* zone,
                           LogRecord* out) {
  std::string_view rest = s.substr(t.length);
  if (rest.size() < 3 || rest[0] != ' ' || rest[1] != '[') return false;
  size_t close = rest.find(']');
  if (close == std::string_view::npos || close > 14) return false;
  Level level = ParseLevel(Trim(rest.substr(2, close - 2)));
  if (level == Level::kUnknown) return false;
  rest = rest.substr(close + 1);
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  size_t logger_end = 0;
  size_t logger_pos = FindStructlogLogger(rest, &logger_end);
  SetTime(t, zone, out);
  out->level = level;
  out->format = "structlog";
  if (logger_pos != std::string_view::npos) {
    out->message.assign(Trim(rest.substr(0, logger_pos)));
    out->logger.assign(rest.substr(logger_pos + 2, logger_end - logger_pos - 2));
    ParseFields(rest.substr(logger_end + 1), out);
  } else {
    out->message.assign(Trim(rest));
  }
  return true;
}

// After "{file.py:123} ": "LEVEL - msg". where is "file.py:123".
bool ParseClassicTail(std::string_view where, std::string_view rest, LogRecord* out) {
  size_t dash = rest.find(" - ");
  if (dash == std::string_view::npos || dash > 12) return false;
  Level level = ParseLevel(rest.substr(0, dash));
  if (level == Level::kUnknown) return false;
  out->level = level;
  out->logger.assign(where.substr(0, where.find(':')));
  out->message.assign(Trim(rest.substr(dash + 3)));
  return true;
}

// "{file:line} LEVEL - msg", optionally after "[SOURCE:DAG_PROCESSOR] ".
bool ParseBraced(std::string_view rest, LogRecord* out) {
  if (StartsWith(rest, "[SOURCE:")) {
    size_t close = rest.find("] ");
    if (close == std::string_view::npos) return false;
    rest.remove_prefix(close + 2);
  }
  if (rest.empty() || rest[0] != '{') return false;
  size_t close = rest.find('}');
  if (close == std::string_view::npos || close + 2 > rest.size()) return false;
  std::string_view where = rest.substr(1, close - 1);
  return ParseClassicTail(where, Trim(rest.substr(close + 1)), out);
}

// Timestamp-first bodies other than structlog console:
//   "<ts> {file:line} LEVEL - msg"                     (3.0 supervisor)
//   "<ts> logLevel=WARNING logger=name - msg k=v"      (custom log_format)
//   "<ts> LEVEL - msg", "<ts> - name - LEVEL - msg", "<ts> LEVEL msg"
bool ParseTimestampFirst(std::string_view s, const ParsedTime& t, const TimeZone* zone,
                         LogRecord* out) {
  std::string_view rest = s.substr(t.length);
  if (rest.empty() || rest[0] != ' ') return false;
  rest.remove_prefix(1);
  if (!rest.empty() && rest[0] == '{') {
    if (!ParseBraced(rest, out)) return false;
    out->format = "classic";
    SetTime(t, zone, out);
    return true;
  }
  // key=value header fields up to " - ".
  if (rest.size() > 4 && IsWordChar(rest[0])) {
    size_t eq = rest.find('=');
    size_t sp = rest.find(' ');
    if (eq != std::string_view::npos && eq < sp) {
      size_t dash = rest.find(" - ");
      if (dash != std::string_view::npos) {
        LogRecord head;
        ParseFields(rest.substr(0, dash), &head);
        Level level = Level::kUnknown;
        std::string logger;
        for (const auto& [k, v] : head.fields) {
          if (k == "logLevel" || k == "level" || k == "levelname" || k == "loglevel") {
            level = ParseLevel(v);
          } else if (k == "logger" || k == "name") {
            logger = v;
          }
        }
        if (level != Level::kUnknown) {
          SetTime(t, zone, out);
          out->level = level;
          out->logger = std::move(logger);
          out->format = "classic";
          std::string_view msg = rest.substr(dash + 3);
          // Trailing k=v pairs (structlog's extra keys) are fields.
          size_t kv = std::string_view::npos;
          for (size_t p = msg.find(' '); p != std::string_view::npos; p = msg.find(' ', p + 1)) {
            size_t k = p + 1;
            while (k < msg.size() && IsWordChar(msg[k])) ++k;
            if (k < msg.size() && msg[k] == '=' && k > p + 1) {
              LogRecord probe;
              ParseFields(msg.substr(p), &probe);
              // Accept only if the whole tail parses as fields.
              std::string_view tail = msg.substr(p);
              size_t consumed_eq = 0;
              for (char ch : tail) consumed_eq += ch == '=';
              if (probe.fields.size() == consumed_eq) {
                kv = p;
                out->fields = std::move(probe.fields);
                break;
              }
            }
          }
          out->message.assign(Trim(msg.substr(0, kv)));
          return true;
        }
      }
    }
  }
  // "- name - LEVEL - msg"
  if (StartsWith(rest, "- ")) {
    size_t d1 = rest.find(" - ", 2);
    if (d1 == std::string_view::npos) return false;
    std::string_view after = rest.substr(d1 + 3);
    size_t d2 = after.find(" - ");
    if (d2 == std::string_view::npos) return false;
    Level level = ParseLevel(after.substr(0, d2));
    if (level == Level::kUnknown) return false;
    SetTime(t, zone, out);
    out->level = level;
    out->logger.assign(rest.substr(2, d1 - 2));
    out->message.assign(Trim(after.substr(d2 + 3)));
    out->format = "classic";
    return true;
  }
  // "LEVEL - msg" / "LEVEL msg" / "[LEVEL] msg"
  size_t w = 0;
  bool bracket = !rest.empty() && rest[0] == '[';
  if (bracket) ++w;
  size_t we = w;
  while (we < rest.size() && std::isalpha(static_cast<unsigned char>(rest[we]))) ++we;
  Level level = ParseLevel(rest.substr(w, we - w));
  if (level == Level::kUnknown) return false;
  std::string_view word = rest.substr(w, we - w);
  if (!bracket &&
      !std::all_of(word.begin(), word.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return false;
  }
  if (bracket) {
    if (we >= rest.size() || rest[we] != ']') return false;
    ++we;
  }
  std::string_view msg = rest.substr(we);
  if (StartsWith(msg, " - ")) msg.remove_prefix(3);
  SetTime(t, zone, out);
  out->level = level;
  out->message.assign(Trim(msg));
  out->format = "classic";
  return true;
}

// "[<ts>] {file.py:123} LEVEL - msg", "[<ts>] [pid] [LEVEL] msg" (gunicorn),
// "[<ts>: LEVEL/Process] msg" (celery), "[<ts>] LEVEL - msg".
bool ParseBracketed(std::string_view s, const TimeZone* zone, LogRecord* out) {
  if (s.size() < 2 || s[0] != '[') return false;
  ParsedTime t = ParseIsoTimestamp(s.substr(1));
  if (t.length == 0) return false;
  std::string_view rest = s.substr(1 + t.length);
  if (rest.empty()) return false;
  if (rest[0] == ':') {  // Celery
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view inner = Trim(rest.substr(1, close - 1));
    size_t slash = inner.find('/');
    Level level = ParseLevel(inner.substr(0, slash));
    if (level == Level::kUnknown) return false;
    SetTime(t, zone, out);
    out->level = level;
    out->format = "celery";
    // The part after '/' is Celery's process name, not a logger.
    if (slash != std::string_view::npos)
      out->fields.emplace_back("process", inner.substr(slash + 1));
    out->message.assign(Trim(rest.substr(close + 1)));
    return true;
  }
  if (rest[0] != ']') return false;
  rest = rest.substr(1);
  if (rest.size() > 1 && rest[0] == ' ' && (rest[1] == '{' || StartsWith(rest, " [SOURCE:"))) {
    if (!ParseBraced(rest.substr(1), out)) return false;
    SetTime(t, zone, out);
    out->format = "classic";
    return true;
  }
  if (rest.size() > 1 && rest[0] == ' ' && rest[1] == '[') {
    // gunicorn: " [pid] [LEVEL] msg"
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view pid = rest.substr(2, close - 2);
    if (pid.empty() || pid.size() > 12 ||
        !std::all_of(pid.begin(), pid.end(), [](char c) { return IsDigit(c); })) {
      return false;
    }
    rest = rest.substr(close + 1);
    if (rest.size() < 3 || rest[0] != ' ' || rest[1] != '[') return false;
    size_t lclose = rest.find(']');
    if (lclose == std::string_view::npos) return false;
    Level level = ParseLevel(rest.substr(2, lclose - 2));
    if (level == Level::kUnknown) return false;
    SetTime(t, zone, out);
    out->level = level;
    out->format = "gunicorn";
    out->process.pid = std::stoll(std::string(pid));
    out->message.assign(Trim(rest.substr(lclose + 1)));
    return true;
  }
  // "[ts] LEVEL - msg"
  std::string_view tail = Trim(rest);
  size_t dash = tail.find(" - ");
  if (dash != std::string_view::npos && dash <= 9 &&
      ParseLevel(tail.substr(0, dash)) != Level::kUnknown) {
    SetTime(t, zone, out);
    out->level = ParseLevel(tail.substr(0, dash));
    out->format = "classic";
    out->message.assign(Trim(tail.substr(dash + 3)));
    return true;
  }
  return false;
}

// "INFO:     msg" (uvicorn's default formatter pads "LEVEL:" to 9 columns).
bool ParseUvicorn(std::string_view s, LogRecord* out) {
  if (!IsUvicornHeader(s)) return false;
  size_t colon = s.find(':');
  out->level = ParseLevel(s.substr(0, colon));
  out->format = "uvicorn";
  out->message.assign(Trim(s.substr(colon + 1)));
  // "Started server process [51990]" names the process that prints it.
  for (std::string_view marker : {"Started server process [", "Started parent process [",
                                  "Finished server process [", "Stopping parent process ["}) {
    if (StartsWith(out->message, marker)) {
      int64_t pid = 0;
      size_t i = marker.size();
      while (i < out->message.size() && IsDigit(out->message[i]) && pid < (int64_t{1} << 40)) {
        pid = pid * 10 + (out->message[i++] - '0');
      }
      if (i < out->message.size() && out->message[i] == ']') out->process.pid = pid;
    }
  }
  return true;
}

bool ParseJson(std::string_view s, const TimeZone* zone, LogRecord* out) {
  simdjson::padded_string padded(s);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return false;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return false;
  std::string event, level, timestamp, logger, log, time, stream;
  std::vector<std::pair<std::string, std::string>> fields;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
    simdjson::ondemand::value value;
    if (field.value().get(value) != simdjson::SUCCESS) return false;
    std::string_view text;
    simdjson::ondemand::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return false;
    if (type == simdjson::ondemand::json_type::string) {
      if (value.get_string().get(text) != simdjson::SUCCESS) return false;
    } else {
      text = Trim(value.raw_json_token());
    }
    if (key == "event" || key == "message" || key == "msg") {
      if (event.empty()) event.assign(text);
    } else if (key == "level" || key == "levelname" || key == "severity") {
      level.assign(text);
    } else if (key == "timestamp" || key == "asctime" || key == "@timestamp") {
      timestamp.assign(text);
    } else if (key == "logger" || key == "name" || key == "logger_name") {
      logger.assign(text);
    } else if (key == "log") {
      log.assign(text);
    } else if (key == "time") {
      time.assign(text);
    } else if (key == "stream") {
      stream.assign(text);
    } else {
      fields.emplace_back(std::string(key), std::string(text));
    }
  }
  if (!log.empty() && event.empty()) {
    // Docker json-file read without framing (a single pasted line).
    while (!log.empty() && (log.back() == '\n' || log.back() == '\r')) log.pop_back();
    DecodeLine(log, DecoderOptions{}, out);
    if (out->time_quality == TimeQuality::kNone && !time.empty()) {
      ParsedTime t = ParseIsoTimestamp(time);
      if (t.length > 0) SetTime(t, zone, out);
    }
    out->text.assign(s);
    return true;
  }
  if (event.empty() && timestamp.empty()) return false;
  out->format = "json";
  out->message = std::move(event);
  out->level = ParseLevel(level);
  out->logger = std::move(logger);
  out->fields = std::move(fields);
  if (timestamp.empty()) timestamp = time;
  ParsedTime t = ParseIsoTimestamp(timestamp);
  if (t.length > 0) SetTime(t, zone, out);
  return true;
}

// Decodes a cleaned line (no ANSI, valid UTF-8) with its peel. The
// wrapper's time is the caller's to resolve (ResolveWall): out's time is the
// body's own, if any.
void DecodePeeled(std::string_view line, const Peeled& p, const TimeZone* zone, LogRecord* out) {
  out->text.assign(line);
  std::string_view s = p.body;
  bool parsed = false;
  if (!s.empty()) {
    char c = s[0];
    if (c == '{') {
      parsed = ParseJson(s, zone, out);
    } else if (c == '[') {
      parsed = ParseBracketed(s, zone, out);
    } else if (IsDigit(c)) {
      ParsedTime t = ParseIsoTimestamp(s);
      if (t.length > 0) {
        parsed = ParseStructlogConsole(s, t, zone, out) || ParseTimestampFirst(s, t, zone, out);
        if (!parsed) {
          // A timestamp and text we do not know: keep the time at least.
          SetTime(t, zone, out);
          out->message.assign(Trim(s.substr(t.length)));
          out->format = "bare";
          parsed = true;
        }
      }
    } else if (c >= 'A' && c <= 'Z') {
      parsed = ParseUvicorn(s, out);
    }
  }
  if (!parsed) {
    out->format = "bare";
    out->message.assign(Trim(s));
  }
  // JSON escapes can produce NUL or stray bytes the raw line did not have.
  auto clean = [](std::string* v) {
    if (!IsCleanText(*v)) *v = SanitizeText(*v);
  };
  clean(&out->message);
  clean(&out->logger);
  for (auto& [k, v] : out->fields) {
    clean(&k);
    clean(&v);
  }
  if (!p.host.empty() && out->process.host.empty()) {
    // Nested prefixes name the process together: "airflow-1/scheduler".
    out->process.host.assign(p.host);
    if (!p.inner.empty()) out->process.host.append("/").append(p.inner);
  }
  if (p.pid != 0 && out->process.pid == 0) out->process.pid = p.pid;
  // The innermost prefix that names a component names it.
  std::string_view component;
  for (int i = p.num_names - 1; i >= 0 && component.empty(); --i) {
    component = InferComponent(p.names[i]);
  }
  if (component.empty() && !p.container.empty()) component = InferComponent(p.container);
  if (!component.empty()) {
    out->process.component.assign(component);
  } else if (!p.ident.empty()) {
    out->process.component.assign(InferComponent(p.ident));
  }
  if (out->process.component.empty() && !p.host.empty()) {
    out->process.component.assign(InferComponent(p.host));
  }
  if (out->process.component.empty() && !out->logger.empty()) {
    out->process.component.assign(InferComponent(out->logger));
  }
}

// Cleans a raw line into *buf if needed (ANSI, NUL, invalid UTF-8) and
// returns the view to read. known_clean: raw is known to be valid UTF-8
// without NUL (Chunk::clean), so only ANSI is looked for.
std::string_view Clean(std::string_view raw, bool known_clean, std::string* buf) {
  while (!raw.empty() && (raw.back() == '\r' || raw.back() == '\n')) raw.remove_suffix(1);
  const bool ansi = std::memchr(raw.data(), '\x1b', raw.size()) != nullptr;
  const bool dirty = !known_clean && !IsCleanText(raw);
  if (!ansi && !dirty) return raw;
  // Strip first: an escape sequence may swallow a byte the sanitiser would
  // have expanded into U+FFFD, leaving half of it behind.
  std::string tmp = ansi ? StripAnsi(raw) : std::string(raw);
  *buf = dirty || !IsCleanText(tmp) ? SanitizeText(tmp) : std::move(tmp);
  return *buf;
}

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

// ---------------------------------------------------------------------------
// Wrapper times: completing the partial ones.

constexpr int64_t kSecondUs = 1000000;
constexpr int64_t kDayUs = 86400 * kSecondUs;
constexpr int64_t kHourUs = 3600 * kSecondUs;
// Zone offsets are multiples of a quarter hour (Nepal's +05:45 included).
constexpr int64_t kOffsetStepUs = int64_t{15} * 60 * kSecondUs;
// The widest zone offsets in use: -12:00 and +14:00.
constexpr int64_t kMaxOffsetUs = 14 * kHourUs;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t CivilYear(int64_t utc_us) {
  const time_t t = static_cast<time_t>(FloorDiv(utc_us, kSecondUs));
  struct tm tm;
  if (gmtime_r(&t, &tm) == nullptr) return 1970;
  return int64_t{tm.tm_year} + 1900;
}

// The wall clock of a kYearless time in year y, read as if it were UTC.
int64_t WallInYear(const WallTime& w, int64_t y) {
  return DaysFromCivil(y, w.month, w.day) * kDayUs + w.us;
}

bool IsPartial(const WallTime& w) {
  return w.kind != WallKind::kNone && w.kind != WallKind::kZoned;
}

// What the lines of one clock taught about its partial times.
struct ClockFacts {
  bool has_offset = false;
  // Learned from a time printed with a zone: offset_us is the clock's offset
  // from UTC. Else it was learned from a time printed without one and is the
  // offset from the zone option's local time (which such times are read in).
  bool offset_exact = false;
  int64_t offset_us = 0;  // The clock's wall time minus the reference's.
  bool has_anchor = false;
  int64_t anchor_us = 0;  // The UTC time of a line of it that had both times.
};

// A line carries the partial wrapper time w and a full time of its own,
// inner (as parsed: a zoneless time is its wall clock read as UTC), which is
// inner_utc in UTC. Learns what that says about w's clock: a date anchor
// always; the offset (the difference rounded to a quarter hour, if within
// +-14 h), exact from a zoned time, relative to the zone option from a
// zoneless one (which never replaces an exact one).
void LearnClock(const WallTime& w, const ParsedTime& inner, int64_t inner_utc, ClockFacts* f) {
  if (!IsPartial(w)) return;
  f->has_anchor = true;
  f->anchor_us = inner_utc;
  if (!inner.has_zone && f->has_offset && f->offset_exact) return;
  const int64_t ref = inner.has_zone ? inner_utc : inner.utc_us;
  int64_t raw = 0;
  if (w.kind == WallKind::kLocal) {
    raw = w.us - ref;
  } else if (w.kind == WallKind::kYearless) {
    // The year that puts the wall clock nearest the line's own time (New
    // Year's Eve may separate them).
    const int64_t y = CivilYear(ref);
    raw = WallInYear(w, y) - ref;
    for (int64_t other : {y - 1, y + 1}) {
      const int64_t r = WallInYear(w, other) - ref;
      if ((r < 0 ? -r : r) < (raw < 0 ? -raw : raw)) raw = r;
    }
  } else {  // kTimeOfDay: the difference modulo a day, in (-12 h, +12 h].
    raw = w.us - (ref - FloorDiv(ref, kDayUs) * kDayUs);
    raw -= FloorDiv(raw, kDayUs) * kDayUs;
    if (raw > kDayUs / 2) raw -= kDayUs;
  }
  if (raw > kDayUs || raw < -kDayUs) return;  // Not a zone: a wrong year, a bad clock.
  const int64_t rounded = FloorDiv(raw + kOffsetStepUs / 2, kOffsetStepUs) * kOffsetStepUs;
  if (rounded > kMaxOffsetUs || rounded < -kMaxOffsetUs) return;
  f->has_offset = true;
  f->offset_exact = inner.has_zone;
  f->offset_us = rounded;
}

// How to complete a partial wrapper time.
struct Completion {
  const ClockFacts* clock = nullptr;  // What its clock taught, if anything.
  const TimeZone* zone = nullptr;     // The zone without a learned offset (null: UTC).
  int64_t anchor_us = 0;              // The date is the one nearest this time,
  bool not_after = false;             // or the latest not after it (a file's mtime).
};

// Resolves w to UTC microseconds; returns the quality: exact for a zoned
// time or one completed with a learned offset, assumed_zone otherwise.
// REQUIRES: w.kind != kNone.
TimeQuality ResolveWall(const WallTime& w, const Completion& c, int64_t* utc_us) {
  if (w.kind == WallKind::kZoned) {
    *utc_us = w.us;
    return TimeQuality::kExact;
  }
  const bool learned = c.clock != nullptr && c.clock->has_offset;
  const bool exact = learned && c.clock->offset_exact;
  auto to_utc = [&](int64_t wall) {
    if (exact) return wall - c.clock->offset_us;
    if (learned) wall -= c.clock->offset_us;  // Now in the zone option's local time.
    return c.zone != nullptr ? c.zone->LocalToUtc(wall) : wall;
  };
  const TimeQuality quality = exact ? TimeQuality::kExact : TimeQuality::kAssumedZone;
  if (w.kind == WallKind::kLocal) {
    *utc_us = to_utc(w.us);
    return quality;
  }
  const bool anchored = c.clock != nullptr && c.clock->has_anchor;
  const int64_t anchor = anchored ? c.clock->anchor_us : c.anchor_us;
  const bool not_after = !anchored && c.not_after;
  // Three candidates a year (or a day) apart around the anchor.
  int64_t cand[3];
  if (w.kind == WallKind::kYearless) {
    const int64_t y = CivilYear(anchor);
    for (int i = 0; i < 3; ++i) cand[i] = to_utc(WallInYear(w, y - 1 + i));
  } else {
    const int64_t day = FloorDiv(anchor, kDayUs);
    for (int i = 0; i < 3; ++i) cand[i] = to_utc((day - 1 + i) * kDayUs + w.us);
  }
  int64_t best = cand[1];
  if (not_after) {
    // A file is written after its lines: the latest candidate not after its
    // mtime, else the earliest. A year-less date may be two days later (as
    // it always was here: a wrong zone option must not cost a year).
    const int64_t limit = anchor + (w.kind == WallKind::kYearless ? 2 * kDayUs : 0);
    best = cand[0];
    for (int64_t t : cand) {
      if (t <= limit && t > best) best = t;
    }
  } else {
    auto dist = [&](int64_t t) { return t > anchor ? t - anchor : anchor - t; };
    for (int64_t t : cand) {
      if (dist(t) < dist(best)) best = t;
    }
  }
  *utc_us = best;
  return quality;
}

}  // namespace

std::string StripAnsi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\x1b') {
      out.push_back(text[i]);
      continue;
    }
    // CSI: ESC [ params final-byte(0x40-0x7e). OSC: ESC ] ... BEL or ESC \.
    // Other escapes: drop ESC + 1.
    if (i + 1 < text.size() && text[i + 1] == '[') {
      size_t j = i + 2;
      while (j < text.size() && !(text[j] >= 0x40 && text[j] <= 0x7e)) ++j;
      i = j;
    } else if (i + 1 < text.size() && text[i + 1] == ']') {
      size_t j = i + 2;
      while (j < text.size() && text[j] != '\x07' &&
             !(text[j] == '\x1b' && j + 1 < text.size() && text[j + 1] == '\\')) {
        ++j;
      }
      i = j < text.size() && text[j] == '\x1b' ? j + 1 : j;
    } else {
      ++i;
    }
  }
  return out;
}

void DecodeLine(std::string_view raw, const DecoderOptions& options, LogRecord* out) {
  std::string buf;
  std::string_view line = Clean(raw, false, &buf);
  Peeled p;
  Peel(line, &p);
  DecodePeeled(line, p, options.zone.get(), out);
  if (out->time_quality == TimeQuality::kNone && p.wrapper.kind != WallKind::kNone) {
    // No context: nothing learned; the date nearest now, the zone option's zone.
    Completion c;
    c.zone = options.zone.get();
    c.anchor_us = NowSeconds() * kSecondUs;
    c.not_after = true;
    out->time_quality = ResolveWall(p.wrapper, c, &out->time_us);
  }
}

// ---------------------------------------------------------------------------
// Decoder: record framing and time inheritance over a chunk.

struct Decoder::Impl {
  // Lines an own-stream time search walks when a neighbour's time is known
  // (InheritTime).
  static constexpr int kOwnAfterAny = 64;

  SourceContext ctx;
  DecoderOptions opt;
  const TimeZone* zone = nullptr;
  ProcessIdentity path_identity;
  int64_t year_hint = 0;
  uint64_t chunk_seq = 0;
  bool chunk_clean = false;  // Chunk::clean of the chunk being read.

  // A record start, resolved: where it is and what it said.
  struct Start {
    bool found = false;
    bool in_chunk = false;  // Else carried from an earlier chunk.
    size_t pos = 0;         // Start of the line in the chunk, if in_chunk.
    uint64_t index = 0;     // Its line index in the chunk, if in_chunk.
  };
  struct Carry {
    LogRecord record;  // The decoded start of the stream's open record.
    bool has_record = false;
    int64_t time_us = 0;  // Last own time of the stream.
    TimeQuality time_quality = TimeQuality::kNone;
  };
  struct Memo {
    uint64_t seq = ~uint64_t{0};
    size_t pos = 0;  // A line of the stream resolved in this chunk...
    Start start;     // ...to this start.
  };
  struct TimeMemo {
    uint64_t seq = ~uint64_t{0};
    size_t pos = 0;  // A line resolved in this chunk...
    bool found = false;
    int64_t us = 0;
    TimeQuality quality = TimeQuality::kNone;
  };
  std::unordered_map<uint64_t, Carry> carry;
  std::unordered_map<uint64_t, Memo> start_memo;
  std::unordered_map<uint64_t, TimeMemo> time_memo;
  TimeMemo any_time_memo;
  int64_t global_time_us = 0;
  TimeQuality global_quality = TimeQuality::kNone;
  bool have_global_time = false;

  // Wrapper clocks (Peeled::clock) and what their lines taught; kept for the
  // whole source (bounded like carry).
  std::unordered_map<uint64_t, ClockFacts> clocks;
  // The latest line time with a full date seen in the source (any stream):
  // dates a clock that taught nothing, before the file's mtime does.
  bool have_source_anchor = false;
  int64_t source_anchor_us = 0;
  // Lines [lo, hi) of the chunk were searched for lines with both times.
  struct ScanMemo {
    uint64_t seq = ~uint64_t{0};
    size_t lo = 0, hi = 0;
  };
  ScanMemo scanned;

  // A line's own time, found but maybe not resolved yet: EndChunk resolves
  // the wrapper times it collects after its walk has learned from the
  // lines before them.
  struct RawTime {
    bool found = false;
    bool wall = false;  // Else us and quality are final.
    int64_t us = 0;
    TimeQuality quality = TimeQuality::kNone;
    WallTime w;
    uint64_t clock = 0;
  };

  // The line before the one starting at pos, or false at the chunk start.
  static bool PrevLine(std::string_view d, size_t pos, size_t* begin, size_t* end) {
    if (pos == 0) return false;
    *end = pos - 1;  // The '\n'.
    const void* nl = *end == 0 ? nullptr : memrchr(d.data(), '\n', *end);
    *begin = nl == nullptr ? 0 : static_cast<size_t>(static_cast<const char*>(nl) - d.data()) + 1;
    return true;
  }

  // Peels a raw line of the chunk. The returned views point into the chunk
  // or, for a line that needed cleaning (ANSI codes, bad bytes), into *buf:
  // they are valid while *buf is neither changed nor destroyed. Each caller
  // owns its buffer, so a nested peel (KindOf looking at the line before)
  // can never free the text an outer view still reads.
  Peeled PeelAt(std::string_view raw, std::string* buf) const {
    std::string_view line = Clean(raw, chunk_clean, buf);
    Peeled p;
    Peel(line, &p);
    return p;
  }

  // The time the body of p prints, as parsed (a zoneless time is its wall
  // clock read as UTC), or length 0.
  static ParsedTime BodyTime(const Peeled& p) {
    std::string_view b = p.body;
    if (ParsedTime t = BodyIso(p); t.length > 0) return t;
    if (!b.empty() && b[0] == '[') return ParseIsoTimestamp(b.substr(1));
    if (!b.empty() && b[0] == '{') {
      size_t k = b.substr(0, 512).find("\"timestamp\":\"");
      if (k != std::string_view::npos) return ParseIsoTimestamp(b.substr(k + 13));
    }
    return ParsedTime();
  }

  // t in UTC: a zoneless time is read in the zone option.
  int64_t ToUtc(const ParsedTime& t) const {
    return !t.has_zone && zone != nullptr ? zone->LocalToUtc(t.utc_us) : t.utc_us;
  }

  // A line of clock p.clock printed its own full time t (as BodyTime
  // returns it), utc_us in UTC: it dates the source and, beside a partial
  // wrapper time, teaches the clock.
  void Observe(const Peeled& p, const ParsedTime& t, int64_t utc_us) {
    have_source_anchor = true;
    source_anchor_us = utc_us;
    if (!IsPartial(p.wrapper)) return;
    if (clocks.size() > 4096) clocks.clear();
    LearnClock(p.wrapper, t, utc_us, &clocks[p.clock]);
  }

  // How to complete a partial time of clock: with what it taught, else with
  // the zone option and the date nearest the source's latest full time, else
  // the latest not after the file's mtime (the current time for a stream).
  Completion CompletionFor(uint64_t clock) const {
    Completion c;
    auto it = clocks.find(clock);
    if (it != clocks.end()) c.clock = &it->second;
    c.zone = zone;
    if (have_source_anchor) {
      c.anchor_us = source_anchor_us;
    } else {
      c.anchor_us = year_hint * kSecondUs;
      c.not_after = true;
    }
    return c;
  }

  // Before resolving a partial time of p's clock that taught no offset yet:
  // looks around pos (the line's start) in the chunk for lines with both
  // times, learning from every one (see LookAround).
  void EnsureClock(std::string_view d, size_t pos, const Peeled& p) {
    if (!IsPartial(p.wrapper)) return;
    auto it = clocks.find(p.clock);
    if (it != clocks.end() && it->second.has_offset && it->second.offset_exact) return;
    LookAround(d, pos);
  }

  // Searches lookback_bytes before and after pos for lines that print a
  // partial wrapper time and a full time of their own, and learns from each
  // (Observe). Lines the chunk already had searched are skipped, so that a
  // chunk is walked at most once however many candidates ask.
  void LookAround(std::string_view d, size_t pos) {
    if (scanned.seq != chunk_seq) scanned = ScanMemo{chunk_seq, pos, pos};
    const size_t from = pos > opt.lookback_bytes ? LineStartAfter(d, pos - opt.lookback_bytes) : 0;
    const size_t to = std::min(d.size(), pos + opt.lookback_bytes);
    if (from < scanned.lo) {
      ScanLines(d, from, scanned.lo);
      scanned.lo = from;
    }
    if (to > scanned.hi) scanned.hi = ScanLines(d, scanned.hi, to);
  }

  // The first line start at or after pos.
  static size_t LineStartAfter(std::string_view d, size_t pos) {
    if (pos == 0) return 0;
    size_t nl = d.find('\n', pos - 1);
    return nl == std::string_view::npos ? d.size() : nl + 1;
  }

  // Observes the lines that start in [from, to); returns where the line
  // after the last one starts. REQUIRES: from is a line start.
  size_t ScanLines(std::string_view d, size_t from, size_t to) {
    std::string buf;
    size_t b = from;
    while (b < to && b < d.size()) {
      size_t e = d.find('\n', b);
      if (e == std::string_view::npos) e = d.size();
      Peeled q = PeelAt(d.substr(b, e - b), &buf);
      if (IsPartial(q.wrapper)) {
        ParsedTime t = BodyTime(q);
        if (t.length > 0) Observe(q, t, ToUtc(t));
      }
      b = e + 1;
    }
    return std::min(b, d.size());
  }

  // A line's own time: its body's, else its wrapper's (resolved now, or in
  // raw->w for the caller to resolve with Resolve).
  RawTime OwnRaw(const Peeled& p) {
    RawTime r;
    ParsedTime t = BodyTime(p);
    if (t.length > 0) {
      r.found = true;
      r.us = ToUtc(t);
      Observe(p, t, r.us);
      r.quality = t.has_zone ? TimeQuality::kExact : TimeQuality::kAssumedZone;
    } else if (p.wrapper.kind != WallKind::kNone) {
      r.found = true;
      r.wall = true;
      r.w = p.wrapper;
      r.clock = p.clock;
    }
    return r;
  }

  void Resolve(RawTime* r) const {
    if (!r->found || !r->wall) return;
    r->quality = ResolveWall(r->w, CompletionFor(r->clock), &r->us);
    r->wall = false;
  }

  // A line's own time (body or wrapper); false if none.
  bool OwnTime(const Peeled& p, int64_t* us, TimeQuality* q) {
    RawTime r = OwnRaw(p);
    if (!r.found) return false;
    Resolve(&r);
    *us = r.us;
    *q = r.quality;
    return true;
  }

  // Classify, plus the one shape that needs context: an art line continues
  // the banner if the stream's previous line (within 8 lines) is art too.
  LineKind KindOf(std::string_view d, size_t begin, const Peeled& p) {
    LineKind k = Classify(p);
    if (k != LineKind::kArt) return k;
    std::string buf;
    size_t b = begin, e = 0;
    for (int n = 0; n < 8 && PrevLine(d, b, &b, &e); ++n) {
      Peeled q = PeelAt(d.substr(b, e - b), &buf);
      if (q.stream != p.stream) continue;
      return Classify(q) == LineKind::kArt ? LineKind::kContinuation : LineKind::kStart;
    }
    return LineKind::kStart;
  }

  // The start of the record the line at begin (index in the chunk) belongs to.
  Start FindStart(std::string_view d, size_t begin, uint64_t index, const Peeled& p) {
    LineKind k = KindOf(d, begin, p);
    Start s;
    if (k != LineKind::kContinuation) {
      s = Start{true, true, begin, index};
      Memo& m = start_memo[p.stream];
      if (m.seq != chunk_seq || m.pos < begin) m = Memo{chunk_seq, begin, s};
      return s;
    }
    Memo& memo = start_memo[p.stream];
    const bool memo_valid = memo.seq == chunk_seq && memo.pos < begin;
    size_t b = 0, e = 0, pos = begin;
    int same = 0, visited = 0;
    std::optional<size_t> earliest;  // Earliest continuation of the stream seen.
    uint64_t earliest_index = 0;
    std::string buf;
    while (same < opt.lookback_lines && visited < 8 * opt.lookback_lines) {
      if (!PrevLine(d, pos, &b, &e)) {
        // Reached the chunk start: the stream's carried record, if any. At
        // the start of the source, a record may begin without a header (a
        // traceback printed before any log line): its first line starts it.
        auto it = carry.find(p.stream);
        if (it != carry.end() && it->second.has_record) {
          s = Start{true, false, 0};
        } else if (chunk_seq == 0) {
          s = earliest ? Start{true, true, *earliest, earliest_index}
                       : Start{true, true, begin, index};
        }
        break;
      }
      if (begin - b > opt.lookback_bytes) break;  // Beyond the look-back.
      pos = b;
      ++visited;
      if (memo_valid && b <= memo.pos) {
        if (b == memo.pos) {
          s = memo.start;
          break;
        }
      }
      Peeled q = PeelAt(d.substr(b, e - b), &buf);
      if (q.stream != p.stream) continue;
      ++same;
      if (KindOf(d, b, q) != LineKind::kContinuation) {
        s = Start{true, true, b, index - static_cast<uint64_t>(visited)};
        break;
      }
      earliest = b;
      earliest_index = index - static_cast<uint64_t>(visited);
    }
    // Memos only move forward: a search for an earlier line (a record's
    // start) must not make later searches walk again.
    if (memo.seq != chunk_seq || memo.pos < begin) memo = Memo{chunk_seq, begin, s};
    return s;
  }

  // Walks back from the line at begin to the nearest line with a time of its
  // own, among the lines of *stream (any stream if null), reusing and
  // updating memo. At the chunk start the answer is fallback.
  // max_visited (> 0) bounds the lines walked over, of any stream, below
  // the usual 8 * lookback_lines.
  TimeMemo SearchTime(std::string_view d, size_t begin, const uint64_t* stream, TimeMemo* memo,
                      const TimeMemo& fallback, int max_visited = 0) {
    const bool memo_valid = memo->seq == chunk_seq && memo->pos < begin;
    size_t b = 0, e = 0, pos = begin;
    int same = 0, visited = 0;
    const int visit_bound = max_visited > 0 ? max_visited : 8 * opt.lookback_lines;
    TimeMemo result;
    std::string buf;
    while (same < opt.lookback_lines && visited < visit_bound) {
      if (!PrevLine(d, pos, &b, &e)) {
        result = fallback;
        break;
      }
      if (begin - b > opt.lookback_bytes) break;  // Beyond the look-back.
      pos = b;
      ++visited;
      if (memo_valid && b == memo->pos) {
        result = *memo;
        break;
      }
      Peeled pl = PeelAt(d.substr(b, e - b), &buf);
      if (stream != nullptr && pl.stream != *stream) continue;
      ++same;
      if (OwnTime(pl, &result.us, &result.quality)) {
        result.found = true;
        break;
      }
    }
    if (memo->seq != chunk_seq || memo->pos < begin) {
      *memo = result;
      memo->seq = chunk_seq;
      memo->pos = begin;
    }
    return result;
  }

  // Time of the nearest earlier timed line. Two candidates: the stream's
  // own last time (in this chunk, else carried) and the nearest timed line of
  // any stream. Interleaved output (`docker compose up`, `logs -f`) is in
  // arrival order, so the neighbour of any stream is the closer estimate;
  // but a line never precedes its own stream's previous line, so a
  // neighbour earlier than that (output grouped per container) loses.
  // grouped: the line's stream is a kubectl --prefix container. kubectl
  // prints one container's lines after another's unless it follows them
  // (-f), so a line before its stream's first time would take the time of
  // another container's block; it gets none, as in a file of its own. Once
  // the stream has a time, a later neighbour is still the closer estimate
  // (and within a block the nearest timed line is the stream's own).
  bool InheritTime(std::string_view d, size_t begin, uint64_t stream, bool grouped, int64_t* us,
                   TimeQuality* q) {
    TimeMemo carried;
    auto it = carry.find(stream);
    if (it != carry.end() && it->second.time_quality != TimeQuality::kNone) {
      carried.found = true;
      carried.us = it->second.time_us;
      carried.quality = it->second.time_quality;
    }
    TimeMemo global;
    global.found = have_global_time;
    global.us = global_time_us;
    global.quality = global_quality;
    TimeMemo own, any;
    if (grouped) {
      own = SearchTime(d, begin, &stream, &time_memo[stream], carried);
      if (!own.found) return false;
      any = SearchTime(d, begin, nullptr, &any_time_memo, global);
    } else {
      any = SearchTime(d, begin, nullptr, &any_time_memo, global);
      // Interleaved output (a neighbour of any stream has a time): the
      // stream's own earlier line wins only if it is later than that
      // neighbour, which happens when output is grouped per container,
      // where that line is close by. So the own search stops after
      // kOwnAfterAny lines: with thousands of interleaved streams (a
      // fleet), a full walk per stream start cost most of the ingest, to
      // find a time that loses anyway.
      own =
          SearchTime(d, begin, &stream, &time_memo[stream], carried, any.found ? kOwnAfterAny : 0);
    }
    TimeMemo r = own;
    if (any.found && (!own.found || any.us >= own.us)) r = any;
    if (!r.found) return false;
    *us = r.us;
    *q = r.quality;
    return true;
  }

  // Decodes the line at [begin, end) with its own fields only.
  // A line's own time is its body's, else its wrapper's, completed with
  // what the wrapper's clock taught (looked for around the line if needed).
  void DecodeOwn(std::string_view d, size_t begin, size_t end, LogRecord* out) {
    std::string buf;
    std::string_view line = Clean(d.substr(begin, end - begin), chunk_clean, &buf);
    Peeled p;
    Peel(line, &p);
    DecodePeeled(line, p, zone, out);
    if (ParsedTime t = BodyTime(p); t.length > 0) Observe(p, t, ToUtc(t));
    if (out->time_quality == TimeQuality::kNone && p.wrapper.kind != WallKind::kNone) {
      EnsureClock(d, begin, p);
      out->time_quality = ResolveWall(p.wrapper, CompletionFor(p.clock), &out->time_us);
    }
  }

  // Looks forward from a structlog header without a logger for the line
  // that ends its event ("... [logger] k=v").
  // The search stays inside the chunk: lines of an event cut by a chunk
  // boundary, before it, keep an empty logger.
  // from_line_start: begin is the first line to examine (a record carried
  // into this chunk), not the header itself.
  void FindTrailingLogger(std::string_view d, size_t begin, uint64_t stream, LogRecord* out,
                          bool from_line_start = false) {
    std::string buf;
    size_t b = begin;
    if (!from_line_start) {
      size_t nl = d.find('\n', begin);
      if (nl == std::string_view::npos) return;
      b = nl + 1;
    }
    for (int n = 0; n < 64 && b < d.size(); ++n) {
      size_t e = d.find('\n', b);
      if (e == std::string_view::npos) e = d.size();
      Peeled q = PeelAt(d.substr(b, e - b), &buf);
      b = e + 1;
      if (q.stream != stream) continue;
      if (Classify(q) != LineKind::kContinuation) return;
      if (TrailingLogger(q.body, out)) return;
    }
  }
};

Decoder::Decoder(SourceContext context, const DecoderOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->ctx = std::move(context);
  impl_->opt = options;
  if (impl_->opt.lookback_lines < 1) impl_->opt.lookback_lines = 1;
  impl_->zone = options.zone.get();
  impl_->path_identity = IdentityFromPath(impl_->ctx.name);
  impl_->year_hint = impl_->ctx.mtime > 0 ? impl_->ctx.mtime : NowSeconds();
}

Decoder::~Decoder() = default;

void Decoder::Decode(const Chunk& chunk, size_t begin, size_t end, uint64_t index, LogRecord* out) {
  ETIOLOG_DCHECK(begin <= end && end <= chunk.data.size(), "the line lies inside its chunk");
  ETIOLOG_DCHECK(index < chunk.lines, "the line index is one of the chunk's");
  Impl& m = *impl_;
  m.chunk_clean = chunk.clean;
  *out = LogRecord();
  std::string_view d = chunk.data;
  m.DecodeOwn(d, begin, end, out);
  out->offset = chunk.LineOffset(index, begin);
  out->line = chunk.LineNumber(index);
  out->record_line = out->line;

  std::string buf;
  Peeled p = m.PeelAt(d.substr(begin, end - begin), &buf);
  Impl::Start start = m.FindStart(d, begin, index, p);
  const bool own_start = start.found && start.in_chunk && start.pos == begin;
  LogRecord head;
  bool have_head = false;
  if (start.found && !own_start) {
    if (start.in_chunk) {
      size_t se = d.find('\n', start.pos);
      if (se == std::string_view::npos) se = d.size();
      m.DecodeOwn(d, start.pos, se, &head);
      head.line = chunk.LineNumber(start.index);
      if (head.time_quality == TimeQuality::kNone) {
        int64_t us = 0;
        TimeQuality q = TimeQuality::kNone;
        if (m.InheritTime(d, start.pos, p.stream, p.kubectl, &us, &q)) {
          head.time_us = us;
          head.time_quality = TimeQuality::kInherited;
        }
      }
    } else {
      head = m.carry[p.stream].record;
    }
    have_head = true;
    if (head.logger.empty() && head.format == "structlog") {
      m.FindTrailingLogger(d, start.in_chunk ? start.pos : 0, p.stream, &head, !start.in_chunk);
    }
  } else if (out->logger.empty() && out->format == "structlog") {
    m.FindTrailingLogger(d, begin, p.stream, out);
  }
  if (have_head) {
    out->continuation = true;
    out->record_line = head.line;
    out->level = head.level;
    out->logger = head.logger;
    if (out->format == "bare") out->format = head.format;
    if (out->process.host.empty()) out->process.host = head.process.host;
    if (out->process.component.empty()) out->process.component = head.process.component;
    if (out->process.pid == 0) out->process.pid = head.process.pid;
    if (out->time_quality == TimeQuality::kNone && head.time_quality != TimeQuality::kNone) {
      out->time_us = head.time_us;
      out->time_quality =
          head.time_quality == TimeQuality::kExact || head.time_quality == TimeQuality::kAssumedZone
              ? TimeQuality::kInherited
              : head.time_quality;
    }
  }
  if (out->time_quality == TimeQuality::kNone) {
    int64_t us = 0;
    TimeQuality q = TimeQuality::kNone;
    if (m.InheritTime(d, begin, p.stream, p.kubectl, &us, &q)) {
      out->time_us = us;
      out->time_quality = TimeQuality::kInherited;
    }
  }
  // Identity: the line, then the path; the user's labels override both.
  ProcessIdentity& id = out->process;
  if (id.component.empty()) id.component = m.path_identity.component;
  if (id.host.empty()) id.host = m.path_identity.host;
  if (!m.ctx.labels.component.empty()) id.component = m.ctx.labels.component;
  if (!m.ctx.labels.host.empty()) id.host = m.ctx.labels.host;
  if (m.ctx.labels.pid != 0) id.pid = m.ctx.labels.pid;

  if (out->time_quality != TimeQuality::kNone) {
    if (first_time_us_ == 0 || out->time_us < first_time_us_) first_time_us_ = out->time_us;
    if (out->time_us > last_time_us_) last_time_us_ = out->time_us;
  }
}

void Decoder::EndChunk(const Chunk& chunk) {
  Impl& m = *impl_;
  m.chunk_clean = chunk.clean;
  std::string_view d = chunk.data;
  std::string buf;  // Holds the cleaned text of the line being looked at.
  // One walk back from the end serves every stream. Streams met in the last
  // lookback_lines lines get a carry: their last own time in that window
  // (else the one they carried in) and their open record, whose start is
  // searched as FindStart would search it from the stream's last line (at
  // most lookback_lines lines of the stream, 8 * lookback_lines lines and
  // lookback_bytes bytes in all), all searches advancing together over
  // lines peeled once. Streams not met in the window lose their carry
  // rather than keep a stale one.
  struct Search {
    Impl::Carry carry;
    uint64_t latest_n = 0;      // Distance of the stream's last line from the end,
    size_t latest_begin = 0;    // its position
    uint64_t latest_index = 0;  // and its index.
    bool resolved = false;
    Impl::Start start;
    int same = 0;                    // Lines of the stream walked so far.
    bool memo_valid = false;         // start_memo[stream] lies before the last line.
    std::optional<size_t> earliest;  // Earliest line of the stream walked.
    uint64_t earliest_index = 0;
    bool time_done = false;
    Impl::RawTime time;  // The stream's last own time in the window.
  };
  Impl::RawTime global;  // The last own time of any stream in the window.
  std::unordered_map<uint64_t, Search> streams;
  size_t unresolved = 0;
  const int window = m.opt.lookback_lines;
  const uint64_t max_visit = 8 * static_cast<uint64_t>(window);
  bool global_done = false;
  size_t end = d.size();
  if (end > 0 && d[end - 1] == '\n') --end;
  for (uint64_t n = 0; end <= d.size(); ++n) {
    const bool in_window = n < static_cast<uint64_t>(window);
    if (!in_window && unresolved == 0) break;
    const void* nl = end == 0 ? nullptr : memrchr(d.data(), '\n', end);
    const size_t begin =
        nl == nullptr ? 0 : static_cast<size_t>(static_cast<const char*>(nl) - d.data()) + 1;
    const uint64_t index = chunk.lines > n ? chunk.lines - 1 - n : 0;
    if (unresolved > 0) {
      // Searches whose look-back ends before this line found nothing.
      for (auto& [id, s] : streams) {
        if (!s.resolved && s.latest_begin - begin > m.opt.lookback_bytes) {
          s.resolved = true;
          --unresolved;
        }
      }
      if (!in_window && unresolved == 0) break;
    }
    Peeled p = m.PeelAt(d.substr(begin, end - begin), &buf);
    const uint64_t stream = p.stream;
    auto it = streams.find(stream);
    if (it == streams.end() && in_window) {
      it = streams.try_emplace(stream).first;
      Search& s = it->second;
      s.latest_n = n;
      s.latest_begin = begin;
      s.latest_index = index;
      auto old = m.carry.find(stream);
      if (old != m.carry.end()) {
        s.carry.time_us = old->second.time_us;
        s.carry.time_quality = old->second.time_quality;
      }
      const Impl::Memo& memo = m.start_memo[stream];
      s.memo_valid = memo.seq == m.chunk_seq && memo.pos < begin;
      if (m.KindOf(d, begin, p) != LineKind::kContinuation) {
        s.resolved = true;
        s.start = Impl::Start{true, true, begin, index};
      } else {
        ++unresolved;
      }
    } else if (it != streams.end() && !it->second.resolved) {
      Search& s = it->second;
      const Impl::Memo& memo = m.start_memo[stream];
      if (s.memo_valid && begin == memo.pos) {
        s.start = memo.start;
        s.resolved = true;
      } else {
        ++s.same;
        if (m.KindOf(d, begin, p) != LineKind::kContinuation) {
          s.start = Impl::Start{true, true, begin, index};
          s.resolved = true;
        } else {
          s.earliest = begin;
          s.earliest_index = index;
        }
      }
      if (s.resolved) --unresolved;
    }
    if (in_window) {
      Search& s = it->second;
      if (!global_done || !s.time_done) {
        Impl::RawTime t = m.OwnRaw(p);
        if (t.found) {
          if (!global_done) {
            global = t;
            global_done = true;
          }
          if (!s.time_done) {
            s.time_done = true;
            s.time = t;
          }
        }
      }
    }
    // Searches that reached their bounds found nothing.
    if (unresolved > 0) {
      for (auto& [id, s] : streams) {
        if (!s.resolved && (s.same >= window || n - s.latest_n >= max_visit)) {
          s.resolved = true;
          --unresolved;
        }
      }
    }
    if (begin == 0) break;
    end = begin - 1;
  }
  // Wrapper times are resolved now that the walk has learned from the lines
  // before them. First timed line (for first_time_us), searching a bounded
  // prefix.
  if (first_time_us_ == 0) {
    size_t pos = 0;
    for (int n = 0; n < m.opt.lookback_lines && pos < d.size(); ++n) {
      size_t e = d.find('\n', pos);
      if (e == std::string_view::npos) e = d.size();
      int64_t us = 0;
      TimeQuality q = TimeQuality::kNone;
      if (m.OwnTime(m.PeelAt(d.substr(pos, e - pos), &buf), &us, &q)) {
        first_time_us_ = us;
        break;
      }
      pos = e + 1;
    }
  }
  if (global.found) {
    m.Resolve(&global);
    m.global_time_us = global.us;
    m.global_quality = global.quality;
    m.have_global_time = true;
    if (global.us > last_time_us_) last_time_us_ = global.us;
    if (first_time_us_ == 0 || global.us < first_time_us_) first_time_us_ = global.us;
  }
  // Searches that reached the chunk start: the stream's carried record, if
  // any; at the start of the source, a record may begin without a header.
  std::unordered_map<uint64_t, Impl::Carry> next;
  for (auto& [stream, s] : streams) {
    if (s.time.found) {
      m.Resolve(&s.time);
      s.carry.time_us = s.time.us;
      s.carry.time_quality = s.time.quality;
    }
    if (!s.resolved) {
      auto it = m.carry.find(stream);
      if (it != m.carry.end() && it->second.has_record) {
        s.start = Impl::Start{true, false, 0, 0};
      } else if (m.chunk_seq == 0) {
        s.start = s.earliest ? Impl::Start{true, true, *s.earliest, s.earliest_index}
                             : Impl::Start{true, true, s.latest_begin, s.latest_index};
      }
    }
    Impl::Carry& c = s.carry;
    if (s.start.found && s.start.in_chunk) {
      size_t se = d.find('\n', s.start.pos);
      if (se == std::string_view::npos) se = d.size();
      m.DecodeOwn(d, s.start.pos, se, &c.record);
      c.record.line = chunk.LineNumber(s.start.index);
      c.has_record = true;
    } else if (s.start.found) {
      c.record = m.carry[stream].record;
      c.has_record = true;
    }
    next.emplace(stream, std::move(c));
  }
  m.carry = std::move(next);
  if (m.carry.size() > 4096) m.carry.clear();
  // Memos hold positions in this chunk: none is valid in the next one.
  m.start_memo.clear();
  m.time_memo.clear();
  m.any_time_memo = Impl::TimeMemo();
  ++m.chunk_seq;
}

}  // namespace ingest
}  // namespace etiolog
