// SPDX-License-Identifier: Apache-2.0
//
// Diagnosis benchmark: fills a store (a temporary file, as `etiolog analyze`
// uses) with N realistic events of a week-long incident, then times
// BuildTimeline() and Diagnose() with the built-in causes. The peer,
// measured in the same run on the same store, is one full scan of the
// events table (SELECT count(*), sum(length(text))): what any diagnosis
// that looked at every event would at least cost.
//
// The incident: 3 api-server replicas, 2 schedulers, a dag-processor, a
// triggerer and 6 workers, each in its own log file, each restarting once
// a day and generating its own JWT key; UI and Execution API signature
// failures with their 403 access lines, expired tokens, log-server
// failures, auth-manager markers. Deterministic (fixed seed).
//
// Usage: diagnosis_bench [EVENTS...]   (default: 100000 1000000)
//        ETIOLOG_BENCH_STORE=DIR keeps the stores in DIR for inspection.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "analyzer/diagnosis/diagnoser.h"
#include "db/store.h"
#include "rules/pack.h"

namespace {

using etiolog::Result;
using etiolog::Status;
using etiolog::db::Event;
using etiolog::db::Store;

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void Die(const Status& st, const char* what) {
  if (st.ok()) return;
  std::fprintf(stderr, "diagnosis_bench: %s: %s\n", what, st.ToString().c_str());
  std::exit(1);
}

struct Process {
  std::string host, component, file;
};

// One event kind a process emits, with its relative weight.
struct Emission {
  const char* kind;
  const char* surface;
  const char* rule;
  const char* text;
  int weight;
};

const std::vector<Emission>& EmissionsOf(const std::string& component) {
  static const std::vector<Emission> api = {
      {"auth.signature_failure", "ui", "airflow.ui.signature_failure",
       "2025-12-07T15:56:23.562782Z [error    ] JWT token is not valid: Signature verification "
       "failed [airflow.api_fastapi.auth.managers.base_auth_manager] loc=base_auth_manager.py:107",
       30},
      {"http.denied", "ui", "uvicorn.access.denied.ui",
       "INFO:     172.18.0.1:34372 - \"GET /api/v2/dags?limit=50&offset=0 HTTP/1.1\" 403 "
       "Forbidden",
       30},
      {"auth.validation_failure", "execution_api", "airflow.execution_api.validation_failure",
       "2025-12-07T15:56:24.104233Z [warning  ] Failed to validate JWT         "
       "[airflow.api_fastapi.execution_api.deps] loc=deps.py:88",
       15},
      {"http.denied", "execution_api", "uvicorn.access.denied.execution_api",
       "INFO:     172.19.0.8:56734 - \"PATCH /execution/task-instances/"
       "0198e1c2-5b7a-7c3e-9a51-3f5d7c2b1a90/run HTTP/1.1\" 403 Forbidden",
       15},
      {"auth.token_expired", "ui", "airflow.ui.token_expired",
       "2026-01-08T04:22:38.922415Z [error    ] JWT token is not valid: Signature has expired "
       "[airflow.api_fastapi.auth.managers.base_auth_manager] loc=base_auth_manager.py:107",
       3},
      {"auth_manager.simple", "", "airflow.simple.token_login",
       "INFO:     172.18.0.1:34366 - \"POST /auth/token HTTP/1.1\" 201 Created", 2},
      {"log_server.fetch_failed", "log_server", "airflow.log_server.fetch_failed",
       "2025-12-07T15:57:01.000000Z [error    ] Could not read served logs "
       "[airflow.utils.log.file_task_handler] loc=file_task_handler.py:512",
       1},
  };
  static const std::vector<Emission> worker = {
      {"auth.signature_failure", "execution_api", "airflow.execution_api.signature_failure",
       "airflow.sdk.api.client.ServerResponseError: Invalid auth token: Signature verification "
       "failed",
       40},
      {"task.failed", "", "airflow.task.process_killed",
       "2025-07-23 01:27:58 [info     ] Process exited                 [supervisor] "
       "exit_code=<Negsignal.SIGKILL: -9> pid=1258981 signal_sent=SIGKILL",
       40},
      {"auth.signature_failure", "log_server", "airflow.log_server.signature_wrong",
       "[2025-12-07T15:57:01.112+0000] {log_server.py:103} WARNING - The signature of the "
       "request was wrong",
       2},
  };
  static const std::vector<Emission> other = {
      {"task.failed", "", "airflow.task.process_killed",
       "2025-07-23 01:27:58 [info     ] Process exited                 [supervisor] "
       "exit_code=<Negsignal.SIGKILL: -9> pid=1258981 signal_sent=SIGKILL",
       1},
  };
  if (component == "api-server") return api;
  if (component == "worker") return worker;
  return other;
}

Event MakeEvent(const Process& p, const char* kind, const char* surface, const char* rule,
                const std::string& text, uint64_t offset, uint64_t line, int64_t t, int64_t pid) {
  Event e;
  e.record.offset = offset;
  e.record.line = line;
  e.record.time_us = t;
  e.record.time_quality = etiolog::TimeQuality::kExact;
  e.record.level = etiolog::Level::kError;
  e.record.format = "structlog";
  e.record.process.host = p.host;
  e.record.process.component = p.component;
  e.record.process.pid = pid;
  e.record.message = text.size() > 60 ? text.substr(0, 60) : text;
  e.record.text = p.host + "  | " + text;
  e.kind = kind;
  e.rule = rule;
  e.surface = surface;
  e.severity = "error";
  return e;
}

// Appends about n events to store; returns the number appended.
int64_t Fill(Store* store, int64_t n) {
  std::vector<Process> procs;
  for (int i = 1; i <= 3; ++i) {
    procs.push_back({"airflow-apiserver-" + std::to_string(i), "api-server", "apiserver"});
  }
  for (int i = 1; i <= 2; ++i) {
    procs.push_back({"airflow-scheduler-" + std::to_string(i), "scheduler", "scheduler"});
  }
  procs.push_back({"airflow-dag-processor-1", "dag-processor", "dag-processor"});
  procs.push_back({"airflow-triggerer-1", "triggerer", "triggerer"});
  for (int i = 1; i <= 6; ++i) {
    procs.push_back({"airflow-worker-" + std::to_string(i), "worker", "worker"});
  }
  const int days = 7;
  const int64_t t0 = int64_t{1765100000} * 1000000;
  const int64_t day_us = int64_t{86400} * 1000000;
  // Share of the events per process: api-servers and workers carry the
  // failures; the others only start and stop.
  int64_t weight_sum = 0;
  for (const Process& p : procs) weight_sum += p.component == "api-server" ? 10 : 4;
  std::mt19937_64 rng(20251207);
  int64_t total = 0;
  for (size_t pi = 0; pi < procs.size(); ++pi) {
    const Process& p = procs[pi];
    Result<etiolog::db::SourceInfo> src =
        store->AddSource("/var/log/airflow/" + p.host + "/" + p.file + ".log");
    Die(src.status(), "add source");
    const int64_t share = n * (p.component == "api-server" ? 10 : 4) / weight_sum;
    const int64_t per_day = share / days;
    const std::vector<Emission>& em = EmissionsOf(p.component);
    int weights = 0;
    for (const Emission& e : em) weights += e.weight;
    std::vector<Event> batch;
    uint64_t offset = 0, line = 0;
    for (int d = 0; d < days; ++d) {
      const int64_t pid = 7 + d;
      int64_t t = t0 + d * day_us + static_cast<int64_t>(pi) * 1000000;
      auto push = [&](Event e) {
        batch.push_back(std::move(e));
        if (batch.size() == 4096) {
          Die(store->AppendEvents(src->id, batch, offset, line), "append");
          total += static_cast<int64_t>(batch.size());
          batch.clear();
        }
      };
      offset += 180;
      ++line;
      Event key = MakeEvent(p, "key.generated", "", "airflow.key.generated",
                            "2025-12-07T15:50:01.104233Z [warning  ] `api_auth/jwt_secret` was "
                            "empty, using a generated one for now. Please set this in your config "
                            "[airflow.api_fastapi.auth.tokens] loc=tokens.py:581",
                            offset, line, t, 0);
      key.captures = {{"section", "api_auth"}, {"option", "jwt_secret"}};
      push(std::move(key));
      offset += 180;
      ++line;
      push(MakeEvent(p, "process.start", "", "uvicorn.server_process.start",
                     "INFO:     Started server process [" + std::to_string(pid) + "]", offset, line,
                     t + 1000, pid));
      const int64_t step = (day_us - 2000000) / std::max<int64_t>(per_day, 1);
      for (int64_t k = 0; k < per_day; ++k) {
        t += step / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(step));
        int r = static_cast<int>(rng() % static_cast<uint64_t>(weights));
        const Emission* pick = &em[0];
        for (const Emission& e : em) {
          if (r < e.weight) {
            pick = &e;
            break;
          }
          r -= e.weight;
        }
        offset += 100 + rng() % 200;
        line += 1 + rng() % 3;
        push(MakeEvent(p, pick->kind, pick->surface, pick->rule, pick->text, offset, line, t, 0));
      }
    }
    if (!batch.empty()) {
      Die(store->AppendEvents(src->id, batch, offset, line), "append");
      total += static_cast<int64_t>(batch.size());
    }
    Die(store->UpdateSourceStats(src->id, t0, t0 + days * day_us, 0, 0), "source stats");
  }
  return total;
}

