// SPDX-License-Identifier: Apache-2.0
//
// SQLite access goes through two RAII handles (connection and statement)
// and typed Bind overloads; every return code is checked and reported with
// sqlite3_errmsg. SQL text is never built by formatting values into it.
//
// Migrations are an ordered list of SQL scripts; PRAGMA user_version records
// how many have run. Opening an older store runs the missing ones in one
// transaction.
//
// The timeline (BuildTimeline) is derived in one pass per stream: events in
// offset order; a process.start marker opens a new instance unless it
// belongs to the startup sequence of the current one: that instance has
// seen only startup events (start markers, key.*, config.*, auth_manager.*),
// began less than kStartupWindowUs earlier, and names no other pid. When a
// new instance opens, the startup events logged just before its marker move
// into it: Airflow logs key generation before its start banner. A
// process.stop marker closes the instance.

#include "db/store.h"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <optional>

#include <sqlite3.h>

namespace etiolog::db {

namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

constexpr int64_t kStartupWindowUs = int64_t{120} * 1000000;

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
};

Status SqlError(sqlite3* db, std::string_view what) {
  return Status::IoError(std::string(what) + ": " + sqlite3_errmsg(db));
}

void BindText(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
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

Store::Store(sqlite3* db) : db_(db) {}
Store::~Store() { sqlite3_close_v2(db_); }

int Store::SchemaVersion() {
  return static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const Options& options) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    return Status::IoError(path + ": cannot open store: " + msg);
  }
  std::unique_ptr<Store> store(new Store(raw));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  // WAL only makes sense for a named file; pragmas are checked individually.
  if (!path.empty() && path != ":memory:") {
    ETIOLOG_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL").Annotate(path));
  }
  ETIOLOG_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=NORMAL").Annotate(path));
  ETIOLOG_RETURN_IF_ERROR(store->Exec("PRAGMA foreign_keys=ON").Annotate(path));
  ETIOLOG_RETURN_IF_ERROR(
      store->Exec("PRAGMA cache_size=-" + std::to_string(options.cache_kib)).Annotate(path));
  Status st = store->Migrate();
  if (!st.ok()) return st.Annotate(path.empty() ? "temporary store" : path);
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
  Result<Table> v = Query("PRAGMA user_version", {}, "schema version");
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
    Result<Table> t = Query("SELECT count(*) FROM sqlite_master", {}, "schema check");
    if (!t.ok()) return t.status();
    if (std::get<int64_t>(t->rows[0][0]) != 0) {
      return Status::Corruption("database has tables but is not an etiolog store");
    }
  }
  ETIOLOG_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  for (int64_t i = version; i < SchemaVersion(); ++i) {
    Status st = Exec(kMigrations[i]);
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st.Annotate("migration " + std::to_string(i + 1));
    }
  }
  Status st = Exec("PRAGMA user_version=" + std::to_string(SchemaVersion()));
  if (st.ok()) st = Exec("COMMIT");
  if (!st.ok()) (void)Exec("ROLLBACK");
  return st;
}

Result<SourceInfo> Store::AddSource(const std::string& path) {
  {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_, "INSERT OR IGNORE INTO sources(path) VALUES(?)", -1, &raw,
                           nullptr) != SQLITE_OK) {
      return SqlError(db_, "add source");
    }
    Stmt s(raw);
    BindText(s.get(), 1, path);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return SqlError(db_, "add source");
  }
  Result<Table> t =
      Query("SELECT id, checkpoint_offset, checkpoint_line FROM sources WHERE path = :path",
            {{"path", path}}, "add source");
  if (!t.ok()) return t.status();
  if (t->rows.empty()) return Status::Internal("source vanished after insert: " + path);
  SourceInfo info;
  info.id = std::get<int64_t>(t->rows[0][0]);
  info.path = path;
  info.checkpoint_offset = static_cast<uint64_t>(std::get<int64_t>(t->rows[0][1]));
  info.checkpoint_line = static_cast<uint64_t>(std::get<int64_t>(t->rows[0][2]));
  return info;
}

