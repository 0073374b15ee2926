// SPDX-License-Identifier: Apache-2.0
//
// Binds (db/sqlite_internal.h): a statement whose bind failed is never run,
// the error names the parameter, every step and reset result is checked, and
// a statement is left ready to bind and run again. Issue 12.4.

#include "db/sqlite_internal.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/test_util.h"

namespace etiolog::db::internal {
namespace {

class BindsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sqlite3* raw = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
        SQLITE_OK);
    db_.reset(raw);
    ASSERT_OK(Exec(db(),
                   "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, x REAL, s TEXT, "
                   "o INTEGER, z INTEGER)",
                   "create"));
    ASSERT_OK(Prepare(db(), "INSERT INTO t(n, x, s, o, z) VALUES(?1, ?2, ?3, ?4, ?5)", "prepare",
                      &insert_));
  }

  sqlite3* db() { return db_.get(); }

  // The rows of t, as "n|x|s|o|z" with NULL for a null and s quoted, cut to
  // 10 bytes. Lifts the length limit a test may have set.
  std::vector<std::string> Rows() {
    sqlite3_limit(db(), SQLITE_LIMIT_LENGTH, 1'000'000);  // Whatever the test set.
    Stmt q;
    EXPECT_OK(Prepare(db(),
                      "SELECT coalesce(n, 'NULL') || '|' || coalesce(x, 'NULL') || '|' || "
                      "quote(substr(s, 1, 10)) || '|' || coalesce(o, 'NULL') || '|' || "
                      "coalesce(z, 'NULL') FROM t ORDER BY id",
                      "read", &q));
    std::vector<std::string> out;
    EXPECT_OK(Binds(q.get()).Rows(db(), "read",
                                  [&](sqlite3_stmt* r) { out.push_back(ColumnText(r, 0)); }));
    return out;
  }

  Connection db_;
  Stmt insert_;
};

TEST_F(BindsTest, InsertsARowAndRunsAgain) {
  ASSERT_OK(Binds(insert_.get())
                .Int(1, 7)
                .Double(2, 1.5)
                .Text(3, "seven")
                .Optional(4, 42)
                .NonZero(5, 3)
                .Done(db(), "insert"));
  // The same statement, bound again: a view without data binds '', an empty
  // optional and a zero bind NULL.
  ASSERT_OK(Binds(insert_.get())
                .Null(1)
                .Double(2, -2.0)
                .Text(3, std::string_view())
                .Optional(4, std::nullopt)
                .NonZero(5, 0)
                .Done(db(), "insert"));
  EXPECT_EQ(Rows(), (std::vector<std::string>{"7|1.5|'seven'|42|3", "NULL|-2.0|''|NULL|NULL"}));
}

TEST_F(BindsTest, OutOfRangeIndexIsNotRunAndNamesTheParameter) {
  Binds binds(insert_.get());
  binds.Int(1, 1).Double(2, 1).Text(3, "a").Int(4, 4).Int(6, 6).Int(5, 5);
  EXPECT_FALSE(binds.ok());
  EXPECT_EQ(binds.rc(), SQLITE_RANGE);
  EXPECT_EQ(binds.index(), 6);
  const Status st = binds.Done(db(), "insert row");
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(st.message(), "insert row: cannot bind parameter 6: column index out of range");
  EXPECT_TRUE(Rows().empty());
  // The statement still works.
  ASSERT_OK(
      Binds(insert_.get()).Int(1, 1).Double(2, 1).Text(3, "a").Int(4, 4).Int(5, 5).Done(db(), "x"));
  EXPECT_EQ(Rows().size(), 1u);
}

TEST_F(BindsTest, NamedParameterIsNamed) {
  Stmt s;
  ASSERT_OK(Prepare(db(), "INSERT INTO t(n, s) VALUES(:n, :s)", "prepare", &s));
  sqlite3_limit(db(), SQLITE_LIMIT_LENGTH, 10);
  const Status st = Binds(s.get()).Int(1, 1).Text(2, "far more than ten bytes").Done(db(), "ins");
  EXPECT_EQ(st.message(), "ins: cannot bind parameter 2 (:s): string or blob too big");
  EXPECT_TRUE(Rows().empty());
}

TEST_F(BindsTest, TextPastLengthLimitIsRefused) {
  sqlite3_limit(db(), SQLITE_LIMIT_LENGTH, 100);
  const std::string big(101, 'x');
  Binds binds(insert_.get());
  binds.Int(1, 1).Double(2, 1).Text(3, big).Int(4, 4).Int(5, 5);
  EXPECT_EQ(binds.rc(), SQLITE_TOOBIG);
  EXPECT_EQ(binds.index(), 3);
  const Status st = binds.Done(db(), "insert event");
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(st.message(), "insert event: cannot bind parameter 3: string or blob too big");
  EXPECT_TRUE(Rows().empty());
  // Within the limit (the whole row must fit too) it is stored.
  ASSERT_OK(Binds(insert_.get())
                .Int(1, 1)
                .Double(2, 1)
                .Text(3, std::string(50, 'x'))
                .Int(4, 4)
                .Int(5, 5)
                .Done(db(), "insert event"));
  EXPECT_EQ(Rows().size(), 1u);
}

