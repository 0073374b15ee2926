// SPDX-License-Identifier: Apache-2.0
//
// SQLite access goes through two RAII handles (connection and statement)
// and Binds (db/sqlite_internal.h), which checks every bind, step and reset
// result; every return code is checked and reported with sqlite3_errmsg. SQL
// text is never built by formatting values into it.
//
// Migrations are an ordered list of SQL scripts (db/schema.cc); PRAGMA
// user_version records how many have run. Opening an older store runs the
// missing ones in one transaction.
//
// The timeline is maintained as events are written (db/store_events.cc,
// db/timeline.cc); BuildTimeline() completes it. Findings are written and
// read in db/store_findings.cc.
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
#include "db/schema_internal.h"
#include "db/sqlite_internal.h"
#include "db/timeline_internal.h"
#include <sys/stat.h>
#include <unistd.h>

namespace etiolog::db {

namespace {

using internal::Binds;
using internal::SqlError;
using internal::Stmt;

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

int Store::SchemaVersion() { return static_cast<int>(internal::Migrations().size()); }

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const Options& options) {
  const Result<std::set<std::string>>& tables = internal::SchemaTables();
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
    Status st = Exec(internal::Migrations()[static_cast<size_t>(i)]);
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
