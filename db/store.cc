// SPDX-License-Identifier: Apache-2.0
//
// SQLite access goes through two RAII handles (connection and statement)
// and Binds (db/sqlite_internal.h), which checks every bind, step and reset
// result; every return code is checked and reported with sqlite3_errmsg. SQL
// text is never built by formatting values into it.
//
// Migrations are an ordered list of SQL scripts; PRAGMA user_version records
// how many have run. Opening an older store runs the missing ones in one
// transaction.
//
// The timeline is maintained as events are written (db/timeline.cc);
// BuildTimeline() completes it.
//
// Query() and Describe() run on a second, contained connection
// (db/query_connection_internal.h); the store's own reads use Select() on
// the writer. The second connection needs a name to open: a temporary
// store is a named file in $TMPDIR, an in-memory one a shared-cache
// in-memory URI unique to the Store (store.h).

#include "db/store.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include <sqlite3.h>

#include "db/query_connection_internal.h"
#include "db/sqlite_internal.h"
#include "db/timeline_internal.h"
#include <sys/stat.h>
#include <unistd.h>

namespace etiolog::db {

namespace {

using internal::Binds;
using internal::Stmt;

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

using internal::SqlError;

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

// Creates an empty file for a temporary store in $TMPDIR (else /tmp), mode
// 0600, and returns its path.
Result<std::string> MakeTemporaryFile() {
  const char* dir = std::getenv("TMPDIR");
  std::string path =
      std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/etiolog-XXXXXX.db";
  const int fd = mkstemps(path.data(), 3);
  if (fd < 0) {
    return Status::IoError(path + ": cannot create the temporary store: " + std::strerror(errno));
  }
  close(fd);
  return path;
}

// A name no other in-memory store of this process has.
std::string MemoryUri() {
  static std::atomic<uint64_t> next{0};
  return "file:etiolog-" + std::to_string(getpid()) + "-" + std::to_string(next++) +
         "?mode=memory&cache=shared";
}

}  // namespace

std::string ValueToString(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return std::to_string(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", std::get<double>(v));
    return buf;
  }
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  return "";
}

Store::Store(sqlite3* db, std::string temp_path)
    : db_(db),
      timeline_(std::make_unique<internal::Timeline>(db)),
      temp_path_(std::move(temp_path)) {}

Store::~Store() {
  reader_.reset();
  timeline_.reset();  // Finalizes its statements before the connection closes.
  sqlite3_close_v2(db_);
  if (!temp_path_.empty()) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::remove((temp_path_ + suffix).c_str());
    }
  }
}

