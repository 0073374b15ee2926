// SPDX-License-Identifier: Apache-2.0
//
// Both parsers are hand-written scanners over the text, reading at most a
// few dozen bytes: no allocation, no locale, no C library time functions
// (the zone is applied through TimeZone, which is free of global state).
//
// Units. kubectl, docker and systemd disagree on a month and a year (docker
// and kubectl: 30 and 365 days; systemd: 30.44 and 365.25 days); we read
// 30 and 365 days. The difference, under half a day per month, is below
// the resolution those tools print at that size.
//
// Zone abbreviations. systemctl prints the host's zone as strftime's %Z.
// An abbreviation is trusted only if it names one offset; CST (US Central,
// China, Cuba), IST (India, Ireland, Israel), BST (British Summer,
// Bangladesh), AST and the like are read in --timezone instead, which the
// user knows and we do not.

#include "ingest/dump_time.h"

#include <array>
#include <utility>

namespace etiolog {

namespace {

constexpr int64_t kUs = 1;
constexpr int64_t kMs = 1000;
constexpr int64_t kSec = 1000000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;

struct Unit {
  std::string_view name;  // Lower case.
  int64_t us;
};

constexpr Unit kUnits[] = {
    {"y", 365 * kDay},     {"yr", 365 * kDay},   {"yrs", 365 * kDay},   {"year", 365 * kDay},
    {"years", 365 * kDay}, {"month", 30 * kDay}, {"months", 30 * kDay}, {"w", 7 * kDay},
    {"week", 7 * kDay},    {"weeks", 7 * kDay},  {"d", kDay},           {"day", kDay},
    {"days", kDay},        {"h", kHour},         {"hr", kHour},         {"hrs", kHour},
    {"hour", kHour},       {"hours", kHour},     {"m", kMin},           {"min", kMin},
    {"mins", kMin},        {"minute", kMin},     {"minutes", kMin},     {"s", kSec},
    {"sec", kSec},         {"secs", kSec},       {"second", kSec},      {"seconds", kSec},
    {"ms", kMs},           {"msec", kMs},        {"us", kUs},           {"usec", kUs},
};

// Docker's words for short durations, and systemd's "now".
struct Phrase {
  std::string_view text;  // Lower case.
  int64_t us;
  int64_t resolution_us;
};

constexpr Phrase kPhrases[] = {
    {"less than a second", 0, kSec}, {"about a minute", kMin, kMin},
    {"about an hour", kHour, kHour}, {"a minute", kMin, kMin},
    {"an hour", kHour, kHour},       {"now", 0, kSec},
};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

// Does text start with word (lower case), case-insensitively, not followed
// by a letter?
bool StartsWithWord(std::string_view text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (Lower(text[i]) != word[i]) return false;
  }
  return text.size() == word.size() || !IsAlpha(text[word.size()]);
}

// The unit at text[pos...]: letters, or a micro sign and 's'. Returns its
// length (0 if none) and its value in *us.
size_t ReadUnit(std::string_view text, size_t pos, int64_t* us) {
  // "µs" as U+00B5 or U+03BC.
  for (std::string_view micro : {std::string_view("\xC2\xB5s"), std::string_view("\xCE\xBCs")}) {
    if (text.substr(pos, micro.size()) == micro &&
        (pos + micro.size() == text.size() || !IsAlpha(text[pos + micro.size()]))) {
      *us = kUs;
      return micro.size();
    }
  }
  size_t end = pos;
  while (end < text.size() && IsAlpha(text[end]) && end - pos < 8) ++end;
  if (end == pos || (end < text.size() && IsAlpha(text[end]))) return 0;
  std::array<char, 8> word{};
  for (size_t i = pos; i < end; ++i) word[i - pos] = Lower(text[i]);
  const std::string_view w(word.data(), end - pos);
  for (const Unit& u : kUnits) {
    if (u.name == w) {
      *us = u.us;
      return end - pos;
    }
  }
  return 0;
}

// A trailing " ago" (any case) after a duration ending at pos.
size_t SkipAgo(std::string_view text, size_t pos) {
  if (pos < text.size() && text[pos] == ' ' && StartsWithWord(text.substr(pos + 1), "ago")) {
    return pos + 4;
  }
  return pos;
}

// ---------------------------------------------------------------- dates

constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::string_view kWeekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// 1..12 for a month name (three letters, or the full name) at text[pos],
// with its length in *len; 0 if none.
int ReadMonth(std::string_view text, size_t pos, size_t* len) {
  static constexpr std::string_view kFull[] = {"january",   "february", "march",    "april",
                                               "may",       "june",     "july",     "august",
                                               "september", "october",  "november", "december"};
  for (int m = 0; m < 12; ++m) {
    if (StartsWithWord(text.substr(pos), kFull[m])) {
      *len = kFull[m].size();
      return m + 1;
    }
    if (StartsWithWord(text.substr(pos), kMonths[m])) {
      *len = 3;
      return m + 1;
    }
  }
  return 0;
}

// Skips a weekday name (three letters or the full name) and what follows
// it (a comma, spaces) at text[pos]; returns the new position, or pos.
size_t SkipWeekday(std::string_view text, size_t pos) {
  static constexpr std::string_view kFull[] = {"monday", "tuesday",  "wednesday", "thursday",
                                               "friday", "saturday", "sunday"};
  size_t len = 0;
  for (int d = 0; d < 7 && len == 0; ++d) {
    if (StartsWithWord(text.substr(pos), kFull[d])) len = kFull[d].size();
    if (StartsWithWord(text.substr(pos), kWeekdays[d])) len = 3;
  }
  if (len == 0) return pos;
  size_t p = pos + len;
  if (p < text.size() && text[p] == ',') ++p;
  if (p >= text.size() || text[p] != ' ') return pos;
  while (p < text.size() && text[p] == ' ') ++p;
  return p;
}

// Reads 1..max_digits digits at text[*pos] into *out.
bool ReadNumber(std::string_view text, size_t* pos, size_t max_digits, int* out) {
  size_t p = *pos;
  int v = 0;
  while (p < text.size() && IsDigit(text[p]) && p - *pos < max_digits) {
    v = v * 10 + (text[p] - '0');
    ++p;
  }
  if (p == *pos || (p < text.size() && IsDigit(text[p]))) return false;
  *out = v;
  *pos = p;
  return true;
}

// "HH:MM:SS" at text[*pos].
bool ReadClock(std::string_view text, size_t* pos, int* h, int* m, int* s) {
  size_t p = *pos;
  if (!ReadNumber(text, &p, 2, h) || p >= text.size() || text[p] != ':') return false;
  ++p;
  if (!ReadNumber(text, &p, 2, m) || p >= text.size() || text[p] != ':') return false;
  ++p;
  if (!ReadNumber(text, &p, 2, s)) return false;
  if (*h > 23 || *m > 59 || *s > 60) return false;
  *pos = p;
  return true;
}

// Zone abbreviations that name one UTC offset (minutes east).
struct Abbreviation {
  std::string_view name;
  int offset_minutes;
};

constexpr Abbreviation kZones[] = {
    {"UTC", 0},    {"GMT", 0},    {"UT", 0},      {"Z", 0},       {"WET", 0},    {"WEST", 60},
    {"CET", 60},   {"CEST", 120}, {"MET", 60},    {"MEST", 120},  {"EET", 120},  {"EEST", 180},
    {"MSK", 180},  {"EST", -300}, {"EDT", -240},  {"CDT", -300},  {"MST", -420}, {"MDT", -360},
    {"PST", -480}, {"PDT", -420}, {"AKST", -540}, {"AKDT", -480}, {"HST", -600}, {"JST", 540},
    {"KST", 540},  {"HKT", 480},  {"SGT", 480},   {"AEST", 600},  {"AEDT", 660}, {"ACST", 570},
    {"ACDT", 630}, {"AWST", 480}, {"NZST", 720},  {"NZDT", 780},
};

enum class Zone { kNone, kKnown, kUnknown };

// A zone at text[*pos]: "+HHMM", "+HH:MM", "-HHMM", or an abbreviation of
// 1..6 capitals. Known ones set *offset_minutes.
Zone ReadZone(std::string_view text, size_t* pos, int* offset_minutes) {
  size_t p = *pos;
  if (p < text.size() && (text[p] == '+' || text[p] == '-')) {
    const int sign = text[p] == '-' ? -1 : 1;
    ++p;
    int h = 0, m = 0;
    size_t q = p;
    if (!ReadNumber(text, &q, 2, &h) || q - p != 2) {
      // "+HHMM": four digits at once.
      int hhmm = 0;
      q = p;
      if (!ReadNumber(text, &q, 4, &hhmm) || q - p != 4) return Zone::kNone;
      h = hhmm / 100;
      m = hhmm % 100;
    } else if (q < text.size() && text[q] == ':') {
      ++q;
      size_t r = q;
      if (!ReadNumber(text, &r, 2, &m) || r - q != 2) return Zone::kNone;
      q = r;
    }
    if (h > 18 || m > 59) return Zone::kNone;
    *offset_minutes = sign * (h * 60 + m);
    *pos = q;
    return Zone::kKnown;
  }
  size_t end = p;
  while (end < text.size() && IsUpper(text[end]) && end - p < 6) ++end;
  if (end == p || (end < text.size() && IsAlpha(text[end]))) return Zone::kNone;
  const std::string_view name = text.substr(p, end - p);
  *pos = end;
  for (const Abbreviation& z : kZones) {
    if (z.name == name) {
      *offset_minutes = z.offset_minutes;
      return Zone::kKnown;
    }
  }
  return Zone::kUnknown;
}

bool ValidDate(int year, int month, int day) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= (month == 2 && leap ? 29 : kDays[month - 1]);
}

