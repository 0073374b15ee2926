// SPDX-License-Identifier: Apache-2.0
//
// For each cause: run detect (with :cause bound); each row becomes a
// finding whose facts are the row's visible columns; its evidence queries
// run with every column (hidden ones too) as parameters, stopping after the
// query's limit. Then suppression, ranking and fingerprints. Everything the
// diagnosis knows about a system is in the causes' SQL.
//
// A cause runs whole or not at all: its rows are kept only if all its
// queries succeed, so a cause skipped for a failing query leaves nothing
// half-done behind (its error is kept instead).
//
// Every row is a Candidate whose status says what became of it. Without
// explain, rows that cannot be reported (confidence 0 or under the
// threshold) are dropped before their evidence queries run, as they always
// were: the cost of explain is paid only when asked for. Risks go through
// the same steps but never compete: they are suppressed only by findings
// of the causes they name.

#include "analyzer/diagnosis/diagnoser.h"

#include <algorithm>
#include <cctype>
#include <cmath>
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

namespace {

std::string Conf(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", std::round(v * 100.0) / 100.0);
  return buf;
}

// A detect row and what became of it.
struct Candidate {
  Finding finding;
  const rules::Cause* cause = nullptr;
  std::string status;      // As Alternative::status (never "not_found").
  std::string suppressor;  // status "suppressed": the cause that won.
  double suppressor_conf = 0;
  int rank = 0;  // status "reported": 1, 2, ...
};

// The finding of one detect row: facts, confidence, surface, summary, fix
// and fingerprint (no evidence yet). *params gets every column.
Finding MakeFinding(const rules::Cause& cause, const db::Table& rows, size_t r,
                    const std::string& deployment, std::map<std::string, db::Value>* params) {
  Finding f;
  f.cause = cause.id;
  f.title = cause.title;
  std::string scope;
  const auto& row = rows.rows[r];
  for (size_t c = 0; c < rows.columns.size(); ++c) {
    const std::string& name = rows.columns[c];
    (*params)[name] = row[c];
    if (name.rfind('_', 0) == 0) continue;  // Hidden: a parameter only.
    f.facts.emplace_back(name, db::ValueToString(row[c]));
    if (name == "confidence") f.confidence = std::clamp(AsDouble(row[c]), 0.0, 1.0);
    if (name == "surface") f.surface = db::ValueToString(row[c]);
    if (name.rfind("scope", 0) == 0) scope += "|" + db::ValueToString(row[c]);
  }
  (*params)["cause"] = cause.id;
  if (cause.risk) f.confidence = 0;  // A risk has none, whatever it returns.
  f.summary = ExpandTemplate(cause.summary, f.facts);
  f.deployment = deployment;
  const std::string* rem = nullptr;
  for (const auto& [dep, text] : cause.remediation) {
    if (dep == deployment) rem = &text;
    if (dep == "default" && rem == nullptr) rem = &text;
  }
  if (rem != nullptr) f.remediation = ExpandTemplate(*rem, f.facts);
  f.fingerprint = Fingerprint(cause.id + "|" + f.surface + scope);
  return f;
}

// Runs the evidence queries of cause with params into f, each under
// max_steps (0: the store's limit).
Status AddEvidence(const db::Store& store, const rules::Cause& cause,
                   const std::map<std::string, db::Value>& params, const std::string& where,
                   uint64_t max_steps, Finding* f) {
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
                                        2 * static_cast<size_t>(q.limit) + cited.size(), max_steps);
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
      (q.role == "against" ? f->against : f->evidence).push_back(std::move(line));
      ++shown;
    }
  }
  return Status::OK();
}

std::string SurfaceText(const std::string& surface) {
  return surface.empty() ? "with no surface" : "on the " + surface + " surface";
}

