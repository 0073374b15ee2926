// SPDX-License-Identifier: Apache-2.0
//
// The public face of the report formats (report.h): each format is in a
// file of its own (text.cc, json.cc, markdown.cc, github.cc, jira.cc) on
// the shared model (model.cc, report_internal.h).

#include "analyzer/report/report.h"

#include <sstream>

#include "analyzer/report/report_internal.h"
#include "ingest/timestamp.h"

namespace etiolog::analyzer {

using report_internal::CleanText;
using report_internal::Dump;
using report_internal::GithubIssue;
using report_internal::HasScope;
using report_internal::JiraIssue;
using report_internal::Json;
using report_internal::MdTicket;
using report_internal::Redacted;
using report_internal::RenderJson;
using report_internal::RenderMarkdownReport;
using report_internal::RenderText;
using report_internal::RunJson;
using report_internal::Trim;

Result<ReportFormat> ParseReportFormat(std::string_view name) {
  for (ReportFormat f : {ReportFormat::kText, ReportFormat::kJson, ReportFormat::kMarkdown,
                         ReportFormat::kGithub, ReportFormat::kJira}) {
    if (name == ReportFormatName(f)) return f;
  }
  return Status::InvalidArgument("--format must be text, json, markdown, github or jira, not '" +
                                 std::string(name) + "'");
}

std::string_view ReportFormatName(ReportFormat format) {
  switch (format) {
    case ReportFormat::kText:
      return "text";
    case ReportFormat::kJson:
      return "json";
    case ReportFormat::kMarkdown:
      return "markdown";
    case ReportFormat::kGithub:
      return "github";
    case ReportFormat::kJira:
      return "jira";
  }
  return "text";
}

std::string_view TicketExtension(ReportFormat format) {
  switch (format) {
    case ReportFormat::kText:
      return "txt";
    case ReportFormat::kJson:
      return "json";
    case ReportFormat::kMarkdown:
      return "md";
    case ReportFormat::kGithub:
      return "github.json";
    case ReportFormat::kJira:
      return "jira.json";
  }
  return "txt";
}

bool IsJsonFormat(ReportFormat format) {
  return format == ReportFormat::kJson || format == ReportFormat::kGithub ||
         format == ReportFormat::kJira;
}

std::string TicketTitle(const Finding& f) {
  std::string title = "[etiolog] " + f.cause;
  if (!f.surface.empty()) title += " on " + f.surface;
  if (HasScope(f)) title += " (" + f.fingerprint.substr(0, 8) + ")";
  title += ": " + f.title;
  title = Trim(CleanText(title, false));
  if (title.size() > kMaxTitleBytes) {
    size_t cut = kMaxTitleBytes - 3;  // Room for "…".
    while (cut > 0 && (static_cast<unsigned char>(title[cut]) & 0xC0) == 0x80) --cut;
    title = title.substr(0, cut) + "\xE2\x80\xA6";
  }
  return title;
}

std::string RenderReport(const std::vector<Finding>& findings, const RunSummary& run,
                         const ReportOptions& options) {
  return RenderReport(Verdict{findings, {}, {}, {}}, run, options);
}

std::string RenderReport(const Verdict& in, const RunSummary& in_run,
                         const ReportOptions& options) {
  const Verdict verdict = Redacted(in, options.redactor);
  const RunSummary run = Redacted(in_run, options.redactor);
  switch (options.format) {
    case ReportFormat::kText:
      return RenderText(verdict, run, options.explain);
    case ReportFormat::kJson:
      return RenderJson(verdict, run, options.explain);
    case ReportFormat::kMarkdown:
      return RenderMarkdownReport(verdict, run, options.explain);
    case ReportFormat::kGithub:
    case ReportFormat::kJira: {
      // Issue payloads are for findings: a risk is not an incident.
      std::string out;
      for (const Finding& f : verdict.findings) {
        out += Dump(options.format == ReportFormat::kGithub ? GithubIssue(f, options)
                                                            : JiraIssue(f, options),
                    -1) +
               "\n";
      }
      return out;
    }
  }
  return "";
}

std::vector<Ticket> RenderTickets(const std::vector<Finding>& in, const RunSummary& in_run,
                                  const ReportOptions& options) {
  const RunSummary run = Redacted(in_run, options.redactor);
  std::vector<Ticket> tickets;
  for (const Finding& original : in) {
    const Finding f = Redacted(original, options.redactor);
    Ticket t;
    t.fingerprint = f.fingerprint;
    t.cause = f.cause;
    t.surface = f.surface;
    t.confidence = f.confidence;
    t.title = TicketTitle(f);
    switch (options.format) {
      case ReportFormat::kText:
        t.body = RenderText(Verdict{{f}, {}, {}, {}}, run, options.explain);
        break;
      case ReportFormat::kJson:
        t.body = RenderJson(Verdict{{f}, {}, {}, {}}, run, options.explain, /*ticket=*/true);
        break;
      case ReportFormat::kMarkdown:
        t.body = MdTicket(f, options.explain);
        break;
      case ReportFormat::kGithub:
        t.body = Dump(GithubIssue(f, options), 2) + "\n";
        break;
      case ReportFormat::kJira:
        t.body = Dump(JiraIssue(f, options), 2) + "\n";
        break;
    }
    tickets.push_back(std::move(t));
  }
  return tickets;
}

std::string RunSummaryJson(const RunSummary& run) { return Dump(RunJson(run), -1); }

Result<RunSummary> ParseRunSummaryJson(std::string_view text) {
  RunSummary run;
  if (text.empty()) return run;
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("the stored run summary is not a JSON object");
  auto count = [&](const char* key) -> uint64_t {
    auto it = j.find(key);
    return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
  };
  auto strings = [&](const char* key) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return out;
    for (const Json& v : *it) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
    return out;
  };
  run.stats.sources = count("sources");
  run.stats.bytes = count("bytes");
  run.stats.lines = count("lines");
  run.stats.events = count("events");
  run.stats.capped_lines = count("capped_lines");
  run.stats.bad_records = count("bad_records");
  run.stats.errors = strings("errors");
  run.stats.warnings = strings("warnings");
  run.packs = strings("packs");
  run.cause_errors = strings("cause_errors");
  auto dep = j.find("deployment");
  if (dep != j.end() && dep->is_string()) run.deployment = dep->get<std::string>();
  return run;
}

std::string FormatTime(const EvidenceLine& line) {
  if (!line.has_time) return "-";
  char buf[32];
  size_t n = FormatIsoTimestamp(line.time_us, buf);
  return std::string(buf, n);
}

}  // namespace etiolog::analyzer
