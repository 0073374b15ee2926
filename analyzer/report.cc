// SPDX-License-Identifier: Apache-2.0
#include "analyzer/report.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ingest/timestamp.h"

namespace etiolog::analyzer {

namespace {

// Rounds to two decimals so reports are stable across platforms.
double Round2(double v) { return std::round(v * 100.0) / 100.0; }

std::string Process(const EvidenceLine& e) {
  std::string p = e.component.empty() ? "?" : e.component;
  if (!e.host.empty()) p.append("@").append(e.host);
  if (e.pid != 0) p.append("[").append(std::to_string(e.pid)).append("]");
  return p;
}

nlohmann::ordered_json EvidenceJson(const EvidenceLine& e) {
  nlohmann::ordered_json j;
  j["role"] = e.role;
  j["path"] = e.path;
  j["line"] = e.line;
  j["time"] = e.has_time ? nlohmann::ordered_json(FormatTime(e)) : nlohmann::ordered_json(nullptr);
  j["time_quality"] = e.time_quality;
  j["kind"] = e.kind;
  j["component"] = e.component;
  j["host"] = e.host;
  j["pid"] = e.pid != 0 ? nlohmann::ordered_json(e.pid) : nlohmann::ordered_json(nullptr);
  j["text"] = e.text;
  return j;
}

// A fact as JSON: a number when the text is a plain decimal number
// (-?(0|[1-9][0-9]*)(.[0-9]+)?), else a string.
nlohmann::ordered_json FactValue(const std::string& v) {
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

// The detect row's facts, without those that are fields of their own.
nlohmann::ordered_json FactsJson(const Finding& f) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [name, value] : f.facts) {
    if (name == "surface" || name == "confidence" || name.rfind("scope", 0) == 0) continue;
    j[name] = FactValue(value);
  }
  return j;
}

void IndentBlock(std::ostringstream& out, const std::string& text, const char* indent) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out << indent << line << "\n";
}

// Like IndentBlock, and wraps lines longer than width at spaces.
void WrapBlock(std::ostringstream& out, const std::string& text, const char* indent, size_t width) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (line.size() > width) {
      size_t cut = line.rfind(' ', width);
      if (cut == std::string::npos || cut == 0) cut = line.find(' ', width);
      if (cut == std::string::npos) break;
      out << indent << line.substr(0, cut) << "\n";
      line.erase(0, cut + 1);
    }
    out << indent << line << "\n";
  }
}

}  // namespace

std::string FormatTime(const EvidenceLine& line) {
  if (!line.has_time) return "-";
  char buf[32];
  size_t n = FormatIsoTimestamp(line.time_us, buf);
  return std::string(buf, n);
}

std::string RenderJson(const std::vector<Finding>& findings, const RunSummary& run) {
  nlohmann::ordered_json root;
  root["etiolog"] = {{"version", ETIOLOG_VERSION}, {"report_schema", kReportSchema}};
  nlohmann::ordered_json r;
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
  root["run"] = r;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Finding& f : findings) {
    nlohmann::ordered_json j;
    j["cause"] = f.cause;
    j["title"] = f.title;
    j["surface"] = f.surface;
    j["confidence"] = Round2(f.confidence);
    j["summary"] = f.summary;
    j["evidence"] = nlohmann::ordered_json::array();
    for (const auto& e : f.evidence) j["evidence"].push_back(EvidenceJson(e));
    j["against"] = nlohmann::ordered_json::array();
    for (const auto& e : f.against) j["against"].push_back(EvidenceJson(e));
    j["remediation"] = f.remediation;
    j["deployment"] = f.deployment;
    j["fingerprint"] = f.fingerprint;
    j["facts"] = FactsJson(f);
    list.push_back(std::move(j));
  }
  root["findings"] = std::move(list);
  // Replace invalid UTF-8 rather than fail: log lines are not always UTF-8.
  return root.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string RenderText(const std::vector<Finding>& findings, const RunSummary& run) {
  std::ostringstream out;
  for (const std::string& e : run.stats.errors) out << "error: " << e << "\n";
  out << "etiolog: read " << run.stats.sources << " source(s), " << run.stats.lines << " lines; "
      << run.stats.events << " events";
  if (run.stats.capped_lines) out << "; " << run.stats.capped_lines << " over-long lines cut";
  if (run.stats.bad_records) out << "; " << run.stats.bad_records << " lines with bad bytes";
  out << "\n\n";
  if (findings.empty()) {
    out << "No finding: nothing in these logs points to a JWT signing-key problem.\n";
    return out.str();
  }
  int n = 0;
  for (const Finding& f : findings) {
    char conf[16];
    std::snprintf(conf, sizeof conf, "%.2f", Round2(f.confidence));
    out << "[" << ++n << "] " << f.cause << "  (confidence " << conf;
    if (!f.surface.empty()) out << ", surface " << f.surface;
    out << ")\n";
    out << "    " << f.title << "\n";
    if (f.confidence < 0.5) {
      out << "    (not certain: the logs do not show enough to be sure)\n";
    }
    out << "\n";
    WrapBlock(out, f.summary, "    ", 96);
    if (!f.evidence.empty()) {
      out << "\n    Evidence:\n";
      for (const auto& e : f.evidence) {
        out << "      " << e.role << "  " << e.path << ":" << e.line << "  " << FormatTime(e)
            << "  " << Process(e) << "\n        " << e.text << "\n";
      }
    }
    if (!f.against.empty()) {
      out << "\n    Against:\n";
      for (const auto& e : f.against) {
        out << "      " << e.path << ":" << e.line << "  " << FormatTime(e) << "  " << Process(e)
            << "\n        " << e.text << "\n";
      }
    }
    if (!f.remediation.empty()) {
      out << "\n    Fix (" << f.deployment << "):\n";
      IndentBlock(out, f.remediation, "      ");
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace etiolog::analyzer
