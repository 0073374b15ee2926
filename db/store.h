// SPDX-License-Identifier: Apache-2.0
//
// Store: the SQLite event store and its derived timeline.
//
// The store holds what the diagnosis needs and nothing more: one row per
// source (with its checkpoint), one row per matched event (with the evidence
// line), the process instances derived from events, and findings. Raw log
// text is never copied wholesale. docs/store-schema.md documents every table
// and view; the schema is versioned (PRAGMA user_version) and migrated
// forward on open.
//
// Write path: AppendEvents() commits a batch of events together with the
// source checkpoint that produced them, in one transaction, so a crash never
// loses or duplicates an event. Read path: Query() runs read-only SQL (the
// causes of rule packs) with named parameters.
//
// Thread safety: a Store is used by one thread at a time.

#ifndef ETIOLOG_DB_STORE_H_
#define ETIOLOG_DB_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ingest/record.h"
#include "ingest/status.h"

struct sqlite3;

namespace etiolog::db {

// An event to store: the decoded record plus what the matching rule said.
struct Event {
  LogRecord record;
  std::string kind;     // e.g. "auth.signature_failure".
  std::string rule;     // Rule id.
  std::string surface;  // "ui", "execution_api", "log_server" or "".
  std::string severity;
  std::vector<std::pair<std::string, std::string>> captures;
};

// A source as the store knows it.
struct SourceInfo {
  int64_t id = 0;
  std::string path;
  uint64_t checkpoint_offset = 0;  // Bytes fully processed.
  uint64_t checkpoint_line = 0;    // Lines fully processed.
};

// A SQL value: NULL, integer, real or text.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

// Renders a value as text: "" for NULL, integers without decimals.
std::string ValueToString(const Value& v);

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

class Store {
 public:
  struct Options {
    // Page cache size in KiB, per connection. Default: 8 MiB, so memory stays
    // flat however many events are stored.
    int cache_kib = 8 * 1024;
  };

  // Opens or creates the store at path and migrates it to the current
  // schema. path "" is a private temporary file deleted on close;
  // ":memory:" is an in-memory store. Returns IoError if SQLite cannot open
  // the file, Corruption if it is not an etiolog store or is damaged, and
  // Unsupported if its schema is newer than this build.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const Options& options);
  static Result<std::unique_ptr<Store>> Open(const std::string& path) {
    return Open(path, Options());
  }

  // Owns a database connection.
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // The schema version this build writes.
  static int SchemaVersion();

  // Returns the source with this path, creating it (checkpoint 0) if new.
  Result<SourceInfo> AddSource(const std::string& path);

  // Appends events of source_id and advances its checkpoint, atomically.
  // Events already stored (same source, offset and rule) are ignored, so a
  // replay after a crash is harmless.
  Status AppendEvents(int64_t source_id, const std::vector<Event>& events,
                      uint64_t checkpoint_offset, uint64_t checkpoint_line);

  // Records per-source facts learnt while reading: the time span its lines
  // cover (0 = unknown) and counts of lines that were capped or bad.
  Status UpdateSourceStats(int64_t source_id, int64_t first_time_us, int64_t last_time_us,
                           uint64_t capped_lines, uint64_t bad_records);

  // Rebuilds the derived timeline tables (streams, instances) from events.
  // Idempotent; call after ingestion and before diagnosis.
  Status BuildTimeline();

  // Runs one read-only SQL statement. params binds named parameters (":x" in
  // the SQL binds params["x"]); parameters the SQL does not use are ignored,
  // and parameters it uses but params lacks are NULL. Returns
  // InvalidArgument with SQLite's message (prefixed by context) if the SQL
  // is invalid or would write.
  Result<Table> Query(std::string_view sql, const std::map<std::string, Value>& params,
                      std::string_view context = "query") const;

 private:
  explicit Store(sqlite3* db);
  Status Exec(std::string_view sql);
  Status Migrate();

  sqlite3* db_;
};

}  // namespace etiolog::db

#endif  // ETIOLOG_DB_STORE_H_
