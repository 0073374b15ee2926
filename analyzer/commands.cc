// SPDX-License-Identifier: Apache-2.0
#include "analyzer/commands.h"

#include "analyzer/diagnoser.h"
#include "analyzer/report.h"
#include "db/store.h"
#include "rules/matcher.h"
#include "rules/pack.h"

namespace etiolog::analyzer {

int RunAnalyze(const AnalyzeOptions& options, std::ostream& out, std::ostream& err) {
  Result<rules::PackSet> packs = rules::LoadPacks(options.builtin_rules, options.rule_files);
  if (!packs.ok()) {
    err << "etiolog: " << packs.status().message() << "\n";
    return kExitUsage;
  }
  std::vector<rules::Cause> causes = packs->causes;
  Result<std::unique_ptr<rules::Matcher>> matcher =
      rules::Matcher::Create(std::move(packs->rules), packs->redactions);
  if (!matcher.ok()) {
    err << "etiolog: " << matcher.status().message() << "\n";
    return kExitUsage;
  }
  Result<std::unique_ptr<db::Store>> store = db::Store::Open(options.db_path);
  if (!store.ok()) {
    err << "etiolog: " << store.status().message() << "\n";
    return kExitFatal;
  }
  RunSummary run;
  run.packs = packs->files;
  std::vector<ingest::InputSpec> given;
  for (size_t i = 0; i < options.paths.size(); ++i) {
    given.push_back(
        {options.paths[i], i < options.labels.size() ? options.labels[i] : ProcessIdentity()});
  }
  ingest::Enumeration inputs = ingest::EnumerateInputs(given, options.enumerate);
  run.stats.errors = std::move(inputs.errors);
  Pipeline pipeline(matcher->get(), store->get(), options.ingest);
  if (Status st = pipeline.Run(inputs.inputs, &run.stats); !st.ok()) {
    err << "etiolog: " << st.message() << "\n";
    return kExitFatal;
  }
  for (const std::string& e : run.stats.errors) err << "etiolog: " << e << "\n";
  for (const std::string& w : run.stats.warnings) err << "etiolog: warning: " << w << "\n";
  if (run.stats.sources == 0 && run.stats.lines == 0 && !run.stats.errors.empty()) {
    err << "etiolog: no input could be read\n";
    return kExitFatal;
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
  st = SaveFindings(*findings, store->get());
  if (!st.ok()) {
    err << "etiolog: " << st.message() << "\n";
    return kExitFatal;
  }
  Result<std::string> deployment = Diagnoser::DetectDeployment(**store);
  run.deployment = deployment.ok() ? *deployment : "default";
  if (options.format == "json") {
    out << RenderJson(*findings, run);
  } else {
    RunSummary quiet = run;
    quiet.stats.errors.clear();  // Already on stderr.
    quiet.stats.warnings.clear();
    out << RenderText(*findings, quiet);
  }
  if (!run.stats.errors.empty()) return kExitPartial;
  if (options.fail_on_finding && !findings->empty()) return kExitFinding;
  return kExitOk;
}

}  // namespace etiolog::analyzer
