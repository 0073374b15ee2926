// SPDX-License-Identifier: Apache-2.0
//
// PlaceDumpFacts, in four steps, each idempotent (the first undoes the
// previous run, so facts, references and placements follow the store as
// it grows, e.g. under `etiolog tail`):
//
//   1. Undo: delete the instances only dumps showed (dump_only), clear what
//      dumps set on log instances (start_event_id where it is the dump
//      fact, dated_by, dump_first_us, dump_last_us) and unlink facts.
//   2. Reference: for each source holding dump facts, the moment the dump
//      was taken (sources.reference_us, reference):
//        'dump'   a fact printed both ways (systemctl's "since <date>; 2h
//                 5min ago"): the date plus the age;
//        'logs'   else the latest time a log line of the store printed
//                 (people run `kubectl get pods` right after looking at the
//                 logs);
//        'mtime'  else the dump file's modification time.
//      A fact with only an age (time quality 'relative') is dated
//      reference - age: the latest moment it can have happened, since the
//      tools round ages down.
//   3. Processes: the facts naming one process (host), across all dumps,
//      give its current instance (the most exact start, then the latest:
//      a pod's containers, a second dump of the same pod) and its previous
//      one (facts under kubectl's `Last State:`, capture `previous`); facts
//      about init containers (capture `init`) are ignored.
//   4. Identity: the process is the log instance of the same name (a
//      stream's host, a Kubernetes path's pod, a file named after it; for
//      compose, `<service>-<n>` from the SERVICE column, or the name without
//      its `<project>-` prefix), else of the same pid (systemd's Main PID
//      against journald's `airflow[1873]`). The latest such instance is the
//      current process unless its log shows it stopped before the dump's
//      start. A current log instance whose log does not show its start
//      (running when the log began) is dated by the dump, unless its log
//      began well before the dump's start (the dump is then about something
//      else, or its reference is wrong: the log wins); one whose log shows
//      its start keeps it. Either way it lives until the dump saw it
//      running. Processes no log shows become instances of their own
//      (dump_only), in the dump's stream, in the slot of their log instance
//      if any so that restarts link.
//
// The cost is one pass over the dump facts and one over the instances.

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "db/dumps_internal.h"

namespace etiolog::db::internal {

namespace {

constexpr char kDumpKinds[] = "kind >= 'dump.' AND kind < 'dump/'";

constexpr char kUndoSql[] = R"sql(
DELETE FROM instances WHERE dump_only = 1;
UPDATE instances SET start_event_id = NULL
  WHERE dated_by IS NOT NULL AND start_event_id = dated_by;
UPDATE instances SET dated_by = NULL, dump_first_us = NULL, dump_last_us = NULL,
                     dump_name = NULL
  WHERE dated_by IS NOT NULL OR dump_first_us IS NOT NULL OR dump_last_us IS NOT NULL
     OR dump_name IS NOT NULL;
UPDATE events SET instance_id = NULL
  WHERE kind >= 'dump.' AND kind < 'dump/' AND instance_id IS NOT NULL;
UPDATE sources SET reference_us = NULL, reference = NULL WHERE reference IS NOT NULL;
)sql";

Status ExecScript(sqlite3* db, const char* sql, std::string_view what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return Status::IoError(std::string(what) + ": " + msg);
  }
  return Status::OK();
}

