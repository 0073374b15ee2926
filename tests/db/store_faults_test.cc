// SPDX-License-Identifier: Apache-2.0
//
// What a full disk, an I/O error or a lock held by another process does to
// a store: the write fails with an error naming the store file, the batch
// is rolled back whole (events and checkpoint together), the file still
// passes PRAGMA integrity_check, and writing the same batch again once the
// fault is gone stores each event once.

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "db/fault_injection.h"
#include "db/store.h"
#include "tests/test_util.h"

namespace etiolog::db {
namespace {

namespace fs = std::filesystem;

// Runs sql on a connection of its own and returns the first column of the
// first row as text ("" if none).
std::string Scalar(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close_v2(db);
  return out;
}

class StoreFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("etiolog-faults-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "store.db").string();
    ASSERT_OK(SetFaultPlan({}));
  }
  void TearDown() override {
    EXPECT_OK(SetFaultPlan({}));
    fs::remove_all(dir_);
  }

  std::unique_ptr<Store> Open(bool faulty) {
    Store::Options options;
    if (faulty) options.vfs = kFaultVfsName;
    options.busy_timeout_ms = 50;
    auto s = Store::Open(path_, options);
    EXPECT_OK(s);
    return s.ok() ? std::move(s).value() : nullptr;
  }

  // n events, one every 10 bytes from offset first, each with a capture.
  static std::vector<Event> Batch(uint64_t first, int n) {
    std::vector<Event> out;
    for (int i = 0; i < n; ++i) {
      Event e;
      e.record.offset = first + 10 * static_cast<uint64_t>(i);
      e.record.line = e.record.offset / 10 + 1;
      e.record.time_us = static_cast<int64_t>(e.record.offset) * 1000000;
      e.record.time_quality = TimeQuality::kExact;
      e.record.process.host = "api-1";
      e.record.process.component = "api-server";
      e.record.text = std::string(200, 'x');  // Enough bytes to need new pages.
      e.kind = "auth.signature_failed";
      e.rule = "r.sig";
      e.captures = {{"path", "/api/v2/dags"}};
      out.push_back(std::move(e));
    }
    return out;
  }

  int64_t Events() { return std::stoll(Scalar(path_, "SELECT count(*) FROM events")); }
  int64_t Checkpoint() {
    return std::stoll(Scalar(path_, "SELECT checkpoint_offset FROM sources"));
  }

