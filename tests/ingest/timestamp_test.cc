// SPDX-License-Identifier: Apache-2.0
#include "ingest/timestamp.h"

#include <gtest/gtest.h>

namespace etiolog {
namespace {

// 2025-12-07T15:56:23Z as Unix seconds.
constexpr int64_t kBase = 1765122983;

TEST(ParseIsoTimestamp, StructlogUtcWithMicros) {
  ParsedTime t = ParseIsoTimestamp("2025-12-07T15:56:23.562782Z [error    ] x");
  EXPECT_EQ(t.length, 27u);
  EXPECT_TRUE(t.has_zone);
  EXPECT_EQ(t.utc_us, kBase * 1000000 + 562782);
}

TEST(ParseIsoTimestamp, ClassicOffsetIsNormalisedToUtc) {
  ParsedTime t = ParseIsoTimestamp("2025-12-07T17:56:23.562+0200]");
  EXPECT_TRUE(t.has_zone);
  EXPECT_EQ(t.utc_us, kBase * 1000000 + 562000);
  EXPECT_EQ(t.length, 28u);
}

TEST(ParseIsoTimestamp, ColonOffsetAndNegativeZone) {
  EXPECT_EQ(ParseIsoTimestamp("2025-12-07T10:56:23-05:00").utc_us, kBase * 1000000);
}

TEST(ParseIsoTimestamp, LocalTimeUsesAssumedOffset) {
  ParsedTime t = ParseIsoTimestamp("2025-12-07 16:56:23 [info     ]", 60);
  EXPECT_FALSE(t.has_zone);
  EXPECT_EQ(t.utc_us, kBase * 1000000);
  EXPECT_EQ(t.length, 19u);
}

TEST(ParseIsoTimestamp, PythonCommaMillis) {
  EXPECT_EQ(ParseIsoTimestamp("2025-12-07 15:56:23,916").utc_us, kBase * 1000000 + 916000);
}

TEST(ParseIsoTimestamp, GunicornSpaceBeforeOffset) {
  ParsedTime t = ParseIsoTimestamp("2025-12-07 15:56:23 +0000] [1]");
  EXPECT_TRUE(t.has_zone);
  EXPECT_EQ(t.utc_us, kBase * 1000000);
  EXPECT_EQ(t.length, 25u);
}

TEST(ParseIsoTimestamp, RejectsNonTimestamps) {
  EXPECT_EQ(ParseIsoTimestamp("INFO:     Started").length, 0u);
  EXPECT_EQ(ParseIsoTimestamp("2025-13-07T15:56:23Z").length, 0u);
  EXPECT_EQ(ParseIsoTimestamp("2025-02-30T15:56:23Z").length, 0u);
  EXPECT_EQ(ParseIsoTimestamp("2025-12-07T25:56:23Z").length, 0u);
  EXPECT_EQ(ParseIsoTimestamp("2025-12-07T15:56:23.Z").length, 0u);
  EXPECT_EQ(ParseIsoTimestamp("2025-12-07").length, 0u);
  EXPECT_EQ(ParseIsoTimestamp("").length, 0u);
}

TEST(FormatIsoTimestamp, RoundTrips) {
  char buf[32];
  size_t n = FormatIsoTimestamp(kBase * 1000000 + 562782, buf);
  EXPECT_EQ(std::string(buf, n), "2025-12-07T15:56:23.562782Z");
  EXPECT_EQ(ParseIsoTimestamp(std::string(buf, n)).utc_us, kBase * 1000000 + 562782);
}

TEST(DaysFromCivil, Epoch) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
}

}  // namespace
}  // namespace etiolog
