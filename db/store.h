// SPDX-License-Identifier: Apache-2.0
//
// Store: the SQLite event store and its derived timeline.
//
// The store holds what the diagnosis needs and nothing more: one row per
// source (with its checkpoint), one row per matched event (with the evidence
// line), the timeline derived from events (process instances, restarts,
// failure bursts, rollouts, key and auth-manager epochs), and findings. Raw
// log text is never copied wholesale. docs/store-schema.md documents every
// table and view; the schema is versioned (PRAGMA user_version) and migrated
// forward on open.
//
// Write path: AppendEvents() commits a batch of events together with the
// source checkpoint that produced them, in one transaction, so a crash never
// loses or duplicates an event. Each event is placed in its stream, process
// instance and failure burst as it is written, so BuildTimeline() only
// derives small tables and its cost does not grow with the event count.
// Read path: Query() runs read-only SQL (the causes of rule packs) with
// named parameters. ReplaceFindings() keeps the latest diagnosis and
// LoadFindings() reads it back.
//
// Two connections. The store writes (events, the timeline, findings) and
// reads its own bookkeeping on a writer connection. Query() and
// Describe(), the read API for packs and users, run on a second
// connection that can only read etiolog's tables and views: opened
// read-only with PRAGMA query_only, an authorizer that denies ATTACH,
// PRAGMA, transactions, writes, load_extension() and any other table
// (sqlite_schema included) when the SQL is prepared, and a step limit
// (Options::query_step_limit) that stops a runaway query. The second
// connection sees what the writer committed, so Query() does not see rows
// of a transaction still open (none is, between the Store's calls). What
// it opens depends on the path:
//   - a file: the file (journal_mode=WAL, so reading never blocks writing);
//   - "" (temporary): a file created in $TMPDIR (else /tmp) as
//     etiolog-XXXXXX.db, mode 0600, deleted when the Store is destroyed (a
//     process killed before that leaves it behind). It dies with the Store,
//     so it is never synced and its rollback journal is in memory: as cheap
//     per commit as SQLite's anonymous temporary file it replaces, which a
//     second connection could not open;
//   - ":memory:": a shared-cache in-memory database private to the Store
//     (file:etiolog-<pid>-<n>?mode=memory&cache=shared), gone when the
//     Store is. Both connections share its one page cache; the read-only
//     open flag is not enforced there, query_only and the authorizer are.
//
// Thread safety: a Store is used by one thread at a time.

#ifndef ETIOLOG_DB_STORE_H_
#define ETIOLOG_DB_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
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
  // A state-dump fact printed relative to when the dump was taken (`kubectl
  // get pods` AGE, docker's "Up 3 minutes"): how long before that moment it
  // happened, and the resolution it was printed with (the true age lies in
  // [age_us, age_us + age_resolution_us)). An event with an age and no time
  // (record.time_quality kNone) is stored with time quality "relative" and
  // dated by BuildTimeline() once that moment is known
  // (docs/store-schema.md, "State dumps").
  std::optional<int64_t> age_us;
  int64_t age_resolution_us = 0;
};

// A source as the store knows it.
struct SourceInfo {
  int64_t id = 0;
  std::string path;
  uint64_t checkpoint_offset = 0;  // Bytes fully processed.
  uint64_t checkpoint_line = 0;    // Lines fully processed.
};

// A file `etiolog tail` follows (table followed_files): one generation of
// it, stored as the source source_id. Identity as ingest::FileIdentity.
struct FollowedFileRecord {
  int64_t source_id = 0;
  std::string name;  // The source's path in the store (what evidence shows).
  std::string path;  // Where the file was last seen.
  uint64_t device = 0;
  uint64_t inode = 0;
  uint32_t fingerprint_bytes = 0;
  uint64_t fingerprint = 0;
  bool ended = false;  // Read to its end (rotated away, deleted, truncated).
  // Loaded from the source (LoadFollowedFiles only): bytes and lines read.
  uint64_t checkpoint_offset = 0;
  uint64_t checkpoint_line = 0;
};

// A SQL value: NULL, integer, real or text.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

// Renders a value as text: "" for NULL, integers without decimals.
std::string ValueToString(const Value& v);

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
  // SQLite virtual-machine steps the statement ran (what
  // Options::query_step_limit counts), for measuring queries.
  uint64_t steps = 0;
};

// What a query returns and takes, known without running it.
struct QueryShape {
  std::vector<std::string> columns;     // Result column names, in order.
  std::vector<std::string> parameters;  // Named parameters, without their ':'
                                        // ('@', '$'), in order of first use.
};