// The SQLite steps (what Store::Options::query_step_limit counts) of the
// largest query of cause: its detect, and its evidence queries run with the
// columns of each detect row, as the Diagnoser runs them.
uint64_t MostSteps(const Store& store, const etiolog::rules::Cause& cause) {
  Result<etiolog::db::Table> rows = store.Query(cause.detect, {{"cause", cause.id}}, "detect");
  Die(rows.status(), "detect");
  uint64_t most = rows->steps;
  for (const auto& row : rows->rows) {
    std::map<std::string, etiolog::db::Value> params{{"cause", cause.id}};
    for (size_t c = 0; c < rows->columns.size(); ++c) params[rows->columns[c]] = row[c];
    for (const auto& q : cause.evidence) {
      Result<etiolog::db::Table> ids = store.Query(q.sql, params, "evidence");
      Die(ids.status(), "evidence");
      most = std::max(most, ids->steps);
    }
  }
  return most;
}

void Run(int64_t n, const std::vector<etiolog::rules::Cause>& causes) {
  // ETIOLOG_BENCH_STORE=DIR keeps each store as DIR/<n>.db, for sqlite3.
  const char* keep = std::getenv("ETIOLOG_BENCH_STORE");
  const std::string path = keep ? std::string(keep) + "/" + std::to_string(n) + ".db" : "";
  if (!path.empty()) std::remove(path.c_str());
  Result<std::unique_ptr<Store>> store = Store::Open(path);
  Die(store.status(), "open store");
  const auto a = Clock::now();
  const int64_t events = Fill(store->get(), n);
  const auto b = Clock::now();
  Die((*store)->BuildTimeline(), "build timeline");
  const auto c = Clock::now();
  etiolog::analyzer::Diagnoser diagnoser(causes);
  Result<std::vector<etiolog::analyzer::Finding>> findings = diagnoser.Diagnose(**store);
  Die(findings.status(), "diagnose");
  const auto d = Clock::now();
  Result<etiolog::db::Table> scan =
      (*store)->Query("SELECT count(*), sum(length(text)) FROM events", {}, "scan");
  Die(scan.status(), "scan");
  const auto e = Clock::now();
  Die((*store)->BuildTimeline(), "build timeline (again)");
  Result<std::vector<etiolog::analyzer::Finding>> again = diagnoser.Diagnose(**store);
  Die(again.status(), "diagnose (again)");
  const auto f = Clock::now();
  Result<etiolog::db::Table> counts = (*store)->Query(
      "SELECT (SELECT count(*) FROM instances), (SELECT count(*) FROM failure_bursts)", {},
      "counts");
  Die(counts.status(), "counts");
  const double build = Seconds(b, c), diag = Seconds(c, d), full = Seconds(d, e);
  std::printf(
      "events=%lld instances=%s bursts=%s findings=%zu\n"
      "  append (ingest side)      %8.3f s  (%.0f events/s)\n"
      "  BuildTimeline             %8.3f s\n"
      "  Diagnose (%2zu causes)      %8.3f s\n"
      "  BuildTimeline + Diagnose  %8.3f s  (second run, warm: %.3f s)\n"
      "  peer: full scan of events %8.3f s\n"
      "  ratio (timeline+diagnosis) / full scan = %.3f\n",
      static_cast<long long>(events), etiolog::db::ValueToString(counts->rows[0][0]).c_str(),
      etiolog::db::ValueToString(counts->rows[0][1]).c_str(), findings->size(), Seconds(a, b),
      static_cast<double>(events) / Seconds(a, b), build, causes.size(), diag, build + diag,
      Seconds(e, f), full, (build + diag) / full);
  for (const auto& finding : *findings) {
    std::printf("    %-32s %-14s %.2f\n", finding.cause.c_str(), finding.surface.c_str(),
                finding.confidence);
  }
  std::printf("  per cause (detect + evidence; SQLite steps of its largest query):\n");
  uint64_t most = 0;
  for (const auto& cause : causes) {
    etiolog::analyzer::Diagnoser one({cause});
    const auto g = Clock::now();
    Result<std::vector<etiolog::analyzer::Finding>> r = one.Diagnose(**store);
    Die(r.status(), "diagnose one cause");
    const double took = Seconds(g, Clock::now());
    const uint64_t steps = MostSteps(**store, cause);
    most = std::max(most, steps);
    std::printf("    %-32s %8.3f s %12llu steps\n", cause.id.c_str(), took,
                static_cast<unsigned long long>(steps));
  }
  std::printf("  largest query: %llu steps; the store's default limit: %llu (%.0fx)\n",
              static_cast<unsigned long long>(most),
              static_cast<unsigned long long>(Store::kDefaultQueryStepLimit),
              static_cast<double>(Store::kDefaultQueryStepLimit) /
                  static_cast<double>(std::max<uint64_t>(most, 1)));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoll(argv[i]));
  if (sizes.empty()) sizes = {100000, 1000000};
  Result<etiolog::rules::PackSet> packs = etiolog::rules::LoadPacks(
      etiolog::rules::LoadOptions{.builtin = true, .default_dirs = false, .paths = {}});
  Die(packs.status(), "load packs");
  for (int64_t n : sizes) Run(n, packs->causes);
  return 0;
}
