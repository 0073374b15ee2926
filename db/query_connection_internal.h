// SPDX-License-Identifier: Apache-2.0
//
// QueryConnection: the connection Store::Query() and Store::Describe() run
// on, and so the one a rule pack's cause SQL runs on. It is a second
// connection to the store, apart from the writer, and it is contained:
//
//   - Opened with SQLITE_OPEN_READONLY, and PRAGMA query_only=ON is set
//     before anything else runs on it, so SQLite itself refuses to write
//     (for a shared-cache in-memory store the open flag is not enforced by
//     the pager the two connections share; query_only is).
//   - An authorizer (sqlite3_set_authorizer) allows SELECT, recursive
//     CTEs, every function except those that load code or reach files, and
//     reads of etiolog's own tables and views and of the json_each and
//     json_tree table-valued functions. It denies everything else when the
//     statement is prepared, with a reason: ATTACH and DETACH, PRAGMA and
//     the pragma_* table-valued functions, transactions and savepoints,
//     every write and DDL statement, sqlite_schema and any other table.
//   - A step limit (sqlite3_progress_handler): a statement that runs more
//     SQLite virtual-machine instructions than allowed is interrupted and
//     fails with InvalidArgument, so a recursive query without a bound ends
//     with an error instead of never. No string or blob a query makes may
//     pass 16 MiB (SQLITE_LIMIT_LENGTH), so one step cannot take memory
//     either (randomblob(1e9) fails with "string or blob too big").
//
// The free functions are the query helpers both connections use: the
// store's own reads (schema version, sources, findings) run on the writer,
// without the authorizer or the limit, and see its uncommitted rows.
//
// Thread safety: one thread at a time, like the Store that owns it.

#ifndef ETIOLOG_DB_QUERY_CONNECTION_INTERNAL_H_
#define ETIOLOG_DB_QUERY_CONNECTION_INTERNAL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "db/sqlite_internal.h"
#include "db/store.h"
#include "ingest/status.h"

namespace etiolog::db::internal {

// The Status for rc, a failed prepare or step on db, prefixed by context:
// IoError when the store fails (I/O, a full disk, no memory, busy or
// locked), Corruption when it is damaged or not a database, else
// InvalidArgument (the SQL's fault), with sqlite3_errmsg.
Status QueryError(sqlite3* db, int rc, std::string_view context);

// Prepares sql on db as exactly one statement that does not write. Returns
// InvalidArgument "<context>: <SQLite's message>", followed by " (SQL line
// L, column C)" when SQLite points into the SQL, for SQL that does not
// prepare, is not exactly one statement or would write; IoError or
// Corruption (QueryError) when the store fails.
Status PrepareQuery(sqlite3* db, std::string_view sql, std::string_view context, Stmt* out);

// The result columns and named parameters of a prepared statement.
QueryShape ShapeOf(sqlite3_stmt* s);

// Binds params to the named parameters of s (":x" binds params["x"]);
// parameters params lacks stay NULL, params s does not use are ignored.
// Returns QueryError if a bind fails.
Status BindParameters(sqlite3* db, sqlite3_stmt* s, const std::map<std::string, Value>& params,
                      std::string_view context);

// Steps s (bound, not yet stepped) until it is done or, if max_rows > 0,
// max_rows rows were read. Table::steps is what the statement ran. Returns
// QueryError if a step fails.
Result<Table> ReadRows(sqlite3* db, sqlite3_stmt* s, std::string_view context, size_t max_rows);

class QueryConnection {
 public:
  struct Options {
    // Page cache of this connection, in KiB. Default: 8 MiB.
    int cache_kib = 8 * 1024;
    // The step limit of a query that sets none (Query's max_steps 0); 0 is
    // no limit. Default: none.
    uint64_t step_limit = 0;
  };

  // Opens name read-only (as a URI if uri), sets it up as above and
  // returns it. tables: the tables and views a query may read (etiolog's
  // schema). Returns IoError if the store cannot be opened or set up.
  static Result<std::unique_ptr<QueryConnection>> Open(const std::string& name, bool uri,
                                                       const std::set<std::string>& tables,
                                                       const Options& options);

  // Owns a connection and is the authorizer's and progress handler's
  // context: neither copyable nor movable.
  QueryConnection(const QueryConnection&) = delete;
  QueryConnection& operator=(const QueryConnection&) = delete;

  // Store::Describe() on this connection: prepared, never run.
  Result<QueryShape> Describe(std::string_view sql, std::string_view context);

  // Store::Query() on this connection. max_steps: the step limit of this
  // query; 0 means Options::step_limit. A query stopped by its limit
  // returns InvalidArgument "<context>: query stopped after N steps (...)".
  Result<Table> Query(std::string_view sql, const std::map<std::string, Value>& params,
                      std::string_view context, size_t max_rows, uint64_t max_steps);

 private:
  QueryConnection(sqlite3* db, const std::set<std::string>& tables, const Options& options);

  // PrepareQuery with the authorizer's reason when it denied the SQL.
  Status Prepare(std::string_view sql, std::string_view context, Stmt* out);

  // Whether the authorizer lets a query read column of table in database
  // (SQLITE_READ's arguments).
  bool MayRead(std::string_view table, std::string_view column, std::string_view database) const;

  static int Authorize(void* self, int action, const char* arg1, const char* arg2,
                       const char* database, const char* inner);
  static int Progress(void* self);

  Connection db_;
  std::set<std::string> tables_;  // Lower case.
  Options options_;
  // Why the authorizer denied the statement being prepared; "" if it did not.
  std::string denied_;
  // The running query's limit, the steps counted so far (in periods of the
  // progress handler) and whether the limit stopped it.
  uint64_t budget_ = 0;
  uint64_t period_ = 0;
  uint64_t counted_ = 0;
  bool stopped_ = false;
};

}  // namespace etiolog::db::internal

#endif  // ETIOLOG_DB_QUERY_CONNECTION_INTERNAL_H_