int Store::SchemaVersion() {
  return static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const Options& options) {
  const Result<std::set<std::string>>& tables = SchemaTables();
  if (!tables.ok()) return tables.status();
  // What both connections open (store.h): the file, a temporary file, or
  // an in-memory database both can share.
  const bool temporary = path.empty();
  const bool memory = path == ":memory:";
  std::string name = path;
  if (temporary) {
    Result<std::string> file = MakeTemporaryFile();
    if (!file.ok()) return file.status();
    name = *file;
  } else if (memory) {
    name = MemoryUri();
  }
  // A temporary store is named by its file, so a full $TMPDIR can be told.
  const std::string shown = temporary ? "temporary store " + name : path;
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE |
                    (options.create_if_missing || memory ? SQLITE_OPEN_CREATE : 0) |
                    (memory ? SQLITE_OPEN_URI : 0);
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags,
                           options.vfs.empty() ? nullptr : options.vfs.c_str());
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    if (temporary) std::remove(name.c_str());
    struct stat st;
    if (!options.create_if_missing && !temporary && !memory && stat(path.c_str(), &st) != 0 &&
        errno == ENOENT) {
      return Status::NotFound(path + ": no such store");
    }
    return Status::IoError((temporary ? name : path) + ": cannot open store: " + msg);
  }
  if (options.heap_limit_kib > 0) sqlite3_soft_heap_limit64(options.heap_limit_kib * 1024);
  std::unique_ptr<Store> store(new Store(raw, temporary ? name : std::string()));
  store->shown_ = shown;
  if (sqlite3_extended_result_codes(raw, 1) != SQLITE_OK ||
      sqlite3_busy_timeout(raw, options.busy_timeout_ms) != SQLITE_OK) {
    return SqlError(raw, shown + ": cannot set up the store");
  }
  // A file store is WAL: the query connection reads while the writer
  // writes. A temporary store dies with the Store, so it needs no crash
  // safety and no rollback: it has no journal and is never synced, which
  // costs the least per commit (a journal in memory cost 2.6% of all the
  // instructions of an analyze, copying every page a batch touches); a
  // failed write breaks it instead (Abandon), which ends the run. The
  // query connection reads between the writer's transactions, never during
  // one. Pragmas are checked individually.
  if (temporary) {
    ETIOLOG_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=OFF").Annotate(shown));
  } else if (!memory) {
    ETIOLOG_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL").Annotate(shown));
  }
  ETIOLOG_RETURN_IF_ERROR(
      store->Exec(temporary ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=NORMAL")
          .Annotate(shown));
  ETIOLOG_RETURN_IF_ERROR(store->Exec("PRAGMA foreign_keys=ON").Annotate(shown));
  ETIOLOG_RETURN_IF_ERROR(
      store->Exec("PRAGMA cache_size=-" + std::to_string(options.cache_kib)).Annotate(shown));
  Status st = store->Migrate();
  if (!st.ok()) return st.Annotate(shown);
  internal::QueryConnection::Options qopt;
  qopt.cache_kib = options.cache_kib;
  qopt.step_limit = options.query_step_limit;
  Result<std::unique_ptr<internal::QueryConnection>> reader =
      internal::QueryConnection::Open(name, memory, *tables, qopt);
  if (!reader.ok()) return reader.status().Annotate(shown);
  store->reader_ = std::move(reader).value();
  return store;
}

Status Store::Exec(std::string_view sql) {
  char* err = nullptr;
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
      return Status::Corruption("not an etiolog store or damaged: " + msg);
    }
    return Status::IoError(msg);
  }
  return Status::OK();
}

Status Store::Migrate() {
  Result<Table> v = Select("PRAGMA user_version", {}, "schema version");
  if (!v.ok()) {
    // A non-database file fails here first.
    return Status::Corruption("not an etiolog store: " + v.status().message());
  }
  int64_t version = std::get<int64_t>(v->rows.at(0).at(0));
  if (version > SchemaVersion()) {
    return Status::Unsupported("store schema version " + std::to_string(version) +
                               " is newer than this etiolog (" + std::to_string(SchemaVersion()) +
                               ")");
  }
  if (version == SchemaVersion()) return Status::OK();
  if (version == 0) {
    // A fresh file must be empty: refuse to take over someone's database.
    Result<Table> t = Select("SELECT count(*) FROM sqlite_master", {}, "schema check");
    if (!t.ok()) return t.status();
    if (std::get<int64_t>(t->rows[0][0]) != 0) {
      return Status::Corruption("database has tables but is not an etiolog store");
    }
  }
  ETIOLOG_RETURN_IF_ERROR(Begin());
  for (int64_t i = version; i < SchemaVersion(); ++i) {
    Status st = Exec(kMigrations[i]);
    if (!st.ok()) return Abandon(st.Annotate("migration " + std::to_string(i + 1)));
  }
  Status st = Exec("PRAGMA user_version=" + std::to_string(SchemaVersion()));
  if (st.ok()) st = Exec("COMMIT");
  if (!st.ok()) return Abandon(st);
  return st;
}

Status Store::Usable() const {
  return broken_.ok() ? Status::OK() : broken_.Annotate("after an earlier failed write");
}

Status Store::Begin() {
  ETIOLOG_RETURN_IF_ERROR(Usable());
  return Exec("BEGIN IMMEDIATE");
}

Status Store::Abandon(const Status& st) {
  (void)Exec("ROLLBACK");
  if (!temp_path_.empty() && broken_.ok()) broken_ = st;
  return st;
}

