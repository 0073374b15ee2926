// SPDX-License-Identifier: Apache-2.0
//
// The instance state machine, per stream, events in file order:
//   - The first event opens instance 0 (running when the log began, unless
//     its first event is a start marker).
//   - Any event after a process.stop opens a new instance.
//   - A process.start opens a new instance unless it belongs to the startup
//     of the current one: the current instance has seen only startup events
//     (start markers, key.*, config.*, auth_manager.*), began less than
//     kStartupWindowUs earlier, and names no other pid.
//   - When a new instance opens after a restart (no stop marker), the
//     startup events at the end of the old instance (logged after its last
//     other event and its last start marker) move into the new one: Airflow
//     logs key generation before its start banner. A start marker stays with
//     its instance, and so do the events before it. An instance left empty
//     by the move is deleted.
// Instance rows carry raw extents (first/last event time, member count,
// majority component, first pid); Finalize() turns them into lifetimes.
//
// A line without a time of its own (a start banner, a traceback line)
// inherits the time of an earlier line, which for a start marker is the
// last line of the process before it: a lower bound only. So an instance
// begins at the first time one of its events logged itself, when one did,
// and its start event (the line a report cites) is its first start marker
// with a time of its own, else its first start marker.
//
// Failures (auth.* except auth.missing_token, and log_server.fetch_failed)
// of one instance and surface form bursts, split where consecutive failures
// are more than kBurstGapUs apart.

#include <algorithm>

#include "db/dumps_internal.h"
#include "db/timeline_internal.h"

