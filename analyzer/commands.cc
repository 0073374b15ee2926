// SPDX-License-Identifier: Apache-2.0
#include "analyzer/commands.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "analyzer/diagnoser.h"
#include "analyzer/report.h"
#include "db/store.h"
#include "rules/matcher.h"
#include "rules/pack.h"

namespace etiolog::analyzer {

std::vector<std::string> ExpandPaths(const std::vector<std::string>& paths,
                                     std::vector<std::string>* errors) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      out.push_back(p);
      continue;
    }
    std::vector<std::string> files;
    fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code fec;
      if (it->is_regular_file(fec)) files.push_back(it->path().string());
    }
    if (ec) errors->push_back(p + ": " + ec.message());
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

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
  std::vector<std::string> files = ExpandPaths(options.paths, &run.stats.errors);
  Pipeline pipeline(matcher->get(), store->get(), options.ingest);
  for (const std::string& f : files) {
    Status st = pipeline.IngestPath(f, &run.stats);
    if (!st.ok()) {
      err << "etiolog: " << st.message() << "\n";
      return kExitFatal;
    }
  }
  for (const std::string& e : run.stats.errors) err << "etiolog: " << e << "\n";
  if (run.stats.sources == 0 && !run.stats.errors.empty()) {
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
    out << RenderText(*findings, quiet);
  }
  if (!run.stats.errors.empty()) return kExitPartial;
  if (options.fail_on_finding && !findings->empty()) return kExitFinding;
  return kExitOk;
}

}  // namespace etiolog::analyzer
