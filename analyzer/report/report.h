// SPDX-License-Identifier: Apache-2.0
//
// Reporters: render a diagnosis for people and for tools, as a whole report
// (RenderReport: what stdout gets) or as one ticket per finding
// (RenderTickets: what a ticket directory or an HTTP endpoint gets).
// Formats (docs/reports.md):
//   text      for a terminal.
//   json      a stable contract (docs/json-report.md):
//               {"etiolog": {"version", "report_schema"}, "run": {...},
//                "findings": [{"cause", "title", "surface", "confidence",
//                  "summary", "evidence": [{"role", "path", "line", "time",
//                  "time_quality", "kind", "component", "host", "pid",
//                  "text"}], "against": [...], "remediation", "deployment",
//                  "fingerprint", "facts": {...}}],
//                "risks": [...], "considered": [...]}
//             Findings appear most likely first. Fields are only ever added.
//             "risks" (findings without confidence) appears only when there
//             are some; "considered" and each finding's "alternatives" only
//             with ReportOptions::explain. A ticket is the same document
//             with its one finding (never a risk).
//   markdown  an incident note: cause, confidence, surface, summary, an
//             evidence table with each line in a code block, what argues
//             against, the fix as steps, facts.
//   github    the body of GitHub's create-issue API: {title, body, labels},
//             body being the Markdown note. Findings only: a risk is not
//             an incident, so it never becomes an issue payload or ticket.
//   jira      the body of Jira's create-issue API (REST v3):
//             {"fields": {project.key, summary, issuetype.name, labels,
//             description}}, description in Atlassian Document Format.
// Log text is untrusted: Markdown escapes it (no HTML, links, mentions,
// issue references or emphasis can come from a log line; lines sit in code
// blocks whose fence no line can close), the JSON formats carry it as JSON
// strings (ADF text nodes are never interpreted), and text strips control
// characters. Secrets are redacted by the packs before anything is stored;
// every renderer applies ReportOptions::redactor again to every text it
// shows, so a finding built elsewhere cannot leak one either.
// The same findings always render to the same bytes (no clock, no paths of
// the machine), so a rerun can tell an unchanged ticket from an updated one.
//
// Thread safety: pure functions.

#ifndef ETIOLOG_ANALYZER_REPORT_REPORT_H_
#define ETIOLOG_ANALYZER_REPORT_REPORT_H_

#include <string>
#include <string_view>
#include <vector>

#include "analyzer/diagnosis/diagnoser.h"
#include "analyzer/pipeline/pipeline.h"
#include "ingest/status.h"

namespace etiolog::rules {
class Matcher;
}  // namespace etiolog::rules

namespace etiolog::analyzer {

// Facts about the run shown beside the findings.
struct RunSummary {
  IngestStats stats;
  std::string deployment;
  std::vector<std::string> packs;
  // The causes skipped because their SQL failed (CauseError::message, in
  // pack order): the findings are what the other causes found.
  std::vector<std::string> cause_errors;
};

// The version of the JSON report layout; bumped only for incompatible
// changes (never so far).
inline constexpr int kReportSchema = 1;

enum class ReportFormat { kText, kJson, kMarkdown, kGithub, kJira };

// Parses "text", "json", "markdown", "github" or "jira". Returns
// InvalidArgument naming the accepted formats otherwise.
Result<ReportFormat> ParseReportFormat(std::string_view name);

// The name ParseReportFormat accepts for format.
std::string_view ReportFormatName(ReportFormat format);

// The file name extension of a ticket in format: "txt", "json", "md",
// "github.json" or "jira.json".
std::string_view TicketExtension(ReportFormat format);

// True if a ticket in format is a JSON document (json, github, jira): what
// an HTTP endpoint is sent.
bool IsJsonFormat(ReportFormat format);

struct ReportOptions {
  ReportFormat format = ReportFormat::kText;
  // Redaction applied to every text a report shows (Matcher::Redact, the
  // packs' `redact:` patterns). Not owned; must outlive the call. Default:
  // nullptr, no redaction beyond what the store already holds.
  const rules::Matcher* redactor = nullptr;
  // github and jira: labels added to "etiolog" and the cause id. Jira
  // labels cannot hold spaces: they become '-'. Default: none.
  std::vector<std::string> labels;
  // jira: the project key (fields.project.key). REQUIRED for jira.
  std::string jira_project;
  // jira: the issue type name (fields.issuetype.name). Default: "Task" (every Jira project type has
  // it).
  std::string jira_issue_type = "Task";
  // Show each finding's alternatives (and, in a whole report, what every
  // cause came to): `--explain`. Default: false, and the output is then
  // byte-identical to a build without explanations.
  bool explain = false;
};

// One finding rendered for a sink.
struct Ticket {
  std::string fingerprint;  // The finding's; names its file and dedupes posts.
  std::string cause;
  std::string surface;
  double confidence = 0;
  std::string title;  // TicketTitle() of the (redacted) finding.
  std::string body;   // The finding in options.format.
};

// The whole report for stdout: text, JSON, a Markdown note of every finding
// followed by the risks, or (github, jira) one issue payload per finding,
// one per line (JSON Lines; risks are left out). With options.explain, the
// alternatives of each finding and verdict.considered.
// REQUIRES: options.jira_project is set for jira.
std::string RenderReport(const Verdict& verdict, const RunSummary& run,
                         const ReportOptions& options);

// RenderReport of findings alone (no risks, nothing considered).
std::string RenderReport(const std::vector<Finding>& findings, const RunSummary& run,
                         const ReportOptions& options);

// One ticket per finding, in the order given. A text or json ticket is the
// whole report of that finding alone; a markdown ticket is its note under a
// "# title" heading. REQUIRES: as RenderReport.
std::vector<Ticket> RenderTickets(const std::vector<Finding>& findings, const RunSummary& run,
                                  const ReportOptions& options);

// A short title that stays the same while the finding does:
// "[etiolog] <cause> on <surface>: <cause title>", followed by
// " (<fingerprint prefix>)" when the cause can report several findings on
// one surface (it has scope facts). At most kMaxTitleBytes, on one line.
std::string TicketTitle(const Finding& finding);
inline constexpr size_t kMaxTitleBytes = 200;

// The run summary as the JSON report's "run" object (kept in the store with
// the findings), and back. Parse returns InvalidArgument if text is not
// such an object; "" (a store from before runs were kept) gives an empty
// summary.
std::string RunSummaryJson(const RunSummary& run);
Result<RunSummary> ParseRunSummaryJson(std::string_view text);

// "2025-12-07T15:56:23.562782Z", or "-" when the line had no time.
std::string FormatTime(const EvidenceLine& line);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_REPORT_REPORT_H_