// A finding to keep in the store (tables findings, finding_facts,
// finding_evidence).
struct FindingRecord {
  std::string fingerprint;  // Unique among the findings replaced together.
  std::string cause;
  std::string surface;
  double confidence = 0;
  std::string title;
  std::string summary;
  std::string remediation;
  std::string deployment;
  std::vector<std::pair<std::string, std::string>> facts;
  // Cited events in report order: event id and role.
  std::vector<std::pair<int64_t, std::string>> evidence;
  // A risk (column findings.kind 'risk'), not a finding: nothing failed
  // yet. Its confidence is meaningless (0).
  bool risk = false;
};

// The latest diagnosis, as ReplaceFindings() kept it.
struct Diagnosis {
  // The text saved with the findings (the analyzer keeps its run summary
  // there, as JSON); "" for a diagnosis saved before schema 3.
  std::string run;
  std::vector<FindingRecord> findings;  // In rank order, most likely first
                                        // (risks after the findings); facts
                                        // and evidence in saved order.
};

namespace internal {
class QueryConnection;
class Timeline;
}  // namespace internal

class Store {
 public:
  struct Options {
    // Page cache size in KiB, per connection. Default: 8 MiB.
    int cache_kib = 8 * 1024;
    // Soft limit, in KiB, on the heap SQLite uses in this process (page
    // caches, and the caches of the temporary b-trees and sorters a query
    // makes, each of which may otherwise grow to cache_kib): past it SQLite
    // recycles cache pages instead of allocating. Process-wide (the last
    // Open() sets it); 0 leaves it as it is. Default: 16 MiB, so memory stays
    // flat however many events are stored.
    int64_t heap_limit_kib = int64_t{16} * 1024;
    // Create the file if it does not exist. When false, a missing file is
    // NotFound. Default: true.
    bool create_if_missing = true;
    // The most SQLite virtual-machine steps (bytecode instructions) one
    // Query() may run unless it sets its own limit; past it the query is
    // stopped with InvalidArgument, so pack SQL that never ends (a
    // recursive CTE without a bound) cannot hang a run. 0: no limit.
    // Default: kDefaultQueryStepLimit.
    uint64_t query_step_limit = kDefaultQueryStepLimit;
    // The SQLite VFS the store's writes go through; "" is SQLite's default.
    // Tests name the fault-injecting one (db/fault_injection.h) to see what
    // a full disk, an I/O error or a lock held elsewhere does. Default: "".
    std::string vfs;
    // How long a write waits for a lock another process holds on the store
    // (another `analyze --db` or `tail --db` writing it) before it fails
    // with "database is locked". Default: 5000 ms.
    int busy_timeout_ms = 5000;
  };

  // The default query step limit: 1,000,000,000 steps, about 10 s of one
  // core (SQLite runs about 100 million a second). The largest query of the
  // built-in causes runs about 540,000 on a store of a million events
  // (tests/bench/diagnosis_bench.cc prints each cause's), so the limit
  // leaves a factor of almost 2,000 for larger stores and heavier site
  // causes, and a runaway query still ends within seconds.
  static constexpr uint64_t kDefaultQueryStepLimit = 1'000'000'000;

  // Opens or creates the store at path and migrates it to the current
  // schema. path "" is a private temporary file deleted on close;
  // ":memory:" is an in-memory store (see the top of this file for what
  // each opens). Returns NotFound if the file is missing
  // and !options.create_if_missing, IoError if SQLite cannot open the file, Corruption if it is not
  // an etiolog store or is damaged, and Unsupported if its schema is newer than this build.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const Options& options);
  static Result<std::unique_ptr<Store>> Open(const std::string& path) {
    return Open(path, Options());
  }

  // Owns its database connections (and a temporary store's file).
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // The schema version this build writes.
  static int SchemaVersion();

  // Returns the source with this path, creating it (checkpoint 0) if new.
  Result<SourceInfo> AddSource(const std::string& path);

  // Appends events of source_id and advances its checkpoint, atomically.
  // Events already stored (same source, offset and rule) are ignored, so a
  // replay after a crash is harmless. Events of one source should come in
  // file order (batches in order, each batch in order): an event older
  // than what its stream has seen is stored too, but its stream is then
  // re-derived by the next BuildTimeline(), which costs a pass over it.
  Status AppendEvents(int64_t source_id, const std::vector<Event>& events,
                      uint64_t checkpoint_offset, uint64_t checkpoint_line);

  // Records per-source facts learnt while reading: the time span its lines
  // cover (0 = unknown), counts of lines that were capped or bad, and the
  // file's modification time (0 = unknown; the latest given is kept), which
  // dates a state dump's relative times when nothing better does.
  Status UpdateSourceStats(int64_t source_id, int64_t first_time_us, int64_t last_time_us,
                           uint64_t capped_lines, uint64_t bad_records, int64_t modified_us = 0);