// Why candidate c is what it is; relative to finding f when given.
std::string Reason(const Candidate& c, const Finding* f, double min_confidence) {
  const double conf = c.finding.confidence;
  if (c.status == "reported") {
    if (f == nullptr) return "reported (#" + std::to_string(c.rank) + ")";
    if (c.finding.surface != f->surface) {
      return "also reported, " + SurfaceText(c.finding.surface) + ": a separate finding";
    }
    if (Conf(conf) == Conf(f->confidence)) {
      return "as likely (" + Conf(conf) + "); also reported";
    }
    if (conf < f->confidence) {
      return "lower confidence (" + Conf(conf) + " against " + Conf(f->confidence) +
             "); also reported, ranked below";
    }
    return "higher confidence (" + Conf(conf) + " against " + Conf(f->confidence) +
           "); reported, ranked above";
  }
  if (c.status == "suppressed") {
    return "suppressed by " + c.suppressor + " (" + Conf(c.suppressor_conf) + ", against its " +
           Conf(conf) + ") " + SurfaceText(c.finding.surface) +
           ": it lists that cause under suppressed_by";
  }
  if (c.status == "below_threshold") {
    return "below the threshold: " + Conf(conf) + " is under --min-confidence " +
           Conf(min_confidence);
  }
  return "its detect query found a row, but the evidence scored it 0";
}

Alternative MakeAlternative(const Candidate& c, const Finding* f, double min_confidence) {
  Alternative a;
  a.cause = c.finding.cause;
  a.title = c.finding.title;
  a.surface = c.finding.surface;
  a.found = true;
  a.confidence = c.finding.confidence;
  a.status = c.status;
  a.reason = Reason(c, f, min_confidence);
  a.summary = c.finding.summary;
  a.evidence = c.finding.evidence;
  a.against = c.finding.against;
  a.collect = c.cause->collect;
  return a;
}

Alternative NotFound(const rules::Cause& cause) {
  Alternative a;
  a.cause = cause.id;
  a.title = cause.title;
  a.status = "not_found";
  a.reason = "found nothing: its detect query returned no row";
  a.collect = cause.collect;
  return a;
}

Alternative Failed(const rules::Cause& cause, const std::string& message) {
  Alternative a;
  a.cause = cause.id;
  a.title = cause.title;
  a.status = "error";
  a.reason = "skipped: its SQL failed: " + message;
  a.collect = cause.collect;
  return a;
}

// What one cause came to: its rows (a cause's) or risks (a risk's).
struct CauseOutcome {
  std::vector<Candidate> candidates;
  std::vector<Finding> risks;
  bool found_none = false;  // Its detect returned no row (a cause's).
};

// Runs cause (detect, then the evidence of each row that needs it) into
// *out. Returns InvalidArgument "<where> <query>: <why>" if one of its
// queries fails, or the store's error.
Status RunCause(const db::Store& store, const rules::Cause& cause, const std::string& deployment,
                const DiagnoseOptions& options, CauseOutcome* out) {
  const std::string where = cause.where.ToString() + ": cause '" + cause.id + "'";
  const size_t max_rows = options.max_detect_rows > 0 ? options.max_detect_rows + 1 : 0;
  Result<db::Table> rows = store.Query(cause.detect, {{"cause", cause.id}}, where + " detect",
                                       max_rows, options.query_step_limit);
  if (!rows.ok()) return rows.status();
  if (options.max_detect_rows > 0 && rows->rows.size() > options.max_detect_rows) {
    return Status::InvalidArgument(where + " detect: returned more than " +
                                   std::to_string(options.max_detect_rows) +
                                   " rows (one row is one finding: a query without a bound?)");
  }
  out->found_none = rows->rows.empty() && !cause.risk;
  for (size_t r = 0; r < rows->rows.size(); ++r) {
    std::map<std::string, db::Value> params;
    Finding f = MakeFinding(cause, *rows, r, deployment, &params);
    std::string status = "reported";
    if (!cause.risk) {
      if (f.confidence <= 0) {
        status = "zero_confidence";
      } else if (f.confidence < options.min_confidence) {
        status = "below_threshold";
      }
      if (status != "reported" && !options.explain) continue;
    }
    ETIOLOG_RETURN_IF_ERROR(AddEvidence(store, cause, params, where, options.query_step_limit, &f));
    if (cause.risk) {
      out->risks.push_back(std::move(f));
    } else {
      out->candidates.push_back({std::move(f), &cause, status, "", 0, 0});
    }
  }
  return Status::OK();
}

}  // namespace

