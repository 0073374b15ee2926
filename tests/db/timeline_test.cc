// SPDX-License-Identifier: Apache-2.0
//
// The timeline and its correlation tables: instances placed as events are
// written, restarts, failure bursts, rollouts, key and auth-manager epochs,
// the rebuild paths (events out of order, a stream continued in a later
// session, a store of schema 1), and stored findings.

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "db/store.h"
#include "db/timeline_internal.h"
#include "tests/db/db_test_util.h"
#include "tests/test_util.h"
#include <unistd.h>

namespace etiolog::db {
namespace {

constexpr int64_t kSec = 1000000;

// An event builder: kind at offset and time (seconds), in a host's stream.
struct Ev {
  uint64_t offset;
  std::string kind;
  int64_t t;  // Seconds; < 0 means no time.
  std::string host = "api-1";
  int64_t pid = 0;
  std::string surface = "";
  std::string component = "api-server";
  std::vector<std::pair<std::string, std::string>> captures = {};
  std::string rule = "";
  bool inherited = false;  // The line has no time: t was taken from an earlier line.
};

// The event, on a line without a time of its own.
Ev Inherited(Ev v) {
  v.inherited = true;
  return v;
}

Event Make(const Ev& v) {
  Event e;
  e.record.offset = v.offset;
  e.record.line = v.offset / 10 + 1;
  if (v.t >= 0) {
    e.record.time_us = v.t * kSec;
    e.record.time_quality = v.inherited ? TimeQuality::kInherited : TimeQuality::kExact;
  }
  e.record.process.host = v.host;
  e.record.process.component = v.component;
  e.record.process.pid = v.pid;
  e.record.text = v.kind + " line";
  e.kind = v.kind;
  e.rule = v.rule.empty() ? "r." + v.kind : v.rule;
  e.surface = v.surface;
  e.captures = v.captures;
  return e;
}

class TimelineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(":memory:"); }

  void Open(const std::string& path) {
    store_.reset();
    auto s = Store::Open(path);
    ASSERT_OK(s);
    store_ = std::move(s).value();
  }

  int64_t Source(const std::string& path) {
    auto src = store_->AddSource(path);
    EXPECT_OK(src);
    return src.ok() ? src->id : 0;
  }

  void Append(int64_t source, const std::vector<Ev>& evs) {
    std::vector<Event> batch;
    batch.reserve(evs.size());
    for (const Ev& v : evs) batch.push_back(Make(v));
    ASSERT_OK(store_->AppendEvents(source, batch, evs.empty() ? 0 : evs.back().offset + 1, 0));
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
    return t.rows.empty() ? "<none>" : ValueToString(t.rows[0][0]);
  }

  std::unique_ptr<Store> store_;
};

Ev Fail(uint64_t offset, int64_t t, const std::string& surface = "ui",
        const std::string& host = "api-1") {
  return Ev{offset, "auth.signature_failure", t, host, 0, surface};
}

TEST_F(TimelineTest, EventsArePlacedWhenWritten) {
  int64_t src = Source("compose.log");
  Append(src, {{10, "key.generated", 100}, {20, "process.start", 100, "api-1", 7}, Fail(30, 160)});
  // No BuildTimeline yet: every event already has its stream, instance and,
  // for the failure, its burst.
  EXPECT_EQ(Int("SELECT count(*) FROM events WHERE stream_id IS NULL OR instance_id IS NULL"), 0);
  EXPECT_EQ(Int("SELECT count(*) FROM events WHERE burst_id IS NOT NULL"), 1);
  EXPECT_EQ(Int("SELECT count(*) FROM instances"), 1);
  EXPECT_EQ(Int("SELECT pid FROM instances"), 7);
}

TEST_F(TimelineTest, StartupEventsBeforeARestartMoveIntoIt) {
  int64_t src = Source("api.log");
  Append(src, {{10, "key.generated", 100},
               {20, "process.start", 100, "api-1", 7},
               Fail(30, 200),
               {40, "key.generated", 900},
               {50, "config.deprecated_option", 900},
               {60, "process.start", 901, "api-1", 8},
               Fail(70, 950)});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT count(*) FROM instances"), 2);
  EXPECT_EQ(Int("SELECT count(*) FROM events e JOIN instances i ON i.id = e.instance_id "
                "WHERE i.seq = 1"),
            4);  // Key, deprecation, start, failure.
  EXPECT_EQ(Int("SELECT first_us FROM instances WHERE seq = 1"), 900 * kSec);
  EXPECT_EQ(Int("SELECT last_us FROM instances WHERE seq = 0"), 900 * kSec);
  EXPECT_EQ(Int("SELECT count(*) FROM restarts"), 1);
  EXPECT_EQ(Int("SELECT prev_id FROM instances WHERE seq = 1"),
            Int("SELECT id FROM instances WHERE seq = 0"));
}

