// SPDX-License-Identifier: Apache-2.0
//
// Named zones: with TZ set to the name, localtime_r gives the offset at any
// instant. Sampling it once a day from 1970 to 2100 finds every day that
// contains a change; a binary search inside that day finds the exact second.
// The result is a table of (instant, offset) that LocalToUtc searches.

#include "ingest/time_zone.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>

#include <sys/stat.h>

namespace etiolog {

namespace {

std::optional<int> ParseOffsetMinutes(std::string_view s) {
  if (s == "UTC" || s == "utc" || s == "Z" || s == "GMT" || s == "Etc/UTC") return 0;
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  std::string digits;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == ':' && i == 3) continue;
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    digits.push_back(s[i]);
  }
  if (digits.size() != 2 && digits.size() != 4) return std::nullopt;
  int h = (digits[0] - '0') * 10 + (digits[1] - '0');
  int m = digits.size() == 4 ? (digits[2] - '0') * 10 + (digits[3] - '0') : 0;
  if (h > 18 || m > 59) return std::nullopt;
  return (h * 60 + m) * (s[0] == '-' ? -1 : 1);
}

bool ZoneFileExists(const std::string& name) {
  if (name.empty() || name[0] == '/' || name.find("..") != std::string::npos) return false;
  const char* dir = std::getenv("TZDIR");
  std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo");
  path += "/" + name;
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

int32_t GmtOffset(time_t t) {
  struct tm tm;
  if (localtime_r(&t, &tm) == nullptr) return 0;
  return static_cast<int32_t>(tm.tm_gmtoff);
}

std::mutex& EnvMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

TimeZone::TimeZone() = default;

TimeZone TimeZone::Fixed(int offset_minutes) {
  TimeZone z;
  z.base_offset_ = offset_minutes * 60;
  if (offset_minutes != 0) {
    char buf[16];
    int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
    z.name_ = buf;
  }
  return z;
}

Result<TimeZone> TimeZone::Parse(std::string_view spec) {
  if (std::optional<int> m = ParseOffsetMinutes(spec)) {
    TimeZone z = Fixed(*m);
    if (*m == 0) z.name_ = std::string(spec);
    return z;
  }
  std::string name(spec);
  if (!ZoneFileExists(name)) {
    return Status::InvalidArgument("unknown time zone '" + name +
                                   "': use an offset such as +02:00 or -0530, UTC, or an IANA "
                                   "name such as Europe/Berlin");
  }
  TimeZone z;
  z.name_ = name;
  std::lock_guard<std::mutex> lock(EnvMutex());
  const char* old = std::getenv("TZ");
  std::optional<std::string> saved;
  if (old != nullptr) saved = old;
  ::setenv("TZ", name.c_str(), 1);
  ::tzset();
  const int64_t kDay = 86400;
  const int64_t begin = 0;                  // 1970-01-01
  const int64_t end = int64_t{4102444800};  // 2100-01-01
  z.base_offset_ = GmtOffset(static_cast<time_t>(begin));
  int32_t prev = z.base_offset_;
  for (int64_t t = begin + kDay; t <= end; t += kDay) {
    int32_t off = GmtOffset(static_cast<time_t>(t));
    if (off == prev) continue;
    // The change happened in (t - kDay, t]: find its first second.
    int64_t lo = t - kDay, hi = t;
    while (hi - lo > 1) {
      int64_t mid = lo + (hi - lo) / 2;
      if (GmtOffset(static_cast<time_t>(mid)) == prev) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    z.transitions_.push_back({hi, off});
    prev = off;
  }
  if (saved) {
    ::setenv("TZ", saved->c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  return z;
}

int32_t TimeZone::OffsetAt(int64_t utc_seconds) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds,
                             [](int64_t t, const Transition& tr) { return t < tr.utc_seconds; });
  if (it == transitions_.begin()) return base_offset_;
  return std::prev(it)->offset;
}

int64_t TimeZone::LocalToUtc(int64_t local_us) const {
  if (transitions_.empty()) return local_us - int64_t{base_offset_} * 1000000;
  const int64_t floor_s = local_us >= 0 ? local_us / 1000000 : (local_us - 999999) / 1000000;
  // Guess with the offset in force at the wall time read as UTC, then
  // correct once: exact except in the hour a change skips or repeats.
  int32_t guess = OffsetAt(floor_s);
  int32_t off = OffsetAt(floor_s - guess);
  if (off != guess) {
    int32_t again = OffsetAt(floor_s - off);
    if (again != off) off = std::min(guess, off);  // In a skipped hour.
  }
  return local_us - int64_t{off} * 1000000;
}

}  // namespace etiolog
