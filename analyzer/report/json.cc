// SPDX-License-Identifier: Apache-2.0
//
// The JSON report (format json; docs/json-report.md), a stable contract.

#include "analyzer/report/report_internal.h"

namespace etiolog::analyzer::report_internal {

namespace {

Json EvidenceJson(const EvidenceLine& e) {
  Json j;
  j["role"] = e.role;
  j["path"] = e.path;
  j["line"] = e.line;
  j["time"] = e.has_time ? Json(FormatTime(e)) : Json(nullptr);
  j["time_quality"] = e.time_quality;
  j["kind"] = e.kind;
  j["component"] = e.component;
  j["host"] = e.host;
  j["pid"] = e.pid != 0 ? Json(e.pid) : Json(nullptr);
  j["text"] = e.text;
  return j;
}

// A fact as JSON: a number when the text is a plain decimal number
// (-?(0|[1-9][0-9]*)(.[0-9]+)?), else a string.
Json FactValue(const std::string& v) {
  size_t i = v.size() > 0 && v[0] == '-' ? 1 : 0;
  const size_t int_start = i;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
  const size_t int_digits = i - int_start;
  bool number = int_digits > 0 && int_digits <= 15 && !(int_digits > 1 && v[int_start] == '0');
  bool fraction = false;
  if (number && i < v.size() && v[i] == '.') {
    const size_t frac_start = ++i;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
    fraction = i > frac_start;
    number = fraction;
  }
  if (!number || i != v.size()) return v;
  if (fraction) return std::strtod(v.c_str(), nullptr);
  return std::strtoll(v.c_str(), nullptr, 10);
}

Json LinesJson(const std::vector<EvidenceLine>& lines) {
  Json list = Json::array();
  for (const auto& e : lines) list.push_back(EvidenceJson(e));
  return list;
}

Json AlternativeJson(const Alternative& a) {
  Json j;
  j["cause"] = a.cause;
  j["title"] = a.title;
  j["surface"] = a.surface;
  j["confidence"] = a.found ? Json(Round2(a.confidence)) : Json(nullptr);
  j["status"] = a.status;
  j["reason"] = a.reason;
  j["summary"] = a.summary;
  j["evidence"] = LinesJson(a.evidence);
  j["against"] = LinesJson(a.against);
  j["collect"] = a.collect;
  return j;
}

// A finding, or (risk) a risk: the same without confidence.
Json FindingJson(const Finding& f, bool risk, bool explain) {
  Json j;
  j["cause"] = f.cause;
  j["title"] = f.title;
  j["surface"] = f.surface;
  if (!risk) j["confidence"] = Round2(f.confidence);
  j["summary"] = f.summary;
  j["evidence"] = LinesJson(f.evidence);
  j["against"] = LinesJson(f.against);
  j["remediation"] = f.remediation;
  j["deployment"] = f.deployment;
  j["fingerprint"] = f.fingerprint;
  Json facts = Json::object();
  for (const auto& [name, value] : ShownFacts(f, true)) facts[name] = FactValue(value);
  j["facts"] = std::move(facts);
  if (explain && !risk) {
    j["alternatives"] = Json::array();
    for (const Alternative& a : f.alternatives) j["alternatives"].push_back(AlternativeJson(a));
  }
  return j;
}

}  // namespace

Json RunJson(const RunSummary& run) {
  Json r;
  r["sources"] = run.stats.sources;
  r["bytes"] = run.stats.bytes;
  r["lines"] = run.stats.lines;
  r["events"] = run.stats.events;
  r["capped_lines"] = run.stats.capped_lines;
  r["bad_records"] = run.stats.bad_records;
  r["errors"] = run.stats.errors;
  r["warnings"] = run.stats.warnings;
  r["deployment"] = run.deployment;
  r["packs"] = run.packs;
  // Only when a cause failed, so reports without one are what they were.
  if (!run.cause_errors.empty()) r["cause_errors"] = run.cause_errors;
  return r;
}

// Invalid UTF-8 is replaced rather than fatal: log lines are not always UTF-8.
std::string Dump(const Json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "risks" appears only when there are some, and "considered" only with
// explain, so a report without either is what it was before they existed.
// A ticket (one finding) has its alternatives but no "considered": that is
// the run's.
std::string RenderJson(const Verdict& verdict, const RunSummary& run, bool explain, bool ticket) {
  Json root;
  root["etiolog"] = {{"version", ETIOLOG_VERSION}, {"report_schema", kReportSchema}};
  root["run"] = RunJson(run);
  Json list = Json::array();
  for (const Finding& f : verdict.findings) list.push_back(FindingJson(f, false, explain));
  root["findings"] = std::move(list);
  if (!verdict.risks.empty()) {
    Json risks = Json::array();
    for (const Finding& r : verdict.risks) risks.push_back(FindingJson(r, true, false));
    root["risks"] = std::move(risks);
  }
  if (explain && !ticket) {
    Json considered = Json::array();
    for (const Alternative& a : verdict.considered) considered.push_back(AlternativeJson(a));
    root["considered"] = std::move(considered);
  }
  return Dump(root, 2) + "\n";
}

}  // namespace etiolog::analyzer::report_internal
