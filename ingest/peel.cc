// SPDX-License-Identifier: Apache-2.0
//
// Peeling wrappers and prefixes off a line, and classifying its body as a
// record start or a continuation. Runs on every line a look-back walks over,
// so nothing here allocates or calls the C library's character classes.

#include <algorithm>
#include <cctype>

#include "ingest/peel_internal.h"

namespace etiolog::ingest::internal {

namespace {

uint64_t Mix(uint64_t h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  h ^= 0xff;
  return h * 1099511628211ull;
}

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

}  // namespace

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

bool IsUvicornHeader(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon < 4 || colon > 8) return false;
  for (size_t i = 0; i < colon; ++i) {
    if (s[i] < 'A' || s[i] > 'Z') return false;
  }
  if (colon + 1 >= s.size() || s[colon + 1] != ' ') return false;
  return ParseLevel(s.substr(0, colon)) != Level::kUnknown;
}

namespace {

bool IsArt(std::string_view s) {
  if (s.size() < 20 || s.find("__") == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == '_' || c == '/' || c == '\\' || c == '|' || c == '(' || c == ')' || c == ' ';
  });
}

}  // namespace

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

}  // namespace etiolog::ingest::internal
