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
//
// The state the machine keeps is in timeline_state_internal.h; Finalize()
// (rebuilding streams, deriving lifetimes and correlations) is in
// timeline_finalize.cc.

#include <algorithm>

#include "db/dumps_internal.h"
#include "db/timeline_internal.h"
#include "db/timeline_state_internal.h"

namespace etiolog::db::internal {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

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

}  // namespace etiolog::db::internal
