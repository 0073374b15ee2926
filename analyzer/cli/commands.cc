// SPDX-License-Identifier: Apache-2.0
#include "analyzer/cli/commands.h"

#include <chrono>
#include <cstdio>

#include "analyzer/cli/exit_codes.h"
#include "analyzer/diagnosis/diagnoser.h"
#include "analyzer/report/report.h"
#include "analyzer/sinks/output.h"
#include "db/store.h"
#include "rules/matcher.h"
#include "rules/pack.h"

namespace etiolog::analyzer {

int IngestInputs(const std::vector<std::string>& paths, const std::vector<ProcessIdentity>& labels,
                 const ingest::EnumerateOptions& enumerate, Pipeline* pipeline, IngestStats* stats,
                 std::ostream& err) {
  std::vector<ingest::InputSpec> given;
  for (size_t i = 0; i < paths.size(); ++i) {
    given.push_back({paths[i], i < labels.size() ? labels[i] : ProcessIdentity()});
  }
  ingest::Enumeration inputs = ingest::EnumerateInputs(given, enumerate);
  stats->errors = std::move(inputs.errors);
  if (Status st = pipeline->Run(inputs.inputs, stats); !st.ok()) {
    err << "etiolog: " << st.message() << "\n";
    return kExitFatal;
  }
  for (const std::string& e : stats->errors) err << "etiolog: " << e << "\n";
  for (const std::string& w : stats->warnings) err << "etiolog: warning: " << w << "\n";
  if (stats->sources == 0 && stats->lines == 0 && !stats->errors.empty()) {
    err << "etiolog: no input could be read\n";
    return kExitFatal;
  }
  return kExitOk;
}

namespace {

// Wall time of the stages of a run, for --timings.
class StageClock {
 public:
  // Ends the current stage (begun at construction or by the last Lap).
  double Lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

int RunAnalyze(const AnalyzeOptions& options, std::ostream& out, std::ostream& err) {
  StageClock clock;
  LoadedRules loaded;
  if (!LoadRulesOrReport({options.builtin_rules, options.default_rules, options.rule_files}, err,
                         &loaded)) {
    return kExitUsage;
  }
  std::vector<rules::Cause> causes = loaded.packs.causes;
  Result<std::unique_ptr<db::Store>> store = db::Store::Open(options.db_path);
  if (!store.ok()) {
    err << "etiolog: " << store.status().message() << "\n";
    return kExitFatal;
  }
  RunSummary run;
  run.packs = loaded.packs.files;
  const double load_s = clock.Lap();
  Pipeline pipeline(loaded.matcher.get(), store->get(), options.ingest);
  if (int rc = IngestInputs(options.paths, options.labels, options.enumerate, &pipeline, &run.stats,
                            err);
      rc != kExitOk) {
    return rc;
  }
  const double ingest_s = clock.Lap();
  Status st = (*store)->BuildTimeline();
  if (!st.ok()) {
    err << "etiolog: " << st.message() << "\n";
    return kExitFatal;
  }
  const double timeline_s = clock.Lap();
  DiagnoseOptions dopt;
  dopt.min_confidence = options.min_confidence;
  dopt.explain = options.explain;
  dopt.query_step_limit = options.query_step_limit;
  Diagnoser diagnoser(std::move(causes), dopt);
  Result<Verdict> verdict = diagnoser.Run(**store);
  if (!verdict.ok()) {
    // Only the store failing ends the diagnosis (a cause whose SQL fails is
    // skipped, below).
    err << "etiolog: " << verdict.status().message() << "\n";
    return kExitFatal;
  }
  for (const CauseError& e : verdict->cause_errors) {
    err << "etiolog: " << e.message << " (cause skipped)\n";
    run.cause_errors.push_back(e.message);
  }
  Result<std::string> deployment = Diagnoser::DetectDeployment(**store);
  run.deployment = deployment.ok() ? *deployment : "default";
  st = SaveVerdict(*verdict, RunSummaryJson(run), store->get());
  if (!st.ok()) {
    err << "etiolog: " << st.message() << "\n";
    return kExitFatal;
  }
  OutputOptions output = options.output;
  output.report.redactor = loaded.matcher.get();
  output.report.explain = options.explain;
  RunSummary shown = run;
  if (output.report.format == ReportFormat::kText && output.to_dir.empty()) {
    shown.stats.errors.clear();  // Already on stderr.
    shown.stats.warnings.clear();
    shown.cause_errors.clear();
  }
  const double diagnosis_s = clock.Lap();
  const bool delivered = EmitVerdict(*verdict, shown, output, out, err);
  if (options.timings) {
    char line[200];
    std::snprintf(line, sizeof line,
                  "etiolog: timings: ingest %.3f s, timeline %.3f s, diagnosis %.3f s, report "
                  "%.3f s (packs %.3f s)\n",
                  ingest_s, timeline_s, diagnosis_s, clock.Lap(), load_s);
    err << line;
  }
  if (!delivered) return kExitDelivery;
  // Unread inputs and skipped causes alike: what was reported is true but
  // not the whole story.
  if (!run.stats.errors.empty() || !run.cause_errors.empty()) return kExitPartial;
  // Risks alone do not fail a run: nothing is wrong yet.
  if (options.fail_on_finding && !verdict->findings.empty()) return kExitFinding;
  return kExitOk;
}

int TailExitCode(TailEnd end) {
  switch (end) {
    case TailEnd::kStopped:
      return kExitOk;
    case TailEnd::kBadPacks:
      return kExitUsage;
    case TailEnd::kInputFailed:
      return kExitPartial;
    case TailEnd::kFailed:
      return kExitFatal;
    case TailEnd::kNotDelivered:
      return kExitDelivery;
  }
  return kExitFatal;
}

int StatusExitCode(TailHealth health) {
  switch (health) {
    case TailHealth::kHealthy:
      return kExitOk;
    case TailHealth::kUnhealthy:
      return kExitFinding;
    case TailHealth::kUnreadable:
      return kExitFatal;
  }
  return kExitFatal;
}

}  // namespace etiolog::analyzer
