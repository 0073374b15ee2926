// SPDX-License-Identifier: Apache-2.0
//
// The authorizer is an allowlist: SQLite calls it for every action a
// statement would take while the statement is prepared, and anything it
// does not know is denied. Its reason is kept and replaces SQLite's
// generic "not authorized" in the error.
//
// json_each and json_tree are eponymous virtual tables: the first use on a
// connection constructs them, and SQLite authorizes that construction as
// an update of sqlite_schema, which the authorizer must deny (it would
// allow a pack to update sqlite_schema). So both are constructed once, by a
// query run before the authorizer is installed; they then live as long as
// the connection. Every other virtual table (pragma_*, dbstat, fts) fails
// to construct, and reading it is denied anyway.
//
// The step limit counts SQLite virtual-machine instructions through the
// progress handler, which SQLite calls every `period_` instructions of the
// running statement; the handler adds the period and interrupts the
// statement once the budget is spent. The period is at most 1000
// instructions, so the handler costs nothing measurable and a query stops
// within 1000 instructions of its limit.

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "db/query_connection_internal.h"

namespace etiolog::db::internal {

namespace {

// Where SQLite's error points into sql, as " (SQL line L, column C)", or ""
// when it does not point into it.
std::string ErrorPosition(sqlite3* db, std::string_view sql) {
  const int offset = sqlite3_error_offset(db);
  if (offset < 0 || static_cast<size_t>(offset) > sql.size()) return "";
  int line = 1, column = 1;
  for (size_t i = 0; i < static_cast<size_t>(offset); ++i) {
    if (sql[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return " (SQL line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
}

bool Blank(const char* from, const char* end) {
  for (const char* p = from; p != nullptr && p < end; ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') return false;
  }
  return true;
}

std::string_view Str(const char* s) { return s == nullptr ? std::string_view() : s; }

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Functions a query may not call, lower case: the ones that load code
// (load_extension) or read or write files (readfile, writefile and edit,
// in case an extension or a build registers them), and fts3_tokenizer,
// which hands out and takes raw pointers.
bool DeniedFunction(std::string_view name) {
  const std::string lower = Lower(name);
  static const char* const kDenied[] = {"load_extension", "readfile", "writefile", "edit",
                                        "fts3_tokenizer"};
  return std::any_of(std::begin(kDenied), std::end(kDenied),
                     [&](const char* d) { return lower == d; });
}

// What an action the authorizer does not allow is called in its reason.
std::string ActionName(int action, std::string_view arg1, std::string_view arg2) {
  auto object = [&](const char* what) { return std::string(what) + " " + std::string(arg1); };
  switch (action) {
    case SQLITE_ATTACH:
      return "ATTACH";
    case SQLITE_DETACH:
      return "DETACH";
    case SQLITE_PRAGMA:
      return "PRAGMA " + std::string(arg1);
    case SQLITE_TRANSACTION:
      return std::string(arg1);  // BEGIN, COMMIT or ROLLBACK.
    case SQLITE_SAVEPOINT:
      return arg1 == "BEGIN" ? "SAVEPOINT" : std::string(arg1) + " (a savepoint)";
    case SQLITE_INSERT:
      return object("INSERT into");
    case SQLITE_UPDATE:
      return object("UPDATE of");
    case SQLITE_DELETE:
      return object("DELETE from");
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TEMP_INDEX:
      return "CREATE INDEX " + std::string(arg1);
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
      return object("CREATE TABLE");
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_TEMP_TRIGGER:
      return object("CREATE TRIGGER");
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW:
      return object("CREATE VIEW");
    case SQLITE_CREATE_VTABLE:
      return object("CREATE VIRTUAL TABLE");
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TEMP_INDEX:
      return object("DROP INDEX");
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
      return object("DROP TABLE");
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_TEMP_TRIGGER:
      return object("DROP TRIGGER");
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_TEMP_VIEW:
      return object("DROP VIEW");
    case SQLITE_DROP_VTABLE:
      return object("DROP VIRTUAL TABLE");
    case SQLITE_ALTER_TABLE:
      return "ALTER TABLE " + std::string(arg2);
    case SQLITE_REINDEX:
      return "REINDEX";
    case SQLITE_ANALYZE:
      return "ANALYZE";
    default:
      return "this statement (authorizer action " + std::to_string(action) + ")";
  }
}

}  // namespace

// The longest string or blob a query may make (SQLITE_LIMIT_LENGTH).
constexpr int kMaxValueBytes = 16 << 20;

Status QueryError(sqlite3* db, int rc, std::string_view context) {
  const std::string message = std::string(context) + ": " + sqlite3_errmsg(db);
  switch (rc & 0xff) {  // The primary code of an extended one.
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(message);
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return Status::IoError(message);
    default:
      return Status::InvalidArgument(message);
  }
}

Status PrepareQuery(sqlite3* db, std::string_view sql, std::string_view context, Stmt* out) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  Stmt s(raw);
  if (rc != SQLITE_OK) {
    Status st = QueryError(db, rc, context);
    if (st.code() != Status::Code::kInvalidArgument) return st;
    return Status::InvalidArgument(st.message() + ErrorPosition(db, sql));
  }
  if (s == nullptr) return Status::InvalidArgument(std::string(context) + ": empty SQL");
  if (!Blank(tail, sql.data() + sql.size())) {
    return Status::InvalidArgument(std::string(context) + ": only one SQL statement is allowed");
  }
  if (!sqlite3_stmt_readonly(s.get())) {
    return Status::InvalidArgument(std::string(context) + ": SQL must not modify the store");
  }
  *out = std::move(s);
  return Status::OK();
}

QueryShape ShapeOf(sqlite3_stmt* s) {
  QueryShape shape;
  const int ncols = sqlite3_column_count(s);
  for (int c = 0; c < ncols; ++c) shape.columns.emplace_back(sqlite3_column_name(s, c));
  const int nparams = sqlite3_bind_parameter_count(s);
  for (int i = 1; i <= nparams; ++i) {
    const char* name = sqlite3_bind_parameter_name(s, i);
    if (name != nullptr) shape.parameters.emplace_back(name + 1);  // Skip ':', '@' or '$'.
  }
  return shape;
}

Status BindParameters(sqlite3* db, sqlite3_stmt* s, const std::map<std::string, Value>& params,
                      std::string_view context) {
  const int nparams = sqlite3_bind_parameter_count(s);
  for (int i = 1; i <= nparams; ++i) {
    const char* name = sqlite3_bind_parameter_name(s, i);
    if (name == nullptr) continue;
    auto it = params.find(name + 1);  // Skip ':', '@' or '$'.
    if (it == params.end()) continue;
    const Value& v = it->second;
    Binds binds(s);
    if (std::holds_alternative<int64_t>(v)) {
      binds.Int(i, std::get<int64_t>(v));
    } else if (std::holds_alternative<double>(v)) {
      binds.Double(i, std::get<double>(v));
    } else if (std::holds_alternative<std::string>(v)) {
      binds.Text(i, std::get<std::string>(v));
    }
    if (!binds.ok()) {
      return QueryError(db, binds.rc(), std::string(context) + ": binding :" + (name + 1));
    }
  }
  return Status::OK();
}

Result<Table> ReadRows(sqlite3* db, sqlite3_stmt* s, std::string_view context, size_t max_rows) {
  Table table;
  const int ncols = sqlite3_column_count(s);
  for (int c = 0; c < ncols; ++c) table.columns.emplace_back(sqlite3_column_name(s, c));
  while (max_rows == 0 || table.rows.size() < max_rows) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return QueryError(db, rc, context);
    std::vector<Value> row;
    row.reserve(static_cast<size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      switch (sqlite3_column_type(s, c)) {
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(s, c)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(s, c));
          break;
        case SQLITE_NULL:
          row.emplace_back(std::monostate());
          break;
        default:
          row.emplace_back(ColumnText(s, c));
      }
    }
    table.rows.push_back(std::move(row));
  }
  table.steps = static_cast<uint64_t>(sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 0));
  return table;
}

