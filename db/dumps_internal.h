// SPDX-License-Identifier: Apache-2.0
//
// State dumps in the timeline. Rules of kind `dump.*` read the output of
// `kubectl get pods`, `kubectl describe pod`, `helm history`, `docker ps`,
// `docker compose ps` and `systemctl status`: facts about when a named
// process started or stopped, and deploy records. Such a fact is not a line
// a process logged, so it is not placed by the per-stream state machine
// (timeline.cc): a dump lists its processes in any order, a describe block
// states the current container before the previous one, and a relative
// time ("12m") is only known once the moment the dump was taken is. Instead
// Timeline::Finalize() runs PlaceDumpFacts() over all of them, then derives
// lifetimes and rollouts as for any instance. docs/store-schema.md ("State
// dumps") describes the rules; dumps.cc the algorithm.
//
// Thread safety: used by the Timeline only, one thread at a time.

#ifndef ETIOLOG_DB_DUMPS_INTERNAL_H_
#define ETIOLOG_DB_DUMPS_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "db/sqlite_internal.h"
#include "ingest/status.h"

namespace etiolog::db::internal {

// Kinds of state-dump facts: "dump." and a word.
bool IsDumpKind(std::string_view kind);

// A dump fact states a start this far after the first line its process
// logged, or after that process stopped, and still names it (clock and
// rounding slack): two minutes for a printed date; for an age, ten
// minutes or the age's resolution, whichever is more.
inline constexpr int64_t kDumpDateSlackUs = int64_t{2} * 60 * 1000000;
inline constexpr int64_t kDumpAgeSlackUs = int64_t{10} * 60 * 1000000;

// The workload a process belongs to, from its name:
//   Deployment pod   airflow-api-server-6d8f7b9c5d-2xkqp  -> airflow-api-server, 6d8f7b9c5d
//   StatefulSet pod  airflow-scheduler-0                  -> airflow-scheduler, ""
//   compose          airflow-airflow-apiserver-1          -> airflow-airflow-apiserver, ""
//   file, unit       airflow-worker-0.log, airflow-scheduler.service
//                    (the name up to its first '.', then as above)
// The template hash (a Deployment pod's ReplicaSet hash) is "" when the
// name has none.
struct Workload {
  std::string name;
  std::string template_hash;
};
Workload SplitWorkload(std::string_view process_name);

// Undoes what the previous run did (instances added by dumps, instances
// dated by them, facts linked to instances), sets each dump source's
// reference (sources.reference_us: when the dump was taken), dates the
// facts printed relative to it, and places every fact that names a process
// (captures host): it dates the log instance of that process when its log
// does not show its start, extends its lifetime to when the dump saw it
// running, or adds the instances no log shows. Linear in dump facts plus
// instances. REQUIRES: inside a write transaction; instance rows of log
// streams flushed.
Status PlaceDumpFacts(sqlite3* db);

// Sets instances.workload and template_hash from instances.name (derived
// first). Linear in instances; writes only rows that change.
Status DeriveWorkloads(sqlite3* db);

}  // namespace etiolog::db::internal

#endif  // ETIOLOG_DB_DUMPS_INTERNAL_H_