int64_t WallUs(int year, int month, int day, int h, int m, int s) {
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 86400) + int64_t{h} * 3600 + int64_t{m} * 60 + s) * kSec;
}

// Applies the zone found (or not) to a wall-clock time.
ParsedTime Finish(int64_t wall_us, Zone zone, int offset_minutes, size_t length,
                  const TimeZone& tz) {
  ParsedTime out;
  out.length = length;
  if (zone == Zone::kKnown) {
    out.utc_us = wall_us - int64_t{offset_minutes} * kMin;
    out.has_zone = true;
  } else {
    out.utc_us = tz.LocalToUtc(wall_us);
  }
  return out;
}

}  // namespace

ParsedDuration ParseDuration(std::string_view text) {
  ParsedDuration out;
  for (const Phrase& ph : kPhrases) {
    if (StartsWithWord(text, ph.text)) {
      out.us = ph.us;
      out.resolution_us = ph.resolution_us;
      out.length = SkipAgo(text, ph.text.size());
      return out;
    }
  }
  size_t pos = 0;
  int64_t total = 0, resolution = 0;
  size_t end = 0;  // After the last complete part.
  for (;;) {
    size_t p = pos;
    int64_t n = 0;
    while (p < text.size() && IsDigit(text[p]) && p - pos < 10) n = n * 10 + (text[p++] - '0');
    if (p == pos || (p < text.size() && IsDigit(text[p]))) break;
    if (p < text.size() && text[p] == ' ') ++p;
    int64_t unit = 0;
    const size_t len = ReadUnit(text, p, &unit);
    if (len == 0) break;
    if (n > kMaxDurationUs / unit || total > kMaxDurationUs - n * unit) return ParsedDuration();
    total += n * unit;
    resolution = unit;
    end = p + len;
    pos = end;
    if (pos + 1 < text.size() && text[pos] == ' ' && IsDigit(text[pos + 1])) ++pos;
  }
  if (end == 0) return out;
  out.us = total;
  out.resolution_us = resolution;
  out.length = SkipAgo(text, end);
  return out;
}