Result<SourceInfo> Store::AddSource(const std::string& path) {
  Result<SourceInfo> added = [&]() -> Result<SourceInfo> {
    ETIOLOG_RETURN_IF_ERROR(Usable());
    {
      sqlite3_stmt* raw = nullptr;
      if (sqlite3_prepare_v2(db_, "INSERT OR IGNORE INTO sources(path) VALUES(?)", -1, &raw,
                             nullptr) != SQLITE_OK) {
        return SqlError(db_, "add source");
      }
      Stmt s(raw);
      ETIOLOG_RETURN_IF_ERROR(Binds(s.get()).Text(1, path).Done(db_, "add source"));
    }
    Result<Table> t =
        Select("SELECT id, checkpoint_offset, checkpoint_line FROM sources WHERE path = :path",
               {{"path", path}}, "add source");
    if (!t.ok()) return t.status();
    if (t->rows.empty()) return Status::Internal("source vanished after insert: " + path);
    SourceInfo info;
    info.id = std::get<int64_t>(t->rows[0][0]);
    info.path = path;
    info.checkpoint_offset = static_cast<uint64_t>(std::get<int64_t>(t->rows[0][1]));
    info.checkpoint_line = static_cast<uint64_t>(std::get<int64_t>(t->rows[0][2]));
    return info;
  }();
  if (!added.ok()) return Named(added.status());
  return added;
}