TEST_F(BindsTest, FirstFailureIsKept) {
  sqlite3_limit(db(), SQLITE_LIMIT_LENGTH, 10);
  Binds binds(insert_.get());
  binds.Int(9, 1).Text(3, std::string(20, 'x')).Int(1, 1);
  EXPECT_EQ(binds.rc(), SQLITE_RANGE);
  EXPECT_EQ(binds.index(), 9);
}

TEST_F(BindsTest, FailedStepIsReportedAndStatementReset) {
  ASSERT_OK(Exec(db(), "CREATE UNIQUE INDEX t_n ON t(n)", "index"));
  auto insert = [&](int64_t n) {
    return Binds(insert_.get()).Int(1, n).Double(2, 0).Text(3, "").Null(4).Null(5).Done(db(), "i");
  };
  ASSERT_OK(insert(1));
  const Status st = insert(1);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(st.message(), "i: UNIQUE constraint failed: t.n");
  ASSERT_OK(insert(2));
  EXPECT_EQ(Rows().size(), 2u);
}

TEST_F(BindsTest, DoneRefusesRows) {
  Stmt q;
  ASSERT_OK(Prepare(db(), "SELECT 1", "prepare", &q));
  EXPECT_FALSE(Binds(q.get()).Done(db(), "select").ok());
}

TEST_F(BindsTest, StatementLeftSteppingIsReportedAndReset) {
  Stmt q;
  ASSERT_OK(Prepare(db(), "SELECT ?1 UNION ALL SELECT 2", "prepare", &q));
  ASSERT_OK(Binds(q.get()).Int(1, 1).Rows(db(), "select", [](sqlite3_stmt*) {}));
  // Stepped behind Binds' back and not reset: SQLite refuses the bind.
  ASSERT_EQ(sqlite3_step(q.get()), SQLITE_ROW);
  Binds binds(q.get());
  binds.Int(1, 1);
  EXPECT_EQ(binds.rc(), SQLITE_MISUSE);
  const Status st = binds.Rows(db(), "select", [](sqlite3_stmt*) { ADD_FAILURE(); });
  EXPECT_EQ(st.message().rfind("select: cannot bind parameter 1: ", 0), 0u) << st.message();
  // The refusal reset it.
  int64_t sum = 0;
  ASSERT_OK(Binds(q.get()).Int(1, 5).Rows(
      db(), "select", [&](sqlite3_stmt* r) { sum += sqlite3_column_int64(r, 0); }));
  EXPECT_EQ(sum, 7);
}

TEST_F(BindsTest, RowsReadsEveryRowAndChecksBinds) {
  for (int64_t n : {1, 2, 3}) {
    ASSERT_OK(Binds(insert_.get())
                  .Int(1, n)
                  .Double(2, 0)
                  .Text(3, "")
                  .Null(4)
                  .Null(5)
                  .Done(db(), "insert"));
  }
  Stmt q;
  ASSERT_OK(Prepare(db(), "SELECT n FROM t WHERE n >= ? ORDER BY n", "prepare", &q));
  std::vector<int64_t> got;
  auto read = [&](sqlite3_stmt* r) { got.push_back(sqlite3_column_int64(r, 0)); };
  ASSERT_OK(Binds(q.get()).Int(1, 2).Rows(db(), "read", read));
  EXPECT_EQ(got, (std::vector<int64_t>{2, 3}));
  // Reused: it was reset.
  got.clear();
  ASSERT_OK(Binds(q.get()).Int(1, 1).Rows(db(), "read", read));
  EXPECT_EQ(got, (std::vector<int64_t>{1, 2, 3}));
  // A failed bind: no row is read.
  got.clear();
  const Status st = Binds(q.get()).Int(2, 1).Rows(db(), "read n", read);
  EXPECT_EQ(st.message(), "read n: cannot bind parameter 2: column index out of range");
  EXPECT_TRUE(got.empty());
}

TEST_F(BindsTest, RowLoopFailingMidwayReportsError) {
  // abs() of the smallest integer overflows: the third row fails.
  for (int64_t n : {int64_t{1}, int64_t{-2}, std::numeric_limits<int64_t>::min(), int64_t{4}}) {
    ASSERT_OK(Binds(insert_.get())
                  .Int(1, n)
                  .Double(2, 0)
                  .Text(3, "")
                  .Null(4)
                  .Null(5)
                  .Done(db(), "insert"));
  }
  Stmt q;
  ASSERT_OK(Prepare(db(), "SELECT abs(n) FROM t ORDER BY id", "prepare", &q));
  std::vector<int64_t> got;
  const Status st = Binds(q.get()).Rows(
      db(), "read abs", [&](sqlite3_stmt* r) { got.push_back(sqlite3_column_int64(r, 0)); });
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(st.message(), "read abs: integer overflow");
  EXPECT_EQ(got, (std::vector<int64_t>{1, 2}));
  // Reset after the failure: it runs again (and fails again at the same row).
  got.clear();
  EXPECT_FALSE(Binds(q.get())
                   .Rows(db(), "read abs",
                         [&](sqlite3_stmt* r) { got.push_back(sqlite3_column_int64(r, 0)); })
                   .ok());
  EXPECT_EQ(got.size(), 2u);
}

TEST_F(BindsTest, ExecReportsFailure) {
  const Status st = Exec(db(), "INSERT INTO missing VALUES(1)", "exec");
  EXPECT_EQ(st.message(), "exec: no such table: missing");
}

}  // namespace
}  // namespace etiolog::db::internal
