// SPDX-License-Identifier: Apache-2.0
//
// Store::Query() and Store::Describe() run on a contained connection: one
// test per way pack SQL could try to do more than read etiolog's tables
// (attach a file, write, drop, change a pragma, open a transaction, run
// forever, load code, read the schema table or a table-valued function),
// each on every kind of store (a file, a temporary store, ":memory:"), and
// what stays allowed. Issue 12, item 2.

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "db/store.h"
#include "tests/test_util.h"
#include <unistd.h>

namespace etiolog::db {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kStepLimit = 1'000'000;

// The kind of store a test runs on: "file", "" (temporary) or ":memory:".
class QueryGuardTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : test) {
      if (c == '/') c = '_';  // "Attach.../File"
    }
    dir_ = fs::temp_directory_path() / ("etiolog_guard_" + std::to_string(::getpid()) + "_" + test);
    fs::create_directories(dir_);
    const std::string path = GetParam() == "file" ? (dir_ / "store.db").string() : GetParam();
    Store::Options options;
    options.query_step_limit = kStepLimit;
    auto s = Store::Open(path, options);
    ASSERT_OK(s);
    store_ = std::move(s).value();
    AppendEvent(10);
  }

  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void AppendEvent(uint64_t offset) {
    auto src = store_->AddSource("api.log");
    ASSERT_OK(src);
    Event e;
    e.record.offset = offset;
    e.record.line = offset;
    e.record.text = "line";
    e.kind = "auth.signature_failure";
    e.rule = "r";
    e.surface = "ui";
    e.captures = {{"user", "admin"}};
    ASSERT_OK(store_->AppendEvents(src->id, {e}, offset + 10, offset));
  }

  int64_t Events() {
    auto t = store_->Query("SELECT count(*) FROM events", {});
    EXPECT_OK(t);
    return t.ok() ? std::get<int64_t>(t->rows.at(0).at(0)) : -1;
  }

  // The error of sql, which must be refused with InvalidArgument by Query()
  // and, since it is refused when prepared, by Describe() with the same
  // message.
  std::string Refusal(const std::string& sql) {
    auto q = store_->Query(sql, {}, "cause 'x' detect");
    EXPECT_FALSE(q.ok()) << sql;
    if (q.ok()) return "";
    EXPECT_EQ(q.status().code(), Status::Code::kInvalidArgument) << q.status().ToString();
    auto d = store_->Describe(sql, "cause 'x' detect");
    EXPECT_FALSE(d.ok()) << sql;
    if (!d.ok()) {
      EXPECT_EQ(d.status().message(), q.status().message());
    }
    return q.status().message();
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
};

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "in: " << (text)

TEST_P(QueryGuardTest, AttachIsRefusedAndCreatesNoFile) {
  const fs::path evil = dir_ / "evil.db";
  const std::string why = Refusal("ATTACH DATABASE '" + evil.string() + "' AS evil");
  EXPECT_CONTAINS(why, "cause 'x' detect: ATTACH is not allowed");
  EXPECT_FALSE(fs::exists(evil));
  EXPECT_CONTAINS(Refusal("DETACH DATABASE main"), "DETACH is not allowed");
}

TEST_P(QueryGuardTest, InsertUpdateAndDeleteAreRefused) {
  EXPECT_CONTAINS(Refusal("INSERT INTO events(source_id) VALUES(1)"),
                  "INSERT into events is not allowed");
  EXPECT_CONTAINS(Refusal("UPDATE events SET kind = 'x'"), "UPDATE of events is not allowed");
  EXPECT_CONTAINS(Refusal("DELETE FROM events"), "DELETE from events is not allowed");
  EXPECT_CONTAINS(Refusal("WITH doomed AS (SELECT id FROM events) "
                          "DELETE FROM events WHERE id IN doomed"),
                  "DELETE from events is not allowed");
  EXPECT_EQ(Events(), 1);
}

TEST_P(QueryGuardTest, DropAndOtherSchemaChangesAreRefused) {
  EXPECT_CONTAINS(Refusal("DROP TABLE events"),
                  "changing the schema (CREATE, DROP) is not allowed");
  EXPECT_CONTAINS(Refusal("DROP VIEW restarts"),
                  "changing the schema (CREATE, DROP) is not allowed");
  EXPECT_CONTAINS(Refusal("CREATE TABLE t(x)"),
                  "changing the schema (CREATE, DROP) is not allowed");
  EXPECT_CONTAINS(Refusal("CREATE TEMP TABLE t(x)"),
                  "changing the schema (CREATE, DROP) is not allowed");
  EXPECT_CONTAINS(Refusal("ALTER TABLE events ADD COLUMN y"), "ALTER TABLE events is not allowed");
  EXPECT_EQ(Events(), 1);
}