namespace etiolog::db::internal {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// The lifetime and correlation tables, derived from the instance and event
// rows. Every statement is idempotent; docs/store-schema.md explains each.
constexpr char kDeriveSql[] = R"sql(
UPDATE instances SET
    seq = CASE WHEN instances.dump_only = 0 THEN r.seq ELSE instances.seq END,
    name = CASE
      WHEN dump_name IS NOT NULL THEN dump_name
      WHEN host <> '' THEN host
      WHEN slot LIKE 'k8s:%' THEN substr(slot, 5)
      ELSE r.file END,
    first_us = CASE
      WHEN dump_first_us IS NOT NULL
        THEN min(dump_first_us, coalesce(first_event_us, dump_first_us))
      WHEN instances.dump_only = 0 AND r.seq = 0 AND start_event_id IS NULL
        THEN coalesce(r.source_first_us, first_event_us)
      ELSE first_event_us END
  FROM (SELECT i.id,
               row_number() OVER (PARTITION BY i.stream_id, i.dump_only ORDER BY i.id) - 1 AS seq,
               substr(s.path, length(rtrim(s.path, replace(s.path, '/', ''))) + 1) AS file,
               s.first_time_us AS source_first_us
        FROM instances i JOIN streams st ON st.id = i.stream_id
        JOIN sources s ON s.id = st.source_id ORDER BY i.id) r
  WHERE r.id = instances.id;
UPDATE instances SET
    last_us = CASE WHEN n.base IS NULL THEN NULL
                   ELSE max(n.base, coalesce(last_event_us, n.base),
                            coalesce(dump_last_us, n.base)) END,
    prev_id = coalesce(n.prev_in_stream,
      CASE WHEN start_event_id IS NOT NULL THEN
        (SELECT p.id FROM instances p
          WHERE p.slot = instances.slot AND p.stream_id <> instances.stream_id
            AND p.first_us < instances.first_us
          ORDER BY p.first_us DESC, p.id DESC LIMIT 1) END),
    rollout_id = NULL
  FROM (SELECT i.id, lag(i.id) OVER w AS prev_in_stream,
               coalesce((SELECT e.time_us FROM events e WHERE e.id = i.stop_event_id),
                        lead(i.first_us) OVER w, s.last_time_us, i.last_event_us) AS base
        FROM instances i JOIN streams st ON st.id = i.stream_id
        JOIN sources s ON s.id = st.source_id
        WINDOW w AS (PARTITION BY i.stream_id ORDER BY i.seq) ORDER BY i.id) n
  WHERE n.id = instances.id;

DELETE FROM rollouts;
DROP TABLE IF EXISTS temp.rollout_starts;
CREATE TEMP TABLE rollout_starts AS
  WITH starts AS (
    SELECT id, first_us, prev_id, NULL AS revision FROM instances
    WHERE start_event_id IS NOT NULL AND first_us IS NOT NULL
    UNION ALL
    SELECT NULL, time_us, NULL, id FROM events
    WHERE kind = 'dump.revision' AND time_us IS NOT NULL),
  s AS (
    SELECT *,
           CASE WHEN first_us - lag(first_us) OVER (ORDER BY first_us, id, revision)
                       <= :rollout_gap
                THEN 0 ELSE 1 END AS brk
    FROM starts)
  SELECT *, sum(brk) OVER (ORDER BY first_us, id, revision) AS rid FROM s;
INSERT INTO rollouts(id, first_us, last_us, started, restarted, revision_event_id)
  SELECT rid, min(first_us), max(first_us), count(id), count(prev_id), min(revision)
  FROM temp.rollout_starts GROUP BY rid;
UPDATE instances SET rollout_id = g.rid FROM temp.rollout_starts g WHERE g.id = instances.id;
DROP TABLE temp.rollout_starts;

DELETE FROM key_epochs;
INSERT INTO key_epochs(instance_id, section, option, state, event_id, events, from_us, to_us)
  SELECT e.instance_id, lower(coalesce(cs.value, '')), lower(coalesce(co.value, '')),
         CASE e.kind WHEN 'key.generated' THEN 'generated'
                     WHEN 'key.configured' THEN 'configured'
                     WHEN 'key.required_missing' THEN 'missing'
                     ELSE 'misplaced' END,
         min(e.id), count(*), i.first_us, i.last_us
  FROM events e JOIN instances i ON i.id = e.instance_id
  LEFT JOIN captures cs ON cs.event_id = e.id AND cs.name = 'section'
  LEFT JOIN captures co ON co.event_id = e.id AND co.name = 'option'
  WHERE e.kind IN ('key.generated', 'key.configured', 'key.required_missing',
                   'config.misplaced_key')
  GROUP BY 1, 2, 3, 4;

DELETE FROM auth_manager_epochs;
INSERT INTO auth_manager_epochs(id, manager, first_us, last_us, first_event_id, last_event_id,
                                first_instance_id, markers)
  WITH m AS (
    SELECT id, instance_id, time_us, substr(kind, 14) AS manager FROM events
    WHERE kind >= 'auth_manager.' AND kind < 'auth_manager/' AND time_us IS NOT NULL),
  g AS (SELECT *, CASE WHEN manager = lag(manager) OVER (ORDER BY time_us, id)
                       THEN 0 ELSE 1 END AS brk FROM m),
  e AS (SELECT *, sum(brk) OVER (ORDER BY time_us, id) AS epoch FROM g),
  f AS (SELECT *, first_value(id) OVER w AS fid, first_value(instance_id) OVER w AS finst,
               last_value(id) OVER w AS lid
        FROM e WINDOW w AS (PARTITION BY epoch ORDER BY time_us, id
                            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
  SELECT epoch, manager, min(time_us), max(time_us), min(fid), min(lid), min(finst), count(*)
  FROM f GROUP BY epoch;
UPDATE auth_manager_epochs SET until_us =
  (SELECT n.first_us FROM auth_manager_epochs n WHERE n.id = auth_manager_epochs.id + 1);
)sql";

}  // namespace

bool IsStartupKind(std::string_view kind) {
  return kind == "process.start" || StartsWith(kind, "key.") || StartsWith(kind, "config.") ||
         StartsWith(kind, "auth_manager.");
}

bool IsFailureKind(std::string_view kind) {
  return (StartsWith(kind, "auth.") && kind != "auth.missing_token") ||
         kind == "log_server.fetch_failed";
}

std::string ProcessSlot(std::string_view path, std::string_view host) {
  auto segment = [](std::string_view s, size_t from) {
    size_t end = s.find('/', from);
    return s.substr(from, end == std::string_view::npos ? std::string_view::npos : end - from);
  };
  // .../pods/<ns>_<pod>_<uid>/<container>/<n>.log
  if (size_t p = path.find("log/pods/"); p != std::string_view::npos) {
    std::string_view dir = segment(path, p + 9);
    size_t cstart = p + 9 + dir.size() + 1;
    std::string_view container = cstart < path.size() ? segment(path, cstart) : "";
    size_t a = dir.find('_');
    size_t b = dir.rfind('_');
    if (a != std::string_view::npos && b > a && !container.empty()) {
      return "k8s:" + std::string(dir.substr(0, a)) + "/" +
             std::string(dir.substr(a + 1, b - a - 1)) + "/" + std::string(container);
    }
  }
  // .../containers/<pod>_<ns>_<container>-<id>.log
  if (size_t p = path.find("log/containers/"); p != std::string_view::npos) {
    std::string_view name = segment(path, p + 15);
    size_t a = name.find('_');
    size_t b = a == std::string_view::npos ? a : name.find('_', a + 1);
    size_t dash = name.rfind('-');
    if (b != std::string_view::npos && dash != std::string_view::npos && dash > b) {
      return "k8s:" + std::string(name.substr(a + 1, b - a - 1)) + "/" +
             std::string(name.substr(0, a)) + "/" + std::string(name.substr(b + 1, dash - b - 1));
    }
  }
  return std::string(path) + "|" + std::string(host);
}

struct Timeline::Member {
  int64_t id = 0;
  std::optional<int64_t> t;
  bool own_time = false;  // t was logged by the event's own line.
  bool start = false;     // A process.start marker.
  int64_t pid = 0;
  std::string component;
};

namespace {

// Aggregate of an instance's members, in file order.
struct Extent {
  int64_t events = 0;
  std::optional<int64_t> first_own_us;  // Time of the first member that logged its own.
  std::optional<int64_t> first_any_us;  // Time of the first member that has one.
  std::optional<int64_t> last_us;       // Latest member time.
  int64_t first_pid = 0;                // First non-zero pid.
  int64_t last_pid = 0;                 // Latest non-zero pid.
  std::map<std::string, int64_t> votes;