Status Store::AppendEvents(int64_t source_id, const std::vector<Event>& events,
                           uint64_t checkpoint_offset, uint64_t checkpoint_line) {
  // Errors name the store (Named).
  return Named([&]() -> Status {
    ETIOLOG_RETURN_IF_ERROR(Begin());
    auto fail = [&](const Status& st) {
      timeline_->Reset();  // Its rows were rolled back too.
      return Abandon(st);
    };
    Stmt ins, cap, cp;
    Status st = internal::Prepare(
        db_,
        "INSERT OR IGNORE INTO events(source_id, offset, line, time_us, time_quality, "
        "kind, rule, surface, severity, level, logger, format, host, component, pid, "
        "message, text, stream_id, instance_id, burst_id, age_us, age_resolution_us) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "prepare event insert", &ins);
    if (st.ok()) {
      st = internal::Prepare(db_,
                             "INSERT OR REPLACE INTO captures(event_id, name, value) VALUES(?,?,?)",
                             "prepare capture insert", &cap);
    }
    if (!st.ok()) return fail(st);
    for (const Event& e : events) {
      const LogRecord& r = e.record;
      internal::EventFacts facts;
      facts.source_id = source_id;
      facts.offset = r.offset;
      facts.host = r.process.host;
      facts.kind = e.kind;
      facts.rule = e.rule;
      facts.surface = e.surface;
      facts.component = r.process.component;
      facts.format = r.format;
      if (r.time_quality != TimeQuality::kNone) facts.time_us = r.time_us;
      facts.time_inherited = r.time_quality == TimeQuality::kInherited;
      facts.pid = r.process.pid;
      Result<internal::Placement> place = timeline_->Place(facts);
      if (!place.ok()) return fail(place.status());
      // A state-dump fact known only by its age is dated by BuildTimeline().
      const bool relative = r.time_quality == TimeQuality::kNone && e.age_us.has_value();
      st = Binds(ins.get())
               .Int(1, source_id)
               .Int(2, static_cast<int64_t>(r.offset))
               .Int(3, static_cast<int64_t>(r.line))
               .Optional(4, facts.time_us)
               .Text(5, relative ? std::string_view("relative") : TimeQualityName(r.time_quality))
               .Text(6, e.kind)
               .Text(7, e.rule)
               .Text(8, e.surface)
               .Text(9, e.severity)
               .Text(10, LevelName(r.level))
               .Text(11, r.logger)
               .Text(12, r.format)
               .Text(13, r.process.host)
               .Text(14, r.process.component)
               .NonZero(15, r.process.pid)
               .Text(16, r.message)
               .Text(17, r.text)
               .Int(18, place->stream_id)
               .NonZero(19, place->instance_id)
               .NonZero(20, place->burst_id)
               .Optional(21, e.age_us)
               .Optional(22, e.age_us ? std::optional<int64_t>(e.age_resolution_us) : std::nullopt)
               .Done(db_, "insert event");
      if (!st.ok()) return fail(st);
      const bool inserted = sqlite3_changes(db_) > 0;
      const int64_t id = inserted ? sqlite3_last_insert_rowid(db_) : 0;
      timeline_->Record(facts, *place, id, inserted);
      if (!inserted) continue;  // Already stored.
      for (const auto& [name, value] : e.captures) {
        st = Binds(cap.get()).Int(1, id).Text(2, name).Text(3, value).Done(db_, "insert capture");
        if (!st.ok()) return fail(st);
      }
    }
    st = timeline_->Flush();
    if (st.ok()) {
      st = internal::Prepare(db_,
                             "UPDATE sources SET checkpoint_offset = ?, checkpoint_line = ? "
                             "WHERE id = ?",
                             "prepare checkpoint", &cp);
    }
    if (st.ok()) {
      st = Binds(cp.get())
               .Int(1, static_cast<int64_t>(checkpoint_offset))
               .Int(2, static_cast<int64_t>(checkpoint_line))
               .Int(3, source_id)
               .Done(db_, "update checkpoint");
    }
    if (st.ok()) st = Exec("COMMIT");
    if (!st.ok()) return fail(st);
    return Status::OK();
  }());
}

Status Store::UpdateSourceStats(int64_t source_id, int64_t first_time_us, int64_t last_time_us,
                                uint64_t capped_lines, uint64_t bad_records, int64_t modified_us) {
  // Errors name the store (Named).
  return Named([&]() -> Status {
    ETIOLOG_RETURN_IF_ERROR(Usable());
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_,
                           "UPDATE sources SET "
                           "first_time_us = CASE WHEN ?1 = 0 THEN first_time_us "
                           "  ELSE min(coalesce(first_time_us, ?1), ?1) END, "
                           "last_time_us = CASE WHEN ?2 = 0 THEN last_time_us "
                           "  ELSE max(coalesce(last_time_us, ?2), ?2) END, "
                           "capped_lines = capped_lines + ?3, bad_records = bad_records + ?4, "
                           "modified_us = CASE WHEN ?6 = 0 THEN modified_us "
                           "  ELSE max(coalesce(modified_us, ?6), ?6) END "
                           "WHERE id = ?5",
                           -1, &raw, nullptr) != SQLITE_OK) {
      return SqlError(db_, "prepare source stats");
    }
    Stmt s(raw);
    return Binds(s.get())
        .Int(1, first_time_us)
        .Int(2, last_time_us)
        .Int(3, static_cast<int64_t>(capped_lines))
        .Int(4, static_cast<int64_t>(bad_records))
        .Int(5, source_id)
        .Int(6, modified_us)
        .Done(db_, "update source stats");
  }());
}

Status Store::SaveFollowedFile(const FollowedFileRecord& f) {
  // Errors name the store (Named).
  return Named([&]() -> Status {
    ETIOLOG_RETURN_IF_ERROR(Usable());
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(
            db_,
            "INSERT OR REPLACE INTO followed_files(source_id, path, device, inode, "
            "fingerprint_bytes, fingerprint, ended) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            -1, &raw, nullptr) != SQLITE_OK) {
      return SqlError(db_, "prepare followed file");
    }
    Stmt s(raw);
    // Stored as the same 64 bits: SQLite integers are signed.
    return Binds(s.get())
        .Int(1, f.source_id)
        .Text(2, f.path)
        .Int(3, static_cast<int64_t>(f.device))
        .Int(4, static_cast<int64_t>(f.inode))
        .Int(5, static_cast<int64_t>(f.fingerprint_bytes))
        .Int(6, static_cast<int64_t>(f.fingerprint))
        .Int(7, f.ended ? 1 : 0)
        .Done(db_, "save followed file");
  }());
}

