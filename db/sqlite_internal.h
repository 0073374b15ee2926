// SPDX-License-Identifier: Apache-2.0
//
// SQLite helpers shared by the db module's implementation files: RAII
// connection and statement handles, typed binds, and errors that carry
// sqlite3_errmsg.
// Private to db/ (SQLite never leaves this module).
//
// Thread safety: none of its own; a connection is used by one thread.

#ifndef ETIOLOG_DB_SQLITE_INTERNAL_H_
#define ETIOLOG_DB_SQLITE_INTERNAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "ingest/status.h"

namespace etiolog::db::internal {

// A connection, closed with sqlite3_close_v2 (which defers the close until
// the connection's last statement is finalized).
struct ConnectionDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionDeleter>;

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// IoError "<what>: <sqlite3_errmsg>".
inline Status SqlError(sqlite3* db, std::string_view what) {
  return Status::IoError(std::string(what) + ": " + sqlite3_errmsg(db));
}

// Prepares sql into *out. Returns IoError naming what on failure.
inline Status Prepare(sqlite3* db, std::string_view sql, std::string_view what, Stmt* out) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(raw);
    return SqlError(db, what);
  }
  out->reset(raw);
  return Status::OK();
}

inline void BindText(sqlite3_stmt* s, int i, std::string_view v) {
  // A default-constructed view has no data pointer, which SQLite takes for NULL.
  sqlite3_bind_text(s, i, v.data() != nullptr ? v.data() : "", static_cast<int>(v.size()),
                    SQLITE_TRANSIENT);
}

// Binds v, or NULL when v is empty.
inline void BindOptional(sqlite3_stmt* s, int i, const std::optional<int64_t>& v) {
  if (v) {
    sqlite3_bind_int64(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}

// Binds v, or NULL when v is 0 (the "none" id or pid).
inline void BindNonZero(sqlite3_stmt* s, int i, int64_t v) {
  if (v != 0) {
    sqlite3_bind_int64(s, i, v);
  } else {
    sqlite3_bind_null(s, i);
  }
}

inline std::optional<int64_t> ColumnOptional(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, i);
}

inline std::string ColumnText(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  if (t == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(t),
                     static_cast<size_t>(sqlite3_column_bytes(s, i)));
}

// Runs a statement that returns no rows (after reset). Returns IoError
// naming what on failure.
inline Status StepDone(sqlite3* db, sqlite3_stmt* s, std::string_view what) {
  const int rc = sqlite3_step(s);
  Status st = rc == SQLITE_DONE ? Status::OK() : SqlError(db, what);
  sqlite3_reset(s);
  return st;
}

// Runs one statement that returns no rows. Returns IoError naming what.
inline Status Exec(sqlite3* db, std::string_view sql, std::string_view what) {
  Stmt s;
  if (Status st = Prepare(db, sql, what, &s); !st.ok()) return st;
  return StepDone(db, s.get(), what);
}

}  // namespace etiolog::db::internal

#endif  // ETIOLOG_DB_SQLITE_INTERNAL_H_