// A stream whose matched events are all startup events (a scheduler at
// WARNING logs only the key warning and its banner) still restarts: each
// instance keeps its own start marker and what came before it; the key
// warnings logged after it move to the next start, as the startup events
// at the end of any instance do. Before, every restart took the whole
// history along (rewriting every earlier row each time) and the restarts
// vanished.
TEST_F(TimelineTest, RestartsOfAStreamWithOnlyStartupEventsStaySeparate) {
  int64_t src = Source("scheduler.log");
  std::vector<Ev> evs;
  for (int64_t k = 0; k < 4; ++k) {
    const uint64_t o = 100 * static_cast<uint64_t>(k);
    const int64_t t = 3600 * k;
    evs.push_back({o + 10, "key.generated", t, "sched-1", 0, "", "scheduler"});
    evs.push_back({o + 20, "process.start", t + 1, "sched-1", 0, "", "scheduler"});
  }
  evs.push_back({400, "key.generated", 14400, "sched-1", 0, "", "scheduler"});
  Append(src, evs);
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT count(*) FROM instances"), 4);
  EXPECT_EQ(Int("SELECT count(*) FROM restarts"), 3);
  // The warning before each start, the start; the last warning stays.
  EXPECT_EQ(Text("SELECT group_concat(events, ',') FROM (SELECT events FROM instances ORDER BY "
                 "seq)"),
            "2,2,2,3");
  for (int64_t k = 0; k < 4; ++k) {
    const std::string seq = std::to_string(k);
    EXPECT_EQ(Int("SELECT first_us FROM instances WHERE seq = " + seq), 3600 * k * kSec) << k;
    EXPECT_EQ(Int("SELECT e.offset FROM instances i JOIN events e ON e.id = i.start_event_id "
                  "WHERE i.seq = " +
                  seq),
              100 * k + 20)
        << k;
  }
}