  // When the instance began, as far as its members tell: an inherited time
  // is only a lower bound (see the top of the file).
  std::optional<int64_t> first_us() const { return first_own_us ? first_own_us : first_any_us; }

  template <typename M>
  void Add(const M& m) {
    ++events;
    if (m.t) {
      if (!first_any_us) first_any_us = m.t;
      if (m.own_time && !first_own_us) first_own_us = m.t;
      if (!last_us || *m.t > *last_us) last_us = m.t;
    }
    if (m.pid != 0) {
      if (first_pid == 0) first_pid = m.pid;
      last_pid = m.pid;
    }
    if (!m.component.empty()) ++votes[m.component];
  }

  // Adds the members of later, which come after this extent's, as Add
  // would one by one.
  void Merge(const Extent& later) {
    events += later.events;
    if (!first_any_us) first_any_us = later.first_any_us;
    if (!first_own_us) first_own_us = later.first_own_us;
    if (later.last_us && (!last_us || *later.last_us > *last_us)) last_us = later.last_us;
    if (first_pid == 0) first_pid = later.first_pid;
    if (later.last_pid != 0) last_pid = later.last_pid;
    for (const auto& [component, n] : later.votes) votes[component] += n;
  }
};

// The start marker an instance cites: its first with a time of its own,
// else its first.
struct StartChoice {
  int64_t id = 0;
  bool own_time = false;

  template <typename M>
  void Offer(const M& m) {
    if (!m.start) return;
    if (id == 0 || (m.own_time && !own_time)) {
      id = m.id;
      own_time = m.own_time;
    }
  }

  // Offers the choice among later members, as Offer would one by one.
  void Merge(const StartChoice& later) {
    if (later.id == 0) return;
    if (id == 0 || (later.own_time && !own_time)) *this = later;
  }
};

// A run of consecutive members of an instance, in aggregate: the state per
// instance stays the same size however many events it holds.
struct Run {
  Extent extent;
  StartChoice start;
  int64_t first_id = 0;  // Row id of its first member; 0 if empty.

  bool empty() const { return extent.events == 0; }
  template <typename M>
  void Add(const M& m) {
    if (first_id == 0) first_id = m.id;
    extent.Add(m);
    start.Offer(m);
  }
  void Merge(const Run& later) {
    if (later.empty()) return;
    if (first_id == 0) first_id = later.first_id;
    extent.Merge(later.extent);
    start.Merge(later.start);
  }
};

}  // namespace

struct Timeline::Instance {
  int64_t id = 0;  // 0: none yet.
  int64_t seq = 0;
  int64_t stop_event = 0;
  bool only_startup = true;  // Only startup events so far.
  // Members in file order, as three consecutive runs: up to the last
  // non-startup one; then startup events up to the last start marker (the
  // instance's own startup); then the startup events after both, which a
  // restart takes as its prelude.
  Run settled;
  Run startup;
  Run trailing;
  bool dirty = false;

  Extent All() const {
    Run all = settled;
    all.Merge(startup);
    all.Merge(trailing);
    return all.extent;
  }

  // The start event to cite, or 0 if the instance has no start marker.
  int64_t StartEvent() const {
    StartChoice c = settled.start;
    c.Merge(startup.start);
    c.Merge(trailing.start);
    return c.id;
  }
};

namespace {

// Counts events, and occurrences: consecutive events at the same time are
// one occurrence (a failure logged as an error line and again as the last
// line of its traceback).
struct Tally {
  int64_t events = 0;
  int64_t occurrences = 0;
  int64_t first_event = 0;
  std::optional<int64_t> last_time;

