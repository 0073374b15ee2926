// SPDX-License-Identifier: Apache-2.0
//
// SQLite helpers shared by the db module's implementation files: RAII
// connection and statement handles, typed binds whose every result is
// checked (Binds), and errors that carry sqlite3_errmsg.
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

// Binds a statement's parameters, then runs it: the one way db/ binds, so
// that no bind result is dropped and no statement runs with a parameter that
// failed to bind (SQLite would run it with NULL there, and write a wrong row
// without a word).
//
//   ETIOLOG_RETURN_IF_ERROR(Binds(s).Int(1, id).Text(2, name).Done(db, "insert x"));
//   ETIOLOG_RETURN_IF_ERROR(Binds(q).Int(1, id).Rows(db, "read x", [&](sqlite3_stmt* r) {
//     ids.push_back(sqlite3_column_int64(r, 0));
//   }));
//
// A bind that fails (SQLITE_RANGE: an index the statement does not have;
// SQLITE_TOOBIG: a value past the connection's SQLITE_LIMIT_LENGTH;
// SQLITE_NOMEM; SQLITE_MISUSE: a statement stepped and not reset) is
// remembered, the first one only, and the binds after it still run;
// Done() and Rows() then refuse to step. Both leave the statement reset,
// ready to bind and run again. Bindings are not cleared: every use binds
// every parameter.
//
// The statement must outlive the Binds, which is meant to live for one
// statement of code.
class Binds {
 public:
  explicit Binds(sqlite3_stmt* s) : s_(s) {}

  // The binds are forced inline: the event insertion loop binds 22
  // parameters per event, and GCC leaves them as calls in a caller that
  // large, which costs more than the checks.
  [[gnu::always_inline]] Binds& Int(int i, int64_t v) {
    return Check(i, sqlite3_bind_int64(s_, i, v));
  }
  [[gnu::always_inline]] Binds& Double(int i, double v) {
    return Check(i, sqlite3_bind_double(s_, i, v));
  }
  // SQLite copies v. A view without a data pointer (default-constructed)
  // binds "", not NULL; one over SQLITE_LIMIT_LENGTH (or 2 GiB) fails with
  // SQLITE_TOOBIG.
  [[gnu::always_inline]] Binds& Text(int i, std::string_view v) {
    return Check(i, sqlite3_bind_text64(s_, i, v.data() != nullptr ? v.data() : "", v.size(),
                                        SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  [[gnu::always_inline]] Binds& Null(int i) { return Check(i, sqlite3_bind_null(s_, i)); }
  // Binds v, or NULL when v is empty.
  [[gnu::always_inline]] Binds& Optional(int i, const std::optional<int64_t>& v) {
    return v ? Int(i, *v) : Null(i);
  }
  // Binds v, or NULL when v is 0 (the "none" id or pid).
  [[gnu::always_inline]] Binds& NonZero(int i, int64_t v) { return v != 0 ? Int(i, v) : Null(i); }

  // True if every bind so far succeeded.
  bool ok() const { return rc_ == SQLITE_OK; }
  // The rc of the first bind that failed (SQLITE_OK if none) and its
  // parameter index (0 if none).
  int rc() const { return rc_; }
  int index() const { return index_; }

  // Runs the statement, which returns no rows, then resets it. Returns
  // IoError "<what>: cannot bind parameter <i>: <sqlite3_errstr>" if a bind
  // failed (the statement is not run), else IoError "<what>:
  // <sqlite3_errmsg>" if the step did not return SQLITE_DONE or the reset
  // failed.
  [[nodiscard]] Status Done(sqlite3* db, std::string_view what);

  // Runs the statement and calls on_row(stmt) for each row it returns, in
  // order, then resets it. on_row (callable as void(sqlite3_stmt*)) reads
  // the row's columns; it must not step, reset or bind the statement.
  // Errors as for Done(); when a step fails after some rows, on_row has
  // seen those rows, so the caller must drop what it gathered.
  template <typename F>
  [[nodiscard]] Status Rows(sqlite3* db, std::string_view what, F&& on_row) {
    if (rc_ != SQLITE_OK) return BindError(what);
    int rc;
    while ((rc = sqlite3_step(s_)) == SQLITE_ROW) on_row(s_);
    return Finish(db, rc, what);
  }

 private:
  // Small, so that the binds inline into the event insertion loop; the
  // failure is out of its way.
  [[gnu::always_inline]] Binds& Check(int i, int rc) {
    if (rc != SQLITE_OK) [[unlikely]]
      Failed(i, rc);
    return *this;
  }
  // Keeps the first failure.
  [[gnu::cold]] void Failed(int i, int rc);
  // The result of the last step, rc, with the reset after it.
  Status Finish(sqlite3* db, int rc, std::string_view what);
  // The error of the first failed bind, after a reset.
  Status BindError(std::string_view what) const;

  sqlite3_stmt* s_;
  int rc_ = SQLITE_OK;
  int index_ = 0;
};

// Runs one statement that returns no rows. Returns IoError naming what.
Status Exec(sqlite3* db, std::string_view sql, std::string_view what);

}  // namespace etiolog::db::internal

#endif  // ETIOLOG_DB_SQLITE_INTERNAL_H_