Status Store::AppendEvents(int64_t source_id, const std::vector<Event>& events,
                           uint64_t checkpoint_offset, uint64_t checkpoint_line) {
  ETIOLOG_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](std::string_view what) {
    Status st = SqlError(db_, what);
    (void)Exec("ROLLBACK");
    return st;
  };
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(
          db_,
          "INSERT OR IGNORE INTO events(source_id, offset, line, time_us, time_quality, "
          "kind, rule, surface, severity, level, logger, format, host, component, pid, "
          "message, text) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
          -1, &raw, nullptr) != SQLITE_OK) {
    return fail("prepare event insert");
  }
  Stmt ins(raw);
  if (sqlite3_prepare_v2(db_,
                         "INSERT OR REPLACE INTO captures(event_id, name, value) VALUES(?,?,?)", -1,
                         &raw, nullptr) != SQLITE_OK) {
    return fail("prepare capture insert");
  }
  Stmt cap(raw);
  for (const Event& e : events) {
    const LogRecord& r = e.record;
    sqlite3_stmt* s = ins.get();
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_int64(s, 2, static_cast<int64_t>(r.offset));
    sqlite3_bind_int64(s, 3, static_cast<int64_t>(r.line));
    if (r.time_quality == TimeQuality::kNone) {
      sqlite3_bind_null(s, 4);
    } else {
      sqlite3_bind_int64(s, 4, r.time_us);
    }
    BindText(s, 5, TimeQualityName(r.time_quality));
    BindText(s, 6, e.kind);
    BindText(s, 7, e.rule);
    BindText(s, 8, e.surface);
    BindText(s, 9, e.severity);
    BindText(s, 10, LevelName(r.level));
    BindText(s, 11, r.logger);
    BindText(s, 12, r.format);
    BindText(s, 13, r.process.host);
    BindText(s, 14, r.process.component);
    if (r.process.pid != 0) {
      sqlite3_bind_int64(s, 15, r.process.pid);
    } else {
      sqlite3_bind_null(s, 15);
    }
    BindText(s, 16, r.message);
    BindText(s, 17, r.text);
    if (sqlite3_step(s) != SQLITE_DONE) return fail("insert event");
    if (sqlite3_changes(db_) == 0) continue;  // Already stored.
    const int64_t id = sqlite3_last_insert_rowid(db_);
    for (const auto& [name, value] : e.captures) {
      sqlite3_stmt* c = cap.get();
      sqlite3_reset(c);
      sqlite3_bind_int64(c, 1, id);
      BindText(c, 2, name);
      BindText(c, 3, value);
      if (sqlite3_step(c) != SQLITE_DONE) return fail("insert capture");
    }
  }
  if (sqlite3_prepare_v2(db_,
                         "UPDATE sources SET checkpoint_offset = ?, checkpoint_line = ? "
                         "WHERE id = ?",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return fail("prepare checkpoint");
  }
  Stmt cp(raw);
  sqlite3_bind_int64(cp.get(), 1, static_cast<int64_t>(checkpoint_offset));
  sqlite3_bind_int64(cp.get(), 2, static_cast<int64_t>(checkpoint_line));
  sqlite3_bind_int64(cp.get(), 3, source_id);
  if (sqlite3_step(cp.get()) != SQLITE_DONE) return fail("update checkpoint");
  Status st = Exec("COMMIT");
  if (!st.ok()) (void)Exec("ROLLBACK");
  return st;
}

Status Store::UpdateSourceStats(int64_t source_id, int64_t first_time_us, int64_t last_time_us,
                                uint64_t capped_lines, uint64_t bad_records) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "UPDATE sources SET "
                         "first_time_us = CASE WHEN ?1 = 0 THEN first_time_us "
                         "  ELSE min(coalesce(first_time_us, ?1), ?1) END, "
                         "last_time_us = CASE WHEN ?2 = 0 THEN last_time_us "
                         "  ELSE max(coalesce(last_time_us, ?2), ?2) END, "
                         "capped_lines = capped_lines + ?3, bad_records = bad_records + ?4 "
                         "WHERE id = ?5",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return SqlError(db_, "prepare source stats");
  }
  Stmt s(raw);
  sqlite3_bind_int64(s.get(), 1, first_time_us);
  sqlite3_bind_int64(s.get(), 2, last_time_us);
  sqlite3_bind_int64(s.get(), 3, static_cast<int64_t>(capped_lines));
  sqlite3_bind_int64(s.get(), 4, static_cast<int64_t>(bad_records));
  sqlite3_bind_int64(s.get(), 5, source_id);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return SqlError(db_, "update source stats");
  return Status::OK();
}