  // Writes batch 1, fails batch 2 with fault, then checks the store kept
  // batch 1 whole and takes batch 2 (twice) once the fault is gone.
  void CheckWriteFault(FaultPlan::Fault fault, const std::string& expected_error) {
    std::unique_ptr<Store> store = Open(/*faulty=*/true);
    ASSERT_NE(store, nullptr);
    auto src = store->AddSource("api.log");
    ASSERT_OK(src);
    ASSERT_OK(store->AppendEvents(src->id, Batch(0, 50), 500, 50));

    ASSERT_OK(SetFaultPlan({fault, 0}));
    Status st = store->AppendEvents(src->id, Batch(500, 2000), 20500, 2050);
    ASSERT_FALSE(st.ok());
    EXPECT_GT(FaultsInjected(), 0);
    EXPECT_NE(st.message().find(path_), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(expected_error), std::string::npos) << st.message();

    // The same connection goes on once the fault is gone (tail keeps its
    // store open): the failed batch left nothing half-written.
    ASSERT_OK(SetFaultPlan({}));
    EXPECT_EQ(Scalar(path_, "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(Events(), 50);
    EXPECT_EQ(Checkpoint(), 500);
    ASSERT_OK(store->AppendEvents(src->id, Batch(500, 2000), 20500, 2050));
    EXPECT_EQ(Events(), 2050);
    store.reset();

    // Reopened, a replay of the same batch (a run that resumes from an
    // older checkpoint) adds nothing.
    store = Open(/*faulty=*/false);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->AppendEvents(src->id, Batch(500, 2000), 20500, 2050));
    store.reset();
    EXPECT_EQ(Events(), 2050);
    EXPECT_EQ(Scalar(path_, "SELECT count(*) FROM captures"), "2050");
    EXPECT_EQ(Scalar(path_, "PRAGMA integrity_check"), "ok");
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(StoreFaultTest, DiskFullFailsTheBatchWholeAndNamesTheStore) {
  CheckWriteFault(FaultPlan::Fault::kDiskFull, "database or disk is full");
}

TEST_F(StoreFaultTest, IoErrorFailsTheBatchWholeAndNamesTheStore) {
  CheckWriteFault(FaultPlan::Fault::kIoError, "disk I/O error");
}

TEST_F(StoreFaultTest, AFaultPartWayThroughABatchKeepsNoneOfIt) {
  // The first writes succeed (pages spill to the WAL mid-transaction) and a
  // later one fails: still nothing of the batch may remain.
  std::unique_ptr<Store> store = Open(/*faulty=*/true);
  ASSERT_NE(store, nullptr);
  auto src = store->AddSource("api.log");
  ASSERT_OK(src);
  for (int64_t after : {1, 3, 10, 30}) {
    ASSERT_OK(SetFaultPlan({FaultPlan::Fault::kDiskFull, after}));
    Status st = store->AppendEvents(src->id, Batch(0, 5000), 50000, 5000);
    ASSERT_FALSE(st.ok()) << "after " << after;  // 5000 events take over 100 page writes.
    ASSERT_OK(SetFaultPlan({}));
    EXPECT_EQ(Scalar(path_, "PRAGMA integrity_check"), "ok") << "after " << after;
    EXPECT_EQ(Events(), 0) << "after " << after;
    EXPECT_EQ(Checkpoint(), 0) << "after " << after;
  }
  ASSERT_OK(SetFaultPlan({}));
  ASSERT_OK(store->AppendEvents(src->id, Batch(0, 5000), 50000, 5000));
  EXPECT_EQ(Events(), 5000);
}

TEST_F(StoreFaultTest, ATemporaryStoreRefusesEveryWriteAfterAFailedOne) {
  // A temporary store has no journal (its run ends on a failed write), so
  // it must not take writes on top of a half-written batch.
  Store::Options options;
  options.vfs = kFaultVfsName;
  auto opened = Store::Open("", options);
  ASSERT_OK(opened);
  std::unique_ptr<Store> store = std::move(opened).value();
  auto src = store->AddSource("api.log");
  ASSERT_OK(src);
  ASSERT_OK(store->AppendEvents(src->id, Batch(0, 50), 500, 50));

  ASSERT_OK(SetFaultPlan({FaultPlan::Fault::kDiskFull, 0}));
  Status st = store->AppendEvents(src->id, Batch(500, 5000), 50500, 5050);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("temporary store"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("database or disk is full"), std::string::npos) << st.message();

  ASSERT_OK(SetFaultPlan({}));
  for (const Status& later :
       {store->AppendEvents(src->id, Batch(500, 10), 600, 60), store->AddSource("b.log").status(),
        store->UpdateSourceStats(src->id, 0, 1, 0, 0, 0), store->BuildTimeline(),
        store->ReplaceFindings({})}) {
    ASSERT_FALSE(later.ok());
    EXPECT_NE(later.message().find("after an earlier failed write"), std::string::npos)
        << later.message();
    EXPECT_NE(later.message().find("database or disk is full"), std::string::npos)
        << later.message();
  }
}

TEST_F(StoreFaultTest, ALockHeldElsewhereSaysTheStoreIsLocked) {
  std::unique_ptr<Store> store = Open(/*faulty=*/false);
  ASSERT_NE(store, nullptr);
  auto src = store->AddSource("api.log");
  ASSERT_OK(src);

  // Another process writing the store: a connection holding the write lock.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &other, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Status st = store->AppendEvents(src->id, Batch(0, 10), 100, 10);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path_), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("database is locked"), std::string::npos) << st.message();
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close_v2(other);

  // Once the other writer is done, the same store writes.
  ASSERT_OK(store->AppendEvents(src->id, Batch(0, 10), 100, 10));
  store.reset();
  EXPECT_EQ(Events(), 10);
}

TEST_F(StoreFaultTest, TheFaultVfsSeesLockRequests) {
  // The lock fault itself (what the test above gets from a real second
  // connection), so the VFS shim is known to reach xLock / xShmLock.
  std::unique_ptr<Store> store = Open(/*faulty=*/true);
  ASSERT_NE(store, nullptr);
  auto src = store->AddSource("api.log");
  ASSERT_OK(src);
  ASSERT_OK(SetFaultPlan({FaultPlan::Fault::kLocked, 0}));
  Status st = store->AppendEvents(src->id, Batch(0, 10), 100, 10);
  ASSERT_FALSE(st.ok());
  EXPECT_GT(FaultsInjected(), 0);
  EXPECT_NE(st.message().find("database is locked"), std::string::npos) << st.message();
  ASSERT_OK(SetFaultPlan({}));
  ASSERT_OK(store->AppendEvents(src->id, Batch(0, 10), 100, 10));
  store.reset();
  EXPECT_EQ(Events(), 10);
}

TEST_F(StoreFaultTest, FindingsAndStatsWritesNameTheStoreToo) {
  std::unique_ptr<Store> store = Open(/*faulty=*/true);
  ASSERT_NE(store, nullptr);
  auto src = store->AddSource("api.log");
  ASSERT_OK(src);
  ASSERT_OK(store->AppendEvents(src->id, Batch(0, 10), 100, 10));
  ASSERT_OK(SetFaultPlan({FaultPlan::Fault::kIoError, 0}));
  Status stats = store->UpdateSourceStats(src->id, 0, 90'000'000, false, 0, 0);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.message().find(path_), std::string::npos) << stats.message();
  Status timeline = store->BuildTimeline();
  ASSERT_FALSE(timeline.ok());
  EXPECT_NE(timeline.message().find(path_), std::string::npos) << timeline.message();
  ASSERT_OK(SetFaultPlan({}));
  EXPECT_OK(store->UpdateSourceStats(src->id, 0, 90'000'000, false, 0, 0));
  EXPECT_OK(store->BuildTimeline());
  store.reset();
  EXPECT_EQ(Scalar(path_, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace etiolog::db