Result<std::vector<FollowedFileRecord>> Store::LoadFollowedFiles() const {
  Result<Table> t = Select(
      "SELECT f.source_id, s.path, f.path, f.device, f.inode, f.fingerprint_bytes, "
      "f.fingerprint, f.ended, s.checkpoint_offset, s.checkpoint_line "
      "FROM followed_files f JOIN sources s ON s.id = f.source_id ORDER BY f.source_id",
      {}, "followed files");
  if (!t.ok()) return t.status();
  std::vector<FollowedFileRecord> out;
  for (const std::vector<Value>& row : t->rows) {
    auto u = [&](size_t i) { return static_cast<uint64_t>(std::get<int64_t>(row[i])); };
    FollowedFileRecord f;
    f.source_id = std::get<int64_t>(row[0]);
    f.name = std::get<std::string>(row[1]);
    f.path = std::get<std::string>(row[2]);
    f.device = u(3);
    f.inode = u(4);
    f.fingerprint_bytes = static_cast<uint32_t>(u(5));
    f.fingerprint = u(6);
    f.ended = u(7) != 0;
    f.checkpoint_offset = u(8);
    f.checkpoint_line = u(9);
    out.push_back(std::move(f));
  }
  return out;
}

Status Store::BuildTimeline() {
  // Errors name the store (Named).
  return Named([&]() -> Status {
    ETIOLOG_RETURN_IF_ERROR(Begin());
    Status st = timeline_->Finalize();
    if (st.ok()) st = Exec("COMMIT");
    if (!st.ok()) {
      timeline_->Reset();
      return Abandon(st);
    }
    return st;
  }());
}

Status Store::ReplaceFindings(const std::vector<FindingRecord>& findings, std::string_view run) {
  // Errors name the store (Named).
  return Named([&]() -> Status {
    ETIOLOG_RETURN_IF_ERROR(Begin());
    auto fail = [&](const Status& st) { return Abandon(st); };
    Status st =
        Exec("DELETE FROM finding_evidence; DELETE FROM finding_facts; DELETE FROM findings;");
    Stmt f, fact, ev, diag;
    if (st.ok()) {
      st = internal::Prepare(db_,
                             "INSERT INTO findings(rank, fingerprint, cause, surface, confidence, "
                             "title, summary, remediation, deployment, kind) "
                             "VALUES(?,?,?,?,?,?,?,?,?,?)",
                             "prepare finding insert", &f);
    }
    if (st.ok()) {
      st = internal::Prepare(db_,
                             "INSERT OR REPLACE INTO finding_facts(finding_id, name, value, seq) "
                             "VALUES(?,?,?,?)",
                             "prepare finding facts", &fact);
    }
    if (st.ok()) {
      st = internal::Prepare(db_,
                             "INSERT INTO finding_evidence(finding_id, seq, role, event_id) "
                             "VALUES(?,?,?,?)",
                             "prepare finding evidence", &ev);
    }
    if (st.ok()) {
      st = internal::Prepare(db_, "INSERT OR REPLACE INTO diagnosis(id, run) VALUES(1, ?)",
                             "prepare diagnosis", &diag);
    }
    if (st.ok()) {
      st = Binds(diag.get()).Text(1, run).Done(db_, "save diagnosis");
    }
    if (!st.ok()) return fail(st);
    std::set<std::string> fingerprints;
    int64_t rank = 0;
    for (const FindingRecord& r : findings) {
      if (!fingerprints.insert(r.fingerprint).second) {
        return fail(Status::InvalidArgument("two findings share the fingerprint " + r.fingerprint));
      }
      st = Binds(f.get())
               .Int(1, ++rank)
               .Text(2, r.fingerprint)
               .Text(3, r.cause)
               .Text(4, r.surface)
               .Double(5, r.confidence)
               .Text(6, r.title)
               .Text(7, r.summary)
               .Text(8, r.remediation)
               .Text(9, r.deployment)
               .Text(10, r.risk ? "risk" : "finding")
               .Done(db_, "insert finding");
      if (!st.ok()) return fail(st);
      const int64_t id = sqlite3_last_insert_rowid(db_);
      int64_t fact_seq = 0;
      for (const auto& [name, value] : r.facts) {
        st = Binds(fact.get())
                 .Int(1, id)
                 .Text(2, name)
                 .Text(3, value)
                 .Int(4, ++fact_seq)
                 .Done(db_, "insert finding fact");
        if (!st.ok()) return fail(st);
      }
      int64_t seq = 0;
      for (const auto& [event_id, role] : r.evidence) {
        st = Binds(ev.get())
                 .Int(1, id)
                 .Int(2, ++seq)
                 .Text(3, role)
                 .Int(4, event_id)
                 .Done(db_, "insert finding evidence");
        if (!st.ok()) {
          return fail(Status::InvalidArgument("finding " + r.fingerprint + " cites event " +
                                              std::to_string(event_id) + ": " + st.message()));
        }
      }
    }
    st = Exec("COMMIT");
    if (!st.ok()) return fail(st);
    return Status::OK();
  }());
}

