// SPDX-License-Identifier: Apache-2.0
//
// `etiolog report`, which feeds the output path of analyze
// (analyzer/sinks/output.h) from a store instead of from logs.

#include <algorithm>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "analyzer/diagnosis/diagnoser.h"
#include "analyzer/report/report.h"
#include "analyzer/sinks/output.h"
#include "db/store.h"

namespace etiolog::analyzer {

int RunReport(const ReportCommandOptions& options, std::ostream& out, std::ostream& err) {
  LoadedRules loaded;
  if (!LoadRulesOrReport({options.builtin_rules, options.default_rules, options.rule_files}, err,
                         &loaded)) {
    return kExitUsage;
  }
  db::Store::Options store_options;
  store_options.create_if_missing = false;
  Result<std::unique_ptr<db::Store>> store = db::Store::Open(options.db_path, store_options);
  if (!store.ok()) {
    err << "etiolog report: " << store.status().message() << "\n";
    return kExitFatal;
  }
  std::string run_json;
  Result<Verdict> verdict = LoadVerdict(**store, &run_json);
  if (!verdict.ok()) {
    err << "etiolog report: " << options.db_path << ": " << verdict.status().message();
    if (verdict.status().code() == Status::Code::kNotFound) {
      err << " (write one with: etiolog analyze --db " << options.db_path << " PATH...)";
    }
    err << "\n";
    return kExitFatal;
  }
  Result<RunSummary> run = ParseRunSummaryJson(run_json);
  if (!run.ok()) {
    err << "etiolog report: " << options.db_path << ": " << run.status().message() << "\n";
    return kExitFatal;
  }
  std::vector<Finding>& findings = verdict->findings;
  findings.erase(
      std::remove_if(findings.begin(), findings.end(),
                     [&](const Finding& f) { return f.confidence < options.min_confidence; }),
      findings.end());
  bool partial = false;  // A cause failed when run again for --explain.
  if (options.explain) {
    // The store keeps findings, not what was considered: run the causes again
    // on its events and take the alternatives of the findings it kept.
    DiagnoseOptions dopt;
    dopt.min_confidence = options.min_confidence;
    dopt.explain = true;
    Diagnoser diagnoser(loaded.packs.causes, dopt);
    Result<Verdict> again = diagnoser.Run(**store);
    if (!again.ok()) {
      err << "etiolog report: " << again.status().message() << "\n";
      return kExitFatal;
    }
    // A cause whose SQL fails is left out of the alternatives (it is listed
    // there as "error"); the stored findings are shown as they were.
    for (const CauseError& e : again->cause_errors) {
      err << "etiolog report: " << e.message << " (cause skipped)\n";
    }
    partial = !again->cause_errors.empty();
    std::map<std::string, std::vector<Alternative>> by_fingerprint;
    for (Finding& f : again->findings) by_fingerprint[f.fingerprint] = std::move(f.alternatives);
    for (Finding& f : findings) {
      auto it = by_fingerprint.find(f.fingerprint);
      if (it != by_fingerprint.end()) f.alternatives = it->second;
    }
    verdict->considered = std::move(again->considered);
  }
  OutputOptions output = options.output;
  output.report.redactor = loaded.matcher.get();
  output.report.explain = options.explain;
  if (!EmitVerdict(*verdict, *run, output, out, err)) return kExitDelivery;
  return partial ? kExitPartial : kExitOk;
}

}  // namespace etiolog::analyzer
