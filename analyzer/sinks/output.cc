// SPDX-License-Identifier: Apache-2.0
#include "analyzer/sinks/output.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "analyzer/sinks/dir_sink.h"

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

bool EmitFindings(const std::vector<Finding>& findings, const RunSummary& run,
                  const OutputOptions& options, std::ostream& out, std::ostream& err) {
  return EmitVerdict(Verdict{findings, {}, {}, {}}, run, options, out, err);
}

bool EmitVerdict(const Verdict& all, const RunSummary& run, const OutputOptions& options,
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
    return true;
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
    return r.failed == 0;
  }
  DirSinkOptions dir_options;
  dir_options.format = options.report.format;
  dir_options.prune = options.prune;
  dir_options.cause = options.cause;
  Result<DirSinkResult> r = WriteTicketDir(options.to_dir, tickets, dir_options);
  if (!r.ok()) {
    err << "etiolog: " << r.status().message() << "\n";
    return false;
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
  return r->errors.empty();
}

}  // namespace etiolog::analyzer
