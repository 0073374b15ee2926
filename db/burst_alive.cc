// SPDX-License-Identifier: Apache-2.0
//
// burst_alive: who was alive during each failure burst, counted, not listed.
//
// Causes ask "which processes, with which key, were running while these
// failures happened?" for every burst. Joining every burst with every
// instance whose lifetime overlaps it costs bursts x instances, and the
// answer itself can be that large: a day of a fleet keeps tens of thousands
// of instances alive through thousands of bursts. So the question is
// answered once here, by a sweep over time, as counts per burst and group
// with a few sample instances, and the causes read the counts.
//
// A group is (component, key option, key state, side). Every alive instance
// counts in its component's group with option and state "" (whatever its
// key), and once more per key epoch it has (option, state). Its side says
// how it started relative to the burst's rollout (failure_bursts.rollout_id:
// the latest rollout begun at or before the burst's first failure, after
// some other process had started): "rollout" (started in it), "older"
// (started before it, or there is none, or its log began with it running,
// or it runs a pod template the rollout replaced: a Deployment's pod of an
// older ReplicaSet, even if its container restarted in the rollout),
// "newer" (started after it).
//
// The sweep: instances sorted by start, bursts by first failure. Before a
// burst, the instances that started by then join the active set and those
// that ended before it leave (a heap by end). Per (component, option,
// state) the active set keeps its slots per rollout, so a burst reads
// counts per side without walking the set; the instances that start during
// the burst are walked once each. Cost: O((I + B) log I + S) for I
// instances, B bursts and S instance starts inside bursts, plus the rows
// written (at most one per group and side per burst).

#include <algorithm>
#include <cstdint>
#include <map>
#include <queue>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "db/timeline_internal.h"

namespace etiolog::db::internal {

namespace {

constexpr size_t kSamples = 8;  // Sample instances per burst and group.

// Strings that repeat across instances (slots, components, workloads, key
// options and states), stored once: a fleet has hundreds of thousands of
// instances but few distinct names.
class Names {
 public:
  int32_t Id(const std::string& s) {
    auto [it, fresh] = ids_.try_emplace(s, static_cast<int32_t>(names_.size()));
    if (fresh) names_.push_back(s);
    return it->second;
  }
  const std::string& operator[](int32_t id) const { return names_[static_cast<size_t>(id)]; }

 private:
  std::unordered_map<std::string, int32_t> ids_;
  std::vector<std::string> names_;
};

struct Inst {
  int64_t id = 0;
  int64_t first_us = 0, last_us = 0;
  int64_t rollout = 0;                            // 0: none.
  int64_t version = 0;                            // Its (workload, template hash); 0: none.
  int32_t slot = 0, component = 0, workload = 0;  // Names ids.
  bool printed = false;  // Its start time was printed (not counted back from an age).
  uint32_t keys_begin = 0, keys_end = 0;  // Its (option, state) epochs in the key table.
};

struct Burst {
  int64_t id = 0;
  int64_t first_us = 0, last_us = 0;
  int64_t rollout = 0;
};

// Where an instance stands for sides: its rollout and pod-template version.
using Origin = std::pair<int64_t, int64_t>;  // (rollout, version).

// The active instances of one (component, option, state): their slots by
// origin, and the instances themselves in start order (for samples).
struct Active {
  std::map<Origin, std::unordered_map<int32_t, int>> slots;         // origin -> slot -> instances.
  std::map<Origin, std::set<std::pair<int64_t, int64_t>>> members;  // origin -> (first, id).
  std::map<Origin, int> printed;                                    // origin -> printed.
  bool empty() const { return members.empty(); }
};

using GroupKey = std::tuple<int32_t, int32_t, int32_t>;  // component, option, state (Names ids).

// What one burst saw of one group on one side.
struct Tally {
  int64_t slot_count = 0, instances = 0, printed = 0;
  std::vector<int64_t> sample;
};

// Pod-template versions: which (workload, template hash) each is, when it
// first ran, and per rollout the newest version of each workload it started.
struct Versions {
  std::vector<int32_t> workload;                         // By version (0 unused): Names id.
  std::vector<int64_t> first_us;                         // When it first ran.
  std::map<int64_t, std::map<int32_t, int64_t>> newest;  // rollout -> workload -> version.