std::string FormatDuration(int64_t us) {
  if (us <= 0) return "0s";
  std::string out;
  for (const auto& [unit, name] : {std::pair<int64_t, const char*>{kDay, "d"},
                                   {kHour, "h"},
                                   {kMin, "m"},
                                   {kSec, "s"},
                                   {kMs, "ms"},
                                   {kUs, "us"}}) {
    if (us >= unit) {
      out += std::to_string(us / unit) + name;
      us %= unit;
    }
  }
  return out;
}

ParsedTime ParseDumpTime(std::string_view text, const TimeZone& tz) {
  size_t pos = SkipWeekday(text, 0);
  int year = 0, month = 0, day = 0, h = 0, m = 0, s = 0;
  int offset = 0;
  Zone zone = Zone::kNone;
  if (pos < text.size() && IsDigit(text[pos]) && pos + 4 < text.size() && text[pos + 4] == '-') {
    // ISO-8601 (systemd, docker): the zone, if any, follows a space.
    ParsedTime iso = ParseIsoTimestamp(text.substr(pos), 0);
    if (iso.length == 0) return ParsedTime();
    pos += iso.length;
    size_t p = pos;
    if (p + 1 < text.size() && text[p] == ' ' && IsUpper(text[p + 1])) {
      ++p;
      int abbr_offset = 0;
      const Zone z = ReadZone(text, &p, &abbr_offset);
      if (z != Zone::kNone) {
        pos = p;
        if (!iso.has_zone) {
          zone = z;
          offset = abbr_offset;
        }
      }
    }
    if (iso.has_zone) {
      iso.length = pos;
      return iso;
    }
    return Finish(iso.utc_us, zone, offset, pos, tz);
  }
  if (pos < text.size() && IsDigit(text[pos])) {
    // RFC 1123: "06 Jan 2025 10:21:33 +0000".
    size_t len = 0;
    if (!ReadNumber(text, &pos, 2, &day) || pos >= text.size() || text[pos] != ' ') {
      return ParsedTime();
    }
    ++pos;
    if ((month = ReadMonth(text, pos, &len)) == 0) return ParsedTime();
    pos += len;
    if (pos >= text.size() || text[pos] != ' ') return ParsedTime();
    ++pos;
    size_t y = pos;
    if (!ReadNumber(text, &pos, 4, &year) || pos - y != 4 || pos >= text.size() ||
        text[pos] != ' ') {
      return ParsedTime();
    }
    ++pos;
    if (!ReadClock(text, &pos, &h, &m, &s)) return ParsedTime();
    if (pos + 1 < text.size() && text[pos] == ' ') {
      size_t p = pos + 1;
      zone = ReadZone(text, &p, &offset);
      if (zone != Zone::kNone) pos = p;
    }
  } else {
    // ANSIC (helm) "Jan  7 09:14:52 2025", UnixDate "Jan  7 09:14:52 UTC 2025".
    size_t len = 0;
    if ((month = ReadMonth(text, pos, &len)) == 0) return ParsedTime();
    pos += len;
    if (pos >= text.size() || text[pos] != ' ') return ParsedTime();
    ++pos;
    if (pos < text.size() && text[pos] == ' ') ++pos;  // "Jan  7": the day is padded.
    if (!ReadNumber(text, &pos, 2, &day) || pos >= text.size() || text[pos] != ' ') {
      return ParsedTime();
    }
    ++pos;
    if (!ReadClock(text, &pos, &h, &m, &s) || pos >= text.size() || text[pos] != ' ') {
      return ParsedTime();
    }
    ++pos;
    if (pos < text.size() && !IsDigit(text[pos])) {
      zone = ReadZone(text, &pos, &offset);
      if (zone == Zone::kNone || pos >= text.size() || text[pos] != ' ') return ParsedTime();
      ++pos;
    }
    size_t y = pos;
    if (!ReadNumber(text, &pos, 4, &year) || pos - y != 4) return ParsedTime();
  }
  if (!ValidDate(year, month, day)) return ParsedTime();
  return Finish(WallUs(year, month, day, h, m, s), zone, offset, pos, tz);
}

}  // namespace etiolog
