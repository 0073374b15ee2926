// SPDX-License-Identifier: Apache-2.0
//
// For each cause: run detect (with :cause bound); each row becomes a
// finding whose facts are the row's visible columns; its evidence queries
// run with every column (hidden ones too) as parameters, stopping after the
// query's limit. Then suppression, ranking and fingerprints. Everything the
// diagnosis knows about a system is in the causes' SQL.

#include "analyzer/diagnoser.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace etiolog::analyzer {

namespace {

// The process of an evidence line is its instance's (the majority of the
// instance's lines) when known: a single line can be misleading, e.g. a
// library logger named after another component.
const char kEvidenceSql[] =
    "SELECT s.path, e.line, e.time_us, e.time_quality, e.kind, "
    "coalesce(nullif(i.component, ''), e.component), e.host, coalesce(e.pid, i.pid), e.text, "
    "e.instance_id, e.source_id, e.offset "
    "FROM events e JOIN sources s ON s.id = e.source_id "
    "LEFT JOIN instances i ON i.id = e.instance_id WHERE e.id = :id";

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
  if (std::holds_alternative<std::string>(v)) return std::atoll(std::get<std::string>(v).c_str());
  return 0;
}

double AsDouble(const db::Value& v) {
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  if (std::holds_alternative<std::string>(v)) return std::atof(std::get<std::string>(v).c_str());
  return 0;
}

// An evidence line read from the store, and where it is (to cite a line
// once).
struct CitedLine {
  bool found = false;  // False if the store no longer holds the event.
  EvidenceLine line;
  int64_t source_id = 0;
  int64_t offset = 0;
  std::optional<int64_t> instance_id;
};

Result<CitedLine> ReadEvidenceLine(const db::Store& store, int64_t id, const std::string& role) {
  Result<db::Table> ev = store.Query(kEvidenceSql, {{"id", id}}, "evidence line");
  if (!ev.ok()) return ev.status();
  CitedLine out;
  if (ev->rows.empty()) return out;
  const auto& r = ev->rows[0];
  out.found = true;
  EvidenceLine& line = out.line;
  line.event_id = id;
  line.role = role;
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
  if (!std::holds_alternative<std::monostate>(r[9])) out.instance_id = AsInt(r[9]);
  out.source_id = AsInt(r[10]);
  out.offset = AsInt(r[11]);
  return out;
}

// Kubernetes pod names of Deployments: <name>-<replicaset hash>-<5 chars>,
// e.g. airflow-api-server-7d9f8b6c4-x2x9k.
bool LooksLikePodName(std::string_view s) {
  auto alnum = [](std::string_view part, size_t min, size_t max) {
    if (part.size() < min || part.size() > max) return false;
    return std::all_of(part.begin(), part.end(), [](char c) {
      return std::islower(static_cast<unsigned char>(c)) ||
             std::isdigit(static_cast<unsigned char>(c));
    });
  };
  const size_t last = s.rfind('-');
  if (last == std::string_view::npos || last == 0) return false;
  const size_t prev = s.rfind('-', last - 1);
  if (prev == std::string_view::npos || prev == 0) return false;
  return alnum(s.substr(last + 1), 5, 5) && alnum(s.substr(prev + 1, last - prev - 1), 6, 10);
}

// docker compose container names: <project>-<service>-<n> (or _<n>).
bool LooksLikeComposeName(std::string_view s) {
  size_t i = s.size();
  while (i > 0 && std::isdigit(static_cast<unsigned char>(s[i - 1]))) --i;
  return i < s.size() && i >= 2 && (s[i - 1] == '-' || s[i - 1] == '_');
}

std::string_view Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = base.find('.');
  return dot == std::string_view::npos ? base : base.substr(0, dot);
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
      "SELECT 'path', path FROM sources UNION ALL "
      "SELECT 'host', host FROM streams WHERE host <> '' UNION ALL "
      "SELECT 'journald', count(*) FROM streams WHERE format = 'journald'",
      {}, "deployment");
  if (!t.ok()) return t.status();
  bool kubernetes = false, systemd = false, compose = false;
  for (const auto& row : t->rows) {
    const std::string what = db::ValueToString(row[0]);
    const std::string v = db::ValueToString(row[1]);
    if (what == "path") {
      if (v.find("log/pods/") != std::string::npos ||
          v.find("log/containers/") != std::string::npos || LooksLikePodName(Basename(v))) {
        kubernetes = true;
      }
    } else if (what == "host") {
      if (LooksLikePodName(v)) {
        kubernetes = true;
      } else if (LooksLikeComposeName(v)) {
        compose = true;
      }
    } else if (what == "journald" && AsInt(row[1]) > 0) {
      systemd = true;
    }
  }
  if (kubernetes) return std::string("kubernetes");
  if (systemd) return std::string("systemd");
  if (compose) return std::string("docker-compose");
  return std::string("default");
}