Status Store::BuildTimeline() {
  ETIOLOG_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](Status st) {
    (void)Exec("ROLLBACK");
    return st;
  };
  Status st = Exec(
      "DELETE FROM instances; DELETE FROM streams; "
      "INSERT INTO streams(source_id, host) SELECT DISTINCT source_id, host FROM events; "
      "UPDATE events SET stream_id = (SELECT s.id FROM streams s "
      "  WHERE s.source_id = events.source_id AND s.host = events.host);");
  if (!st.ok()) return fail(st);

  Result<Table> ev = Query(
      "SELECT e.id, e.stream_id, e.kind, e.time_us, e.pid, e.component, e.host, "
      "  s.first_time_us, s.last_time_us "
      "FROM events e JOIN sources s ON s.id = e.source_id "
      "ORDER BY e.stream_id, e.offset, e.id",
      {}, "timeline");
  if (!ev.ok()) return fail(ev.status());

  struct Member {  // One event of an instance.
    int64_t id = 0, pid = 0;
    std::optional<int64_t> t;
    std::string component;
  };
  struct Instance {
    int64_t stream = 0, seq = 0, start_event = 0, stop_event = 0;
    std::optional<int64_t> first_us, last_us, source_last_us;
    std::string host;
    std::vector<Member> members;
    bool only_startup = true;  // Only start markers and startup events so far.
  };
  auto opt_int = [](const Value& v) -> std::optional<int64_t> {
    if (std::holds_alternative<int64_t>(v)) return std::get<int64_t>(v);
    return std::nullopt;
  };
  auto startup_kind = [](const std::string& k) {
    return k == "process.start" || k.rfind("key.", 0) == 0 || k.rfind("config.", 0) == 0 ||
           k.rfind("auth_manager.", 0) == 0;
  };
  auto first_time = [](const Instance& inst) -> std::optional<int64_t> {
    for (const Member& m : inst.members) {
      if (m.t) return m.t;
    }
    return std::nullopt;
  };
  std::vector<Instance> instances;
  int64_t current_stream = -1;
  size_t trailing = 0;  // Startup events at the end of the current instance.
  for (const auto& row : ev->rows) {
    Member m;
    m.id = opt_int(row[0]).value_or(0);
    const int64_t stream = opt_int(row[1]).value_or(0);
    const std::string& kind = std::get<std::string>(row[2]);
    m.t = opt_int(row[3]);
    m.pid = opt_int(row[4]).value_or(0);
    m.component = std::get<std::string>(row[5]);
    if (stream != current_stream) {
      Instance inst;
      inst.stream = stream;
      inst.host = std::get<std::string>(row[6]);
      inst.first_us = opt_int(row[7]);  // Alive since the source's first line.
      instances.push_back(std::move(inst));
      current_stream = stream;
      trailing = 0;
    }
    Instance* cur = &instances.back();
    bool open_new = cur->stop_event != 0;
    if (kind == "process.start" && !open_new) {
      int64_t cur_pid = 0;
      for (const Member& x : cur->members) {
        if (x.pid != 0) cur_pid = x.pid;
      }
      const std::optional<int64_t> began = first_time(*cur);
      const bool same_startup = cur->only_startup &&
                                (m.pid == 0 || cur_pid == 0 || m.pid == cur_pid) &&
                                (!m.t || !began || *m.t - *began <= kStartupWindowUs);
      open_new = !same_startup;
    }
    if (open_new) {
      Instance next;
      next.stream = stream;
      next.seq = cur->seq + 1;
      next.host = cur->host;
      if (cur->stop_event == 0) {
        // A restart: the startup events logged just before this start marker
        // (key generation precedes the api-server's banner) belong to the
        // new process.
        next.members.assign(cur->members.end() - static_cast<long>(trailing), cur->members.end());
        cur->members.resize(cur->members.size() - trailing);
      }
      instances.push_back(std::move(next));
      cur = &instances.back();
      trailing = cur->members.size();
    }
    if (kind == "process.start" && cur->start_event == 0) cur->start_event = m.id;
    if (kind == "process.stop" && cur->stop_event == 0) {
      cur->stop_event = m.id;
      cur->last_us = m.t;
    }
    cur->source_last_us = opt_int(row[8]);
    cur->members.push_back(std::move(m));
    if (startup_kind(kind)) {
      ++trailing;
    } else {
      trailing = 0;
      cur->only_startup = false;
    }
  }
  // An instance that was started begins at its first event. It lives until
  // its stop marker, else until the next instance of its stream begins, else
  // until the source's last line.
  for (Instance& inst : instances) {
    if (inst.seq > 0 || inst.start_event != 0 || !inst.first_us) inst.first_us = first_time(inst);
  }
  for (size_t i = 0; i < instances.size(); ++i) {
    Instance& inst = instances[i];
    if (inst.stop_event != 0 && inst.last_us) continue;
    const bool has_next = i + 1 < instances.size() && instances[i + 1].stream == inst.stream;
    inst.last_us =
        has_next && instances[i + 1].first_us ? instances[i + 1].first_us : inst.source_last_us;
  }
  // Write instances.
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "INSERT INTO instances(stream_id, seq, component, host, pid, "
                         "start_event_id, stop_event_id, first_us, last_us) "
                         "VALUES(?,?,?,?,?,?,?,?,?)",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return fail(SqlError(db_, "prepare instance insert"));
  }
  Stmt ins(raw);
  if (sqlite3_prepare_v2(db_, "UPDATE events SET instance_id = ? WHERE id = ?", -1, &raw,
                         nullptr) != SQLITE_OK) {
    return fail(SqlError(db_, "prepare instance update"));
  }
  Stmt upd(raw);
  for (const Instance& inst : instances) {
    if (inst.members.empty()) continue;  // All its events moved to a restart.
    std::map<std::string, int> votes;
    int64_t pid = 0;
    for (const Member& m : inst.members) {
      if (!m.component.empty()) ++votes[m.component];
      if (pid == 0) pid = m.pid;
    }
    std::string component;
    int best = 0;
    for (const auto& [c, n] : votes) {
      if (n > best) {
        best = n;
        component = c;
      }
    }
    sqlite3_stmt* s = ins.get();
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, inst.stream);
    sqlite3_bind_int64(s, 2, inst.seq);
    BindText(s, 3, component);
    BindText(s, 4, inst.host);
    if (pid)
      sqlite3_bind_int64(s, 5, pid);
    else
      sqlite3_bind_null(s, 5);
    if (inst.start_event)
      sqlite3_bind_int64(s, 6, inst.start_event);
    else
      sqlite3_bind_null(s, 6);
    if (inst.stop_event)
      sqlite3_bind_int64(s, 7, inst.stop_event);
    else
      sqlite3_bind_null(s, 7);
    if (inst.first_us)
      sqlite3_bind_int64(s, 8, *inst.first_us);
    else
      sqlite3_bind_null(s, 8);
    if (inst.last_us)
      sqlite3_bind_int64(s, 9, *inst.last_us);
    else
      sqlite3_bind_null(s, 9);
    if (sqlite3_step(s) != SQLITE_DONE) return fail(SqlError(db_, "insert instance"));
    const int64_t iid = sqlite3_last_insert_rowid(db_);
    for (const Member& m : inst.members) {
      sqlite3_stmt* u = upd.get();
      sqlite3_reset(u);
      sqlite3_bind_int64(u, 1, iid);
      sqlite3_bind_int64(u, 2, m.id);
      if (sqlite3_step(u) != SQLITE_DONE) return fail(SqlError(db_, "assign instance"));
    }
  }
  st = Exec("COMMIT");
  if (!st.ok()) return fail(st);
  return Status::OK();
}