Result<Verdict> Diagnoser::Run(const db::Store& store) const {
  Result<std::string> deployment = DetectDeployment(store);
  if (!deployment.ok()) return deployment.status();
  Verdict verdict;
  std::vector<Candidate> candidates;            // Rows of causes, in cause order.
  std::vector<const rules::Cause*> found_none;  // Causes without a row.
  std::vector<const rules::Cause*> failed;      // Causes skipped (not risks).
  for (const rules::Cause& cause : causes_) {
    CauseOutcome outcome;
    Status st = RunCause(store, cause, *deployment, options_, &outcome);
    if (!st.ok()) {
      // A query the store refused or stopped, or that failed: the pack's
      // bug, so this cause is skipped and the others still run. The store
      // failing ends the diagnosis.
      if (st.code() != Status::Code::kInvalidArgument) return st;
      verdict.cause_errors.push_back({cause.id, st.message()});
      if (!cause.risk) failed.push_back(&cause);
      continue;
    }
    if (outcome.found_none) found_none.push_back(&cause);
    for (Candidate& c : outcome.candidates) candidates.push_back(std::move(c));
    for (Finding& r : outcome.risks) verdict.risks.push_back(std::move(r));
  }
  auto failure = [&](const rules::Cause* c) {
    for (const CauseError& e : verdict.cause_errors) {
      if (e.cause == c->id) return Failed(*c, e.message);
    }
    return Failed(*c, "");
  };
  // Suppression: a cause that names another in suppressed_by yields to it
  // on the same surface, when the other is at least as likely.
  std::map<std::pair<std::string, std::string>, double> best;  // (cause, surface) -> confidence.
  for (const Candidate& c : candidates) {
    if (c.status != "reported") continue;
    double& b = best[{c.finding.cause, c.finding.surface}];
    b = std::max(b, c.finding.confidence);
  }
  for (Candidate& c : candidates) {
    if (c.status != "reported") continue;
    for (const auto& other : c.cause->suppressed_by) {
      auto it = best.find({other, c.finding.surface});
      if (it != best.end() && it->second >= c.finding.confidence) {
        c.status = "suppressed";
        c.suppressor = other;
        c.suppressor_conf = it->second;
        break;
      }
    }
  }
  std::vector<size_t> ranked;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].status == "reported") ranked.push_back(i);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [&](size_t x, size_t y) {
    const Finding& a = candidates[x].finding;
    const Finding& b = candidates[y].finding;
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    if (a.cause != b.cause) return a.cause < b.cause;
    return a.fingerprint < b.fingerprint;
  });
  // Two rows of one cause with the same scope: keep fingerprints unique.
  std::map<std::string, int> seen;
  int rank = 0;
  for (size_t i : ranked) {
    Finding& f = candidates[i].finding;
    if (int n = seen[f.fingerprint]++; n > 0) f.fingerprint += "-" + std::to_string(n + 1);
    candidates[i].rank = ++rank;
  }
  // A risk yields to a finding of a cause it lists in suppressed_by on its
  // surface (any surface if it has none): the failure it foretold is here.
  std::map<std::string, const rules::Cause*> by_id;
  for (const auto& c : causes_) by_id[c.id] = &c;
  verdict.risks.erase(
      std::remove_if(verdict.risks.begin(), verdict.risks.end(),
                     [&](const Finding& risk) {
                       for (const std::string& other : by_id[risk.cause]->suppressed_by) {
                         for (size_t i : ranked) {
                           const Finding& f = candidates[i].finding;
                           if (f.cause == other &&
                               (risk.surface.empty() || f.surface == risk.surface)) {
                             return true;
                           }
                         }
                       }
                       return false;
                     }),
      verdict.risks.end());
  for (Finding& r : verdict.risks) {
    if (int n = seen[r.fingerprint]++; n > 0) r.fingerprint += "-" + std::to_string(n + 1);
  }
  if (options_.explain) {
    // The order of Verdict::considered: findings by rank, the other rows most
    // likely first, then the causes that found nothing.
    std::vector<size_t> order = ranked;
    std::vector<size_t> rest;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (candidates[i].status != "reported") rest.push_back(i);
    }
    std::stable_sort(rest.begin(), rest.end(), [&](size_t x, size_t y) {
      return candidates[x].finding.confidence > candidates[y].finding.confidence;
    });
    order.insert(order.end(), rest.begin(), rest.end());
    for (size_t i : order) {
      verdict.considered.push_back(
          MakeAlternative(candidates[i], nullptr, options_.min_confidence));
    }
    for (const rules::Cause* c : found_none) verdict.considered.push_back(NotFound(*c));
    for (const rules::Cause* c : failed) verdict.considered.push_back(failure(c));
    for (size_t i : ranked) {
      Finding& f = candidates[i].finding;
      for (size_t j : order) {
        if (candidates[j].finding.cause == f.cause) continue;
        f.alternatives.push_back(MakeAlternative(candidates[j], &f, options_.min_confidence));
      }
      for (const rules::Cause* c : found_none) f.alternatives.push_back(NotFound(*c));
      for (const rules::Cause* c : failed) f.alternatives.push_back(failure(c));
    }
  }
  for (size_t i : ranked) verdict.findings.push_back(std::move(candidates[i].finding));
  return verdict;
}

