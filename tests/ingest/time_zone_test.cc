// SPDX-License-Identifier: Apache-2.0
#include "ingest/time_zone.h"

#include <gtest/gtest.h>

#include "ingest/timestamp.h"
#include "tests/test_util.h"

namespace etiolog {
namespace {

int64_t Us(std::string_view iso) { return ParseIsoTimestamp(iso).utc_us; }

TEST(TimeZone, DefaultIsUtc) {
  TimeZone z;
  EXPECT_TRUE(z.is_utc());
  EXPECT_EQ(z.LocalToUtc(Us("2025-06-01T12:00:00Z")), Us("2025-06-01T12:00:00Z"));
}

TEST(TimeZone, FixedOffsets) {
  for (const char* spec : {"+02:00", "+0200", "+02"}) {
    Result<TimeZone> z = TimeZone::Parse(spec);
    ASSERT_OK(z);
    EXPECT_EQ(z->LocalToUtc(Us("2025-06-01T12:00:00Z")), Us("2025-06-01T10:00:00Z")) << spec;
  }
  Result<TimeZone> minus = TimeZone::Parse("-05:30");
  ASSERT_OK(minus);
  EXPECT_EQ(minus->LocalToUtc(Us("2025-06-01T12:00:00Z")), Us("2025-06-01T17:30:00Z"));
  ASSERT_OK(TimeZone::Parse("UTC"));
  ASSERT_OK(TimeZone::Parse("Z"));
}

TEST(TimeZone, IanaNameFollowsDaylightSaving) {
  Result<TimeZone> z = TimeZone::Parse("Europe/Berlin");
  ASSERT_OK(z);
  EXPECT_EQ(z->name(), "Europe/Berlin");
  EXPECT_EQ(z->LocalToUtc(Us("2025-01-15T12:00:00Z")), Us("2025-01-15T11:00:00Z"));  // CET
  EXPECT_EQ(z->LocalToUtc(Us("2025-07-15T12:00:00Z")), Us("2025-07-15T10:00:00Z"));  // CEST
  // Around the change on 2025-03-30 (02:00 CET -> 03:00 CEST).
  EXPECT_EQ(z->LocalToUtc(Us("2025-03-30T01:59:59Z")), Us("2025-03-30T00:59:59Z"));
  EXPECT_EQ(z->LocalToUtc(Us("2025-03-30T03:00:00Z")), Us("2025-03-30T01:00:00Z"));
  EXPECT_EQ(z->OffsetAt(Us("2025-07-15T00:00:00Z") / 1000000), 7200);
  Result<TimeZone> ny = TimeZone::Parse("America/New_York");
  ASSERT_OK(ny);
  EXPECT_EQ(ny->LocalToUtc(Us("2025-12-07T10:56:23Z")), Us("2025-12-07T15:56:23Z"));
}

TEST(TimeZone, ParsingANamedZoneLeavesTheEnvironmentAlone) {
  const char* before = std::getenv("TZ");
  std::string saved = before != nullptr ? before : "<unset>";
  ASSERT_OK(TimeZone::Parse("Asia/Tokyo"));
  const char* after = std::getenv("TZ");
  EXPECT_EQ(after != nullptr ? after : "<unset>", saved);
}

TEST(TimeZone, UnknownNamesAreRejected) {
  for (const char* spec : {"Mars/Olympus", "+25:00", "0200", "../../etc/passwd", ""}) {
    Result<TimeZone> z = TimeZone::Parse(spec);
    EXPECT_FALSE(z.ok()) << spec;
    if (!z.ok()) {
      EXPECT_EQ(z.status().code(), Status::Code::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace etiolog
