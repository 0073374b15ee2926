// SPDX-License-Identifier: Apache-2.0
//
// Helpers for the db tests that look at a store file from outside the
// Store, as sqlite3 would.

#ifndef ETIOLOG_TESTS_DB_DB_TEST_UTIL_H_
#define ETIOLOG_TESTS_DB_DB_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include <sqlite3.h>

namespace etiolog::db::testing {

// The PRAGMA user_version of the store file at path (its schema version),
// read on a connection of its own (Store::Query refuses PRAGMA); -1 if it
// cannot be read.
inline int64_t UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  int64_t version = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      version = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close_v2(db);
  return version;
}

}  // namespace etiolog::db::testing

#endif  // ETIOLOG_TESTS_DB_DB_TEST_UTIL_H_
