// SPDX-License-Identifier: Apache-2.0
#include "analyzer/diagnoser.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace etiolog::analyzer {

namespace {

const char kEvidenceSql[] =
    "SELECT s.path, e.line, e.time_us, e.time_quality, e.kind, e.component, e.host, "
    "e.pid, e.text FROM events e JOIN sources s ON s.id = e.source_id WHERE e.id = :id";

std::string Fingerprint(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a 64.
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

int64_t AsInt(const db::Value& v) {
  if (std::holds_alternative<int64_t>(v)) return std::get<int64_t>(v);
  if (std::holds_alternative<double>(v)) return static_cast<int64_t>(std::get<double>(v));
  return 0;
}

double AsDouble(const db::Value& v) {
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  if (std::holds_alternative<std::string>(v)) return std::atof(std::get<std::string>(v).c_str());
  return 0;
}

}  // namespace

std::string ExpandTemplate(const std::string& tmpl,
                           const std::vector<std::pair<std::string, std::string>>& facts) {
  std::string out;
  out.reserve(tmpl.size());
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{') {
      size_t close = tmpl.find('}', i + 1);
      if (close != std::string::npos) {
        std::string name = tmpl.substr(i + 1, close - i - 1);
        auto it = std::find_if(facts.begin(), facts.end(),
                               [&](const auto& kv) { return kv.first == name; });
        if (it != facts.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out.push_back(tmpl[i]);
  }
  return out;
}

Diagnoser::Diagnoser(std::vector<rules::Cause> causes, const DiagnoseOptions& options)
    : causes_(std::move(causes)), options_(options) {}

Result<std::string> Diagnoser::DetectDeployment(const db::Store& store) {
  Result<db::Table> t = store.Query(
      "SELECT "
      " (SELECT count(*) FROM sources WHERE path LIKE '%/var/log/pods/%' "
      "    OR path LIKE '%/var/log/containers/%') AS k8s, "
      " (SELECT count(*) FROM events WHERE format = 'journald') AS journald, "
      " (SELECT count(*) FROM events WHERE host GLOB '*[-_][0-9]') AS compose",
      {}, "deployment");
  if (!t.ok()) return t.status();
  const auto& row = t->rows.at(0);
  if (AsInt(row[0]) > 0) return std::string("kubernetes");
  if (AsInt(row[1]) > 0) return std::string("systemd");
  if (AsInt(row[2]) > 0) return std::string("docker-compose");
  return std::string("default");
}

Result<std::vector<Finding>> Diagnoser::Diagnose(const db::Store& store) const {
  Result<std::string> deployment = DetectDeployment(store);
  if (!deployment.ok()) return deployment.status();
  std::vector<Finding> findings;
  for (const rules::Cause& cause : causes_) {
    const std::string where = cause.where.ToString() + ": cause '" + cause.id + "'";
    Result<db::Table> rows = store.Query(cause.detect, {}, where + " detect");
    if (!rows.ok()) return rows.status();
    for (const auto& row : rows->rows) {
      Finding f;
      f.cause = cause.id;
      f.title = cause.title;
      std::map<std::string, db::Value> params;
      std::string scope;
      for (size_t c = 0; c < rows->columns.size(); ++c) {
        const std::string& name = rows->columns[c];
        params[name] = row[c];
        f.facts.emplace_back(name, db::ValueToString(row[c]));
        if (name == "confidence") f.confidence = std::clamp(AsDouble(row[c]), 0.0, 1.0);
        if (name == "surface") f.surface = db::ValueToString(row[c]);
        if (name.rfind("scope", 0) == 0) scope += "|" + db::ValueToString(row[c]);
      }
      if (f.confidence <= 0 || f.confidence < options_.min_confidence) continue;
      f.summary = ExpandTemplate(cause.summary, f.facts);
      f.deployment = *deployment;
      const std::string* rem = nullptr;
      for (const auto& [dep, text] : cause.remediation) {
        if (dep == *deployment) rem = &text;
        if (dep == "default" && rem == nullptr) rem = &text;
      }
      if (rem != nullptr) f.remediation = ExpandTemplate(*rem, f.facts);
      f.fingerprint = Fingerprint(cause.id + "|" + f.surface + scope);
      std::set<int64_t> cited;
      for (const rules::EvidenceQuery& q : cause.evidence) {
        Result<db::Table> ids = store.Query(q.sql, params, where + " evidence");
        if (!ids.ok()) return ids.status();
        int shown = 0;
        for (const auto& id_row : ids->rows) {
          if (shown >= q.limit) break;
          const int64_t id = AsInt(id_row.at(0));
          if (!cited.insert(id).second) continue;
          Result<db::Table> ev = store.Query(kEvidenceSql, {{"id", id}}, "evidence line");
          if (!ev.ok()) return ev.status();
          if (ev->rows.empty()) continue;
          const auto& r = ev->rows[0];
          EvidenceLine line;
          line.role = q.role;
          line.path = db::ValueToString(r[0]);
          line.line = AsInt(r[1]);
          line.has_time = std::holds_alternative<int64_t>(r[2]);
          line.time_us = AsInt(r[2]);
          line.time_quality = db::ValueToString(r[3]);
          line.kind = db::ValueToString(r[4]);
          line.component = db::ValueToString(r[5]);
          line.host = db::ValueToString(r[6]);
          line.pid = AsInt(r[7]);
          line.text = db::ValueToString(r[8]);
          (q.role == "against" ? f.against : f.evidence).push_back(std::move(line));
          ++shown;
        }
      }
      findings.push_back(std::move(f));
    }
  }
  // Suppression: a cause that names another in suppressed_by yields to it
  // on the same surface.
  std::map<std::string, const rules::Cause*> by_id;
  for (const auto& c : causes_) by_id[c.id] = &c;
  std::set<std::pair<std::string, std::string>> present;
  for (const Finding& f : findings) present.emplace(f.cause, f.surface);
  findings.erase(std::remove_if(findings.begin(), findings.end(),
                                [&](const Finding& f) {
                                  for (const auto& other : by_id[f.cause]->suppressed_by) {
                                    if (present.count({other, f.surface})) return true;
                                  }
                                  return false;
                                }),
                 findings.end());
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    if (a.cause != b.cause) return a.cause < b.cause;
    return a.fingerprint < b.fingerprint;
  });
  return findings;
}

}  // namespace etiolog::analyzer
