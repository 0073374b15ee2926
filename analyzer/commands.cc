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
  Status st = (*store)->BuildTimeline();
  if (!st.ok()) {
    err << "etiolog: " << st.message() << "\n";
    return kExitFatal;
  }
  DiagnoseOptions dopt;
  dopt.min_confidence = options.min_confidence;
  Diagnoser diagnoser(std::move(causes), dopt);
  Result<std::vector<Finding>> findings = diagnoser.Diagnose(**store);
  if (!findings.ok()) {
    err << "etiolog: " << findings.status().message() << "\n";
    return kExitUsage;
  }
  Result<std::string> deployment = Diagnoser::DetectDeployment(**store);
  run.deployment = deployment.ok() ? *deployment : "default";
  st = SaveFindings(*findings, RunSummaryJson(run), store->get());
  if (!st.ok()) {
    err << "etiolog: " << st.message() << "\n";
    return kExitFatal;
  }
  OutputOptions output = options.output;
  output.report.redactor = loaded.matcher.get();
  RunSummary shown = run;
  if (output.report.format == ReportFormat::kText && output.to_dir.empty()) {
    shown.stats.errors.clear();  // Already on stderr.
    shown.stats.warnings.clear();
  }
  if (EmitFindings(*findings, shown, output, out, err) != kExitOk) return kExitDelivery;
  if (!run.stats.errors.empty()) return kExitPartial;
  if (options.fail_on_finding && !findings->empty()) return kExitFinding;
  return kExitOk;
}

}  // namespace etiolog::analyzer