  void Add(int64_t id, const std::optional<int64_t>& t) {
    ++events;
    if (first_event == 0) first_event = id;
    if (!t || !last_time || *t != *last_time) ++occurrences;
    last_time = t;
  }
};

}  // namespace

struct Timeline::Burst {
  int64_t id = 0;
  std::optional<int64_t> first_us, last_us;
  int64_t last_event = 0;
  Tally all;
  std::map<std::string, Tally> kinds;
  bool dirty = false;
};

struct Timeline::Stream {
  int64_t id = 0;
  int64_t source_id = 0;
  std::string host, slot;
  bool live = false;                    // Events are placed as they come (else written unplaced).
  Instance inst;                        // The current instance.
  std::map<std::string, Burst> bursts;  // Open bursts of inst, by surface.
  bool any = false;                     // Placed an event already.
  uint64_t last_offset = 0;             // Offset of the last placed event.
  std::set<std::string> rules_at_last;  // Rules placed at last_offset.
  uint64_t touched = 0;                 // When it was last used (Timeline::clock_).
};

Timeline::Timeline(sqlite3* db) : db_(db) {}
Timeline::~Timeline() = default;

void Timeline::Reset() {
  streams_.clear();
  dirty_streams_.clear();
}

Result<Timeline::Stream*> Timeline::GetStream(int64_t source_id, std::string_view host,
                                              std::string_view format) {
  auto key = std::make_pair(source_id, std::string(host));
  if (auto it = streams_.find(key); it != streams_.end()) {
    it->second->touched = ++clock_;
    return it->second.get();
  }
  if (streams_.size() >= kMaxStreams) ETIOLOG_RETURN_IF_ERROR(EvictIdleStreams());
  auto s = std::make_unique<Stream>();
  s->touched = ++clock_;
  s->source_id = source_id;
  s->host = key.second;
  if (!find_stream_) {
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_,
                                    "SELECT id, slot FROM streams WHERE source_id = ? AND host = ?",
                                    "find stream", &find_stream_));
  }
  // (source_id, host) is unique: one row at most. A stream found was
  // created in an earlier session: its state is not in memory, so new
  // events of it are written unplaced (live stays false) and the stream is
  // rebuilt.
  bool found = false;
  ETIOLOG_RETURN_IF_ERROR(Binds(find_stream_.get())
                              .Int(1, source_id)
                              .Text(2, host)
                              .Rows(db_, "find stream", [&](sqlite3_stmt* f) {
                                found = true;
                                s->id = sqlite3_column_int64(f, 0);
                                s->slot = ColumnText(f, 1);
                              }));
  if (!found) {
    if (!source_path_) {
      ETIOLOG_RETURN_IF_ERROR(
          Prepare(db_, "SELECT path FROM sources WHERE id = ?", "source path", &source_path_));
    }
    std::string path;
    ETIOLOG_RETURN_IF_ERROR(
        Binds(source_path_.get()).Int(1, source_id).Rows(db_, "source path", [&](sqlite3_stmt* p) {
          path = ColumnText(p, 0);
        }));
    s->slot = ProcessSlot(path, host);
    if (!insert_stream_) {
      ETIOLOG_RETURN_IF_ERROR(
          Prepare(db_, "INSERT INTO streams(source_id, host, slot, format) VALUES(?,?,?,?)",
                  "insert stream", &insert_stream_));
    }
    ETIOLOG_RETURN_IF_ERROR(Binds(insert_stream_.get())
                                .Int(1, source_id)
                                .Text(2, host)
                                .Text(3, s->slot)
                                .Text(4, format)
                                .Done(db_, "insert stream"));
    s->id = sqlite3_last_insert_rowid(db_);
    s->live = true;
  }
  Stream* raw = s.get();
  streams_.emplace(std::move(key), std::move(s));
  return raw;
}