Result<Table> Store::Query(std::string_view sql, const std::map<std::string, Value>& params,
                           std::string_view context) const {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail) != SQLITE_OK) {
    return Status::InvalidArgument(std::string(context) + ": " + sqlite3_errmsg(db_));
  }
  Stmt s(raw);
  if (s == nullptr) return Status::InvalidArgument(std::string(context) + ": empty SQL");
  for (const char* p = tail; p != nullptr && p < sql.data() + sql.size(); ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
      return Status::InvalidArgument(std::string(context) + ": only one SQL statement is allowed");
    }
  }
  if (!sqlite3_stmt_readonly(s.get())) {
    return Status::InvalidArgument(std::string(context) + ": SQL must not modify the store");
  }
  const int nparams = sqlite3_bind_parameter_count(s.get());
  for (int i = 1; i <= nparams; ++i) {
    const char* name = sqlite3_bind_parameter_name(s.get(), i);
    if (name == nullptr) continue;
    auto it = params.find(name + 1);  // Skip ':', '@' or '$'.
    if (it == params.end()) continue;
    const Value& v = it->second;
    if (std::holds_alternative<int64_t>(v)) {
      sqlite3_bind_int64(s.get(), i, std::get<int64_t>(v));
    } else if (std::holds_alternative<double>(v)) {
      sqlite3_bind_double(s.get(), i, std::get<double>(v));
    } else if (std::holds_alternative<std::string>(v)) {
      BindText(s.get(), i, std::get<std::string>(v));
    }
  }
  Table table;
  const int ncols = sqlite3_column_count(s.get());
  for (int c = 0; c < ncols; ++c) table.columns.emplace_back(sqlite3_column_name(s.get(), c));
  for (;;) {
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      return Status::InvalidArgument(std::string(context) + ": " + sqlite3_errmsg(db_));
    }
    std::vector<Value> row;
    row.reserve(static_cast<size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      switch (sqlite3_column_type(s.get(), c)) {
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(s.get(), c)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(s.get(), c));
          break;
        case SQLITE_NULL:
          row.emplace_back(std::monostate());
          break;
        default: {
          const unsigned char* t = sqlite3_column_text(s.get(), c);
          int n = sqlite3_column_bytes(s.get(), c);
          row.emplace_back(std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(n)));
        }
      }
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace etiolog::db
