// SPDX-License-Identifier: Apache-2.0
#include "ingest/timestamp.h"

#include <cstdio>

namespace etiolog {

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

// Howard Hinnant's days_from_civil.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

ParsedTime ParseIsoTimestamp(std::string_view s, int assumed_offset_minutes) {
  ParsedTime out;
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, &year) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != ' ') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' ||
      !Digits(s, 17, 2, &second)) {
    return out;
  }
  if (month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 60) {
    return out;
  }
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    size_t start = ++pos;
    int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (scale > 0) micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return out;  // "12:00:00." is not a timestamp.
  }
  // Zone: Z, +HHMM, +HH:MM, +HH, optionally after one space (gunicorn).
  int offset_minutes = assumed_offset_minutes;
  bool has_zone = false;
  size_t zpos = pos;
  if (zpos < s.size() && s[zpos] == ' ' && zpos + 1 < s.size() &&
      (s[zpos + 1] == '+' || s[zpos + 1] == '-')) {
    ++zpos;
  }
  if (zpos < s.size() && s[zpos] == 'Z') {
    offset_minutes = 0;
    has_zone = true;
    pos = zpos + 1;
  } else if (zpos < s.size() && (s[zpos] == '+' || s[zpos] == '-')) {
    int oh = 0, om = 0;
    size_t p = zpos + 1;
    if (Digits(s, p, 2, &oh)) {
      p += 2;
      if (p < s.size() && s[p] == ':') ++p;
      if (Digits(s, p, 2, &om)) {
        p += 2;
      } else {
        om = 0;
      }
      if (oh <= 18 && om <= 59) {
        offset_minutes = (oh * 60 + om) * (s[zpos] == '-' ? -1 : 1);
        has_zone = true;
        pos = p;
      }
    }
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 + second -
                 int64_t{offset_minutes} * 60;
  out.utc_us = secs * 1000000 + micros;
  out.length = pos;
  out.has_zone = has_zone;
  return out;
}

size_t FormatIsoTimestamp(int64_t utc_us, char* buf) {
  int64_t secs = utc_us >= 0 ? utc_us / 1000000 : (utc_us - 999999) / 1000000;
  int64_t micros = utc_us - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t sod = secs - days * 86400;
  // civil_from_days.
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  int n = std::snprintf(buf, 28, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                        static_cast<long long>(y), m, d, static_cast<long long>(sod / 3600),
                        static_cast<long long>((sod / 60) % 60), static_cast<long long>(sod % 60),
                        static_cast<long long>(micros));
  return n > 0 ? static_cast<size_t>(n) : 0;
}

}  // namespace etiolog