bool IsLowerAlnum(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The file name of a path, without directories and extensions.
std::string_view Stem(std::string_view path) {
  const size_t slash = path.find_last_of("/:");
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = base.find('.');
  return dot == std::string_view::npos || dot == 0 ? base : base.substr(0, dot);
}

// How exact a fact's time is: a printed date with a zone, then one read in
// --timezone, then one derived from an age.
int Rank(std::string_view quality) {
  if (quality == "exact") return 3;
  if (quality == "assumed_zone") return 2;
  return 1;
}

struct Fact {
  int64_t id = 0;
  int64_t stream_id = 0;
  std::string kind;
  std::string component;
  int64_t pid = 0;
  std::optional<int64_t> t;
  int rank = 0;
  int64_t resolution_us = 0;
  bool previous = false;
  bool init = false;
  std::string service;
  std::optional<int64_t> reference_us;

  int64_t Slack() const {
    return rank == 1 ? std::max(kDumpAgeSlackUs, resolution_us) : kDumpDateSlackUs;
  }
};

// The best fact among facts of kind and instance (current or previous): the
// most exact, then the latest.
const Fact* Best(const std::vector<Fact>& facts, std::string_view kind, bool previous) {
  const Fact* best = nullptr;
  for (const Fact& f : facts) {
    if (f.init || f.previous != previous || f.kind != kind || !f.t) continue;
    if (best == nullptr || f.rank > best->rank || (f.rank == best->rank && *f.t > *best->t)) {
      best = &f;
    }
  }
  return best;
}

// A log instance, as matching needs it.
struct LogInstance {
  int64_t id = 0;
  int64_t stream_id = 0;
  int64_t seq = 0;
  int64_t pid = 0;
  std::string component;
  bool has_start = false;  // Its log shows its start.
  std::optional<int64_t> stop_us;
  std::optional<int64_t> first_event_us;
  std::string slot;
};

class Placer {
 public:
  explicit Placer(sqlite3* db) : db_(db) {}

  Status Run() {
    ETIOLOG_RETURN_IF_ERROR(ExecScript(db_, kUndoSql, "undo state dumps"));
    ETIOLOG_RETURN_IF_ERROR(DateRelativeFacts());
    std::map<std::string, std::vector<Fact>> by_process;
    ETIOLOG_RETURN_IF_ERROR(LoadFacts(&by_process));
    // Logs without a state dump (most of them) need no instance in memory.
    if (by_process.empty()) return Status::OK();
    ETIOLOG_RETURN_IF_ERROR(LoadLogInstances());
    for (const auto& [name, facts] : by_process) {
      ETIOLOG_RETURN_IF_ERROR(PlaceProcess(name, facts));
    }
    return Status::OK();
  }

 private:
  Status DateRelativeFacts() {
    Stmt logs, sources, update_source, update_events;
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_,
                                    "SELECT max(last_time_us) FROM sources "
                                    "WHERE last_time_us IS NOT NULL AND last_time_us <> 0",
                                    "dump reference", &logs));
    std::optional<int64_t> latest_log;
    ETIOLOG_RETURN_IF_ERROR(Binds(logs.get()).Rows(db_, "dump reference", [&](sqlite3_stmt* r) {
      latest_log = ColumnOptional(r, 0);
    }));
    ETIOLOG_RETURN_IF_ERROR(Prepare(
        db_,
        std::string("SELECT s.id, nullif(s.modified_us, 0), "
                    "(SELECT max(e.time_us + e.age_us) FROM events e WHERE e.source_id = s.id "
                    "  AND e.") +
            kDumpKinds +
            " AND e.age_us IS NOT NULL AND e.time_us IS NOT NULL "
            "  AND e.time_quality <> 'relative') "
            "FROM sources s WHERE EXISTS (SELECT 1 FROM events e WHERE e.source_id = s.id AND e." +
            kDumpKinds + ")",
        "dump reference", &sources));
    ETIOLOG_RETURN_IF_ERROR(
        Prepare(db_, "UPDATE sources SET reference_us = ?, reference = ? WHERE id = ?",
                "dump reference", &update_source));
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_,
                                    std::string("UPDATE events SET time_us = ?1 - age_us "
                                                "WHERE source_id = ?2 AND time_quality = "
                                                "'relative' AND ") +
                                        kDumpKinds,
                                    "date relative facts", &update_events));
    struct Ref {
      int64_t source_id;
      std::optional<int64_t> us;
      const char* how;
    };
    std::vector<Ref> refs;
    ETIOLOG_RETURN_IF_ERROR(Binds(sources.get()).Rows(db_, "dump reference", [&](sqlite3_stmt* q) {
      Ref r{sqlite3_column_int64(q, 0), std::nullopt, nullptr};
      const std::optional<int64_t> mtime = ColumnOptional(q, 1);
      const std::optional<int64_t> anchor = ColumnOptional(q, 2);
      if (anchor) {
        r = {r.source_id, anchor, "dump"};
      } else if (latest_log) {
        r = {r.source_id, latest_log, "logs"};
      } else if (mtime) {
        r = {r.source_id, mtime, "mtime"};
      }
      refs.push_back(r);
    }));
    for (const Ref& r : refs) {
      references_[r.source_id] = r.us;
      if (!r.us) continue;
      ETIOLOG_RETURN_IF_ERROR(Binds(update_source.get())
                                  .Int(1, *r.us)
                                  .Text(2, r.how)
                                  .Int(3, r.source_id)
                                  .Done(db_, "dump reference"));
      ETIOLOG_RETURN_IF_ERROR(Binds(update_events.get())
                                  .Int(1, *r.us)
                                  .Int(2, r.source_id)
                                  .Done(db_, "date relative facts"));
    }
    return Status::OK();
  }

  Status LoadLogInstances() {
    Stmt q;
    ETIOLOG_RETURN_IF_ERROR(
        Prepare(db_,
                "SELECT i.id, i.stream_id, i.seq, coalesce(i.pid, 0), i.component, "
                "i.start_event_id IS NOT NULL, (SELECT e.time_us FROM events e "
                "WHERE e.id = i.stop_event_id), i.first_event_us, st.slot, st.host, s.path "
                "FROM instances i JOIN streams st ON st.id = i.stream_id "
                "JOIN sources s ON s.id = st.source_id WHERE i.dump_only = 0 ORDER BY i.id",
                "log instances", &q));
    return Binds(q.get()).Rows(db_, "log instances", [&](sqlite3_stmt* r) {
      LogInstance li;
      li.id = sqlite3_column_int64(r, 0);
      li.stream_id = sqlite3_column_int64(r, 1);
      li.seq = sqlite3_column_int64(r, 2);
      li.pid = sqlite3_column_int64(r, 3);
      li.component = ColumnText(r, 4);
      li.has_start = sqlite3_column_int(r, 5) != 0;
      li.stop_us = ColumnOptional(r, 6);
      li.first_event_us = ColumnOptional(r, 7);
      li.slot = ColumnText(r, 8);
      const std::string host = ColumnText(r, 9);
      const std::string path = ColumnText(r, 10);
      const size_t index = instances_.size();
      instances_.push_back(std::move(li));
      std::vector<std::string> names;
      if (!host.empty()) {
        names.push_back(host);
      } else {
        names.emplace_back(Stem(path));
      }
      const std::string& slot = instances_.back().slot;
      if (slot.rfind("k8s:", 0) == 0) {
        // k8s:<namespace>/<pod>/<container>
        const size_t a = slot.find('/'), b = slot.rfind('/');
        if (a != std::string::npos && b > a) names.push_back(slot.substr(a + 1, b - a - 1));
      }
      for (const std::string& n : names) {
        std::vector<size_t>& v = by_name_[n];
        if (v.empty() || v.back() != index) v.push_back(index);
      }
      if (instances_.back().pid != 0) by_pid_[instances_.back().pid].push_back(index);
    });
  }

  Status LoadFacts(std::map<std::string, std::vector<Fact>>* out) {
    Stmt q;
    ETIOLOG_RETURN_IF_ERROR(Prepare(
        db_,
        std::string(
            "SELECT e.id, e.stream_id, e.kind, e.host, e.component, coalesce(e.pid, 0), "
            "e.time_us, e.time_quality, coalesce(e.age_resolution_us, 0), e.source_id, "
            "EXISTS (SELECT 1 FROM captures c WHERE c.event_id = e.id AND c.name = 'previous'), "
            "EXISTS (SELECT 1 FROM captures c WHERE c.event_id = e.id AND c.name = 'init'), "
            "coalesce((SELECT c.value FROM captures c WHERE c.event_id = e.id "
            "          AND c.name = 'service'), '') "
            "FROM events e WHERE e.") +
            kDumpKinds + " AND e.host <> '' ORDER BY e.id",
        "dump facts", &q));
    return Binds(q.get()).Rows(db_, "dump facts", [&](sqlite3_stmt* r) {
      Fact f;
      f.id = sqlite3_column_int64(r, 0);
      f.stream_id = sqlite3_column_int64(r, 1);
      f.kind = ColumnText(r, 2);
      const std::string host = ColumnText(r, 3);
      f.component = ColumnText(r, 4);
      f.pid = sqlite3_column_int64(r, 5);
      f.t = ColumnOptional(r, 6);
      f.rank = Rank(ColumnText(r, 7));
      f.resolution_us = sqlite3_column_int64(r, 8);
      if (auto it = references_.find(sqlite3_column_int64(r, 9)); it != references_.end()) {
        f.reference_us = it->second;
      }
      f.previous = sqlite3_column_int(r, 10) != 0;
      f.init = sqlite3_column_int(r, 11) != 0;
      f.service = ColumnText(r, 12);
      (*out)[host].push_back(std::move(f));
    });
  }

  // The log instances that are the process name, per the rules at the top.
  // *by_pid is set when only the pid matched (the log names the process
  // otherwise, e.g. journald by its host).
  std::vector<size_t> Candidates(const std::string& name, const std::vector<Fact>& facts,
                                 int64_t pid, const std::string& component, bool* by_pid) const {
    *by_pid = false;
    std::vector<size_t> out;
    auto add = [&](const std::string& n) {
      if (auto it = by_name_.find(n); it != by_name_.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
      }
    };
    add(name);
    const size_t dash = name.rfind('-');
    for (const Fact& f : facts) {
      // docker compose ps: NAME <project>-<service>-<n>, SERVICE <service>;
      // docker compose logs prints <service>-<n>.
      if (!f.service.empty() && dash != std::string::npos && IsDigits(name.substr(dash + 1))) {
        add(f.service + name.substr(dash));
        break;
      }
    }
    if (out.empty()) {
      // The name without a "<project>-" prefix.
      for (const auto& [n, v] : by_name_) {
        if (n.size() + 1 < name.size() && n.find('-') != std::string::npos &&
            name.compare(name.size() - n.size(), n.size(), n) == 0 &&
            name[name.size() - n.size() - 1] == '-') {
          out.insert(out.end(), v.begin(), v.end());
        }
      }
    }
    if (out.empty() && pid != 0) {
      if (auto it = by_pid_.find(pid); it != by_pid_.end()) {
        for (size_t i : it->second) {
          const std::string& c = instances_[i].component;
          if (c.empty() || component.empty() || c == component) out.push_back(i);
        }
        *by_pid = !out.empty();
      }
    }
    return out;
  }

  Status PlaceProcess(const std::string& name, const std::vector<Fact>& facts) {
    int64_t pid = 0;
    std::string component;
    for (const Fact& f : facts) {
      if (f.pid != 0) pid = f.pid;
      if (component.empty()) component = f.component;
    }
    const Fact* start = Best(facts, "dump.started", false);
    const Fact* stop = Best(facts, "dump.stopped", false);
    if (start && stop && *stop->t < *start->t) stop = nullptr;  // An older container's.
    const Fact* prev_start = Best(facts, "dump.started", true);
    const Fact* prev_stop = Best(facts, "dump.stopped", true);
    // Until when the dump saw the current instance: its stop, else the
    // moment the dump was taken.
    std::optional<int64_t> until;
    if (stop) {
      until = stop->t;
    } else if (start && start->reference_us && *start->reference_us >= *start->t) {
      until = start->reference_us;
    } else if (start) {
      until = start->t;
    }

    bool by_pid = false;
    const std::vector<size_t> candidates = Candidates(name, facts, pid, component, &by_pid);
    const LogInstance* log = nullptr;
    for (size_t i : candidates) {
      const LogInstance& li = instances_[i];
      if (log == nullptr || li.first_event_us.value_or(0) > log->first_event_us.value_or(0) ||
          (li.first_event_us.value_or(0) == log->first_event_us.value_or(0) && li.id > log->id)) {
        log = &li;
      }
    }
    bool same = log != nullptr;
    if (log && start && log->stop_us && *log->stop_us < *start->t - start->Slack()) {
      same = false;  // It stopped in its log before the dump's process started.
    }

    int64_t current = 0;   // The current instance the facts are about.
    int64_t previous = 0;  // The previous one.
    if (same) {
      current = log->id;
      std::optional<int64_t> first_us, last_us;
      int64_t dated_by = 0;
      if (start && !log->has_start &&
          (!log->first_event_us || *log->first_event_us >= *start->t - start->Slack())) {
        first_us = start->t;
        dated_by = start->id;
      }
      if (!log->stop_us) last_us = until;
      ETIOLOG_RETURN_IF_ERROR(
          DateLogInstance(log->id, dated_by, first_us, last_us, by_pid ? name : std::string()));
      // The instance before it in its stream is the previous one.
      if (prev_start || prev_stop) {
        for (const LogInstance& li : instances_) {
          if (li.stream_id == log->stream_id && li.seq == log->seq - 1) previous = li.id;
        }
        if (previous != 0) {
          const LogInstance* p = nullptr;
          for (const LogInstance& li : instances_) {
            if (li.id == previous) p = &li;
          }
          if (prev_start && !p->has_start &&
              (!p->first_event_us || *p->first_event_us >= *prev_start->t - prev_start->Slack())) {
            ETIOLOG_RETURN_IF_ERROR(DateLogInstance(previous, prev_start->id, prev_start->t,
                                                    std::nullopt, std::string()));
          }
        }
      }
    }
    // What no log shows: instances of their own, previous first.
    std::string slot;
    if (log != nullptr) slot = log->slot;
    const Fact* home = start ? start : (stop ? stop : (prev_start ? prev_start : &facts[0]));
    int64_t seq = 0;
    if (previous == 0 && prev_start) {
      // It ran until its stop, else until the current one started.
      const Fact* prev_end = prev_stop && *prev_stop->t >= *prev_start->t ? prev_stop : nullptr;
      int64_t prev_until = *prev_start->t;
      if (prev_end) {
        prev_until = *prev_end->t;
      } else if (start && *start->t > prev_until) {
        prev_until = *start->t;
      }
      ETIOLOG_RETURN_IF_ERROR(AddInstance(home->stream_id, seq++, name, component, pid, slot,
                                          *prev_start, prev_end, prev_until, &previous));
    }
    if (current == 0 && start) {
      ETIOLOG_RETURN_IF_ERROR(AddInstance(home->stream_id, seq++, name, component, pid, slot,
                                          *start, stop, until.value_or(*start->t), &current));
    }
    for (const Fact& f : facts) {
      if (f.init) continue;
      const int64_t inst = f.previous ? previous : current;
      if (inst != 0) ETIOLOG_RETURN_IF_ERROR(Link(f.id, inst));
    }
    return Status::OK();
  }

  // Dates a log instance by a dump fact (dated_by 0: not), extends its
  // lifetime to last_us, and names it dump_name ("": as its log does).
  Status DateLogInstance(int64_t id, int64_t dated_by, std::optional<int64_t> first_us,
                         std::optional<int64_t> last_us, const std::string& dump_name) {
    if (dated_by == 0 && !last_us && dump_name.empty()) return Status::OK();
    if (!date_) {
      ETIOLOG_RETURN_IF_ERROR(
          Prepare(db_,
                  "UPDATE instances SET start_event_id = coalesce(?1, start_event_id), "
                  "dated_by = ?1, dump_first_us = ?2, dump_last_us = ?3, dump_name = ?4 "
                  "WHERE id = ?5",
                  "date instance", &date_));
    }
    Binds binds(date_.get());
    binds.NonZero(1, dated_by).Optional(2, first_us).Optional(3, last_us);
    if (dump_name.empty()) {
      binds.Null(4);
    } else {
      binds.Text(4, dump_name);
    }
    return binds.Int(5, id).Done(db_, "date instance");
  }

  // Adds an instance only dumps show, in stream_id unless that stream holds
  // log instances (a paste mixing a dump and logs of the same name).
  Status AddInstance(int64_t stream_id, int64_t seq, const std::string& name,
                     const std::string& component, int64_t pid, std::string slot, const Fact& start,
                     const Fact* stop, int64_t until_us, int64_t* id) {
    if (!stream_has_logs_) {
      ETIOLOG_RETURN_IF_ERROR(
          Prepare(db_,
                  "SELECT (SELECT slot FROM streams WHERE id = ?1), EXISTS (SELECT 1 FROM "
                  "instances WHERE stream_id = ?1 AND dump_only = 0)",
                  "dump stream", &stream_has_logs_));
      ETIOLOG_RETURN_IF_ERROR(Prepare(
          db_,
          "INSERT INTO instances(stream_id, seq, component, host, slot, name, pid, "
          "start_event_id, stop_event_id, events, first_event_us, last_event_us, dump_only, "
          "dated_by, dump_first_us, dump_last_us) VALUES(?1, ?2, ?3, ?4, ?5, ?4, ?6, ?7, ?8, "
          "0, ?9, ?10, 1, ?7, ?9, ?10)",
          "add dump instance", &add_));
    }
    std::string stream_slot;
    bool has_logs = true;
    ETIOLOG_RETURN_IF_ERROR(Binds(stream_has_logs_.get())
                                .Int(1, stream_id)
                                .Rows(db_, "dump stream", [&](sqlite3_stmt* q) {
                                  stream_slot = ColumnText(q, 0);
                                  has_logs = sqlite3_column_int(q, 1) != 0;
                                }));
    if (has_logs) return Status::OK();
    if (slot.empty()) slot = stream_slot;
    ETIOLOG_RETURN_IF_ERROR(Binds(add_.get())
                                .Int(1, stream_id)
                                .Int(2, (int64_t{1} << 40) + seq)
                                .Text(3, component)
                                .Text(4, name)
                                .Text(5, slot)
                                .NonZero(6, pid)
                                .Int(7, start.id)
                                .NonZero(8, stop != nullptr ? stop->id : 0)
                                .Int(9, *start.t)
                                .Int(10, std::max(until_us, *start.t))
                                .Done(db_, "add dump instance"));
    *id = sqlite3_last_insert_rowid(db_);
    return Status::OK();
  }

  Status Link(int64_t event_id, int64_t instance_id) {
    if (!link_) {
      ETIOLOG_RETURN_IF_ERROR(
          Prepare(db_, "UPDATE events SET instance_id = ? WHERE id = ?", "link dump fact", &link_));
    }
    return Binds(link_.get()).Int(1, instance_id).Int(2, event_id).Done(db_, "link dump fact");
  }

  sqlite3* db_;
  std::map<int64_t, std::optional<int64_t>> references_;  // By source id.
  std::vector<LogInstance> instances_;
  std::map<std::string, std::vector<size_t>> by_name_;  // Indices into instances_.
  std::map<int64_t, std::vector<size_t>> by_pid_;
  Stmt date_, stream_has_logs_, add_, link_;
};

}  // namespace