  // The rollout replaced version v: it started a newer version of v's workload.
  bool Replaced(int64_t rollout, int64_t v) const {
    if (v == 0 || rollout == 0) return false;
    auto r = newest.find(rollout);
    if (r == newest.end()) return false;
    auto w = r->second.find(workload[static_cast<size_t>(v)]);
    return w != r->second.end() && w->second != v &&
           first_us[static_cast<size_t>(w->second)] > first_us[static_cast<size_t>(v)];
  }
};

std::string SideOf(const Origin& o, int64_t inst_first, const Burst& b, int64_t rollout_us,
                   const Versions& versions) {
  if (b.rollout == 0) return "older";
  if (versions.Replaced(b.rollout, o.second)) return "older";
  if (o.first == 0) return "older";
  if (o.first == b.rollout) return "rollout";
  return inst_first < rollout_us ? "older" : "newer";
}

}  // namespace

Status DeriveBurstAlive(sqlite3* db) {
  ETIOLOG_RETURN_IF_ERROR(Exec(db, "DELETE FROM burst_alive", "derive burst_alive"));
  // The burst's rollout.
  ETIOLOG_RETURN_IF_ERROR(Exec(db,
                               "UPDATE failure_bursts SET rollout_id = ("
                               "  SELECT r.id FROM rollouts r"
                               "  WHERE r.first_us <= failure_bursts.first_us AND r.started > 0"
                               "    AND r.first_us > (SELECT min(first_us) FROM instances)"
                               "  ORDER BY r.first_us DESC LIMIT 1)",
                               "derive burst rollouts"));
  Names names;
  const int32_t all = names.Id("");  // Option and state of the group of every instance.
  std::vector<Inst> insts;
  std::vector<std::pair<int32_t, int32_t>> keys;  // (option, state) of instances' epochs.
  Versions versions;
  versions.workload.push_back(all);
  versions.first_us.push_back(0);
  std::map<std::pair<int32_t, int32_t>, int64_t> version_ids;  // (workload, hash) -> version.
  {
    Stmt q;
    ETIOLOG_RETURN_IF_ERROR(Prepare(
        db,
        "SELECT i.id, i.slot, i.component, i.first_us, i.last_us, coalesce(i.rollout_id, 0), "
        "  coalesce((SELECT e.time_quality <> 'relative' FROM events e "
        "            WHERE e.id = i.start_event_id), 0), i.workload, i.template_hash "
        "FROM instances i WHERE i.first_us IS NOT NULL AND i.last_us IS NOT NULL "
        "ORDER BY i.first_us, i.id",
        "read instances", &q));
    std::unordered_map<int64_t, size_t> index;
    ETIOLOG_RETURN_IF_ERROR(Binds(q.get()).Rows(db, "read instances", [&](sqlite3_stmt* r) {
      Inst i;
      i.id = sqlite3_column_int64(r, 0);
      i.slot = names.Id(ColumnText(r, 1));
      i.component = names.Id(ColumnText(r, 2));
      i.first_us = sqlite3_column_int64(r, 3);
      i.last_us = sqlite3_column_int64(r, 4);
      i.rollout = sqlite3_column_int64(r, 5);
      i.printed = sqlite3_column_int64(r, 6) != 0;
      i.workload = names.Id(ColumnText(r, 7));
      const int32_t hash = names.Id(ColumnText(r, 8));
      if (i.workload != all && hash != all) {
        auto [v, fresh] = version_ids.try_emplace({i.workload, hash},
                                                  static_cast<int64_t>(versions.workload.size()));
        if (fresh) {
          versions.workload.push_back(i.workload);
          versions.first_us.push_back(i.first_us);  // Instances come in start order.
        }
        i.version = v->second;
      }
      index.emplace(i.id, insts.size());
      insts.push_back(i);
    }));
    Stmt k;
    ETIOLOG_RETURN_IF_ERROR(Prepare(db,
                                    "SELECT DISTINCT instance_id, option, state FROM key_epochs "
                                    "ORDER BY instance_id",
                                    "read keys", &k));
    ETIOLOG_RETURN_IF_ERROR(Binds(k.get()).Rows(db, "read keys", [&](sqlite3_stmt* r) {
      auto it = index.find(sqlite3_column_int64(r, 0));
      if (it == index.end()) return;
      Inst& i = insts[it->second];
      if (i.keys_begin == i.keys_end)
        i.keys_begin = i.keys_end = static_cast<uint32_t>(keys.size());
      keys.emplace_back(names.Id(ColumnText(r, 1)), names.Id(ColumnText(r, 2)));
      ++i.keys_end;
    }));
    std::unordered_map<int64_t, size_t>().swap(index);
  }
  for (const Inst& i : insts) {
    if (i.version == 0 || i.rollout == 0) continue;
    int64_t& v = versions.newest[i.rollout].try_emplace(i.workload, i.version).first->second;
    if (versions.first_us[static_cast<size_t>(i.version)] >
        versions.first_us[static_cast<size_t>(v)]) {
      v = i.version;
    }
  }
  std::vector<Burst> bursts;
  std::map<int64_t, int64_t> rollout_start;
  {
    Stmt q;
    ETIOLOG_RETURN_IF_ERROR(Prepare(db,
                                    "SELECT id, first_us, last_us, coalesce(rollout_id, 0) "
                                    "FROM failure_bursts "
                                    "WHERE first_us IS NOT NULL AND last_us IS NOT NULL "
                                    "ORDER BY first_us, id",
                                    "read bursts", &q));
    ETIOLOG_RETURN_IF_ERROR(Binds(q.get()).Rows(db, "read bursts", [&](sqlite3_stmt* r) {
      bursts.push_back(Burst{sqlite3_column_int64(r, 0), sqlite3_column_int64(r, 1),
                             sqlite3_column_int64(r, 2), sqlite3_column_int64(r, 3)});
    }));
    Stmt r;
    ETIOLOG_RETURN_IF_ERROR(Prepare(db, "SELECT id, first_us FROM rollouts", "read rollouts", &r));
    ETIOLOG_RETURN_IF_ERROR(Binds(r.get()).Rows(db, "read rollouts", [&](sqlite3_stmt* row) {
      rollout_start[sqlite3_column_int64(row, 0)] = sqlite3_column_int64(row, 1);
    }));
  }

  Stmt ins;
  ETIOLOG_RETURN_IF_ERROR(Prepare(db,
                                  "INSERT INTO burst_alive(burst_id, component, option, state, "
                                  "side, slots, instances, printed, sample) "
                                  "VALUES(?,?,?,?,?,?,?,?,?)",
                                  "write burst_alive", &ins));
  std::map<GroupKey, Active> active;
  auto groups_of = [&](const Inst& i) {
    std::vector<GroupKey> g{{i.component, all, all}};
    for (uint32_t k = i.keys_begin; k < i.keys_end; ++k) {
      g.emplace_back(i.component, keys[k].first, keys[k].second);
    }
    return g;
  };
  auto change = [&](const Inst& i, int delta) {
    const Origin o{i.rollout, i.version};
    for (const GroupKey& key : groups_of(i)) {
      Active& a = active[key];
      int& n = a.slots[o][i.slot];
      n += delta;
      if (n == 0) a.slots[o].erase(i.slot);
      if (a.slots[o].empty()) a.slots.erase(o);
      if (delta > 0) {
        a.members[o].emplace(i.first_us, i.id);
        if (i.printed) ++a.printed[o];
      } else {
        auto& m = a.members[o];
        m.erase({i.first_us, i.id});
        if (m.empty()) a.members.erase(o);
        if (i.printed && --a.printed[o] == 0) a.printed.erase(o);
      }
      if (a.empty()) active.erase(key);
    }
  };
  // Ends of the active instances, earliest first: (last_us, index).
  std::priority_queue<std::pair<int64_t, size_t>, std::vector<std::pair<int64_t, size_t>>,
                      std::greater<>>
      ends;
  size_t next = 0;  // insts[next] is the first not yet started.
  for (const Burst& b : bursts) {
    while (next < insts.size() && insts[next].first_us <= b.first_us) {
      change(insts[next], +1);
      ends.emplace(insts[next].last_us, next);
      ++next;
    }
    while (!ends.empty() && ends.top().first < b.first_us) {
      change(insts[ends.top().second], -1);
      ends.pop();
    }
    const int64_t rollout_us = b.rollout != 0 ? rollout_start[b.rollout] : 0;
    std::map<std::pair<GroupKey, std::string>, Tally> seen;
    // The instances alive when the burst began, by origin.
    for (const auto& [key, a] : active) {
      for (const auto& [origin, slots] : a.slots) {
        const auto& members = a.members.at(origin);
        const int64_t first = members.begin()->first;
        Tally& t = seen[{key, SideOf(origin, first, b, rollout_us, versions)}];
        t.slot_count += static_cast<int64_t>(slots.size());
        t.instances += static_cast<int64_t>(members.size());
        auto p = a.printed.find(origin);
        if (p != a.printed.end()) t.printed += p->second;
        for (auto m = members.begin(); m != members.end() && t.sample.size() < kSamples; ++m) {
          t.sample.push_back(m->second);
        }
      }
    }
    // Those that started while it lasted. A slot is counted once per group,
    // on the side it was first seen on: a process that restarts during the
    // burst is one process.
    std::map<GroupKey, std::set<int32_t>> new_slots;
    for (size_t j = next; j < insts.size() && insts[j].first_us <= b.last_us; ++j) {
      const Inst& i = insts[j];
      for (const GroupKey& key : groups_of(i)) {
        Tally& t = seen[{key, SideOf({i.rollout, i.version}, i.first_us, b, rollout_us, versions)}];
        auto a = active.find(key);
        bool slot_alive = false;
        if (a != active.end()) {
          for (const auto& [origin, slots] : a->second.slots) {
            slot_alive = slot_alive || slots.count(i.slot) > 0;
          }
        }
        if (!slot_alive && new_slots[key].insert(i.slot).second) ++t.slot_count;
        ++t.instances;
        if (i.printed) ++t.printed;
        if (t.sample.size() < kSamples) t.sample.push_back(i.id);
      }
    }
    for (const auto& [where, t] : seen) {
      const auto& [key, side] = where;
      std::string sample;
      for (int64_t id : t.sample) sample += (sample.empty() ? "" : ",") + std::to_string(id);
      ETIOLOG_RETURN_IF_ERROR(Binds(ins.get())
                                  .Int(1, b.id)
                                  .Text(2, names[std::get<0>(key)])
                                  .Text(3, names[std::get<1>(key)])
                                  .Text(4, names[std::get<2>(key)])
                                  .Text(5, side)
                                  .Int(6, t.slot_count)
                                  .Int(7, t.instances)
                                  .Int(8, t.printed)
                                  .Text(9, sample)
                                  .Done(db, "write burst_alive"));
    }
  }
  return Status::OK();
}

}  // namespace etiolog::db::internal
