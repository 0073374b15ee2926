// SPDX-License-Identifier: Apache-2.0
#include "ingest/dump_time.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace etiolog {
namespace {

constexpr int64_t kS = 1000000;
constexpr int64_t kM = 60 * kS;
constexpr int64_t kH = 60 * kM;
constexpr int64_t kD = 24 * kH;
constexpr int64_t kY = 365 * kD;

struct DurationCase {
  const char* text;
  int64_t us;
  int64_t resolution_us;
  size_t length;  // Bytes consumed.
};

TEST(ParseDuration, AsToolsPrintThem) {
  const DurationCase cases[] = {
      // kubectl AGE and RESTARTS "(45m ago)".
      {"45s", 45 * kS, kS, 3},
      {"5m30s", 5 * kM + 30 * kS, kS, 5},
      {"12m", 12 * kM, kM, 3},
      {"150m", 150 * kM, kM, 4},
      {"3h4m", 3 * kH + 4 * kM, kM, 4},
      {"5d2h", 5 * kD + 2 * kH, kH, 4},
      {"2y", 2 * kY, kY, 2},
      {"2y3d", 2 * kY + 3 * kD, kD, 4},
      {"45m ago", 45 * kM, kM, 7},
      // docker STATUS and CREATED.
      {"Less than a second", 0, kS, 18},
      {"1 second", kS, kS, 8},
      {"3 minutes", 3 * kM, kM, 9},
      {"About a minute", kM, kM, 14},
      {"About an hour ago", kH, kH, 17},
      {"2 hours ago", 2 * kH, kH, 11},
      {"5 days", 5 * kD, kD, 6},
      {"3 weeks", 21 * kD, 7 * kD, 7},
      {"4 months", 120 * kD, 30 * kD, 8},
      {"2 years", 730 * kD, 365 * kD, 7},
      // systemd "since ...; X ago".
      {"2h 5min ago", 2 * kH + 5 * kM, kM, 11},
      {"3min 12s ago", 3 * kM + 12 * kS, kS, 12},
      {"1 day 3h ago", kD + 3 * kH, kH, 12},
      {"2 weeks 1 day ago", 15 * kD, kD, 17},
      {"1 years 2 months ago", 365 * kD + 60 * kD, 30 * kD, 20},
      {"123ms ago", 123000, 1000, 9},
      {"15us", 15, 1, 4},
      {"15\xC2\xB5s", 15, 1, 5},
      {"now", 0, kS, 3},
      // Case and what follows.
      {"3 MINUTES (healthy)", 3 * kM, kM, 9},
      {"12m   Running", 12 * kM, kM, 3},
      {"2h 5min ago\n", 2 * kH + 5 * kM, kM, 11},
  };
  for (const DurationCase& c : cases) {
    SCOPED_TRACE(c.text);
    ParsedDuration d = ParseDuration(c.text);
    EXPECT_EQ(d.us, c.us);
    EXPECT_EQ(d.resolution_us, c.resolution_us);
    EXPECT_EQ(d.length, c.length);
  }
}

TEST(ParseDuration, RejectsWhatIsNotADuration) {
  for (const char* text : {"", "ago", "3", "3 (45m ago)", "Running", "5x", "5 dayz", "-5m", " 5m",
                           "About", "99999999999s", "1000000y"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseDuration(text).length, 0u);
  }
}

TEST(ParseDuration, StopsAtTheFirstPartThatIsNot) {
  // "5m" then something that is not a part: the rest is left.
  ParsedDuration d = ParseDuration("5m 3 pods");
  EXPECT_EQ(d.us, 5 * kM);
  EXPECT_EQ(d.length, 2u);
  d = ParseDuration("3h4mfoo");
  EXPECT_EQ(d.us, 3 * kH) << "a unit ends at a non-letter: 4mfoo is no part";
  EXPECT_EQ(d.length, 2u);
}

TEST(FormatDuration, RoundTrips) {
  for (int64_t us : {int64_t{0}, int64_t{1}, 999 * int64_t{1000}, 45 * kS, 5 * kD + 2 * kH + 7,
                     kMaxDurationUs}) {
    SCOPED_TRACE(us);
    const std::string text = FormatDuration(us);
    ParsedDuration d = ParseDuration(text);
    EXPECT_EQ(d.length, text.size());
    EXPECT_EQ(d.us, us);
  }
  EXPECT_EQ(FormatDuration(5 * kD + 2 * kH), "5d2h");
}

struct DateCase {
  const char* text;
  const char* utc;  // Expected, ISO.
  bool has_zone;
  size_t length;
};

std::string Iso(int64_t us) {
  char buf[32];
  return std::string(buf, FormatIsoTimestamp(us, buf));
}

TEST(ParseDumpTime, AsToolsPrintThem) {
  const TimeZone utc;
  const DateCase cases[] = {
      // kubectl describe (RFC 1123 with a numeric zone).
      {"Mon, 06 Jan 2025 10:21:33 +0000", "2025-01-06T10:21:33.000000Z", true, 31},
      {"Mon, 06 Jan 2025 11:21:33 +0100", "2025-01-06T10:21:33.000000Z", true, 31},
      {"06 Jan 2025 10:21:33 GMT", "2025-01-06T10:21:33.000000Z", true, 24},
      {"Mon, 6 Jan 2025 10:21:33 -05:30", "2025-01-06T15:51:33.000000Z", true, 31},
      // helm history (ANSIC, local time).
      {"Tue Jan  7 09:14:52 2025", "2025-01-07T09:14:52.000000Z", false, 24},
      {"Tue Jan 14 09:14:52 2025\tdeployed", "2025-01-14T09:14:52.000000Z", false, 24},
      {"Tue Jan  7 09:14:52 UTC 2025", "2025-01-07T09:14:52.000000Z", true, 28},
      // systemctl.
      {"Thu 2025-11-06 08:31:02 UTC; 2h 5min ago", "2025-11-06T08:31:02.000000Z", true, 27},
      {"Thu 2025-11-06 09:31:02 CET", "2025-11-06T08:31:02.000000Z", true, 27},
      {"Thu 2025-11-06 03:31:02 EST", "2025-11-06T08:31:02.000000Z", true, 27},
      {"Thu 2025-11-06 08:31:02 IST", "2025-11-06T08:31:02.000000Z", false, 27},
      // ISO (docker, kubectl -o).
      {"2025-11-06T08:31:02Z", "2025-11-06T08:31:02.000000Z", true, 20},
      {"2025-11-06 08:31:02 +0000 UTC", "2025-11-06T08:31:02.000000Z", true, 29},
      {"2025-11-06 08:31:02.5", "2025-11-06T08:31:02.500000Z", false, 21},
  };
  for (const DateCase& c : cases) {
    SCOPED_TRACE(c.text);
    ParsedTime t = ParseDumpTime(c.text, utc);
    EXPECT_EQ(Iso(t.utc_us), c.utc);
    EXPECT_EQ(t.has_zone, c.has_zone);
    EXPECT_EQ(t.length, c.length);
  }
}

TEST(ParseDumpTime, LocalTimesAreReadInTheZone) {
  Result<TimeZone> berlin = TimeZone::Parse("+01:00");
  ASSERT_OK(berlin);
  ParsedTime t = ParseDumpTime("Tue Jan  7 10:14:52 2025", *berlin);
  EXPECT_FALSE(t.has_zone);
  EXPECT_EQ(Iso(t.utc_us), "2025-01-07T09:14:52.000000Z");
  // An ambiguous abbreviation is read in the zone too; a known one is not.
  EXPECT_EQ(Iso(ParseDumpTime("Thu 2025-11-06 09:31:02 CST", *berlin).utc_us),
            "2025-11-06T08:31:02.000000Z");
  EXPECT_EQ(Iso(ParseDumpTime("Thu 2025-11-06 09:31:02 UTC", *berlin).utc_us),
            "2025-11-06T09:31:02.000000Z");
}

TEST(ParseDumpTime, RejectsWhatIsNotADate) {
  const TimeZone utc;
  for (const char* text :
       {"", "Mon", "Mon, 32 Jan 2025 10:21:33 +0000", "Tue Foo  7 09:14:52 2025",
        "Tue Jan  7 09:14:52", "Tue Jan  7 25:14:52 2025", "06 Jan 25 10:21:33 +0000",
        "Thu 2025-02-30 08:31:02 UTC", "2h 5min ago", "Running", "Tue Feb 29 09:14:52 2025"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseDumpTime(text, utc).length, 0u);
  }
}

}  // namespace
}  // namespace etiolog