Result<Diagnosis> Store::LoadFindings() const {
  Result<Table> d = Select("SELECT run FROM diagnosis WHERE id = 1", {}, "load diagnosis");
  if (!d.ok()) return d.status();
  if (d->rows.empty()) return Status::NotFound("the store holds no diagnosis");
  Diagnosis out;
  out.run = ValueToString(d->rows[0][0]);
  Result<Table> f = Select(
      "SELECT id, fingerprint, cause, surface, confidence, title, summary, remediation, "
      "deployment, kind FROM findings ORDER BY rank",
      {}, "load findings");
  if (!f.ok()) return f.status();
  for (const auto& row : f->rows) {
    FindingRecord r;
    const Value id = row[0];
    r.fingerprint = ValueToString(row[1]);
    r.cause = ValueToString(row[2]);
    r.surface = ValueToString(row[3]);
    if (std::holds_alternative<double>(row[4])) r.confidence = std::get<double>(row[4]);
    if (std::holds_alternative<int64_t>(row[4])) {
      r.confidence = static_cast<double>(std::get<int64_t>(row[4]));
    }
    r.title = ValueToString(row[5]);
    r.summary = ValueToString(row[6]);
    r.remediation = ValueToString(row[7]);
    r.deployment = ValueToString(row[8]);
    r.risk = ValueToString(row[9]) == "risk";
    Result<Table> facts =
        Select("SELECT name, value FROM finding_facts WHERE finding_id = :id ORDER BY seq, name",
               {{"id", id}}, "load finding facts");
    if (!facts.ok()) return facts.status();
    for (const auto& fr : facts->rows)
      r.facts.emplace_back(ValueToString(fr[0]), ValueToString(fr[1]));
    Result<Table> ev =
        Select("SELECT event_id, role FROM finding_evidence WHERE finding_id = :id ORDER BY seq",
               {{"id", id}}, "load finding evidence");
    if (!ev.ok()) return ev.status();
    for (const auto& er : ev->rows) {
      r.evidence.emplace_back(std::holds_alternative<int64_t>(er[0]) ? std::get<int64_t>(er[0]) : 0,
                              ValueToString(er[1]));
    }
    out.findings.push_back(std::move(r));
  }
  return out;
}

Result<QueryShape> Store::Describe(std::string_view sql, std::string_view context) const {
  return reader_->Describe(sql, context);
}

Result<Table> Store::Query(std::string_view sql, const std::map<std::string, Value>& params,
                           std::string_view context, size_t max_rows, uint64_t max_steps) const {
  return reader_->Query(sql, params, context, max_rows, max_steps);
}

Result<Table> Store::Select(std::string_view sql, const std::map<std::string, Value>& params,
                            std::string_view context) const {
  Stmt s;
  ETIOLOG_RETURN_IF_ERROR(internal::PrepareQuery(db_, sql, context, &s));
  ETIOLOG_RETURN_IF_ERROR(internal::BindParameters(db_, s.get(), params, context));
  return internal::ReadRows(db_, s.get(), context, 0);
}

}  // namespace etiolog::db
