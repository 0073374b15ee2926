// SPDX-License-Identifier: Apache-2.0
//
// The body of Jira's create-issue API (format jira, REST v3), its
// description in Atlassian Document Format.

#include "analyzer/report/report_internal.h"

namespace etiolog::analyzer::report_internal {

namespace {

Json AdfText(std::string_view text, std::string_view mark = {}) {
  Json t = {{"type", "text"}, {"text", CleanText(text, false)}};
  if (!mark.empty()) t["marks"] = Json::array({{{"type", std::string(mark)}}});
  return t;
}

// A paragraph of text nodes; empty nodes (invalid in ADF) are left out.
Json AdfParagraph(std::vector<Json> nodes) {
  Json content = Json::array();
  for (Json& n : nodes) {
    if (!n["text"].get<std::string>().empty()) content.push_back(std::move(n));
  }
  return {{"type", "paragraph"}, {"content", std::move(content)}};
}

Json AdfHeading(int level, std::string_view text) {
  return {{"type", "heading"},
          {"attrs", {{"level", level}}},
          {"content", Json::array({AdfText(text)})}};
}

Json AdfCode(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) {
    if (!text.empty()) text.push_back('\n');
    text += CleanText(l, false);
  }
  Json block = {{"type", "codeBlock"}, {"attrs", Json::object()}};
  block["content"] = Json::array();
  if (!text.empty()) block["content"].push_back({{"type", "text"}, {"text", text}});
  return block;
}

Json AdfList(std::string_view type, std::vector<Json> items) {
  Json list = {{"type", std::string(type)}, {"content", Json::array()}};
  for (Json& content : items) {
    list["content"].push_back({{"type", "listItem"}, {"content", std::move(content)}});
  }
  return list;
}

Json AdfPart(const FixPart& p) {
  return p.code.empty() ? AdfParagraph({AdfText(p.prose)}) : AdfCode(p.code);
}

Json AdfEvidence(const std::vector<EvidenceLine>& lines) {
  std::vector<Json> items;
  for (const EvidenceLine& e : lines) {
    std::string where = e.path + ":" + std::to_string(e.line) + "  " + FormatTime(e);
    if (e.has_time && !e.time_quality.empty() && e.time_quality != "exact") {
      where += " (" + e.time_quality + ")";
    }
    where += "  " + Process(e);
    items.push_back(Json::array(
        {AdfParagraph({AdfText(e.role, "strong"), AdfText("  " + where)}), AdfCode({e.text})}));
  }
  return AdfList("bulletList", std::move(items));
}

Json JiraDescription(const Finding& f, bool explain) {
  Json doc = {{"type", "doc"}, {"version", 1}, {"content", Json::array()}};
  Json& c = doc["content"];
  c.push_back(AdfParagraph(
      {AdfText("Cause: ", "strong"), AdfText(f.cause), AdfText("   Surface: ", "strong"),
       AdfText(f.surface.empty() ? "-" : f.surface), AdfText("   Confidence: ", "strong"),
       AdfText(Confidence(f.confidence) + ", " + Likelihood(f.confidence)),
       AdfText("   Deployment: ", "strong"), AdfText(f.deployment)}));
  c.push_back(AdfHeading(3, "Summary"));
  for (const std::string& p : Paragraphs(f.summary)) c.push_back(AdfParagraph({AdfText(p)}));
  c.push_back(AdfHeading(3, "Evidence"));
  c.push_back(f.evidence.empty()
                  ? AdfParagraph({AdfText("No log line supports this finding directly.")})
                  : AdfEvidence(f.evidence));
  c.push_back(AdfHeading(3, "Against"));
  c.push_back(f.against.empty()
                  ? AdfParagraph({AdfText("Nothing in these logs argues against it.")})
                  : AdfEvidence(f.against));
  if (!f.remediation.empty()) {
    c.push_back(AdfHeading(3, "Fix (" + f.deployment + ")"));
    Fix fix = ParseFix(f.remediation);
    for (const FixPart& p : fix.intro) c.push_back(AdfPart(p));
    std::vector<Json> steps;
    for (const FixPart& p : fix.steps) steps.push_back(Json::array({AdfPart(p)}));
    if (!steps.empty()) c.push_back(AdfList("orderedList", std::move(steps)));
  }
  std::vector<std::pair<std::string, std::string>> facts = ShownFacts(f);
  if (!facts.empty()) {
    c.push_back(AdfHeading(3, "Facts"));
    std::vector<Json> items;
    items.reserve(facts.size());
    for (const auto& [name, value] : facts) {
      items.push_back(
          Json::array({AdfParagraph({AdfText(name + ": ", "strong"), AdfText(value)})}));
    }
    c.push_back(AdfList("bulletList", std::move(items)));
  }
  if (explain) {
    c.push_back(AdfHeading(3, "Alternatives considered"));
    std::vector<Json> items;
    for (const Alternative& a : f.alternatives) {
      std::vector<Json> item = {
          AdfParagraph({AdfText(a.cause, "strong"),
                        AdfText(" (" + (a.surface.empty() ? std::string("-") : a.surface) + ", " +
                                (a.found ? Confidence(a.confidence) : std::string("not found")) +
                                ", " + a.status + "): " + a.reason)})};
      if (a.status != "reported" && !a.collect.empty()) {
        item.push_back(
            AdfParagraph({AdfText("What would change the verdict: "), AdfText(a.collect)}));
      }
      items.push_back(Json(std::move(item)));
    }
    c.push_back(items.empty() ? AdfParagraph({AdfText("No other cause was considered.")})
                              : AdfList("bulletList", std::move(items)));
  }
  c.push_back({{"type", "rule"}});
  c.push_back(
      AdfParagraph({AdfText("Reported by etiolog. Fingerprint "), AdfText(f.fingerprint, "code"),
                    AdfText(": the same finding keeps it across runs.")}));
  return doc;
}

}  // namespace

Json JiraIssue(const Finding& f, const ReportOptions& options) {
  std::vector<std::string> labels = Labels(f, options, true);
  // JQL can find the issue of a finding: labels = etiolog-<fingerprint>.
  labels.push_back("etiolog-" + f.fingerprint);
  Json fields;
  fields["project"] = {{"key", options.jira_project}};
  fields["summary"] = TicketTitle(f);
  fields["issuetype"] = {{"name", options.jira_issue_type}};
  fields["labels"] = labels;
  fields["description"] = JiraDescription(f, options.explain);
  return {{"fields", std::move(fields)}};
}

}  // namespace etiolog::analyzer::report_internal
