// SPDX-License-Identifier: Apache-2.0
#include "analyzer/commands.h"

#include "analyzer/diagnoser.h"
#include "analyzer/report.h"
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

Result<Verdict> DiagnoseStore(db::Store* store, std::vector<rules::Cause> causes,
                              const DiagnoseOptions& options) {
  ETIOLOG_RETURN_IF_ERROR(store->BuildTimeline());
  Diagnoser diagnoser(std::move(causes), options);
  return diagnoser.Run(*store);
}

int RunAnalyze(const AnalyzeOptions& options, std::ostream& out, std::ostream& err) {
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
  Pipeline pipeline(loaded.matcher.get(), store->get(), options.ingest);
  if (int rc = IngestInputs(options.paths, options.labels, options.enumerate, &pipeline, &run.stats,
                            err);
      rc != kExitOk) {
    return rc;
  }
  DiagnoseOptions dopt;
  dopt.min_confidence = options.min_confidence;
  dopt.explain = options.explain;
  Result<Verdict> verdict = DiagnoseStore(store->get(), std::move(causes), dopt);
  if (!verdict.ok()) {
    err << "etiolog: " << verdict.status().message() << "\n";
    // A cause whose SQL fails is a bug in a pack (usage); the store failing is fatal.
    return verdict.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFatal;
  }
  Result<std::string> deployment = Diagnoser::DetectDeployment(**store);
  run.deployment = deployment.ok() ? *deployment : "default";
  Status st = SaveVerdict(*verdict, RunSummaryJson(run), store->get());
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
  }
  if (EmitVerdict(*verdict, shown, output, out, err) != kExitOk) return kExitDelivery;
  if (!run.stats.errors.empty()) return kExitPartial;
  // Risks alone do not fail a run: nothing is wrong yet.
  if (options.fail_on_finding && !verdict->findings.empty()) return kExitFinding;
  return kExitOk;
}

}  // namespace etiolog::analyzer