Status Timeline::OpenInstance(Stream* s, Move move) {
  Instance next;
  Instance& old = s->inst;
  next.seq = old.id != 0 ? old.seq + 1 : 0;
  if (!insert_instance_) {
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_,
                                    "INSERT INTO instances(stream_id, seq, component, host, slot) "
                                    "VALUES(?,?,'',?,?)",
                                    "insert instance", &insert_instance_));
  }
  ETIOLOG_RETURN_IF_ERROR(Binds(insert_instance_.get())
                              .Int(1, s->id)
                              .Int(2, next.seq)
                              .Text(3, s->host)
                              .Text(4, s->slot)
                              .Done(db_, "insert instance"));
  next.id = sqlite3_last_insert_rowid(db_);
  next.dirty = true;
  if (old.id != 0) {
    for (auto& [surface, b] : s->bursts) ETIOLOG_RETURN_IF_ERROR(FlushBurst(&b));
    s->bursts.clear();
    Run moved;
    if (move == Move::kStartup) {
      moved = old.startup;
      old.startup = Run();
    }
    if (move != Move::kNothing) {
      moved.Merge(old.trailing);
      old.trailing = Run();
    }
    if (!moved.empty()) {
      // The events of a stream are stored in file order, so the moved run
      // is the old instance's events from its first member on.
      if (!move_event_) {
        ETIOLOG_RETURN_IF_ERROR(
            Prepare(db_, "UPDATE events SET instance_id = ? WHERE instance_id = ? AND id >= ?",
                    "move events", &move_event_));
      }
      ETIOLOG_RETURN_IF_ERROR(Binds(move_event_.get())
                                  .Int(1, next.id)
                                  .Int(2, old.id)
                                  .Int(3, moved.first_id)
                                  .Done(db_, "move events"));
      // Startup events only: the new instance's start marker, placed next,
      // makes them its startup.
      next.trailing = moved;
    }
    if (old.settled.empty() && old.startup.empty()) {
      // Every event moved to the restart: the old instance never existed.
      if (!delete_instance_) {
        ETIOLOG_RETURN_IF_ERROR(Prepare(db_, "DELETE FROM instances WHERE id = ?",
                                        "delete instance", &delete_instance_));
      }
      ETIOLOG_RETURN_IF_ERROR(
          Binds(delete_instance_.get()).Int(1, old.id).Done(db_, "delete instance"));
    } else {
      old.dirty = true;
      ETIOLOG_RETURN_IF_ERROR(FlushInstance(&old));
    }
  }
  s->inst = std::move(next);
  return Status::OK();
}

Result<Placement> Timeline::Place(const EventFacts& e) {
  Result<Stream*> got = GetStream(e.source_id, e.host, e.format);
  if (!got.ok()) return got.status();
  Stream* s = *got;
  Placement p;
  p.stream_id = s->id;
  // State-dump facts are placed by PlaceDumpFacts(), not by the stream.
  if (IsDumpKind(e.kind)) return p;
  if (!s->live) return p;
  if (s->any && (e.offset < s->last_offset ||
                 (e.offset == s->last_offset && s->rules_at_last.count(std::string(e.rule))))) {
    return p;  // Already stored, or out of order: written unplaced if new.
  }
  Instance& cur = s->inst;
  if (cur.id == 0) {
    ETIOLOG_RETURN_IF_ERROR(OpenInstance(s, Move::kNothing));
  } else {
    bool open_new = cur.stop_event != 0;
    Move move = Move::kNothing;  // After a stop marker, nothing moves.
    if (e.kind == "process.start" && !open_new) {
      const Extent all = cur.All();
      const std::optional<int64_t> began = all.first_us();
      const bool in_window =
          cur.only_startup && (!e.time_us || !began || *e.time_us - *began <= kStartupWindowUs);
      const bool same_pid = e.pid == 0 || all.last_pid == 0 || e.pid == all.last_pid;
      open_new = !(in_window && same_pid);
      // Another pid within the startup window (uvicorn's parent and
      // worker) is the same startup: all of it moves. A later start is a
      // restart: it takes the startup events logged since the old
      // instance's last other event and last start marker.
      move = in_window ? Move::kStartup : Move::kTrailing;
    }
    if (open_new) ETIOLOG_RETURN_IF_ERROR(OpenInstance(s, move));
  }
  p.instance_id = s->inst.id;
  if (IsFailureKind(e.kind)) {
    Burst& b = s->bursts[std::string(e.surface)];
    if (b.id != 0 && e.time_us && b.last_us && *e.time_us - *b.last_us > kBurstGapUs) {
      ETIOLOG_RETURN_IF_ERROR(FlushBurst(&b));
      b = Burst();
    }
    if (b.id == 0) {
      if (!insert_burst_) {
        ETIOLOG_RETURN_IF_ERROR(
            Prepare(db_, "INSERT INTO failure_bursts(instance_id, surface) VALUES(?,?)",
                    "insert burst", &insert_burst_));
      }
      ETIOLOG_RETURN_IF_ERROR(Binds(insert_burst_.get())
                                  .Int(1, s->inst.id)
                                  .Text(2, e.surface)
                                  .Done(db_, "insert burst"));
      b.id = sqlite3_last_insert_rowid(db_);
    }
    p.burst_id = b.id;
  }
  return p;
}

