// SPDX-License-Identifier: Apache-2.0
//
// The store's schema: the ordered migration scripts (PRAGMA user_version
// counts those that have run) and the tables and views they leave, which
// pack SQL may read. Documented in docs/store-schema.md.

#ifndef ETIOLOG_DB_SCHEMA_INTERNAL_H_
#define ETIOLOG_DB_SCHEMA_INTERNAL_H_

#include <set>
#include <span>
#include <string>

#include "ingest/status.h"

namespace etiolog::db::internal {

// The migration scripts, in order: script i takes a store from schema
// version i to i + 1.
std::span<const char* const> Migrations();

// The tables and views etiolog's schema has (what pack SQL may read):
// those the migrations leave in a fresh database, computed once.
const Result<std::set<std::string>>& SchemaTables();

}  // namespace etiolog::db::internal

#endif  // ETIOLOG_DB_SCHEMA_INTERNAL_H_
