// SPDX-License-Identifier: Apache-2.0
//
// The Timeline's in-memory state: per stream, its current instance (as
// three runs of members in aggregate) and its open bursts. Shared by the
// state machine (timeline.cc) and Finalize (timeline_finalize.cc).

#ifndef ETIOLOG_DB_TIMELINE_STATE_INTERNAL_H_
#define ETIOLOG_DB_TIMELINE_STATE_INTERNAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "db/timeline_internal.h"

namespace etiolog::db::internal {

struct Timeline::Member {
  int64_t id = 0;
  std::optional<int64_t> t;
  bool own_time = false;  // t was logged by the event's own line.
  bool start = false;     // A process.start marker.
  int64_t pid = 0;
  std::string component;
};

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
  // is only a lower bound (see the top of timeline.cc).
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

}  // namespace etiolog::db::internal

#endif  // ETIOLOG_DB_TIMELINE_STATE_INTERNAL_H_