TEST_F(TimelineTest, AnInstanceLeftEmptyByTheMoveDisappearsAndSeqIsRenumbered) {
  int64_t src = Source("api.log");
  // Parent and worker starts of one uvicorn: a second pid opens an instance
  // and takes the startup events with it.
  Append(src, {{10, "key.generated", 100},
               {20, "process.start", 100, "api-1", 1055},
               {30, "process.start", 100, "api-1", 1056},
               {40, "key.required_missing", 101},
               {50, "process.start_failed", 101}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT count(*) FROM instances"), 1);
  EXPECT_EQ(Int("SELECT seq FROM instances"), 0);
  EXPECT_EQ(Int("SELECT events FROM instances"), 5);
}

// The Airflow banner has no time: it inherits the time of the last line of
// the process before it (here a day earlier), which must neither date the
// restart nor split its startup, and is not the start line worth citing.
std::vector<Ev> RestartAfterADay() {
  return {{10, "process.start", 100, "api-1", 7},
          Fail(20, 150),
          Inherited({30, "process.stop", 150, "api-1", 7}),
          Inherited({40, "process.start", 150}),  // The banner.
          {50, "key.generated", 86400},
          {60, "process.start", 86400},                         // Running the uvicorn with:
          Inherited({70, "process.start", 86400, "api-1", 8}),  // Started server process [8]
          Fail(80, 86500)};
}

TEST_F(TimelineTest, AStartWithoutATimeOfItsOwnDoesNotDateTheRestart) {
  int64_t src = Source("api.log");
  Append(src, RestartAfterADay());
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT count(*) FROM instances"), 2);
  EXPECT_EQ(Int("SELECT events FROM instances WHERE seq = 1"), 5);
  EXPECT_EQ(Int("SELECT first_us FROM instances WHERE seq = 1"), 86400 * kSec);
  EXPECT_EQ(Int("SELECT e.offset FROM instances i JOIN events e ON e.id = i.start_event_id "
                "WHERE i.seq = 1"),
            60);
  EXPECT_EQ(Int("SELECT at_us FROM restarts"), 86400 * kSec);
  // Without any time of its own, the first start marker is the start.
  EXPECT_EQ(Int("SELECT e.offset FROM instances i JOIN events e ON e.id = i.start_event_id "
                "WHERE i.seq = 0"),
            10);

  // Rebuilt from the stored events (a stream continued in another order),
  // the timeline is the same.
  Table want = Rows("SELECT seq, events, first_us, last_us, start_event_id FROM instances");
  Open(":memory:");
  src = Source("api.log");
  std::vector<Ev> evs = RestartAfterADay();
  Append(src, {evs[0], evs[1], evs[2], evs[3], evs[6], evs[7]});
  Append(src, {evs[4], evs[5]});
  ASSERT_OK(store_->BuildTimeline());
  Table got = Rows("SELECT seq, events, first_us, last_us, start_event_id FROM instances");
  EXPECT_EQ(got.rows.size(), want.rows.size());
  EXPECT_EQ(Int("SELECT first_us FROM instances WHERE seq = 1"), 86400 * kSec);
  EXPECT_EQ(Int("SELECT e.offset FROM instances i JOIN events e ON e.id = i.start_event_id "
                "WHERE i.seq = 1"),
            60);
}

TEST_F(TimelineTest, AStopMarkerEndsTheInstance) {
  int64_t src = Source("api.log");
  Append(src, {{10, "process.start", 100, "api-1", 7},
               Fail(20, 150),
               {30, "process.stop", 200, "api-1", 7},
               {40, "process.start", 500, "api-1", 9}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT last_us FROM instances WHERE seq = 0"), 200 * kSec);
  EXPECT_EQ(Int("SELECT first_us FROM instances WHERE seq = 1"), 500 * kSec);
  EXPECT_EQ(Int("SELECT prev_stop_event_id IS NOT NULL FROM restarts"), 1);
}

TEST_F(TimelineTest, FailuresFormBurstsPerInstanceAndSurface) {
  int64_t src = Source("compose.log");
  Append(src, {{10, "process.start", 0, "api-1", 7},
               Fail(20, 100),
               Fail(30, 100),  // Same moment (an error line and its traceback end).
               Fail(40, 160),
               Fail(50, 170, "execution_api"),
               {60, "auth.token_expired", 180, "api-1", 0, "ui"},
               {70, "http.denied", 181, "api-1", 0, "ui"},         // Not a failure kind.
               {80, "auth.missing_token", 182, "api-1", 0, "ui"},  // Not a failure kind.
               Fail(90, 180 + 31 * 60),                            // After a 30-minute gap.
               Fail(100, 200, "ui", "api-2")});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT count(*) FROM failure_bursts"), 4);
  Table ui = Rows(
      "SELECT b.events, b.occurrences, b.first_us, b.last_us FROM failure_bursts b "
      "JOIN instances i ON i.id = b.instance_id WHERE i.host = 'api-1' AND b.surface = 'ui' "
      "ORDER BY b.first_us");
  ASSERT_EQ(ui.rows.size(), 2u);
  EXPECT_EQ(std::get<int64_t>(ui.rows[0][0]), 4);  // Three signature failures, one expiry.
  EXPECT_EQ(std::get<int64_t>(ui.rows[0][1]), 3);  // The same-moment pair counts once.
  EXPECT_EQ(std::get<int64_t>(ui.rows[0][2]), 100 * kSec);
  EXPECT_EQ(std::get<int64_t>(ui.rows[0][3]), 180 * kSec);
  EXPECT_EQ(Int("SELECT occurrences FROM burst_kinds WHERE kind = 'auth.signature_failure' "
                "ORDER BY burst_id LIMIT 1"),
            2);
  EXPECT_EQ(Int("SELECT count(*) FROM events WHERE kind IN ('http.denied', "
                "'auth.missing_token') AND burst_id IS NOT NULL"),
            0);
}

TEST_F(TimelineTest, AliveInstancesAtEachFailure) {
  int64_t a = Source("a.log");
  int64_t b = Source("b.log");
  Append(a, {{10, "key.generated", 100, "", 0, "", "api-server"}, Fail(20, 300, "ui", "")});
  Append(b, {{10, "key.generated", 200, "", 0, "", "scheduler"}});
  ASSERT_OK(store_->UpdateSourceStats(a, 100 * kSec, 400 * kSec, 0, 0));
  ASSERT_OK(store_->UpdateSourceStats(b, 200 * kSec, 250 * kSec, 0, 0));
  ASSERT_OK(store_->BuildTimeline());
  // At 300 s the scheduler's log had ended.
  EXPECT_EQ(Int("SELECT count(*) FROM failure_instances"), 1);
  EXPECT_EQ(Text("SELECT component FROM burst_instances"), "api-server");
  EXPECT_EQ(Text("SELECT name FROM instances WHERE component = 'scheduler'"), "b.log");
}

TEST_F(TimelineTest, KeyEpochsNormaliseSectionAndOption) {
  int64_t src = Source("all.log");
  Append(src, {{10,
                "key.generated",
                100,
                "api-1",
                0,
                "",
                "api-server",
                {{"section", "api_auth"}, {"option", "jwt_secret"}}},
               {20,
                "config.misplaced_key",
                100,
                "api-1",
                0,
                "",
                "api-server",
                {{"section", "SECRETS"}, {"option", "JWT_SECRET"}}},
               {30,
                "key.required_missing",
                101,
                "api-1",
                0,
                "",
                "api-server",
                {{"section", "api_auth"}, {"option", "jwt_secret"}}},
               {40,
                "key.configured",
                101,
                "api-1",
                0,
                "",
                "api-server",
                {{"section", "API"}, {"option", "SECRET_KEY"}}}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT group_concat(state || ':' || section || '/' || option, ' ') FROM "
                 "(SELECT * FROM key_epochs ORDER BY event_id)"),
            "generated:api_auth/jwt_secret misplaced:secrets/jwt_secret "
            "missing:api_auth/jwt_secret configured:api/secret_key");
}

TEST_F(TimelineTest, AuthManagerEpochsShowASwitchAtTheRestart) {
  int64_t src = Source("api.log");
  Append(src, {{10, "process.start", 100, "api-1", 7},
               {20, "auth_manager.fab", 101},
               {30, "auth_manager.fab", 5000},
               Fail(40, 6000),
               {50, "process.stop", 9000, "api-1", 7},
               {60, "process.start", 9100, "api-1", 8},
               {70, "key.generated", 9100},
               Fail(80, 9300),
               {90, "auth_manager.simple", 9400}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Text("SELECT group_concat(manager || ':' || markers, ' ') FROM "
                 "(SELECT * FROM auth_manager_epochs ORDER BY id)"),
            "fab:2 simple:1");
  EXPECT_EQ(Text("SELECT from_manager || '>' || to_manager FROM auth_manager_switches"),
            "fab>simple");
  // The switch happened when the instance showing the new manager started,
  // not when its first marker was logged.
  EXPECT_EQ(Int("SELECT at_us FROM auth_manager_switches"), 9100 * kSec);
  EXPECT_EQ(Int("SELECT count(*) FROM restart_bursts WHERE relation = 'after'"), 1);
  EXPECT_EQ(Int("SELECT count(*) FROM restart_bursts WHERE relation = 'before'"), 1);
}

TEST_F(TimelineTest, RolloutsGroupStartsAndKubernetesRestartsFollowTheirSlot) {
  int64_t sched = Source("/var/log/pods/airflow_airflow-scheduler-0_4f1c/scheduler/0.log");
  int64_t sched1 = Source("/var/log/pods/airflow_airflow-scheduler-0_4f1c/scheduler/1.log");
  int64_t api = Source(
      "/var/log/pods/airflow_airflow-api-server-5f8d9c7b66-x2x9k_9a1e/"
      "api-server/0.log");
  Append(sched, {{10, "process.start", 100, "", 1, "", "scheduler"}, {20, "task.failed", 200}});
  Append(api, {{10, "process.start", 130, "", 1, "", "api-server"}});
  Append(sched1, {{10, "process.start", 5000, "", 1, "", "scheduler"}});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT count(*) FROM rollouts"), 2);
  EXPECT_EQ(Int("SELECT started FROM rollouts ORDER BY first_us LIMIT 1"), 2);
  EXPECT_EQ(Text("SELECT slot FROM restarts"), "k8s:airflow/airflow-scheduler-0/scheduler");
  EXPECT_EQ(Int("SELECT count(*) FROM restarts"), 1);
  EXPECT_EQ(Int("SELECT restarted FROM rollouts ORDER BY first_us DESC LIMIT 1"), 1);
}

TEST(ProcessSlot, KubernetesPathsNameTheContainerElseTheStream) {
  using internal::ProcessSlot;
  EXPECT_EQ(ProcessSlot("/var/log/pods/airflow_web-7d9f8b6c4-x2x9k_3f1c-aa/api-server/2.log", ""),
            "k8s:airflow/web-7d9f8b6c4-x2x9k/api-server");
  EXPECT_EQ(
      ProcessSlot("/var/log/containers/web-7d9f8b6c4-x2x9k_airflow_api-server-0123abcd.log", ""),
      "k8s:airflow/web-7d9f8b6c4-x2x9k/api-server");
  EXPECT_EQ(ProcessSlot("bundle.tar.gz:var/log/pods/ns_pod_uid/c/0.log", ""), "k8s:ns/pod/c");
  EXPECT_EQ(ProcessSlot("logs/compose.log", "airflow-worker-1"),
            "logs/compose.log|airflow-worker-1");
  EXPECT_EQ(ProcessSlot("/var/log/pods/broken", ""), "/var/log/pods/broken|");
}

TEST_F(TimelineTest, EventsOutOfOrderAreRebuiltToTheSameTimeline) {
  std::vector<Ev> evs = {
      {10, "key.generated", 100}, {20, "process.start", 100, "api-1", 7}, Fail(30, 160),
      {40, "key.generated", 900}, {50, "process.start", 900, "api-1", 8}, Fail(60, 950)};
  int64_t src = Source("api.log");
  Append(src, {evs[0], evs[1], evs[4], evs[5]});
  Append(src, {evs[2], evs[3]});  // Older lines, e.g. a rule pack that grew.
  EXPECT_GT(Int("SELECT count(*) FROM events WHERE instance_id IS NULL"), 0);
  ASSERT_OK(store_->BuildTimeline());
  Table got = Rows("SELECT seq, events, first_us, last_us, pid FROM instances ORDER BY seq");

  Open(":memory:");
  int64_t src2 = Source("api.log");
  Append(src2, evs);
  ASSERT_OK(store_->BuildTimeline());
  Table want = Rows("SELECT seq, events, first_us, last_us, pid FROM instances ORDER BY seq");
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(want.rows.size(), 2u);
}

TEST_F(TimelineTest, AStreamContinuedInALaterSessionIsRebuilt) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("etiolog_timeline_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "s.db").string();
  Open(path);
  int64_t src = Source("api.log");
  Append(src, {{10, "process.start", 100, "api-1", 7}, Fail(20, 150)});
  ASSERT_OK(store_->BuildTimeline());
  Open(path);  // A new session: the stream's state is not in memory.
  src = Source("api.log");
  Append(src, {Fail(30, 160), {40, "process.start", 900, "api-1", 8}, Fail(50, 950)});
  ASSERT_OK(store_->BuildTimeline());
  EXPECT_EQ(Int("SELECT count(*) FROM instances"), 2);
  EXPECT_EQ(Int("SELECT count(*) FROM events WHERE instance_id IS NULL"), 0);
  EXPECT_EQ(Int("SELECT events FROM failure_bursts ORDER BY first_us LIMIT 1"), 2);
  store_.reset();
  fs::remove_all(dir);
}

TEST(TimelineMigration, AStoreOfSchemaOneGetsItsTimelineOnOpen) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("etiolog_migrate_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "v1.db").string();
  {
    // Schema 1 as released, with two events and a derived instance.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v1 = R"sql(
CREATE TABLE sources(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,
  checkpoint_offset INTEGER NOT NULL DEFAULT 0, checkpoint_line INTEGER NOT NULL DEFAULT 0,
  first_time_us INTEGER, last_time_us INTEGER, capped_lines INTEGER NOT NULL DEFAULT 0,
  bad_records INTEGER NOT NULL DEFAULT 0);
CREATE TABLE events(id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL REFERENCES sources(id),
  offset INTEGER NOT NULL, line INTEGER NOT NULL, time_us INTEGER, time_quality TEXT NOT NULL,
  kind TEXT NOT NULL, rule TEXT NOT NULL, surface TEXT NOT NULL, severity TEXT NOT NULL,
  level TEXT NOT NULL, logger TEXT NOT NULL, format TEXT NOT NULL, host TEXT NOT NULL,
  component TEXT NOT NULL, pid INTEGER, message TEXT NOT NULL, text TEXT NOT NULL,
  stream_id INTEGER, instance_id INTEGER, UNIQUE(source_id, offset, rule));
CREATE INDEX events_kind_time ON events(kind, time_us);
CREATE INDEX events_instance ON events(instance_id);
CREATE TABLE captures(event_id INTEGER NOT NULL REFERENCES events(id), name TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY(event_id, name)) WITHOUT ROWID;
CREATE TABLE streams(id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL REFERENCES sources(id),
  host TEXT NOT NULL, UNIQUE(source_id, host));
CREATE TABLE instances(id INTEGER PRIMARY KEY, stream_id INTEGER NOT NULL REFERENCES streams(id),
  seq INTEGER NOT NULL, component TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER,
  start_event_id INTEGER REFERENCES events(id), stop_event_id INTEGER REFERENCES events(id),
  first_us INTEGER, last_us INTEGER);
CREATE VIEW event_captures AS
  SELECT e.id AS event_id, json_group_object(c.name, c.value) AS captures
  FROM events e LEFT JOIN captures c ON c.event_id = e.id GROUP BY e.id;
INSERT INTO sources(id, path) VALUES(1, 'api.log');
INSERT INTO events(source_id, offset, line, time_us, time_quality, kind, rule, surface,
  severity, level, logger, format, host, component, pid, message, text, stream_id, instance_id)
VALUES(1, 10, 1, 100000000, 'exact', 'process.start', 'r.s', '', 'info', 'info', '',
       'uvicorn', 'api-1', 'api-server', 7, 'm', 't', 1, 1),
      (1, 20, 2, 150000000, 'exact', 'auth.signature_failure', 'r.f', 'ui', 'error', 'error', '',
       'structlog', 'api-1', 'api-server', NULL, 'm', 't', 1, 1);
INSERT INTO streams VALUES(1, 1, 'api-1');
INSERT INTO instances VALUES(1, 1, 0, 'api-server', 'api-1', 7, 1, NULL, 100000000, 150000000);
PRAGMA user_version = 1;
)sql";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  auto s = Store::Open(path);
  ASSERT_OK(s);
  EXPECT_EQ(testing::UserVersion(path), Store::SchemaVersion());
  ASSERT_OK((*s)->BuildTimeline());
  auto t = (*s)->Query(
      "SELECT (SELECT count(*) FROM instances), (SELECT count(*) FROM failure_bursts), "
      "(SELECT count(*) FROM events WHERE instance_id IS NULL), (SELECT pid FROM instances)",
      {});
  ASSERT_OK(t);
  EXPECT_EQ(std::get<int64_t>(t->rows[0][0]), 1);
  EXPECT_EQ(std::get<int64_t>(t->rows[0][1]), 1);
  EXPECT_EQ(std::get<int64_t>(t->rows[0][2]), 0);
  EXPECT_EQ(std::get<int64_t>(t->rows[0][3]), 7);
  s->reset();
  fs::remove_all(dir);
}

TEST_F(TimelineTest, QueryStopsAtMaxRows) {
  auto t = store_->Query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c", {},
      "endless", 5);
  ASSERT_OK(t);
  EXPECT_EQ(t->rows.size(), 5u);
}

TEST_F(TimelineTest, FindingsAreReplacedAndCiteStoredEvents) {
  int64_t src = Source("api.log");
  Append(src, {Fail(10, 100), Fail(20, 110)});
  FindingRecord f;
  f.fingerprint = "abc";
  f.cause = "per_process_key";
  f.surface = "ui";
  f.confidence = 0.75;
  f.facts = {{"failures", "2"}};
  f.evidence = {{1, "symptom"}, {2, "symptom"}};
  ASSERT_OK(store_->ReplaceFindings({f}));
  EXPECT_EQ(Int("SELECT count(*) FROM finding_evidence"), 2);
  EXPECT_EQ(Text("SELECT value FROM finding_facts WHERE name = 'failures'"), "2");
  f.fingerprint = "def";
  ASSERT_OK(store_->ReplaceFindings({f}));
  EXPECT_EQ(Text("SELECT group_concat(fingerprint) FROM findings"), "def");

  FindingRecord dup = f;
  Status st = store_->ReplaceFindings({f, dup});
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("def"), std::string::npos);
  FindingRecord bad = f;
  bad.evidence = {{999, "cause"}};
  st = store_->ReplaceFindings({bad});
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("999"), std::string::npos);
  // A failed replacement keeps the previous diagnosis.
  EXPECT_EQ(Text("SELECT group_concat(fingerprint) FROM findings"), "def");
}

}  // namespace
}  // namespace etiolog::db