void Timeline::Record(const EventFacts& e, const Placement& p, int64_t event_id, bool inserted) {
  auto it = streams_.find(std::make_pair(e.source_id, std::string(e.host)));
  if (it == streams_.end()) return;
  Stream* s = it->second.get();
  if (IsDumpKind(e.kind)) return;
  if (p.instance_id == 0 || !inserted) {
    if (inserted || p.instance_id != 0) {
      // A new event that could not be placed in order (or a placed one the
      // store already had, which breaks the state's assumptions).
      dirty_streams_.insert(s->id);
      s->live = false;
    }
    return;
  }
  Instance& inst = s->inst;
  Member m;
  m.id = event_id;
  m.t = e.time_us;
  m.own_time = e.time_us.has_value() && !e.time_inherited;
  m.start = e.kind == "process.start";
  m.pid = e.pid;
  m.component = std::string(e.component);
  if (e.kind == "process.stop" && inst.stop_event == 0) inst.stop_event = event_id;
  if (m.start) {
    inst.startup.Merge(inst.trailing);
    inst.startup.Add(m);
    inst.trailing = Run();
  } else if (IsStartupKind(e.kind)) {
    inst.trailing.Add(m);
  } else {
    inst.settled.Merge(inst.startup);
    inst.settled.Merge(inst.trailing);
    inst.startup = Run();
    inst.trailing = Run();
    inst.settled.Add(m);
    inst.only_startup = false;
  }
  inst.dirty = true;
  if (p.burst_id != 0) {
    Burst& b = s->bursts[std::string(e.surface)];
    b.all.Add(event_id, e.time_us);
    b.kinds[std::string(e.kind)].Add(event_id, e.time_us);
    b.last_event = event_id;
    if (e.time_us) {
      if (!b.first_us || *e.time_us < *b.first_us) b.first_us = e.time_us;
      if (!b.last_us || *e.time_us > *b.last_us) b.last_us = e.time_us;
    }
    b.dirty = true;
  }
  if (!s->any || e.offset != s->last_offset) s->rules_at_last.clear();
  s->any = true;
  s->last_offset = e.offset;
  s->rules_at_last.insert(std::string(e.rule));
}

Status Timeline::FlushInstance(Instance* inst) {
  if (!inst->dirty || inst->id == 0) return Status::OK();
  if (!update_instance_) {
    ETIOLOG_RETURN_IF_ERROR(
        Prepare(db_,
                "UPDATE instances SET component = ?, pid = ?, start_event_id = ?, "
                "stop_event_id = ?, events = ?, first_event_us = ?, last_event_us = ? "
                "WHERE id = ?",
                "update instance", &update_instance_));
  }
  const Extent all = inst->All();
  std::string component;
  int64_t best = 0;
  for (const auto& [c, n] : all.votes) {
    if (n > best) {
      best = n;
      component = c;
    }
  }
  ETIOLOG_RETURN_IF_ERROR(Binds(update_instance_.get())
                              .Text(1, component)
                              .NonZero(2, all.first_pid)
                              .NonZero(3, inst->StartEvent())
                              .NonZero(4, inst->stop_event)
                              .Int(5, all.events)
                              .Optional(6, all.first_us())
                              .Optional(7, all.last_us)
                              .Int(8, inst->id)
                              .Done(db_, "update instance"));
  inst->dirty = false;
  return Status::OK();
}

Status Timeline::FlushBurst(Burst* b) {
  if (!b->dirty || b->id == 0) return Status::OK();
  if (!update_burst_) {
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_,
                                    "UPDATE failure_bursts SET first_us = ?, last_us = ?, "
                                    "first_event_id = ?, last_event_id = ?, events = ?, "
                                    "occurrences = ? WHERE id = ?",
                                    "update burst", &update_burst_));
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_,
                                    "INSERT OR REPLACE INTO burst_kinds(burst_id, kind, events, "
                                    "occurrences, first_event_id) VALUES(?,?,?,?,?)",
                                    "update burst kinds", &upsert_burst_kind_));
  }
  ETIOLOG_RETURN_IF_ERROR(Binds(update_burst_.get())
                              .Optional(1, b->first_us)
                              .Optional(2, b->last_us)
                              .NonZero(3, b->all.first_event)
                              .NonZero(4, b->last_event)
                              .Int(5, b->all.events)
                              .Int(6, b->all.occurrences)
                              .Int(7, b->id)
                              .Done(db_, "update burst"));
  for (const auto& [kind, n] : b->kinds) {
    ETIOLOG_RETURN_IF_ERROR(Binds(upsert_burst_kind_.get())
                                .Int(1, b->id)
                                .Text(2, kind)
                                .Int(3, n.events)
                                .Int(4, n.occurrences)
                                .Int(5, n.first_event)
                                .Done(db_, "update burst kinds"));
  }
  b->dirty = false;
  return Status::OK();
}

