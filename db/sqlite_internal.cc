// SPDX-License-Identifier: Apache-2.0
//
// The out-of-line parts of Binds: the step and reset after the binds, and
// the errors. Out of line so that the units binding in their hot loops
// (store.cc, timeline.cc) keep their inlining budget for those loops.

#include "db/sqlite_internal.h"

namespace etiolog::db::internal {

Status Binds::Done(sqlite3* db, std::string_view what) {
  if (rc_ != SQLITE_OK) return BindError(what);
  return Finish(db, sqlite3_step(s_), what);
}

void Binds::Failed(int i, int rc) {
  if (rc_ == SQLITE_OK) {
    rc_ = rc;
    index_ = i;
  }
}

Status Binds::Finish(sqlite3* db, int rc, std::string_view what) {
  // The message of a failed step is read before the reset.
  Status st = rc == SQLITE_DONE ? Status::OK() : SqlError(db, what);
  if (sqlite3_reset(s_) != SQLITE_OK && st.ok()) st = SqlError(db, what);
  return st;
}

Status Binds::BindError(std::string_view what) const {
  std::string msg = std::string(what) + ": cannot bind parameter " + std::to_string(index_);
  // A named parameter (":name", "@name", "$name") is named; "?" and "?NNN"
  // are their index.
  if (const char* name = sqlite3_bind_parameter_name(s_, index_);
      name != nullptr && name[0] != '?') {
    msg += std::string(" (") + name + ")";
  }
  msg += std::string(": ") + sqlite3_errstr(rc_);
  // Back to a statement that can be bound again (after SQLITE_MISUSE); a
  // reset reports the last step's error, which was reported then.
  if (const int reset = sqlite3_reset(s_); reset != SQLITE_OK) {
    msg += std::string(" (reset: ") + sqlite3_errstr(reset) + ")";
  }
  return Status::IoError(msg);
}

Status Exec(sqlite3* db, std::string_view sql, std::string_view what) {
  Stmt s;
  ETIOLOG_RETURN_IF_ERROR(Prepare(db, sql, what, &s));
  return Binds(s.get()).Done(db, what);
}

}  // namespace etiolog::db::internal
