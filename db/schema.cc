// SPDX-License-Identifier: Apache-2.0
//
// Schema migrations are an ordered list of SQL scripts; never edit a
// released one, append.

#include <sqlite3.h>

#include "db/schema_internal.h"
#include "db/sqlite_internal.h"

namespace etiolog::db::internal {

namespace {

// Schema migrations, in order. Never edit a released one; append.
const char* const kMigrations[] = {
    // 1: sources, events, captures, streams, instances, findings.
    R"sql(
CREATE TABLE sources(
  id                INTEGER PRIMARY KEY,
  path              TEXT NOT NULL UNIQUE,
  checkpoint_offset INTEGER NOT NULL DEFAULT 0,
  checkpoint_line   INTEGER NOT NULL DEFAULT 0,
  first_time_us     INTEGER,
  last_time_us      INTEGER,
  capped_lines      INTEGER NOT NULL DEFAULT 0,
  bad_records       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events(
  id           INTEGER PRIMARY KEY,
  source_id    INTEGER NOT NULL REFERENCES sources(id),
  offset       INTEGER NOT NULL,
  line         INTEGER NOT NULL,
  time_us      INTEGER,
  time_quality TEXT NOT NULL,
  kind         TEXT NOT NULL,
  rule         TEXT NOT NULL,
  surface      TEXT NOT NULL,
  severity     TEXT NOT NULL,
  level        TEXT NOT NULL,
  logger       TEXT NOT NULL,
  format       TEXT NOT NULL,
  host         TEXT NOT NULL,
  component    TEXT NOT NULL,
  pid          INTEGER,
  message      TEXT NOT NULL,
  text         TEXT NOT NULL,
  stream_id    INTEGER,
  instance_id  INTEGER,
  UNIQUE(source_id, offset, rule)
);
CREATE INDEX events_kind_time ON events(kind, time_us);
CREATE INDEX events_instance ON events(instance_id);
CREATE TABLE captures(
  event_id INTEGER NOT NULL REFERENCES events(id),
  name     TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY(event_id, name)
) WITHOUT ROWID;
CREATE TABLE streams(
  id        INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  host      TEXT NOT NULL,
  UNIQUE(source_id, host)
);
CREATE TABLE instances(
  id             INTEGER PRIMARY KEY,
  stream_id      INTEGER NOT NULL REFERENCES streams(id),
  seq            INTEGER NOT NULL,
  component      TEXT NOT NULL,
  host           TEXT NOT NULL,
  pid            INTEGER,
  start_event_id INTEGER REFERENCES events(id),
  stop_event_id  INTEGER REFERENCES events(id),
  first_us       INTEGER,
  last_us        INTEGER
);
CREATE VIEW event_captures AS
  SELECT e.id AS event_id, json_group_object(c.name, c.value) AS captures
  FROM events e LEFT JOIN captures c ON c.event_id = e.id GROUP BY e.id;
)sql",
    // 2: the timeline is placed as events are written (events.burst_id,
    // streams.slot, instance extents), correlation tables and views, and
    // findings. streams and instances are derived data: recreated here and
    // rebuilt by the next BuildTimeline().
    R"sql(
DROP TABLE instances;
DROP TABLE streams;
UPDATE events SET stream_id = NULL, instance_id = NULL;
ALTER TABLE events ADD COLUMN burst_id INTEGER;
DROP INDEX events_instance;
DROP INDEX events_kind_time;
CREATE INDEX events_kind_surface_time ON events(kind, surface, time_us);
CREATE INDEX events_instance ON events(instance_id, kind, time_us);
CREATE INDEX events_burst ON events(burst_id) WHERE burst_id IS NOT NULL;
CREATE INDEX events_unplaced ON events(stream_id) WHERE instance_id IS NULL;
CREATE TABLE streams(
  id        INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  host      TEXT NOT NULL,
  slot      TEXT NOT NULL,
  format    TEXT NOT NULL DEFAULT '',
  UNIQUE(source_id, host)
);
CREATE TABLE instances(
  id             INTEGER PRIMARY KEY,
  stream_id      INTEGER NOT NULL REFERENCES streams(id),
  seq            INTEGER NOT NULL,
  component      TEXT NOT NULL,
  host           TEXT NOT NULL,
  slot           TEXT NOT NULL,
  name           TEXT NOT NULL DEFAULT '',
  pid            INTEGER,
  start_event_id INTEGER,
  stop_event_id  INTEGER,
  events         INTEGER NOT NULL DEFAULT 0,
  first_event_us INTEGER,
  last_event_us  INTEGER,
  first_us       INTEGER,
  last_us        INTEGER,
  prev_id        INTEGER,
  rollout_id     INTEGER,
  UNIQUE(stream_id, seq)
);
CREATE INDEX instances_slot ON instances(slot, first_us);
CREATE TABLE failure_bursts(
  id             INTEGER PRIMARY KEY,
  instance_id    INTEGER NOT NULL,
  surface        TEXT NOT NULL,
  first_us       INTEGER,
  last_us        INTEGER,
  first_event_id INTEGER,
  last_event_id  INTEGER,
  events         INTEGER NOT NULL DEFAULT 0,
  occurrences    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX failure_bursts_instance ON failure_bursts(instance_id, surface);
CREATE TABLE burst_kinds(
  burst_id       INTEGER NOT NULL,
  kind           TEXT NOT NULL,
  events         INTEGER NOT NULL,
  occurrences    INTEGER NOT NULL,
  first_event_id INTEGER NOT NULL,
  PRIMARY KEY(burst_id, kind)
) WITHOUT ROWID;
CREATE TABLE rollouts(
  id        INTEGER PRIMARY KEY,
  first_us  INTEGER NOT NULL,
  last_us   INTEGER NOT NULL,
  started   INTEGER NOT NULL,
  restarted INTEGER NOT NULL
);
CREATE TABLE key_epochs(
  instance_id INTEGER NOT NULL,
  section     TEXT NOT NULL,
  option      TEXT NOT NULL,
  state       TEXT NOT NULL,
  event_id    INTEGER NOT NULL,
  events      INTEGER NOT NULL,
  from_us     INTEGER,
  to_us       INTEGER,
  PRIMARY KEY(instance_id, section, option, state)
) WITHOUT ROWID;
CREATE TABLE auth_manager_epochs(
  id                INTEGER PRIMARY KEY,
  manager           TEXT NOT NULL,
  first_us          INTEGER NOT NULL,
  last_us           INTEGER NOT NULL,
  until_us          INTEGER,
  first_event_id    INTEGER NOT NULL,
  last_event_id     INTEGER NOT NULL,
  first_instance_id INTEGER,
  markers           INTEGER NOT NULL
);
CREATE VIEW restarts AS
  SELECT i.id AS instance_id, i.prev_id, i.slot, i.component, i.host, i.pid,
         i.first_us AS at_us, p.last_us AS prev_last_us, i.start_event_id,
         p.stop_event_id AS prev_stop_event_id, i.rollout_id
  FROM instances i JOIN instances p ON p.id = i.prev_id;
CREATE VIEW burst_instances AS
  SELECT b.id AS burst_id, b.surface, b.instance_id AS logged_by, i.id AS instance_id,
         i.component, i.host, i.slot
  FROM failure_bursts b JOIN instances i
    ON i.first_us <= b.last_us AND b.first_us <= i.last_us;
CREATE VIEW failure_instances AS
  SELECT e.id AS event_id, e.kind, e.surface, e.time_us, e.instance_id AS logged_by,
         i.id AS instance_id, i.component, i.host, i.slot
  FROM events e JOIN instances i ON i.first_us <= e.time_us AND e.time_us <= i.last_us
  WHERE e.burst_id IS NOT NULL;
CREATE VIEW restart_bursts AS
  SELECT r.instance_id AS restart_id, r.slot, r.component, r.at_us, b.id AS burst_id,
         b.surface, b.instance_id AS burst_instance_id, b.first_us - r.at_us AS delta_us,
         CASE WHEN b.last_us < r.at_us THEN 'before'
              WHEN b.first_us >= r.at_us THEN 'after' ELSE 'across' END AS relation
  FROM restarts r JOIN failure_bursts b ON b.first_us IS NOT NULL AND r.at_us IS NOT NULL;
CREATE VIEW auth_manager_switches AS
  SELECT n.id AS epoch_id, p.manager AS from_manager, n.manager AS to_manager,
         p.last_us AS old_last_us, n.first_us AS new_first_us,
         CASE WHEN i.first_us > p.last_us AND i.first_us <= n.first_us THEN i.first_us
              ELSE n.first_us END AS at_us,
         p.last_event_id AS old_event_id, n.first_event_id AS new_event_id,
         n.first_instance_id AS instance_id
  FROM auth_manager_epochs n JOIN auth_manager_epochs p ON p.id = n.id - 1
  LEFT JOIN instances i ON i.id = n.first_instance_id;
CREATE TABLE findings(
  id          INTEGER PRIMARY KEY,
  rank        INTEGER NOT NULL,
  fingerprint TEXT NOT NULL UNIQUE,
  cause       TEXT NOT NULL,
  surface     TEXT NOT NULL,
  confidence  REAL NOT NULL,
  title       TEXT NOT NULL,
  summary     TEXT NOT NULL,
  remediation TEXT NOT NULL,
  deployment  TEXT NOT NULL
);
CREATE TABLE finding_facts(
  finding_id INTEGER NOT NULL REFERENCES findings(id),
  name       TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY(finding_id, name)
) WITHOUT ROWID;
CREATE TABLE finding_evidence(
  finding_id INTEGER NOT NULL REFERENCES findings(id),
  seq        INTEGER NOT NULL,
  role       TEXT NOT NULL,
  event_id   INTEGER NOT NULL REFERENCES events(id),
  PRIMARY KEY(finding_id, seq)
) WITHOUT ROWID;
)sql",
    // 3: facts keep their order (finding_facts.seq), and the run the
    // findings came from is kept beside them (diagnosis), so `etiolog report`
    // re-renders exactly what `analyze` printed.
    R"sql(
ALTER TABLE finding_facts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
CREATE TABLE diagnosis(
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  run TEXT NOT NULL
);
INSERT INTO diagnosis(id, run) SELECT 1, '' WHERE EXISTS (SELECT 1 FROM findings);
)sql",
    // 4: what `etiolog tail` knows of the files it follows, so a restart
    // resumes each at its checkpoint (sources.checkpoint_*).
    R"sql(
CREATE TABLE followed_files(
  source_id         INTEGER PRIMARY KEY REFERENCES sources(id),
  path              TEXT NOT NULL,
  device            INTEGER NOT NULL,
  inode             INTEGER NOT NULL,
  fingerprint_bytes INTEGER NOT NULL,
  fingerprint       INTEGER NOT NULL,
  ended             INTEGER NOT NULL DEFAULT 0
);
)sql",
    // 5: state dumps (kubectl get pods/describe, helm history, docker ps,
    // systemctl status) as facts about process starts: the age of a fact
    // printed relative to when the dump was taken, the moment each source
    // was taken (reference), instances dated or added by dumps, the
    // workload and pod-template hash of each instance, the deploy record of
    // a rollout. Derived columns are filled by the next BuildTimeline().
    R"sql(
ALTER TABLE events ADD COLUMN age_us INTEGER;
ALTER TABLE events ADD COLUMN age_resolution_us INTEGER;
ALTER TABLE sources ADD COLUMN modified_us INTEGER;
ALTER TABLE sources ADD COLUMN reference_us INTEGER;
ALTER TABLE sources ADD COLUMN reference TEXT;
ALTER TABLE instances ADD COLUMN dump_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN dated_by INTEGER;
ALTER TABLE instances ADD COLUMN dump_first_us INTEGER;
ALTER TABLE instances ADD COLUMN dump_last_us INTEGER;
ALTER TABLE instances ADD COLUMN dump_name TEXT;
ALTER TABLE instances ADD COLUMN workload TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN template_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE rollouts ADD COLUMN revision_event_id INTEGER;
)sql",
    // 6: risks (pack causes with `risk: true`) are kept beside the findings,
    // told apart by kind, so `etiolog report` shows them too.
    R"sql(