  // Saves (inserts or replaces) what tail knows of a followed file; its
  // source must exist (AddSource). The checkpoint fields are ignored: the
  // source's own checkpoint advances with its events.
  Status SaveFollowedFile(const FollowedFileRecord& file);

  // Every followed file saved, by source id, with its source's name and
  // checkpoint.
  Result<std::vector<FollowedFileRecord>> LoadFollowedFiles() const;

  // Completes the derived timeline: dates the state-dump facts printed
  // relative to when the dump was taken and places every state-dump fact
  // (dating the process instances they name, or adding the ones no log
  // shows), then instance lifetimes, restarts, rollouts, key epochs and
  // auth-manager epochs (docs/store-schema.md), and re-derives any stream
  // that received events out of order or in an earlier session.
  // Idempotent; call after ingestion and before diagnosis. Its cost depends
  // on the number of instances, bursts and state-dump facts, not of log
  // events, unless streams need re-deriving.
  Status BuildTimeline();

  // Runs one read-only SQL statement on the query connection (see the top
  // of this file), which sees what the store committed. params binds named
  // parameters (":x" in the SQL binds params["x"]); parameters the SQL does
  // not use are ignored, and parameters it uses but params lacks are NULL.
  // max_rows > 0 stops after that many rows (the statement is not run to
  // its end). max_steps > 0 is the step limit of this query instead of
  // Options::query_step_limit. Returns InvalidArgument, prefixed by context,
  // if the SQL is invalid, is not one statement, would write or do anything
  // but read etiolog's tables and views (the authorizer's reason: "ATTACH
  // is not allowed: ..."), fails while running (SQLite's message), or is
  // stopped by the step limit ("query stopped after N steps (a recursive
  // query without a bound?)"); IoError or Corruption if the store fails.
  Result<Table> Query(std::string_view sql, const std::map<std::string, Value>& params,
                      std::string_view context = "query", size_t max_rows = 0,
                      uint64_t max_steps = 0) const;

  // Prepares sql as Query() would, on the same connection, without running
  // it, and returns its result columns and parameter names. Returns
  // InvalidArgument (prefixed by context, with SQLite's message and, when
  // SQLite names one, the SQL line and column, or the authorizer's reason)
  // if the SQL does not prepare against this store's schema, is not one
  // statement, would write, or is denied as Query() would deny it.
  Result<QueryShape> Describe(std::string_view sql, std::string_view context = "query") const;

  // Replaces the stored findings by findings, in rank order (first = most
  // likely), atomically, with run (opaque text describing the run that
  // produced them; see Diagnosis::run). Returns InvalidArgument if two share
  // a fingerprint or cite an event the store does not hold.
  Status ReplaceFindings(const std::vector<FindingRecord>& findings, std::string_view run = {});

  // Reads the latest diagnosis back: the findings ReplaceFindings() kept, in
  // the same order with the same facts and cited events, and its run text.
  // Returns NotFound if no diagnosis was ever saved (an empty one, saved
  // with no findings, is OK), or the store's error.
  Result<Diagnosis> LoadFindings() const;

 private:
  // db: the writer connection (owned). temp_path: the file of a temporary
  // store, deleted by the destructor ("" for others).
  Store(sqlite3* db, std::string temp_path);
  Status Exec(std::string_view sql);
  // OK, or once a temporary store is broken (Abandon) its first failure:
  // checked before every write.
  Status Usable() const;
  // Starts a write transaction (BEGIN IMMEDIATE) if the store is Usable().
  Status Begin();
  // Ends a failed write transaction and returns st. A file store rolls it
  // back. A temporary store has no journal to roll back with (Open): it is
  // broken from then on, and every later write returns st (Usable), so
  // nothing is ever written on top of a half-written transaction.
  Status Abandon(const Status& st);
  Status Migrate();
  // Runs one read-only statement on the writer connection: the store's own
  // reads (PRAGMA user_version, sqlite_schema, its tables), which neither
  // the authorizer nor the step limit apply to. Errors as Query().
  Result<Table> Select(std::string_view sql, const std::map<std::string, Value>& params,
                       std::string_view context) const;

  sqlite3* db_;  // The writer connection.
  std::unique_ptr<internal::Timeline> timeline_;
  std::unique_ptr<internal::QueryConnection> reader_;  // Query() and Describe().
  std::string temp_path_;
  Status broken_;      // A temporary store's first failed write (Abandon).
  std::string shown_;  // How errors name the store: its path, or "temporary store".
  // Prefixes a write-path error with the store's name, so the user knows
  // which file is full, damaged or locked.
  Status Named(const Status& st) const { return st.ok() ? st : st.Annotate(shown_); }
};

}  // namespace etiolog::db

#endif  // ETIOLOG_DB_STORE_H_