Status Timeline::EvictIdleStreams() {
  // The least recently used half goes: flushed, then forgotten. A later
  // event of one of them finds its stream not live and is written unplaced,
  // and Finalize() rebuilds that stream from its events (see the top).
  std::vector<std::pair<uint64_t, const std::pair<int64_t, std::string>*>> by_use;
  by_use.reserve(streams_.size());
  for (const auto& [key, s] : streams_) by_use.emplace_back(s->touched, &key);
  const size_t n = by_use.size() / 2;
  std::nth_element(by_use.begin(), by_use.begin() + static_cast<std::ptrdiff_t>(n), by_use.end());
  std::vector<std::pair<int64_t, std::string>> evict;
  evict.reserve(n);
  for (size_t i = 0; i < n; ++i) evict.push_back(*by_use[i].second);
  for (const auto& key : evict) {
    auto it = streams_.find(key);
    Stream* s = it->second.get();
    ETIOLOG_RETURN_IF_ERROR(FlushInstance(&s->inst));
    for (auto& [surface, b] : s->bursts) ETIOLOG_RETURN_IF_ERROR(FlushBurst(&b));
    streams_.erase(it);
  }
  return Status::OK();
}

Status Timeline::Flush() {
  for (auto& [key, s] : streams_) {
    ETIOLOG_RETURN_IF_ERROR(FlushInstance(&s->inst));
    for (auto& [surface, b] : s->bursts) ETIOLOG_RETURN_IF_ERROR(FlushBurst(&b));
  }
  return Status::OK();
}

Status Timeline::RebuildStream(int64_t stream_id) {
  Stmt q;
  ETIOLOG_RETURN_IF_ERROR(
      Prepare(db_, "SELECT source_id, host FROM streams WHERE id = ?", "rebuild stream", &q));
  std::optional<int64_t> source_id_found;
  std::string host;
  ETIOLOG_RETURN_IF_ERROR(
      Binds(q.get()).Int(1, stream_id).Rows(db_, "rebuild stream", [&](sqlite3_stmt* r) {
        source_id_found = sqlite3_column_int64(r, 0);
        host = ColumnText(r, 1);
      }));
  if (!source_id_found) {
    return Status::Internal("rebuild stream: no stream " + std::to_string(stream_id));
  }
  const int64_t source_id = *source_id_found;
  q.reset();
  Stmt del;
  for (const char* sql : {"DELETE FROM burst_kinds WHERE burst_id IN (SELECT b.id FROM "
                          "failure_bursts b JOIN instances i ON i.id = b.instance_id "
                          "WHERE i.stream_id = ?)",
                          "DELETE FROM failure_bursts WHERE instance_id IN "
                          "(SELECT id FROM instances WHERE stream_id = ?)",
                          "DELETE FROM instances WHERE stream_id = ?"}) {
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_, sql, "rebuild stream", &del));
    ETIOLOG_RETURN_IF_ERROR(Binds(del.get()).Int(1, stream_id).Done(db_, "rebuild stream"));
  }
  Result<Stream*> got = GetStream(source_id, host, "");
  if (!got.ok()) return got.status();
  Stream* s = *got;
  s->inst = Instance();
  s->bursts.clear();
  s->any = false;
  s->rules_at_last.clear();
  s->live = true;

  // Replay the stream's events in file order, a page at a time, with the
  // same state machine that places new events.
  Stmt page, upd;
  ETIOLOG_RETURN_IF_ERROR(
      Prepare(db_,
              "SELECT id, offset, kind, rule, surface, component, time_us, pid, "
              "time_quality = 'inherited' FROM events "
              "WHERE source_id = ?1 AND host = ?2 AND (offset > ?3 OR (offset = ?3 AND rule > ?4)) "
              "AND NOT (kind >= 'dump.' AND kind < 'dump/') "
              "ORDER BY offset, rule LIMIT 4096",
              "rebuild stream", &page));
  ETIOLOG_RETURN_IF_ERROR(
      Prepare(db_, "UPDATE events SET stream_id = ?, instance_id = ?, burst_id = ? WHERE id = ?",
              "rebuild stream", &upd));
  struct Row {
    int64_t id;
    uint64_t offset;
    std::string kind, rule, surface, component;
    std::optional<int64_t> time_us;
    int64_t pid;
    bool time_inherited;
  };
  std::vector<Row> rows;
  int64_t after_offset = -1;
  std::string after_rule;
  for (;;) {
    rows.clear();
    ETIOLOG_RETURN_IF_ERROR(
        Binds(page.get())
            .Int(1, source_id)
            .Text(2, host)
            .Int(3, after_offset)
            .Text(4, after_rule)
            .Rows(db_, "rebuild stream", [&](sqlite3_stmt* pg) {
              rows.push_back(Row{
                  sqlite3_column_int64(pg, 0), static_cast<uint64_t>(sqlite3_column_int64(pg, 1)),
                  ColumnText(pg, 2), ColumnText(pg, 3), ColumnText(pg, 4), ColumnText(pg, 5),
                  ColumnOptional(pg, 6), ColumnOptional(pg, 7).value_or(0),
                  sqlite3_column_int(pg, 8) != 0});
            }));
    if (rows.empty()) break;
    for (const Row& r : rows) {
      EventFacts f;
      f.source_id = source_id;
      f.offset = r.offset;
      f.host = host;
      f.kind = r.kind;
      f.rule = r.rule;
      f.surface = r.surface;
      f.component = r.component;
      f.time_us = r.time_us;
      f.time_inherited = r.time_inherited;
      f.pid = r.pid;
      Result<Placement> p = Place(f);
      if (!p.ok()) return p.status();
      ETIOLOG_RETURN_IF_ERROR(Binds(upd.get())
                                  .Int(1, stream_id)
                                  .NonZero(2, p->instance_id)
                                  .NonZero(3, p->burst_id)
                                  .Int(4, r.id)
                                  .Done(db_, "rebuild stream"));
      Record(f, *p, r.id, true);
    }
    after_offset = static_cast<int64_t>(rows.back().offset);
    after_rule = rows.back().rule;
  }
  return Flush();
}