Result<std::vector<Finding>> Diagnoser::Diagnose(const db::Store& store) const {
  Result<std::string> deployment = DetectDeployment(store);
  if (!deployment.ok()) return deployment.status();
  std::vector<Finding> findings;
  for (const rules::Cause& cause : causes_) {
    const std::string where = cause.where.ToString() + ": cause '" + cause.id + "'";
    Result<db::Table> rows = store.Query(cause.detect, {{"cause", cause.id}}, where + " detect");
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
        if (name.rfind('_', 0) == 0) continue;  // Hidden: a parameter only.
        f.facts.emplace_back(name, db::ValueToString(row[c]));
        if (name == "confidence") f.confidence = std::clamp(AsDouble(row[c]), 0.0, 1.0);
        if (name == "surface") f.surface = db::ValueToString(row[c]);
        if (name.rfind("scope", 0) == 0) scope += "|" + db::ValueToString(row[c]);
      }
      params["cause"] = cause.id;
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
      // A line is cited once, whichever of its events (several rules may
      // match one line) a query returns first.
      std::set<std::pair<int64_t, int64_t>> lines;  // (source, offset).
      // One failure is often logged twice by one process at one time (an error
      // line, then the last line of its traceback): cite it once.
      std::set<std::tuple<std::string, int64_t, int64_t>> moments;
      for (const rules::EvidenceQuery& q : cause.evidence) {
        // Rows already cited are skipped, so ask for that many more.
        Result<db::Table> ids = store.Query(q.sql, params, where + " evidence",
                                            2 * static_cast<size_t>(q.limit) + cited.size());
        if (!ids.ok()) return ids.status();
        int shown = 0;
        for (const auto& id_row : ids->rows) {
          if (shown >= q.limit) break;
          if (id_row.empty() || std::holds_alternative<std::monostate>(id_row[0])) continue;
          const int64_t id = AsInt(id_row[0]);
          if (!cited.insert(id).second) continue;
          Result<CitedLine> cited_line = ReadEvidenceLine(store, id, q.role);
          if (!cited_line.ok()) return cited_line.status();
          if (!cited_line->found) continue;
          EvidenceLine& line = cited_line->line;
          const std::pair<int64_t, int64_t> at(cited_line->source_id, cited_line->offset);
          if (lines.count(at) > 0) continue;
          if (line.has_time && cited_line->instance_id.has_value() &&
              !moments.emplace(line.kind, line.time_us, *cited_line->instance_id).second) {
            continue;
          }
          lines.insert(at);
          (q.role == "against" ? f.against : f.evidence).push_back(std::move(line));
          ++shown;
        }
      }
      findings.push_back(std::move(f));
    }
  }
  // Suppression: a cause that names another in suppressed_by yields to it
  // on the same surface, when the other is at least as likely.
  std::map<std::string, const rules::Cause*> by_id;
  for (const auto& c : causes_) by_id[c.id] = &c;
  std::map<std::pair<std::string, std::string>, double> best;  // (cause, surface) -> confidence.
  for (const Finding& f : findings) {
    double& b = best[{f.cause, f.surface}];
    b = std::max(b, f.confidence);
  }
  findings.erase(std::remove_if(findings.begin(), findings.end(),
                                [&](const Finding& f) {
                                  for (const auto& other : by_id[f.cause]->suppressed_by) {
                                    auto it = best.find({other, f.surface});
                                    if (it != best.end() && it->second >= f.confidence) {
                                      return true;
                                    }
                                  }
                                  return false;
                                }),
                 findings.end());
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    if (a.cause != b.cause) return a.cause < b.cause;
    return a.fingerprint < b.fingerprint;
  });
  // Two rows of one cause with the same scope: keep fingerprints unique.
  std::map<std::string, int> seen;
  for (Finding& f : findings) {
    if (int n = seen[f.fingerprint]++; n > 0) f.fingerprint += "-" + std::to_string(n + 1);
  }
  return findings;
}

Status SaveFindings(const std::vector<Finding>& findings, std::string_view run, db::Store* store) {
  std::vector<db::FindingRecord> records;
  records.reserve(findings.size());
  for (const Finding& f : findings) {
    db::FindingRecord r;
    r.fingerprint = f.fingerprint;
    r.cause = f.cause;
    r.surface = f.surface;
    r.confidence = f.confidence;
    r.title = f.title;
    r.summary = f.summary;
    r.remediation = f.remediation;
    r.deployment = f.deployment;
    r.facts = f.facts;
    for (const EvidenceLine& e : f.evidence) r.evidence.emplace_back(e.event_id, e.role);
    for (const EvidenceLine& e : f.against) r.evidence.emplace_back(e.event_id, e.role);
    records.push_back(std::move(r));
  }
  return store->ReplaceFindings(records, run);
}

Result<std::vector<Finding>> LoadFindings(const db::Store& store, std::string* run) {
  Result<db::Diagnosis> saved = store.LoadFindings();
  if (!saved.ok()) return saved.status();
  if (run != nullptr) *run = saved->run;
  std::vector<Finding> findings;
  findings.reserve(saved->findings.size());
  for (db::FindingRecord& r : saved->findings) {
    Finding f;
    f.cause = std::move(r.cause);
    f.title = std::move(r.title);
    f.surface = std::move(r.surface);
    f.confidence = r.confidence;
    f.summary = std::move(r.summary);
    f.remediation = std::move(r.remediation);
    f.deployment = std::move(r.deployment);
    f.fingerprint = std::move(r.fingerprint);
    f.facts = std::move(r.facts);
    for (const auto& [id, role] : r.evidence) {
      Result<CitedLine> cited = ReadEvidenceLine(store, id, role);
      if (!cited.ok()) return cited.status();
      if (!cited->found) continue;
      (role == "against" ? f.against : f.evidence).push_back(std::move(cited->line));
    }
    findings.push_back(std::move(f));
  }
  return findings;
}

}  // namespace etiolog::analyzer