TEST_P(QueryGuardTest, PragmasAreRefused) {
  EXPECT_CONTAINS(Refusal("PRAGMA writable_schema=ON"), "PRAGMA writable_schema is not allowed");
  EXPECT_CONTAINS(Refusal("PRAGMA user_version"), "PRAGMA user_version is not allowed");
  EXPECT_CONTAINS(Refusal("PRAGMA query_only=OFF"), "PRAGMA query_only is not allowed");
  // Their table-valued functions too.
  EXPECT_CONTAINS(Refusal("SELECT name FROM pragma_table_info('events')"), "not allowed");
  EXPECT_CONTAINS(Refusal("SELECT * FROM pragma_function_list"), "not allowed");
}

TEST_P(QueryGuardTest, TransactionsAndSavepointsAreRefused) {
  EXPECT_CONTAINS(Refusal("BEGIN"), "BEGIN is not allowed");
  EXPECT_CONTAINS(Refusal("BEGIN IMMEDIATE"), "BEGIN is not allowed");
  EXPECT_CONTAINS(Refusal("COMMIT"), "COMMIT is not allowed");
  EXPECT_CONTAINS(Refusal("ROLLBACK"), "ROLLBACK is not allowed");
  EXPECT_CONTAINS(Refusal("SAVEPOINT s"), "SAVEPOINT is not allowed");
  EXPECT_CONTAINS(Refusal("RELEASE s"), "RELEASE (a savepoint) is not allowed");
  // The store's own transactions are unaffected.
  AppendEvent(20);
  EXPECT_EQ(Events(), 2);
}

TEST_P(QueryGuardTest, AnEndlessRecursiveQueryIsStoppedByTheStepLimit) {
  const std::string endless =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
  auto q = store_->Query(endless, {}, "cause 'x' detect");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(q.status().message(),
            "cause 'x' detect: query stopped after 1000000 steps (a recursive query without a "
            "bound?)");
  // It prepares: only running it shows it never ends.
  EXPECT_OK(store_->Describe(endless));
  // A query's own limit replaces the store's.
  auto small = store_->Query(endless, {}, "q", 0, 5000);
  ASSERT_FALSE(small.ok());
  EXPECT_CONTAINS(small.status().message(), "stopped after 5000 steps");
  // One that returns rows is stopped too, rows and all.
  auto rows = store_->Query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c", {});
  ASSERT_FALSE(rows.ok());
  EXPECT_CONTAINS(rows.status().message(), "stopped after");
  // The connection is usable afterwards, and a bounded query is not stopped.
  EXPECT_EQ(Events(), 1);
  auto bounded = store_->Query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) "
      "SELECT count(*) FROM c",
      {});
  ASSERT_OK(bounded);
  EXPECT_EQ(std::get<int64_t>(bounded->rows[0][0]), 1000);
  EXPECT_GT(bounded->steps, 1000u);
  EXPECT_LT(bounded->steps, kStepLimit);
}

TEST_P(QueryGuardTest, LoadExtensionIsRefused) {
  EXPECT_CONTAINS(Refusal("SELECT load_extension('x')"), "load_extension() is not allowed");
  EXPECT_CONTAINS(Refusal("SELECT kind FROM events WHERE LOAD_EXTENSION('/tmp/x.so') IS NULL"),
                  "not allowed");
  EXPECT_CONTAINS(Refusal("SELECT fts3_tokenizer('simple')"), "fts3_tokenizer() is not allowed");
}

