// SPDX-License-Identifier: Apache-2.0
//
// What the report formats share (model.cc) and what report.cc calls of each
// format: private to analyzer/report/.
//
// Thread safety: pure functions.

#ifndef ETIOLOG_ANALYZER_REPORT_REPORT_INTERNAL_H_
#define ETIOLOG_ANALYZER_REPORT_REPORT_INTERNAL_H_

#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/report/report.h"

namespace etiolog::analyzer::report_internal {

using Json = nlohmann::ordered_json;

inline constexpr std::string_view kNoFinding =
    "No finding: nothing in these logs points to a JWT signing-key problem.";

// ---- The shared model (model.cc) -------------------------------------------

// Rounds to two decimals so reports are stable across platforms.
double Round2(double v);
// "0.75": a confidence as shown.
std::string Confidence(double v);
// "component host pid" of an evidence line, as shown.
std::string Process(const EvidenceLine& e);
// Replaces control characters (C0 but tab, and DEL) by U+FFFD so a log line
// cannot move a terminal's cursor, recolour it or hide text; newlines too
// unless keep_newlines, and tabs become spaces unless keep_newlines.
std::string CleanText(std::string_view s, bool keep_newlines);
std::string Trim(std::string_view s);

// Everything a finding shows that came from logs, redacted by m (null: as
// is). See model.cc.
Alternative Redacted(const Alternative& in, const rules::Matcher* m);
Finding Redacted(const Finding& in, const rules::Matcher* m);
std::vector<Finding> Redacted(const std::vector<Finding>& in, const rules::Matcher* m);
Verdict Redacted(const Verdict& in, const rules::Matcher* m);
RunSummary Redacted(const RunSummary& in, const rules::Matcher* m);

// The facts shown: the detect row without those that are fields of their
// own (surface, confidence) or only identify the finding (scope*), and
// without empty ones unless keep_empty.
std::vector<std::pair<std::string, std::string>> ShownFacts(const Finding& f,
                                                            bool keep_empty = false);
bool HasScope(const Finding& f);

// A part of a fix: wrapped prose (joined into one line), or lines to show
// as they are (commands, configuration: the step had deeper-indented lines
// or a shell line continuation).
struct FixPart {
  std::string prose;
  std::vector<std::string> code;
};

// A remediation read as steps: paragraphs before the first "N." line (all
// of it if none), then one part per numbered step.
struct Fix {
  std::vector<FixPart> intro;
  std::vector<FixPart> steps;
};

// Prose split at blank lines, each paragraph's lines joined.
std::vector<std::string> Paragraphs(const std::string& text);
Fix ParseFix(const std::string& remediation);

// Labels of an issue: "etiolog", the cause, then the user's, each once
// (spaces made dashes if no_spaces).
std::vector<std::string> Labels(const Finding& f, const ReportOptions& options, bool no_spaces);

// ---- The formats -----------------------------------------------------------

// markdown.cc. Likelihood: a confidence in words. MdNote: the note of one
// finding (or risk), its sections under headings of level h ("##"); explain
// adds the alternatives considered.
std::string Likelihood(double confidence);
void MdNote(std::ostringstream& out, const Finding& f, const std::string& h, bool risk = false,
            bool explain = false);
std::string MdTicket(const Finding& f, bool explain);
std::string RenderMarkdownReport(const Verdict& verdict, const RunSummary& run, bool explain);

// json.cc. Dump: invalid UTF-8 is replaced rather than fatal (log lines are
// not always UTF-8). A ticket (one finding) has its alternatives but no
// "considered": that is the run's.
Json RunJson(const RunSummary& run);
std::string Dump(const Json& j, int indent);
std::string RenderJson(const Verdict& verdict, const RunSummary& run, bool explain,
                       bool ticket = false);

// github.cc and jira.cc: one finding's create-issue payload.
Json GithubIssue(const Finding& f, const ReportOptions& options);
Json JiraIssue(const Finding& f, const ReportOptions& options);

// text.cc.
std::string RenderText(const Verdict& verdict, const RunSummary& run, bool explain);

}  // namespace etiolog::analyzer::report_internal

#endif  // ETIOLOG_ANALYZER_REPORT_REPORT_INTERNAL_H_
