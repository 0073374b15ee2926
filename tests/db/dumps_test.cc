// SPDX-License-Identifier: Apache-2.0
//
// State dumps in the timeline: the moment a dump was taken (reference),
// facts dated from their age, instances dated by dumps or added from them,
// the identity of a dump's process and a log's (name, file, compose alias,
// pid), previous instances, deploy records in rollouts, workloads, a store
// of schema 4.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "db/dumps_internal.h"
#include "db/store.h"
#include "tests/db/db_test_util.h"
#include "tests/test_util.h"
#include <unistd.h>

namespace etiolog::db {
namespace {

constexpr int64_t kSec = 1000000;
constexpr int64_t kMin = 60 * kSec;

// A log line's event: kind at offset and time (seconds), in a host's stream.
struct LogEv {
  uint64_t offset;
  std::string kind;
  int64_t t;
  std::string host = "";
  int64_t pid = 0;
  std::string component = "api-server";
  std::string surface = "";
};

// A dump fact: kind, the process it names, and its time: printed (at_s,
// with its zone), or an age (age_s) before the dump was taken.
struct DumpEv {
  uint64_t offset;
  std::string kind;
  std::string host;
  std::optional<int64_t> at_s = std::nullopt;
  std::optional<int64_t> age_s = std::nullopt;
  std::vector<std::pair<std::string, std::string>> captures = {};
  int64_t pid = 0;
  std::string component = "";
};

class DumpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open(":memory:");
    ASSERT_OK(s);
    store_ = std::move(s).value();
  }

  int64_t Source(const std::string& path) {
    auto src = store_->AddSource(path);
    EXPECT_OK(src);
    return src.ok() ? src->id : 0;
  }

  // Appends log events and records the source's span of line times.
  void Log(int64_t source, const std::vector<LogEv>& evs) {
    std::vector<Event> batch;
    int64_t first = 0, last = 0;
    for (const LogEv& v : evs) {
      Event e;
      e.record.offset = v.offset;
      e.record.line = v.offset + 1;
      e.record.time_us = v.t * kSec;
      e.record.time_quality = TimeQuality::kExact;
      e.record.process.host = v.host;
      e.record.process.pid = v.pid;
      e.record.process.component = v.component;
      e.record.text = v.kind;
      e.kind = v.kind;
      e.rule = "r." + v.kind;
      e.surface = v.surface;
      batch.push_back(std::move(e));
      if (first == 0 || v.t * kSec < first) first = v.t * kSec;
      last = std::max(last, v.t * kSec);
    }
    ASSERT_OK(store_->AppendEvents(source, batch, evs.back().offset + 1, 0));
    ASSERT_OK(store_->UpdateSourceStats(source, first, last, 0, 0));
  }

  void Dump(int64_t source, const std::vector<DumpEv>& evs) {
    std::vector<Event> batch;
    for (const DumpEv& v : evs) {
      Event e;
      e.record.offset = v.offset;
      e.record.line = v.offset + 1;
      if (v.at_s) {
        e.record.time_us = *v.at_s * kSec;
        e.record.time_quality = TimeQuality::kExact;
      }
      if (v.age_s) {
        e.age_us = *v.age_s * kSec;
        e.age_resolution_us = kMin;
      }
      e.record.process.host = v.host;
      e.record.process.pid = v.pid;
      e.record.process.component = v.component;
      e.record.text = v.kind + " " + v.host;
      e.kind = v.kind;
      e.rule = "r." + v.kind;
      e.captures = v.captures;
      batch.push_back(std::move(e));
    }
    ASSERT_OK(store_->AppendEvents(source, batch, evs.back().offset + 1, 0));
  }

  Table Rows(const std::string& sql) {
    auto t = store_->Query(sql, {});
    EXPECT_OK(t);
    return t.ok() ? *t : Table{};
  }

  int64_t Int(const std::string& sql) {
    Table t = Rows(sql);
    if (t.rows.empty() || !std::holds_alternative<int64_t>(t.rows[0][0])) return -1;
    return std::get<int64_t>(t.rows[0][0]);
  }