ALTER TABLE findings ADD COLUMN kind TEXT NOT NULL DEFAULT 'finding';
)sql",
    // 7: who was alive during each failure burst, counted (burst_alive),
    // and the rollout before each burst. Derived by the next BuildTimeline().
    R"sql(
ALTER TABLE failure_bursts ADD COLUMN rollout_id INTEGER;
CREATE TABLE burst_alive(
  burst_id  INTEGER NOT NULL,
  component TEXT NOT NULL,
  option    TEXT NOT NULL,
  state     TEXT NOT NULL,
  side      TEXT NOT NULL,
  slots     INTEGER NOT NULL,
  instances INTEGER NOT NULL,
  printed   INTEGER NOT NULL,
  sample    TEXT NOT NULL,
  PRIMARY KEY (burst_id, component, option, state, side)
) WITHOUT ROWID;
)sql",
};

}  // namespace

std::span<const char* const> Migrations() { return kMigrations; }

// The tables and views etiolog's schema has (what pack SQL may read):
// those the migrations leave in a fresh database, computed once.
const Result<std::set<std::string>>& SchemaTables() {
  static const Result<std::set<std::string>> kTables = []() -> Result<std::set<std::string>> {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE, nullptr);
    internal::Connection db(raw);
    if (rc != SQLITE_OK) return Status::IoError("schema tables: cannot open a scratch database");
    for (const char* migration : kMigrations) {
      if (sqlite3_exec(db.get(), migration, nullptr, nullptr, nullptr) != SQLITE_OK) {
        return SqlError(db.get(), "schema tables");
      }
    }
    Stmt q;
    ETIOLOG_RETURN_IF_ERROR(
        internal::Prepare(db.get(),
                          "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
                          "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                          "schema tables", &q));
    std::set<std::string> names;
    ETIOLOG_RETURN_IF_ERROR(Binds(q.get()).Rows(db.get(), "schema tables", [&](sqlite3_stmt* r) {
      names.insert(internal::ColumnText(r, 0));
    }));
    // The table-valued functions causes use to split lists.
    names.insert("json_each");
    names.insert("json_tree");
    return names;
  }();
  return kTables;
}

}  // namespace etiolog::db::internal