TEST_P(QueryGuardTest, TheSchemaTableAndOtherTablesAreRefused) {
  EXPECT_CONTAINS(Refusal("SELECT name FROM sqlite_master"),
                  "reading sqlite_master is not allowed: pack SQL may read etiolog's tables and "
                  "views only");
  EXPECT_CONTAINS(Refusal("SELECT sql FROM sqlite_schema"), "reading sqlite_master is not allowed");
  EXPECT_CONTAINS(Refusal("SELECT count(*) FROM sqlite_master"), "not allowed");
  EXPECT_CONTAINS(Refusal("SELECT name FROM sqlite_temp_master"), "not allowed");
  EXPECT_CONTAINS(Refusal("SELECT * FROM dbstat"), "not allowed");
  EXPECT_CONTAINS(Refusal("SELECT count(*) FROM main.sqlite_master"), "not allowed");
  EXPECT_CONTAINS(Refusal("SELECT count(*) FROM temp.sqlite_master"), "not allowed");
  EXPECT_CONTAINS(Refusal("SELECT count(*) FROM dbstat"), "not allowed");
}

TEST_P(QueryGuardTest, ReadsOfEtiologTablesViewsAndJsonFunctionsAreAllowed) {
  auto t = store_->Query(
      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3) "
      "SELECT (SELECT count(*) FROM events), (SELECT captures FROM event_captures), "
      "(SELECT group_concat(value) FROM json_each('[1,2]')), "
      "(SELECT count(*) FROM json_tree('{\"a\":[1]}')), (SELECT sum(x) FROM n), "
      "(SELECT count(*) FROM restarts), (SELECT count(*) FROM (SELECT id FROM sources)), "
      "(SELECT count(*) FROM n), (SELECT count(*) FROM MAIN.Events)",
      {});
  ASSERT_OK(t);
  const std::vector<Value>& row = t->rows.at(0);
  EXPECT_EQ(std::get<int64_t>(row[0]), 1);
  EXPECT_EQ(std::get<std::string>(row[1]), "{\"user\":\"admin\"}");
  EXPECT_EQ(std::get<std::string>(row[2]), "1,2");
  EXPECT_EQ(std::get<int64_t>(row[3]), 3);
  EXPECT_EQ(std::get<int64_t>(row[4]), 6);
  EXPECT_EQ(std::get<int64_t>(row[5]), 0);
  EXPECT_EQ(std::get<int64_t>(row[6]), 1);
  EXPECT_EQ(std::get<int64_t>(row[7]), 3);
  EXPECT_EQ(std::get<int64_t>(row[8]), 1);
}

TEST_P(QueryGuardTest, QueriesSeeWhatTheStoreCommitted) {
  EXPECT_EQ(Events(), 1);
  AppendEvent(20);
  EXPECT_EQ(Events(), 2);
  ASSERT_OK(store_->BuildTimeline());
  auto t = store_->Query("SELECT count(*) FROM instances", {});
  ASSERT_OK(t);
  EXPECT_EQ(std::get<int64_t>(t->rows[0][0]), 1);
}

INSTANTIATE_TEST_SUITE_P(EveryKindOfStore, QueryGuardTest,
                         ::testing::Values("file", "", ":memory:"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param == "file" ? std::string("File")
                                  : p.param.empty() ? std::string("Temporary")
                                                    : std::string("Memory");
                         });

TEST(QueryGuardStores, ATemporaryStoreIsAFileInTmpdirDeletedOnClose) {
  const fs::path dir =
      fs::temp_directory_path() / ("etiolog_guard_tmpdir_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("TMPDIR", dir.c_str(), 1);
  auto count = [&] { return std::distance(fs::directory_iterator(dir), fs::directory_iterator()); };
  {
    auto s = Store::Open("");
    ASSERT_OK(s);
    ASSERT_OK((*s)->AddSource("a.log"));
    EXPECT_GE(count(), 1);
    for (const auto& entry : fs::directory_iterator(dir)) {
      EXPECT_EQ(entry.path().filename().string().rfind("etiolog-", 0), 0u) << entry.path();
    }
  }
  EXPECT_EQ(count(), 0);
  if (old != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  fs::remove_all(dir);
}

TEST(QueryGuardStores, TwoMemoryStoresAreSeparate) {
  auto a = Store::Open(":memory:");
  auto b = Store::Open(":memory:");
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK((*a)->AddSource("a.log"));
  auto t = (*b)->Query("SELECT count(*) FROM sources", {});
  ASSERT_OK(t);
  EXPECT_EQ(std::get<int64_t>(t->rows[0][0]), 0);
}

TEST(QueryGuardStores, TheDefaultStepLimitIsSet) {
  EXPECT_EQ(Store::Options().query_step_limit, Store::kDefaultQueryStepLimit);
  EXPECT_GT(Store::kDefaultQueryStepLimit, 0u);
}

}  // namespace
}  // namespace etiolog::db