  std::string Text(const std::string& sql) {
    Table t = Rows(sql);
    if (t.rows.empty()) return "<none>";
    std::string out;
    for (size_t r = 0; r < t.rows.size(); ++r) {
      if (r) out += ";";
      for (size_t c = 0; c < t.rows[r].size(); ++c) {
        if (c) out += "|";
        out += ValueToString(t.rows[r][c]);
      }
    }
    return out;
  }

  std::unique_ptr<Store> store_;
};

TEST_F(DumpsTest, AgesCountBackFromTheLatestLogLine) {
  const int64_t log = Source("worker.log");
  Log(log, {{10, "auth.signature_failure", 5000, "", 0, "worker", "execution_api"},
            {20, "auth.signature_failure", 6000, "", 0, "worker", "execution_api"}});
  const int64_t dump = Source("pods.txt");
  Dump(dump, {{1, "dump.started", "airflow-api-server-5c7d9f8b46-h4k2m", std::nullopt, 600}});
  EXPECT_EQ(Text("SELECT time_quality, time_us FROM events WHERE kind = 'dump.started'"),
            "relative|");
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT time_quality, time_us / 1000000 FROM events WHERE kind = 'dump.started'"),
            "relative|5400");
  EXPECT_EQ(Text("SELECT reference, reference_us / 1000000 FROM sources WHERE path = 'pods.txt'"),
            "logs|6000");
  // More logs move the moment the dump was taken, and its facts with it.
  Log(log, {{30, "auth.signature_failure", 6300, "", 0, "worker", "execution_api"}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT time_us / 1000000 FROM events WHERE kind = 'dump.started'"), 5700);
}

TEST_F(DumpsTest, AFactPrintedBothWaysTellsWhenItsDumpWasTaken) {
  const int64_t log = Source("api.log");
  Log(log, {{10, "auth.signature_failure", 9000, "", 0, "api-server", "ui"}});
  const int64_t dump = Source("status.txt");
  // systemctl: since <date>; <age> ago. The other fact has only an age.
  Dump(dump, {{1, "dump.started", "airflow-scheduler", 1000, 300},
              {2, "dump.started", "airflow-triggerer", std::nullopt, 100}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT reference, reference_us / 1000000 FROM sources WHERE id = 2"),
            "dump|1300");
  EXPECT_EQ(Int("SELECT time_us / 1000000 FROM events WHERE host = 'airflow-triggerer'"), 1200);
  EXPECT_EQ(Int("SELECT time_us / 1000000 FROM events WHERE host = 'airflow-scheduler'"), 1000);
}

TEST_F(DumpsTest, WithoutLogTimesTheFileTimeDatesTheDump) {
  const int64_t dump = Source("ps.txt");
  Dump(dump, {{1, "dump.started", "airflow-airflow-worker-1", std::nullopt, 3600}});
  ASSERT_OK(store_->UpdateSourceStats(dump, 0, 0, 0, 0, 7200 * kSec));
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT reference, reference_us / 1000000 FROM sources"), "mtime|7200");
  EXPECT_EQ(Int("SELECT first_us / 1000000 FROM instances"), 3600);
  // Nothing at all: the fact stays undated, and makes no instance.
  const int64_t other = Source("stdin");
  Dump(other, {{1, "dump.started", "airflow-airflow-scheduler-1", std::nullopt, 60}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT count(*) FROM instances WHERE name = 'airflow-airflow-scheduler-1'"), 0);
}

TEST_F(DumpsTest, ADumpDatesTheLogOfTheSameProcessInsteadOfAddingOne) {
  // `kubectl logs --prefix`: host = the pod. The log does not show the start.
  const int64_t log = Source("all.log");
  Log(log, {{10, "auth.signature_failure", 5000, "airflow-api-server-5c7d9f8b46-h4k2m", 0,
             "api-server", "ui"}});
  const int64_t dump = Source("describe.txt");
  Dump(dump, {{1, "dump.heading", "airflow-api-server-5c7d9f8b46-h4k2m"},
              {2, "dump.started", "airflow-api-server-5c7d9f8b46-h4k2m", 4000}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT count(*) FROM instances"), 1);
  EXPECT_EQ(Text("SELECT i.first_us / 1000000, e.kind, i.dump_only FROM instances i "
                 "JOIN events e ON e.id = i.start_event_id"),
            "4000|dump.started|0");
  EXPECT_EQ(Int("SELECT count(*) FROM events WHERE instance_id IS NULL"), 0);
  // Idempotent.
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT count(*), min(first_us) / 1000000 FROM instances"), "1|4000");
}

TEST_F(DumpsTest, AFileNamedAfterThePodIsThePod) {
  const int64_t log = Source("kubectl-logs/airflow-worker-0.log");
  Log(log, {{10, "auth.signature_failure", 5000, "", 0, "worker", "execution_api"}});
  const int64_t dump = Source("pods.txt");
  Dump(dump, {{1, "dump.started", "airflow-worker-0", std::nullopt, 3600}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT name, first_us / 1000000, dump_only FROM instances"),
            "airflow-worker-0.log|1400|0");
}

TEST_F(DumpsTest, ALogThatShowsItsStartKeepsIt) {
  const int64_t log = Source("airflow-scheduler-0.log");
  Log(log, {{10, "process.start", 1030, "", 7, "scheduler"},
            {20, "auth.signature_failure", 5000, "", 7, "scheduler", "log_server"}});
  const int64_t dump = Source("pods.txt");
  Dump(dump, {{1, "dump.started", "airflow-scheduler-0", 1000}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT count(*), min(first_us) / 1000000, min(dated_by IS NULL) FROM instances"),
            "1|1030|1");
}

TEST_F(DumpsTest, ALogThatBeganLongBeforeTheDumpsStartIsNotDatedByIt) {
  const int64_t log = Source("airflow-worker-0.log");
  Log(log, {{10, "auth.signature_failure", 1000, "", 0, "worker", "execution_api"},
            {20, "auth.signature_failure", 9000, "", 0, "worker", "execution_api"}});
  const int64_t dump = Source("pods.txt");
  Dump(dump, {{1, "dump.started", "airflow-worker-0", 8000}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT count(*), min(first_us) / 1000000, min(start_event_id IS NULL) "
                 "FROM instances"),
            "1|1000|1");
}

TEST_F(DumpsTest, AProcessOnlyADumpShowsIsAnInstanceOfItsOwn) {
  const int64_t log = Source("worker.log");
  Log(log, {{10, "auth.signature_failure", 5000, "", 0, "worker", "execution_api"}});
  const int64_t dump = Source("pods.txt");
  Dump(dump, {{1, "dump.started", "airflow-scheduler-0", std::nullopt, 4000, {}, 0, "scheduler"}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT name, component, dump_only, first_us / 1000000, last_us / 1000000, "
                 "start_event_id IS NOT NULL, workload FROM instances WHERE dump_only = 1"),
            "airflow-scheduler-0|scheduler|1|1000|5000|1|airflow-scheduler");
  // It is a start like any other: it makes a rollout.
  EXPECT_EQ(Int("SELECT count(*) FROM rollouts WHERE first_us = 1000 * 1000000"), 1);
}

TEST_F(DumpsTest, LastStateIsThePreviousInstance) {
  const int64_t dump = Source("describe.txt");
  // Written in describe's order: the current container first, then the
  // last state; init container facts are ignored.
  Dump(dump,
       {{1, "dump.started", "airflow-scheduler-0", 900, std::nullopt, {{"init", "Init"}}},
        {2, "dump.stopped", "airflow-scheduler-0", 950, std::nullopt, {{"init", "Init"}}},
        {3, "dump.started", "airflow-scheduler-0", 3000},
        {4, "dump.started", "airflow-scheduler-0", 1000, std::nullopt, {{"previous", "Last "}}},
        {5, "dump.stopped", "airflow-scheduler-0", 2990, std::nullopt, {{"previous", "Last "}}}});
  ASSERT_OK(store_->UpdateSourceStats(dump, 0, 0, 0, 0, 4000 * kSec));
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT first_us / 1000000, last_us / 1000000, prev_id IS NOT NULL "
                 "FROM instances ORDER BY first_us"),
            "1000|2990|0;3000|4000|1");
  EXPECT_EQ(Int("SELECT count(*) FROM restarts"), 1);
  EXPECT_EQ(Int("SELECT count(*) FROM events WHERE instance_id IS NULL"), 2);  // The init's.
}

TEST_F(DumpsTest, ComposeNamesItsContainersWithTheProject) {
  const int64_t log = Source("docker-compose.log");
  Log(log, {{10, "auth.validation_failure", 5000, "airflow-apiserver-1", 0, "api-server",
             "execution_api"}});
  const int64_t dump = Source("ps.txt");
  Dump(dump, {{1,
               "dump.started",
               "airflow-airflow-apiserver-1",
               std::nullopt,
               1200,
               {{"service", "airflow-apiserver"}}}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT count(*), min(name), min(first_us) / 1000000 FROM instances"),
            "1|airflow-apiserver-1|3800");
  // Without the SERVICE column: the name without its project prefix.
  const int64_t ps = Source("docker-ps.txt");
  Log(log,
      {{20, "auth.signature_failure", 5100, "airflow-worker-1", 0, "worker", "execution_api"}});
  Dump(ps, {{1, "dump.started", "airflow-airflow-worker-1", std::nullopt, 2000}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT count(*), min(first_us) / 1000000 FROM instances "
                 "WHERE name = 'airflow-worker-1'"),
            "1|3100");
}

TEST_F(DumpsTest, SystemdUnitsAreTheirJournaldProcessByPid) {
  const int64_t log = Source("journalctl-api-server.log");
  Log(log,
      {{10, "auth.validation_failure", 5000, "airflow-host", 2210, "api-server", "execution_api"}});
  const int64_t dump = Source("status.txt");
  Dump(dump, {{1, "dump.heading", "airflow-api-server"},
              {2, "dump.started", "airflow-api-server", 4000, 1000},
              {3, "dump.heading", "airflow-api-server", std::nullopt, std::nullopt, {}, 2210}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT count(*), min(name), min(first_us) / 1000000, min(last_us) / 1000000 "
                 "FROM instances"),
            "1|airflow-api-server|4000|5000");
  // Another component with the same pid is not the same process.
  const int64_t other = Source("status2.txt");
  Dump(other, {{1, "dump.started", "airflow-scheduler", 100, 4900, {}, 2210, "scheduler"}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT count(*) FROM instances WHERE name = 'airflow-scheduler'"), 1);
}

TEST_F(DumpsTest, AStartAfterTheLoggedStopIsANewInstance) {
  const int64_t log = Source("airflow-triggerer-0.log");
  Log(log, {{10, "process.start", 1000, "", 0, "triggerer"},
            {20, "process.stop", 2000, "", 0, "triggerer"}});
  const int64_t dump = Source("describe.txt");
  Dump(dump, {{1, "dump.started", "airflow-triggerer-0", 3000}});
  ASSERT_OK(store_->UpdateSourceStats(dump, 0, 0, 0, 0, 3500 * kSec));
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT i.dump_only, i.first_us / 1000000, p.first_us / 1000000 "
                 "FROM instances i JOIN instances p ON p.id = i.prev_id"),
            "1|3000|1000");
}

TEST_F(DumpsTest, AHelmRevisionJoinsTheRolloutOfTheStartsAroundIt) {
  const int64_t log = Source("airflow-api-server-7b6c5d4f9e-qx2pl.log");
  Log(log, {{10, "process.start", 1030, "", 1, "api-server"}});
  const int64_t dump = Source("helm-history.txt");
  Dump(dump, {{1, "dump.revision", "", 100, std::nullopt, {{"revision", "1"}}},
              {2, "dump.revision", "", 1000, std::nullopt, {{"revision", "2"}}}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT first_us / 1000000, last_us / 1000000, started, "
                 "(SELECT c.value FROM captures c WHERE c.event_id = revision_event_id "
                 "AND c.name = 'revision') FROM rollouts ORDER BY first_us"),
            "100|100|0|1;1000|1030|1|2");
}

TEST(SplitWorkload, NamesAndTemplateHashes) {
  struct Case {
    const char* name;
    const char* workload;
    const char* hash;
  } cases[] = {
      {"airflow-api-server-6d8f7b9c5d-2xkqp", "airflow-api-server", "6d8f7b9c5d"},
      {"airflow-api-server-6d8f7b9c5d-2xkqp.log", "airflow-api-server", "6d8f7b9c5d"},
      {"airflow-statsd-6b7c9d8f5-8pzkq", "airflow-statsd", "6b7c9d8f5"},
      {"airflow-scheduler-0", "airflow-scheduler", ""},
      {"airflow-airflow-apiserver-1", "airflow-airflow-apiserver", ""},
      {"airflow-scheduler.service", "airflow-scheduler", ""},
      {"airflow-host", "airflow-host", ""},
      {"api-server.log", "api-server", ""},
      {"", "", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    internal::Workload w = internal::SplitWorkload(c.name);
    EXPECT_EQ(w.name, c.workload);
    EXPECT_EQ(w.template_hash, c.hash);
  }
}

TEST(DumpsMigration, AStoreOfSchemaFourGetsDumpColumnsOnOpen) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("etiolog_dumps4_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "v4.db").string();
  {
    auto s = Store::Open(path);
    ASSERT_OK(s);
    auto src = (*s)->AddSource("api.log");
    ASSERT_OK(src);
    Event e;
    e.record.offset = 1;
    e.record.line = 1;
    e.record.time_us = 100 * kSec;
    e.record.time_quality = TimeQuality::kExact;
    e.kind = "process.start";
    e.rule = "r";
    ASSERT_OK((*s)->AppendEvents(src->id, {e}, 10, 1));
    ASSERT_OK((*s)->BuildTimeline());
  }
  {
    // Back to schema 4 as released.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v4 = R"sql(
ALTER TABLE events DROP COLUMN age_us;
ALTER TABLE events DROP COLUMN age_resolution_us;
ALTER TABLE sources DROP COLUMN modified_us;
ALTER TABLE sources DROP COLUMN reference_us;
ALTER TABLE sources DROP COLUMN reference;
ALTER TABLE instances DROP COLUMN dump_only;
ALTER TABLE instances DROP COLUMN dated_by;
ALTER TABLE instances DROP COLUMN dump_first_us;
ALTER TABLE instances DROP COLUMN dump_last_us;
ALTER TABLE instances DROP COLUMN dump_name;
ALTER TABLE instances DROP COLUMN workload;
ALTER TABLE instances DROP COLUMN template_hash;
ALTER TABLE rollouts DROP COLUMN revision_event_id;
ALTER TABLE findings DROP COLUMN kind;
DROP TABLE burst_alive;
ALTER TABLE failure_bursts DROP COLUMN rollout_id;
PRAGMA user_version = 4;
)sql";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v4, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  auto s = Store::Open(path);
  ASSERT_OK(s);
  EXPECT_EQ(testing::UserVersion(path), Store::SchemaVersion());
  ASSERT_OK((*s)->BuildTimeline());
  auto t = (*s)->Query(
      "SELECT (SELECT count(*) FROM instances), (SELECT workload FROM instances), "
      "(SELECT count(*) FROM events WHERE age_us IS NULL), (SELECT count(*) FROM rollouts "
      "WHERE revision_event_id IS NULL)",
      {});
  ASSERT_OK(t);
  EXPECT_EQ(std::get<int64_t>(t->rows[0][0]), 1);
  EXPECT_EQ(std::get<std::string>(t->rows[0][1]), "api");
  EXPECT_EQ(std::get<int64_t>(t->rows[0][2]), 1);
  EXPECT_EQ(std::get<int64_t>(t->rows[0][3]), 1);
  s->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace etiolog::db