bool IsDumpKind(std::string_view kind) { return kind.size() > 5 && kind.substr(0, 5) == "dump."; }

Workload SplitWorkload(std::string_view name) {
  Workload out;
  const size_t dot = name.find('.');
  if (dot != std::string_view::npos && dot > 0) name = name.substr(0, dot);
  const size_t last = name.rfind('-');
  if (last != std::string_view::npos && last > 0) {
    const std::string_view suffix = name.substr(last + 1);
    const size_t prev = name.rfind('-', last - 1);
    if (prev != std::string_view::npos && prev > 0) {
      const std::string_view hash = name.substr(prev + 1, last - prev - 1);
      if (suffix.size() == 5 && IsLowerAlnum(suffix) && hash.size() >= 6 && hash.size() <= 10 &&
          IsLowerAlnum(hash)) {
        out.name.assign(name.substr(0, prev));
        out.template_hash.assign(hash);
        return out;
      }
    }
    if (IsDigits(suffix)) {
      out.name.assign(name.substr(0, last));
      return out;
    }
  }
  out.name.assign(name);
  return out;
}

Status PlaceDumpFacts(sqlite3* db) { return Placer(db).Run(); }

Status DeriveWorkloads(sqlite3* db) {
  Stmt q, u;
  ETIOLOG_RETURN_IF_ERROR(
      Prepare(db, "SELECT id, name, workload, template_hash FROM instances", "workloads", &q));
  ETIOLOG_RETURN_IF_ERROR(Prepare(
      db, "UPDATE instances SET workload = ?, template_hash = ? WHERE id = ?", "workloads", &u));
  struct Change {
    int64_t id;
    Workload w;
  };
  std::vector<Change> changes;
  ETIOLOG_RETURN_IF_ERROR(Binds(q.get()).Rows(db, "workloads", [&](sqlite3_stmt* r) {
    Workload w = SplitWorkload(ColumnText(r, 1));
    if (w.name != ColumnText(r, 2) || w.template_hash != ColumnText(r, 3)) {
      changes.push_back({sqlite3_column_int64(r, 0), std::move(w)});
    }
  }));
  for (const Change& c : changes) {
    ETIOLOG_RETURN_IF_ERROR(Binds(u.get())
                                .Text(1, c.w.name)
                                .Text(2, c.w.template_hash)
                                .Int(3, c.id)
                                .Done(db, "workloads"));
  }
  return Status::OK();
}

}  // namespace etiolog::db::internal