Status Timeline::Finalize() {
  ETIOLOG_RETURN_IF_ERROR(Flush());
  // Events without a stream come from a store of schema 1.
  {
    Stmt q;
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_,
                                    "SELECT source_id, host, min(format) FROM events "
                                    "WHERE instance_id IS NULL AND stream_id IS NULL "
                                    "GROUP BY source_id, host",
                                    "assign streams", &q));
    struct Missing {
      int64_t source_id;
      std::string host, format;
    };
    std::vector<Missing> missing;
    ETIOLOG_RETURN_IF_ERROR(Binds(q.get()).Rows(db_, "assign streams", [&](sqlite3_stmt* r) {
      missing.push_back(Missing{sqlite3_column_int64(r, 0), ColumnText(r, 1), ColumnText(r, 2)});
    }));
    Stmt upd;
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_,
                                    "UPDATE events SET stream_id = ? WHERE source_id = ? AND "
                                    "host = ? AND instance_id IS NULL AND stream_id IS NULL",
                                    "assign streams", &upd));
    for (const auto& [source_id, host, format] : missing) {
      Result<Stream*> s = GetStream(source_id, host, format);
      if (!s.ok()) return s.status();
      ETIOLOG_RETURN_IF_ERROR(Binds(upd.get())
                                  .Int(1, (*s)->id)
                                  .Int(2, source_id)
                                  .Text(3, host)
                                  .Done(db_, "assign streams"));
    }
  }
  {
    Stmt q;
    ETIOLOG_RETURN_IF_ERROR(
        Prepare(db_,
                "SELECT DISTINCT stream_id FROM events WHERE instance_id IS NULL "
                "AND NOT (kind >= 'dump.' AND kind < 'dump/')",
                "find unplaced events", &q));
    ETIOLOG_RETURN_IF_ERROR(Binds(q.get()).Rows(db_, "find unplaced events", [&](sqlite3_stmt* r) {
      dirty_streams_.insert(sqlite3_column_int64(r, 0));
    }));
  }
  for (int64_t id : std::set<int64_t>(dirty_streams_)) {
    ETIOLOG_RETURN_IF_ERROR(RebuildStream(id).Annotate("rebuilding stream " + std::to_string(id)));
  }
  dirty_streams_.clear();
  ETIOLOG_RETURN_IF_ERROR(Flush());
  ETIOLOG_RETURN_IF_ERROR(PlaceDumpFacts(db_));
  // The derivation script, statement by statement, binding its parameters.
  std::string_view rest = kDeriveSql;
  while (!rest.empty()) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &raw, &tail) !=
        SQLITE_OK) {
      return SqlError(db_, "derive timeline");
    }
    rest.remove_prefix(static_cast<size_t>(tail - rest.data()));
    if (raw == nullptr) break;  // Only whitespace left.
    Stmt s(raw);
    Binds binds(raw);
    const int gap = sqlite3_bind_parameter_index(raw, ":rollout_gap");
    if (gap > 0) binds.Int(gap, kRolloutGapUs);
    ETIOLOG_RETURN_IF_ERROR(binds.Done(db_, "derive timeline"));
  }
  ETIOLOG_RETURN_IF_ERROR(DeriveWorkloads(db_));
  return DeriveBurstAlive(db_);
}

}  // namespace etiolog::db::internal