QueryConnection::QueryConnection(sqlite3* db, const std::set<std::string>& tables,
                                 const Options& options)
    : db_(db), options_(options) {
  for (const std::string& t : tables) tables_.insert(Lower(t));
}

Result<std::unique_ptr<QueryConnection>> QueryConnection::Open(const std::string& name, bool uri,
                                                               const std::set<std::string>& tables,
                                                               const Options& options) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &raw,
                                 SQLITE_OPEN_READONLY | (uri ? SQLITE_OPEN_URI : 0), nullptr);
  std::unique_ptr<QueryConnection> c(new QueryConnection(raw, tables, options));
  sqlite3* db = c->db_.get();
  if (rc != SQLITE_OK) {
    return Status::IoError("cannot open the store's query connection: " +
                           std::string(db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  auto fail = [&](std::string_view what) { return SqlError(db, what); };
  if (sqlite3_extended_result_codes(db, 1) != SQLITE_OK)
    return fail("query connection: result codes");
  if (sqlite3_busy_timeout(db, 5000) != SQLITE_OK) return fail("query connection: busy timeout");
  // Read-only from SQLite's side first, then the page cache, then the
  // eponymous tables the causes use (see above), then the authorizer.
  const std::string setup = "PRAGMA query_only=ON; PRAGMA cache_size=-" +
                            std::to_string(options.cache_kib) +
                            "; SELECT 1 FROM json_each('[]'); SELECT 1 FROM json_tree('[]');";
  char* err = nullptr;
  if (sqlite3_exec(db, setup.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err != nullptr ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return Status::IoError("cannot set up the store's query connection: " + msg);
  }
  // Belt and braces behind the authorizer: no attached database, no
  // extension loading, no writable schema even if a PRAGMA got through.
  int set = 0;
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  // No string or blob a query makes may pass kMaxValueBytes, so one step
  // (randomblob(1e9), a group_concat of every event) cannot take memory
  // the step limit never sees; stored values are lines, at most 4 MiB.
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, kMaxValueBytes);
  if (sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &set) != SQLITE_OK ||
      sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &set) != SQLITE_OK) {
    return fail("query connection: configuration");
  }
  if (sqlite3_set_authorizer(db, &QueryConnection::Authorize, c.get()) != SQLITE_OK) {
    return fail("query connection: authorizer");
  }
  return c;
}

