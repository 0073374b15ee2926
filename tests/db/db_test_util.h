// SPDX-License-Identifier: Apache-2.0
//
// Helpers for the tests that look at a store file from outside the Store,
// as sqlite3 would.

#ifndef ETIOLOG_TESTS_DB_DB_TEST_UTIL_H_
#define ETIOLOG_TESTS_DB_DB_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include <sqlite3.h>

namespace etiolog::db::testing {

// The first column of the first row sql returns from the store file at
// path, as an integer, read on a read-only connection of its own (waiting
// up to 1 s for a writer's lock); if_unreadable if the file, the query or
// the row is not there (yet).
inline int64_t ReadInt(const std::string& path, const char* sql, int64_t if_unreadable) {
  sqlite3* db = nullptr;
  int64_t value = if_unreadable;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      value = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close_v2(db);
  return value;
}

// The PRAGMA user_version of the store file at path (its schema version;
// Store::Query refuses PRAGMA); -1 if it cannot be read.
inline int64_t UserVersion(const std::string& path) {
  return ReadInt(path, "PRAGMA user_version", -1);
}

}  // namespace etiolog::db::testing

#endif  // ETIOLOG_TESTS_DB_DB_TEST_UTIL_H_
