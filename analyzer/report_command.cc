// SPDX-License-Identifier: Apache-2.0
//
// The one output path of analyze and report (EmitFindings: filter, render,
// deliver), and `etiolog report`, which feeds it from a store instead of
// from logs.

#include <algorithm>
#include <iterator>
#include <map>

#include "analyzer/commands.h"
#include "analyzer/diagnoser.h"
#include "analyzer/dir_sink.h"
#include "analyzer/http_sink.h"
#include "analyzer/report.h"
#include "db/store.h"

namespace etiolog::analyzer {

Status CheckOutputOptions(const OutputOptions& options) {
  const bool post = !options.post.url.empty();
  if (post && !options.to_dir.empty()) {
    return Status::InvalidArgument("--to and --post exclude each other: run twice for both");
  }
  if (options.prune && options.to_dir.empty()) {
    return Status::InvalidArgument("--prune applies to a ticket directory: give --to DIR");
  }
  if (!post && !options.post.headers.empty()) {
    return Status::InvalidArgument("--header applies to --post URL");
  }
  if (post && !IsJsonFormat(options.report.format)) {
    return Status::InvalidArgument("--post sends JSON: use --format json, github or jira");
  }
  if (options.report.format == ReportFormat::kJira && options.report.jira_project.empty()) {
    return Status::InvalidArgument("--format jira needs --jira-project KEY");
  }
  if (post) return CheckHttpSinkOptions(options.post);
  return Status::OK();
}

int EmitFindings(const std::vector<Finding>& findings, const RunSummary& run,
                 const OutputOptions& options, std::ostream& out, std::ostream& err) {
  return EmitVerdict(Verdict{findings, {}, {}, {}}, run, options, out, err);
}

int EmitVerdict(const Verdict& all, const RunSummary& run, const OutputOptions& options,
                std::ostream& out, std::ostream& err) {
  Verdict verdict;
  auto shown = [&](const Finding& f) { return options.cause.empty() || f.cause == options.cause; };
  std::copy_if(all.findings.begin(), all.findings.end(), std::back_inserter(verdict.findings),
               shown);
  std::copy_if(all.risks.begin(), all.risks.end(), std::back_inserter(verdict.risks), shown);
  verdict.considered = all.considered;
  const std::vector<Finding>& findings = verdict.findings;
  if (options.to_dir.empty() && options.post.url.empty()) {
    out << RenderReport(verdict, run, options.report);
    return kExitOk;
  }
  // A risk is not an incident: tickets are for findings. Say it was seen.
  auto note_risks = [&] {
    for (const Finding& r : verdict.risks) {
      out << "etiolog: risk (not a ticket): " << r.cause << ": " << r.title << "\n";
    }
  };
  const std::vector<Ticket> tickets = RenderTickets(findings, run, options.report);
  if (!options.post.url.empty()) {
    HttpSinkResult r = PostTickets(tickets, options.post, out, err);
    out << "etiolog: posted " << r.posted << " of " << tickets.size() << " finding(s) to "
        << UrlForMessages(options.post.url) << "\n";
    note_risks();
    return r.failed > 0 ? kExitDelivery : kExitOk;
  }
  DirSinkOptions dir_options;
  dir_options.format = options.report.format;
  dir_options.prune = options.prune;
  dir_options.cause = options.cause;
  Result<DirSinkResult> r = WriteTicketDir(options.to_dir, tickets, dir_options);
  if (!r.ok()) {
    err << "etiolog: " << r.status().message() << "\n";
    return kExitDelivery;
  }
  std::map<std::string, int> counts;
  for (const DirSinkEntry& e : r->entries) {
    ++counts[e.change];
    out << e.change << std::string(e.change.size() < 10 ? 10 - e.change.size() : 1, ' ') << e.file
        << "  " << e.title << "\n";
  }
  for (const std::string& e : r->errors) err << "etiolog: " << e << "\n";
  out << "etiolog: " << options.to_dir << ": " << counts["new"] << " new, " << counts["updated"]
      << " updated, " << counts["reopened"] << " reopened, " << counts["unchanged"]
      << " unchanged, " << counts["resolved"] << " resolved, " << counts["pruned"] << " pruned\n";
  note_risks();
  return r->errors.empty() ? kExitOk : kExitDelivery;
}

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
  const int emitted = EmitVerdict(*verdict, *run, output, out, err);
  return emitted == kExitOk && partial ? kExitPartial : emitted;
}

}  // namespace etiolog::analyzer