int QueryConnection::Authorize(void* self, int action, const char* arg1, const char* arg2,
                               const char* database, const char* /*inner*/) {
  auto* c = static_cast<QueryConnection*>(self);
  std::string why;
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_READ: {
      if (c->MayRead(Str(arg1), Str(arg2), Str(database))) return SQLITE_OK;
      std::string table(Str(arg1));
      if (!Str(database).empty() && Str(database) != "main") {
        table = std::string(Str(database)) + "." + table;
      }
      why = "reading " + table +
            " is not allowed: pack SQL may read etiolog's tables and views only "
            "(docs/store-schema.md)";
      break;
    }
    case SQLITE_FUNCTION:
      if (!DeniedFunction(Str(arg2))) return SQLITE_OK;
      why = std::string(Str(arg2)) + "() is not allowed: pack SQL may not load code or read files";
      break;
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      why = ActionName(action, Str(arg1), Str(arg2)) +
            " is not allowed: pack SQL runs in the store's own transactions";
      break;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      // CREATE and DROP ask to write the schema table first, and stop at
      // the denial; constructing a table-valued function other than
      // json_each and json_tree asks to update it (see above).
      if (Str(arg1) == "sqlite_master" || Str(arg1) == "sqlite_temp_master") {
        why = action == SQLITE_UPDATE
                  ? "changing the schema (or using a table-valued function other than json_each "
                    "and json_tree) is not allowed: pack SQL may read etiolog's tables and views "
                    "only"
                  : "changing the schema (CREATE, DROP) is not allowed: pack SQL may only read "
                    "the store";
        break;
      }
      [[fallthrough]];
    default:
      why = ActionName(action, Str(arg1), Str(arg2)) +
            " is not allowed: pack SQL may only read the store";
  }
  if (c->denied_.empty()) c->denied_ = std::move(why);
  return SQLITE_DENY;
}

bool QueryConnection::MayRead(std::string_view table, std::string_view column,
                              std::string_view database) const {
  const std::string name = Lower(table);
  if (!column.empty()) {
    // A column read: table is the table's own name (a view's underlying
    // tables are read through it, json_each included) and database the
    // schema it is in.
    return database == "main" && tables_.count(name) > 0;
  }
  // A FROM item no column is read from ("SELECT count(*) FROM events"):
  // table and database are as written, and table may name a common table
  // expression as well as a table. What could be read this way and is not
  // etiolog's: another schema (an attached database, temp), SQLite's own
  // sqlite_* tables; any other table-valued function cannot even be
  // constructed (above), and this connection cannot create tables.
  if (!database.empty() && Lower(database) != "main") return false;
  return name.rfind("sqlite_", 0) != 0;
}

int QueryConnection::Progress(void* self) {
  auto* c = static_cast<QueryConnection*>(self);
  c->counted_ += c->period_;
  if (c->counted_ < c->budget_) return 0;
  c->stopped_ = true;
  return 1;  // Interrupts the statement: SQLITE_INTERRUPT.
}

Status QueryConnection::Prepare(std::string_view sql, std::string_view context, Stmt* out) {
  denied_.clear();
  Status st = PrepareQuery(db_.get(), sql, context, out);
  if (!st.ok() && !denied_.empty()) {
    st = Status::InvalidArgument(std::string(context) + ": " + denied_);
  }
  denied_.clear();
  return st;
}

Result<QueryShape> QueryConnection::Describe(std::string_view sql, std::string_view context) {
  Stmt s;
  ETIOLOG_RETURN_IF_ERROR(Prepare(sql, context, &s));
  return ShapeOf(s.get());
}

Result<Table> QueryConnection::Query(std::string_view sql,
                                     const std::map<std::string, Value>& params,
                                     std::string_view context, size_t max_rows,
                                     uint64_t max_steps) {
  Stmt s;
  ETIOLOG_RETURN_IF_ERROR(Prepare(sql, context, &s));
  ETIOLOG_RETURN_IF_ERROR(BindParameters(db_.get(), s.get(), params, context));
  budget_ = max_steps != 0 ? max_steps : options_.step_limit;
  counted_ = 0;
  stopped_ = false;
  if (budget_ > 0) {
    period_ = std::min<uint64_t>(budget_, 1000);
    sqlite3_progress_handler(db_.get(), static_cast<int>(period_), &QueryConnection::Progress,
                             this);
  }
  Result<Table> table = ReadRows(db_.get(), s.get(), context, max_rows);
  if (budget_ > 0) sqlite3_progress_handler(db_.get(), 0, nullptr, nullptr);
  if (stopped_) {
    return Status::InvalidArgument(std::string(context) + ": query stopped after " +
                                   std::to_string(budget_) +
                                   " steps (a recursive query without a bound?)");
  }
  return table;
}

}  // namespace etiolog::db::internal
