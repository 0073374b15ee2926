// SPDX-License-Identifier: Apache-2.0
//
// What a log file's path says about the process that wrote it.
//
//   Kubernetes, kubelet layout   .../pods/<namespace>_<pod>_<uid>/<container>/<n>.log
//   Kubernetes, symlink layout   .../containers/<pod>_<namespace>_<container>-<id>.log
//   Docker json-file             .../containers/<id>/<id>-json.log  (host: short id)
//   Airflow task logs .../dag_id=<d>/run_id=<r>/task_id=<t>/[map_index=<m>/]attempt=<n>.log Airflow
//   logs folder          .../logs/scheduler/..., .../dag_processor_manager/..., ... anything else
//   a component name anywhere in the path
//                                ("airflow-scheduler-0.log", "api-server/1.log")
// The path may be an archive member name ("bundle.tgz:var/log/pods/...").
// Host is the pod for Kubernetes paths; component is one of "api-server",
// "scheduler", "dag-processor", "triggerer", "worker" or "" (unknown).
//
// Thread safety: pure functions.

#ifndef ETIOLOG_INGEST_PATH_IDENTITY_H_
#define ETIOLOG_INGEST_PATH_IDENTITY_H_

#include <string_view>

#include "ingest/record.h"

namespace etiolog::ingest {

// The process identity the path implies; empty fields where it says nothing.
ProcessIdentity IdentityFromPath(std::string_view path);

// Guesses the Airflow component from a name: a compose service
// ("airflow-apiserver-1"), a file path (".../scheduler/0.log") or a logger
// ("airflow.jobs.scheduler_job_runner"). Returns "" when nothing fits.
std::string_view InferComponent(std::string_view name);

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_PATH_IDENTITY_H_
