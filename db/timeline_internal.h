// SPDX-License-Identifier: Apache-2.0
//
// Timeline: derives process instances and failure bursts incrementally, as
// events are appended, so that the cost of correlation does not grow with
// the number of events stored. Private to db/; Store drives it.
//
// Every event belongs to a stream (its source plus its container prefix).
// Within a stream, events arrive in file order and a small state machine
// places each one in a process instance (a restart opens a new one) and,
// if it is a failure, in a burst of failures of that instance and surface.
// Placement happens before the event row is written, so the row is written
// once with its stream, instance and burst. Finalize() then derives the
// small correlation tables (lifetimes, restarts, rollouts, key and
// auth-manager epochs) with SQL over rows that number in the hundreds, not
// over the events.
//
// An event that cannot be placed in order (a stream continued from an
// earlier session, or a line older than what the stream has seen) is
// written unplaced (instance_id NULL); Finalize() rebuilds such streams
// from their events with the same state machine.
//
// Thread safety: used by its Store only, one thread at a time.

#ifndef ETIOLOG_DB_TIMELINE_INTERNAL_H_
#define ETIOLOG_DB_TIMELINE_INTERNAL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/sqlite_internal.h"
#include "ingest/status.h"

namespace etiolog::db::internal {

// A start marker within this long of the first event of an instance that
// so far saw only startup events belongs to the same startup.
inline constexpr int64_t kStartupWindowUs = int64_t{120} * 1000000;
// Failures of one instance and surface further apart than this are
// separate bursts.
inline constexpr int64_t kBurstGapUs = int64_t{30} * 60 * 1000000;
// Process starts further apart than this are separate rollouts.
inline constexpr int64_t kRolloutGapUs = int64_t{10} * 60 * 1000000;

// Kinds that belong to a process's startup sequence: start markers and
// key/config/auth-manager facts, which Airflow logs before or around its
// start banner.
bool IsStartupKind(std::string_view kind);
// Kinds that are failures (grouped into bursts): auth.* except
// auth.missing_token, and log_server.fetch_failed.
bool IsFailureKind(std::string_view kind);

// Derives a process slot: the identity a process keeps across restarts.
// Kubernetes pod log paths (.../pods/<ns>_<pod>_<uid>/<container>/<n>.log,
// .../containers/<pod>_<ns>_<container>-<id>.log) give "k8s:<ns>/<pod>/
// <container>", so a container restart logged to 1.log follows 0.log.
// Anything else is its stream: "<path>|<host>".
std::string ProcessSlot(std::string_view path, std::string_view host);

// What the state machine needs to know about an event.
struct EventFacts {
  int64_t source_id = 0;
  uint64_t offset = 0;
  std::string_view host;
  std::string_view kind;
  std::string_view rule;
  std::string_view surface;
  std::string_view component;
  std::string_view format;  // Line format of the event ("structlog", "journald", ...).
  std::optional<int64_t> time_us;
  // The line had no time of its own: time_us was taken from an earlier line
  // (a banner or a traceback line), so it is only a lower bound.
  bool time_inherited = false;
  int64_t pid = 0;
};

// Where an event goes. instance_id 0 means unplaced (written NULL).
struct Placement {
  int64_t stream_id = 0;
  int64_t instance_id = 0;
  int64_t burst_id = 0;
};

// Derives burst_alive (docs/store-schema.md): for each failure burst, the
// instances alive during it, counted by component, key option and state,
// and side of the burst's rollout (failure_bursts.rollout_id, set here too),
// with a few samples. A sweep over time: O((I + B) log I) for I instances
// and B bursts, plus the instances that start during bursts.
// REQUIRES: inside a write transaction; instances, rollouts and key_epochs
// derived.
Status DeriveBurstAlive(sqlite3* db);

class Timeline {
 public:
  // *db must outlive the timeline.
  explicit Timeline(sqlite3* db);
  ~Timeline();

  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;

  // Places an event about to be inserted. May create stream, instance and
  // burst rows and move already stored startup events into a new instance.
  // REQUIRES: inside a write transaction; events of a stream in file order.
  Result<Placement> Place(const EventFacts& e);

  // Records the inserted event (its row id), or, if inserted is false (the
  // row already existed), forgets it. For an unplaced event that was
  // inserted, marks its stream for rebuilding.
  void Record(const EventFacts& e, const Placement& p, int64_t event_id, bool inserted);

  // Writes the instance and burst rows changed since the last flush.
  Status Flush();

  // Assigns streams to events that have none (stores from schema 1),
  // rebuilds the streams holding unplaced events, and derives lifetimes,
  // restarts, rollouts, key epochs and auth-manager epochs. Idempotent.
  // REQUIRES: inside a write transaction.
  Status Finalize();

  // Drops all in-memory state (after a rolled-back transaction).
  void Reset();

 private:
  struct Stream;
  struct Instance;
  struct Burst;
  struct Member;

  // Returns the stream of (source_id, host), creating it (with the format of
  // its first event) if new.
  Result<Stream*> GetStream(int64_t source_id, std::string_view host, std::string_view format);
  // What a new instance takes from the current one of its stream.
  enum class Move {
    kNothing,
    kTrailing,  // The startup events after its last other event and last start marker.
    kStartup,   // Those, and its startup events up to its last start marker.
  };
  Status OpenInstance(Stream* s, Move move);
  // Flushes and forgets the least recently used half of streams_.
  Status EvictIdleStreams();
  Status RebuildStream(int64_t stream_id);
  Status FlushInstance(Instance* inst);
  Status FlushBurst(Burst* b);

  sqlite3* db_;
  // Streams whose state is kept in memory, at most kMaxStreams: with more
  // (a fleet of thousands of pods in one store), the least recently used
  // are flushed and forgotten, and rebuilt from their events by Finalize()
  // if more of their events come, so memory stays bounded.
  static constexpr size_t kMaxStreams = 4096;
  std::map<std::pair<int64_t, std::string>, std::unique_ptr<Stream>> streams_;
  uint64_t clock_ = 0;               // Counts stream uses (Stream::touched).
  std::set<int64_t> dirty_streams_;  // Streams holding unplaced events.
  Stmt insert_stream_, find_stream_, source_path_, insert_instance_, update_instance_,
      delete_instance_, move_event_, insert_burst_, update_burst_, upsert_burst_kind_;
};

}  // namespace etiolog::db::internal

#endif  // ETIOLOG_DB_TIMELINE_INTERNAL_H_
