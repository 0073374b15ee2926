// SPDX-License-Identifier: Apache-2.0
#include "db/store.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace etiolog::db {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open(":memory:");
    ASSERT_OK(s);
    store_ = std::move(s).value();
    auto src = store_->AddSource("api.log");
    ASSERT_OK(src);
    source_ = src->id;
  }

  Event MakeEvent(uint64_t offset, const std::string& kind, int64_t time_s,
                  const std::string& host = "api-1", int64_t pid = 0) {
    Event e;
    e.record.offset = offset;
    e.record.line = offset / 10 + 1;
    e.record.time_us = time_s * 1000000;
    e.record.time_quality = TimeQuality::kExact;
    e.record.process.host = host;
    e.record.process.component = "api-server";
    e.record.process.pid = pid;
    e.record.text = kind + " line";
    e.kind = kind;
    e.rule = "r." + kind;
    return e;
  }

  void Append(const std::vector<Event>& events, uint64_t checkpoint) {
    ASSERT_OK(store_->AppendEvents(source_, events, checkpoint, checkpoint / 10));
  }

  int64_t Count(const std::string& sql) {
    auto t = store_->Query(sql, {});
    EXPECT_OK(t);
    return std::get<int64_t>(t->rows.at(0).at(0));
  }

  std::unique_ptr<Store> store_;
  int64_t source_ = 0;
};

TEST_F(StoreTest, AppendStoresEventsCapturesAndCheckpoint) {
  Event e = MakeEvent(10, "key.generated", 100);
  e.captures = {{"option", "jwt_secret"}, {"section", "api_auth"}};
  Append({e}, 20);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM captures WHERE name='option' AND value='jwt_secret'"), 1);
  EXPECT_EQ(Count("SELECT checkpoint_offset FROM sources"), 20);
  auto again = store_->AddSource("api.log");
  ASSERT_OK(again);
  EXPECT_EQ(again->checkpoint_offset, 20u);
}

TEST_F(StoreTest, FollowedFilesKeepTheirIdentityAndCheckpoint) {
  Append({MakeEvent(10, "process.start", 1)}, 40);
  FollowedFileRecord f;
  f.source_id = source_;
  f.path = "/var/log/api.log.1";
  f.device = 2049;
  f.inode = 1234567;
  f.fingerprint_bytes = 256;
  f.fingerprint = 0xcbf29ce484222325ull;  // Above INT64_MAX: stored as its bits.
  ASSERT_OK(store_->SaveFollowedFile(f));
  f.ended = true;
  ASSERT_OK(store_->SaveFollowedFile(f));  // Replaces.
  auto all = store_->LoadFollowedFiles();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 1u);
  const FollowedFileRecord& g = (*all)[0];
  EXPECT_EQ(g.name, "api.log");
  EXPECT_EQ(g.path, f.path);
  EXPECT_EQ(g.device, f.device);
  EXPECT_EQ(g.inode, f.inode);
  EXPECT_EQ(g.fingerprint_bytes, 256u);
  EXPECT_EQ(g.fingerprint, f.fingerprint);
  EXPECT_TRUE(g.ended);
  EXPECT_EQ(g.checkpoint_offset, 40u);
  EXPECT_EQ(g.checkpoint_line, 4u);
}

TEST_F(StoreTest, ReplayingABatchDoesNotDuplicate) {
  std::vector<Event> batch = {MakeEvent(10, "process.start", 1), MakeEvent(30, "x", 2)};
  Append(batch, 40);
  Append(batch, 40);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 2);
}

TEST_F(StoreTest, QueryBindsNamedParametersAndRefusesWrites) {
  Append({MakeEvent(10, "a", 1), MakeEvent(20, "b", 2)}, 30);
  auto t = store_->Query("SELECT count(*) FROM events WHERE kind = :k", {{"k", std::string("b")}});
  ASSERT_OK(t);
  EXPECT_EQ(std::get<int64_t>(t->rows[0][0]), 1);
  auto w = store_->Query("DELETE FROM events", {}, "cause x");
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("cause x: DELETE from events is not allowed"),
            std::string::npos)
      << w.status().message();
  auto bad = store_->Query("SELEKT 1", {}, "cause y");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("cause y: ", 0), 0u);
  auto two = store_->Query("SELECT 1; SELECT 2", {});
  EXPECT_FALSE(two.ok());
}

TEST_F(StoreTest, TimelineSplitsInstancesAtRestarts) {
  // Instance 1: key, banner, uvicorn start (one startup), traffic.
  // Instance 2: a restart 10 minutes later.
  Append({MakeEvent(10, "key.generated", 100), MakeEvent(20, "process.start", 100),
          MakeEvent(30, "process.start", 101, "api-1", 7), MakeEvent(40, "auth.x", 200),
          MakeEvent(50, "key.generated", 700), MakeEvent(60, "process.start", 700, "api-1", 9),
          MakeEvent(70, "auth.x", 800)},
         80);
  ASSERT_OK(
      store_->UpdateSourceStats(source_, int64_t{90} * 1000000, int64_t{900} * 1000000, 0, 0));
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Count("SELECT count(*) FROM instances"), 2);
  EXPECT_EQ(Count("SELECT pid FROM instances WHERE seq = 0"), 7);
  EXPECT_EQ(Count("SELECT pid FROM instances WHERE seq = 1"), 9);
  // The first instance lives until the second starts; the last until the
  // source's last line.
  EXPECT_EQ(Count("SELECT last_us FROM instances WHERE seq = 0"), 700 * 1000000);
  EXPECT_EQ(Count("SELECT last_us FROM instances WHERE seq = 1"), 900 * 1000000);
  EXPECT_EQ(Count("SELECT count(DISTINCT instance_id) FROM events WHERE kind='key.generated'"), 2);
  // Idempotent.
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Count("SELECT count(*) FROM instances"), 2);
}

TEST_F(StoreTest, SeparateHostsAreSeparateStreams) {
  Append(
      {MakeEvent(10, "key.generated", 100, "api-1"), MakeEvent(20, "key.generated", 100, "api-2")},
      30);
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Count("SELECT count(*) FROM streams"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM instances"), 2);
}

TEST(StoreOpen, FileStoreSurvivesReopenAndRefusesForeignFiles) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("etiolog_store_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "s.db").string();
  {
    auto s = Store::Open(path);
    ASSERT_OK(s);
    ASSERT_OK((*s)->AddSource("a.log"));
  }
  {
    auto s = Store::Open(path);
    ASSERT_OK(s);
    auto t = (*s)->Query("SELECT count(*) FROM sources", {});
    ASSERT_OK(t);
    EXPECT_EQ(std::get<int64_t>(t->rows[0][0]), 1);
  }
  std::string junk = (dir / "junk.db").string();
  std::ofstream(junk) << "this is not a database, just text that is long enough to matter\n";
  auto bad = Store::Open(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("junk.db"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace etiolog::db