Result<std::vector<Finding>> Diagnoser::Diagnose(const db::Store& store) const {
  Result<Verdict> v = Run(store);
  if (!v.ok()) return v.status();
  return std::move(v->findings);
}

namespace {

db::FindingRecord MakeRecord(const Finding& f, bool risk) {
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
  r.risk = risk;
  for (const EvidenceLine& e : f.evidence) r.evidence.emplace_back(e.event_id, e.role);
  for (const EvidenceLine& e : f.against) r.evidence.emplace_back(e.event_id, e.role);
  return r;
}

}  // namespace

Status SaveVerdict(const Verdict& verdict, std::string_view run, db::Store* store) {
  std::vector<db::FindingRecord> records;
  records.reserve(verdict.findings.size() + verdict.risks.size());
  for (const Finding& f : verdict.findings) records.push_back(MakeRecord(f, false));
  for (const Finding& f : verdict.risks) records.push_back(MakeRecord(f, true));
  return store->ReplaceFindings(records, run);
}

Status SaveFindings(const std::vector<Finding>& findings, std::string_view run, db::Store* store) {
  Verdict verdict;
  verdict.findings = findings;
  return SaveVerdict(verdict, run, store);
}

Result<std::vector<Finding>> LoadFindings(const db::Store& store, std::string* run) {
  Result<Verdict> v = LoadVerdict(store, run);
  if (!v.ok()) return v.status();
  return std::move(v->findings);
}

Result<Verdict> LoadVerdict(const db::Store& store, std::string* run) {
  Result<db::Diagnosis> saved = store.LoadFindings();
  if (!saved.ok()) return saved.status();
  if (run != nullptr) *run = saved->run;
  Verdict verdict;
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
    (r.risk ? verdict.risks : verdict.findings).push_back(std::move(f));
  }
  return verdict;
}

Result<Verdict> DiagnoseStore(db::Store* store, std::vector<rules::Cause> causes,
                              const DiagnoseOptions& options) {
  ETIOLOG_RETURN_IF_ERROR(store->BuildTimeline());
  Diagnoser diagnoser(std::move(causes), options);
  return diagnoser.Run(*store);
}

}  // namespace etiolog::analyzer
