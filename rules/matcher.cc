// SPDX-License-Identifier: Apache-2.0
//
// Build: every pattern is added to one re2::FilteredRE2, which computes for
// each pattern a boolean formula over lower-cased literals ("atoms") that any
// match must contain.
//
// Scan atoms: FilteredRE2 lists every literal of an AND, so an access-line
// pattern contributes `" 403` (rare) and ` - ` (in most classic log lines).
// Scanning for all of them would make most lines candidates. Each pattern is
// therefore also compiled alone, and its atoms are dropped from the scan set
// one by one, weakest first, as long as the pattern's formula stays false
// when every dropped atom is present: the remaining set is one that every
// match must contain an atom of. The union over patterns goes into the scan
// database; if it is smaller than the full atom list, a second database of
// all atoms rescans each candidate line, so MatchRecord sees every atom the
// line holds, as FilteredRE2 needs.
//
// Scan: vectorscan reports (atom, end offset) over the whole chunk; hits are
// grouped by the line that contains them, and each line with hits is handed
// to the caller with its sorted atom ids.
//
// Match: FilteredRE2::AllPotentials evaluates the atom formulas; only the
// patterns that pass run, with captures. Conditions on fields the record
// does not carry (no logger, no level) are not checked: a condition rejects
// contradicting evidence, never missing evidence, because real deployments
// mangle prefixes.

#include "rules/matcher.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include <hs.h>
#include <re2/filtered_re2.h>
#include <re2/re2.h>

namespace etiolog::rules {

namespace {

re2::RE2::Options PatternOptions() {
  re2::RE2::Options o;
  o.set_log_errors(false);  // RE2::Quiet
  o.set_max_mem(Matcher::kPatternMaxMem);
  return o;
}

// Fragments present in a large share of Airflow log lines (lower-case). A
// literal inside one of them makes every such line a scan candidate.
constexpr std::string_view kCommonFragments[] = {
    "[info     ]",
    "[warning  ]",
    "[error    ]",
    "[debug    ]",
    "[critical ]",
    "info:     ",
    "warning:  ",
    "error:    ",
    "debug:    ",
    "] info - ",
    "] warning - ",
    "] error - ",
    "] debug - ",
    "[info] ",
    "[warning] ",
    "[error] ",
    ": info/mainprocess] ",
    ": info/forkpoolworker-",
    "\"level\":\"info\"",
    "\"level\":\"warning\"",
    "\"level\":\"error\"",
    "\"event\":\"",
    "\"timestamp\":\"",
    "\"logger\":\"",
    "\"filename\":\"",
    "\"lineno\":",
    "traceback (most recent call last):",
    "  file \"/usr/local/lib/python3.12/site-packages/airflow/",
    ".py\", line ",
    " loc=",
    ".py:",
    "airflow.",
    "airflow/",
    "airflow-",
    "http://",
    "https://",
    " http/1.1\" 200 ok",
    " http/1.1\" 204 no content",
    " http/1.1\" 304 not modified",
    "\"get /api/v2/",
    "\"post /api/v2/",
    "\"put /api/v2/",
    "\"patch /api/v2/",
    "\"get /ui/",
    "\"get /static/",
    "\"get /health",
    "http request: ",
    " \"http/1.1 200 ok\"",
    " \"http/1.1 204 no content\"",
    "\"http/1.1 200 ok\"",
    "\"http/1.1 204 no content\"",
    "request finished",
    "method=",
    "path=",
    "query=",
    "status_code=",
    "duration_us=",
    "client_addr=",
    "/execution/task-instances/",
    "/heartbeat",
    "correlation_id=",
    "dag_id=",
    "run_id=",
    "task_id=",
    "map_index=",
    "try_number=",
    "ti_id=",
    "logger=",
    "filename=",
    "lineno=",
    "exit_code=",
    "taskinstance",
    "task instance",
    "task_instance",
    "executor",
    "scheduler_job_runner",
    "supervisor",
    "celery",
    "running",
    "success",
    "queued",
    "finished",
    "starting",
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

size_t DistinctBytes(const std::string& s) {
  bool seen[256] = {};
  size_t n = 0;
  for (char c : s) {
    auto& b = seen[static_cast<unsigned char>(c)];
    if (!b) ++n;
    b = true;
  }
  return n;
}

// Orders atoms weakest first: weak ones, then shorter ones, then those with
// fewer distinct bytes (repetitive text is more common than varied text).
bool WeakerThan(const std::string& a, const std::string& b) {
  const bool wa = !Matcher::LiteralWeakness(a).empty();
  const bool wb = !Matcher::LiteralWeakness(b).empty();
  if (wa != wb) return wa;
  if (a.size() != b.size()) return a.size() < b.size();
  const size_t da = DistinctBytes(a), db = DistinctBytes(b);
  if (da != db) return da < db;
  return a < b;
}

}  // namespace

std::string Matcher::LiteralWeakness(std::string_view atom) {
  if (atom.size() < 4) return "shorter than 4 characters";
  for (std::string_view f : kCommonFragments) {
    if (f.find(atom) != std::string_view::npos) {
      return "occurs in most Airflow log lines (part of '" + std::string(f) + "')";
    }
  }
  return "";
}

struct Matcher::Engine {
  hs_database_t* scan_db = nullptr;  // Scan atoms; ids are atom ids.
  hs_database_t* full_db = nullptr;  // All atoms, or null if scan_db has all.
  ~Engine() {
    if (scan_db != nullptr) hs_free_database(scan_db);
    if (full_db != nullptr) hs_free_database(full_db);
  }
};

class Matcher::Scratch {
 public:
  hs_scratch_t* hs = nullptr;
  std::vector<std::pair<unsigned long long, unsigned>> hits;  // (end, atom)
  std::vector<std::pair<unsigned long long, unsigned>> line_hits;
  std::vector<int> line_atoms;
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    if (hs != nullptr) hs_free_scratch(hs);
  }
};

Matcher::Matcher() = default;
Matcher::~Matcher() = default;

namespace {

Status CompileLiterals(const std::vector<std::string>& atoms, const std::vector<int>& ids,
                       hs_database_t** db) {
  std::vector<const char*> lits;
  std::vector<size_t> lens;
  std::vector<unsigned> flags, hs_ids;
  for (int id : ids) {
    // vectorscan takes a literal that starts with NUL for an empty one.
    // Searching for the rest finds a superset of the lines, which is all a
    // prefilter needs; Create rejects atoms made only of NULs.
    std::string_view lit = atoms[static_cast<size_t>(id)];
    while (!lit.empty() && lit.front() == '\0') lit.remove_prefix(1);
    lits.push_back(lit.data());
    lens.push_back(lit.size());
    flags.push_back(HS_FLAG_CASELESS);
    hs_ids.push_back(static_cast<unsigned>(id));
  }
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(lits.data(), flags.data(), hs_ids.data(), lens.data(),
                           static_cast<unsigned>(lits.size()), HS_MODE_BLOCK, nullptr, db,
                           &err) != HS_SUCCESS) {
    std::string msg = err != nullptr ? err->message : "unknown error";
    hs_free_compile_error(err);
    return Status::Internal("vectorscan could not compile the rule literals: " + msg);
  }
  return Status::OK();
}

// Atoms of one pattern alone, and a minimal subset every match contains one
// of. Returns false if the pattern has no required literal.
bool AnalysePattern(const std::string& pattern, std::vector<std::string>* atoms,
                    std::vector<std::string>* scan) {
  re2::FilteredRE2 one(Matcher::kMinAtomLength);
  int id = -1;
  if (one.Add(pattern, PatternOptions(), &id) != re2::RE2::NoError) return false;
  one.Compile(atoms);
  std::vector<int> potentials;
  one.AllPotentials({}, &potentials);
  if (!potentials.empty()) return false;
  std::vector<size_t> order(atoms->size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return WeakerThan((*atoms)[a], (*atoms)[b]); });
  std::vector<bool> dropped(atoms->size(), false);
  for (size_t i : order) {
    dropped[i] = true;
    std::vector<int> present;
    for (size_t j = 0; j < dropped.size(); ++j) {
      if (dropped[j]) present.push_back(static_cast<int>(j));
    }
    potentials.clear();
    one.AllPotentials(present, &potentials);
    if (!potentials.empty()) dropped[i] = false;  // Needed: keep scanning for it.
  }
  for (size_t j = 0; j < atoms->size(); ++j) {
    if (!dropped[j]) scan->push_back((*atoms)[j]);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<Matcher>> Matcher::Create(std::vector<Rule> rules,
                                                 const std::vector<Redaction>& redactions) {
  std::unique_ptr<Matcher> m(new Matcher());
  for (const Redaction& r : redactions) {
    auto re = std::make_unique<const re2::RE2>(r.pattern, PatternOptions());
    if (!re->ok()) {
      return Status::InvalidArgument(r.where.ToString() +
                                     ": invalid redact pattern: " + re->error());
    }
    if (re->NumberOfCapturingGroups() < 1) {
      return Status::InvalidArgument(r.where.ToString() +
                                     ": redact pattern needs a capture group around the secret");
    }
    m->redact_re_.push_back(std::move(re));
  }
  m->filter_ = std::make_unique<re2::FilteredRE2>(kMinAtomLength);
  std::map<std::string, Location> seen;
  for (size_t r = 0; r < rules.size(); ++r) {
    const Rule& rule = rules[r];
    auto [it, inserted] = seen.emplace(rule.id, rule.where);
    if (!inserted) {
      return Status::InvalidArgument(rule.where.ToString() + ": duplicate rule id '" + rule.id +
                                     "' (first defined at " + it->second.ToString() + ")");
    }
    std::set<std::string> capture_names;
    for (const auto& [capture, field] : rule.fields) capture_names.insert(capture);
    for (size_t p = 0; p < rule.patterns.size(); ++p) {
      const Location& at = p < rule.pattern_where.size() ? rule.pattern_where[p] : rule.where;
      re2::RE2 probe(rule.patterns[p], PatternOptions());
      if (!probe.ok()) {
        return Status::InvalidArgument(at.ToString() + ": rule '" + rule.id +
                                       "': invalid pattern: " + probe.error());
      }
      for (const auto& [name, index] : probe.NamedCapturingGroups()) capture_names.insert(name);
      PatternInfo info;
      info.rule = static_cast<int>(r);
      info.index = static_cast<int>(p);
      if (!AnalysePattern(rule.patterns[p], &info.atoms, &info.scan_atoms)) {
        return Status::InvalidArgument(
            at.ToString() + ": rule '" + rule.id + "': pattern has no required literal of " +
            std::to_string(kMinAtomLength) +
            "+ characters, so it would run on every line; add fixed text to it");
      }
      for (const std::string& atom : info.atoms) {
        if (atom.find_first_not_of('\0') == std::string::npos) {
          return Status::InvalidArgument(at.ToString() + ": rule '" + rule.id +
                                         "': pattern requires a literal made only of NUL bytes, "
                                         "which the literal scan cannot look for");
        }
      }
      int id = -1;
      if (m->filter_->Add(rule.patterns[p], PatternOptions(), &id) != re2::RE2::NoError) {
        return Status::InvalidArgument(at.ToString() + ": rule '" + rule.id +
                                       "': pattern rejected by the prefilter");
      }
      m->regexp_rule_.push_back(static_cast<int>(r));
      m->patterns_.push_back(std::move(info));
    }
    for (const Example& ex : rule.examples) {
      for (size_t c = 0; c < ex.captures.size(); ++c) {
        const std::string& name = ex.captures[c].first;
        if (capture_names.count(name) != 0) continue;
        const Location& at = c < ex.capture_where.size() ? ex.capture_where[c] : ex.where;
        return Status::InvalidArgument(at.ToString() + ": rule '" + rule.id +
                                       "': example expects capture '" + name +
                                       "', but no pattern of the rule has (?P<" + name +
                                       ">...) and 'fields' does not name it");
      }
    }
    std::unique_ptr<const re2::RE2> logger;
    if (!rule.logger.empty()) {
      logger = std::make_unique<const re2::RE2>(rule.logger, PatternOptions());
      if (!logger->ok()) {
        return Status::InvalidArgument(rule.where.ToString() + ": rule '" + rule.id +
                                       "': invalid where.logger pattern: " + logger->error());
      }
    }
    m->logger_re_.push_back(std::move(logger));
  }
  m->rules_ = std::move(rules);
  if (m->regexp_rule_.empty()) return m;
  m->filter_->Compile(&m->atoms_);

  // The scan set: the union of the patterns' scan atoms, as global ids.
  std::map<std::string, int> atom_id;
  for (size_t i = 0; i < m->atoms_.size(); ++i) atom_id[m->atoms_[i]] = static_cast<int>(i);
  std::set<int> scan;
  bool complete = true;  // Every scan atom is a global atom.
  for (const PatternInfo& info : m->patterns_) {
    for (const std::string& a : info.scan_atoms) {
      auto it = atom_id.find(a);
      if (it == atom_id.end()) {
        complete = false;
      } else {
        scan.insert(it->second);
      }
    }
  }
  std::vector<int> all(m->atoms_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  m->engine_ = std::make_unique<Engine>();
  if (!complete || scan.size() == all.size()) {
    ETIOLOG_RETURN_IF_ERROR(CompileLiterals(m->atoms_, all, &m->engine_->scan_db));
  } else {
    ETIOLOG_RETURN_IF_ERROR(CompileLiterals(m->atoms_, std::vector<int>(scan.begin(), scan.end()),
                                            &m->engine_->scan_db));
    ETIOLOG_RETURN_IF_ERROR(CompileLiterals(m->atoms_, all, &m->engine_->full_db));
  }
  return m;
}

void Matcher::ScratchDeleter::operator()(Scratch* s) const { delete s; }

Matcher::ScratchPtr Matcher::NewScratch() const {
  ScratchPtr s(new Scratch());
  if (engine_ != nullptr) {
    // Allocation failure leaves hs null; Scan reports it. One scratch can
    // serve both databases.
    if (hs_alloc_scratch(engine_->scan_db, &s->hs) == HS_SUCCESS && engine_->full_db != nullptr &&
        hs_alloc_scratch(engine_->full_db, &s->hs) != HS_SUCCESS) {
      hs_free_scratch(s->hs);
      s->hs = nullptr;
    }
  }
  return s;
}

namespace {
int OnHit(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
          void* ctx) {
  static_cast<std::vector<std::pair<unsigned long long, unsigned>>*>(ctx)->emplace_back(to, id);
  return 0;
}
}  // namespace

Status Matcher::Scan(std::string_view text, Scratch* scratch, const CandidateFn& fn) const {
  if (engine_ == nullptr || text.empty()) return Status::OK();
  if (scratch->hs == nullptr) return Status::Internal("vectorscan scratch allocation failed");
  scratch->hits.clear();
  if (hs_scan(engine_->scan_db, text.data(), static_cast<unsigned>(text.size()), 0, scratch->hs,
              OnHit, &scratch->hits) != HS_SUCCESS) {
    return Status::Internal("vectorscan scan failed");
  }
  auto& hits = scratch->hits;
  if (hits.empty()) return Status::OK();
  std::sort(hits.begin(), hits.end());
  const char* base = text.data();
  size_t line_begin = 0, line_end = 0;
  bool open = false;
  bool failed = false;
  std::vector<int>& atoms = scratch->line_atoms;
  auto flush = [&]() {
    if (engine_->full_db != nullptr) {
      // The scan found one atom; FilteredRE2 needs all the line holds.
      scratch->line_hits.clear();
      if (hs_scan(engine_->full_db, base + line_begin, static_cast<unsigned>(line_end - line_begin),
                  0, scratch->hs, OnHit, &scratch->line_hits) != HS_SUCCESS) {
        failed = true;
        return;
      }
      atoms.clear();
      for (const auto& [to, id] : scratch->line_hits) atoms.push_back(static_cast<int>(id));
    }
    std::sort(atoms.begin(), atoms.end());
    atoms.erase(std::unique(atoms.begin(), atoms.end()), atoms.end());
    fn(line_begin, line_end, atoms);
  };
  for (const auto& [to, id] : hits) {
    size_t last = static_cast<size_t>(to) - 1;  // Last byte of the literal.
    if (open && last < line_end) {
      atoms.push_back(static_cast<int>(id));
      continue;
    }
    if (open) flush();
    if (failed) return Status::Internal("vectorscan scan failed");
    const void* nl_before = last == 0 ? nullptr : memrchr(base, '\n', last);
    line_begin = nl_before == nullptr
                     ? 0
                     : static_cast<size_t>(static_cast<const char*>(nl_before) - base) + 1;
    const void* nl_after = std::memchr(base + last, '\n', text.size() - last);
    line_end = nl_after == nullptr ? text.size()
                                   : static_cast<size_t>(static_cast<const char*>(nl_after) - base);
    atoms.clear();
    atoms.push_back(static_cast<int>(id));
    open = true;
  }
  if (open) flush();
  if (failed) return Status::Internal("vectorscan scan failed");
  return Status::OK();
}

void Matcher::MatchRecord(const LogRecord& record, const std::vector<int>& atoms,
                          std::vector<Match>* out) const {
  if (atoms.empty() || engine_ == nullptr) return;
  std::vector<int> potentials;
  filter_->AllPotentials(atoms, &potentials);
  std::sort(potentials.begin(), potentials.end());
  const size_t first = out->size();
  bool specific = false;  // A non-fallback rule matched.
  int last_rule = -1;
  for (int re_id : potentials) {
    const int r = regexp_rule_[re_id];
    if (r == last_rule) continue;  // An earlier pattern of this rule matched.
    const Rule& rule = rules_[r];
    // A missing field rejects only under a strict `where`.
    const bool strict = rule.where_strict;
    if (rule.min_level != Level::kUnknown &&
        (record.level != Level::kUnknown ? record.level < rule.min_level : strict)) {
      continue;
    }
    if (!rule.component.empty() &&
        (!record.process.component.empty() ? record.process.component != rule.component : strict)) {
      continue;
    }
    if (logger_re_[r] != nullptr &&
        (!record.logger.empty() ? !re2::RE2::PartialMatch(record.logger, *logger_re_[r])
                                : strict)) {
      continue;
    }
    const re2::RE2& re = filter_->GetRE2(re_id);
    const std::string& text = rule.match_line ? record.text : record.message;
    const int ngroups = re.NumberOfCapturingGroups();
    std::vector<re2::StringPiece> groups(static_cast<size_t>(ngroups) + 1);
    if (!re.Match(text, 0, text.size(), re2::RE2::UNANCHORED, groups.data(), ngroups + 1)) {
      continue;
    }
    Match m;
    m.rule = r;
    for (const auto& [index, name] : re.CapturingGroupNames()) {
      const re2::StringPiece& g = groups[static_cast<size_t>(index)];
      if (g.data() != nullptr) m.captures.emplace_back(name, std::string(g.data(), g.size()));
    }
    for (const auto& kv : rule.fields) {
      const std::string& capture = kv.first;
      auto have = [&](const auto& c) { return c.first == capture; };
      if (std::any_of(m.captures.begin(), m.captures.end(), have)) continue;
      for (const auto& [key, value] : record.fields) {
        if (key == kv.second) {
          m.captures.emplace_back(capture, value);
          break;
        }
      }
    }
    specific = specific || !rule.fallback;
    out->push_back(std::move(m));
    last_rule = r;
  }
  if (specific) {
    // Catch-alls give way to the rules that recognised the line.
    out->erase(std::remove_if(out->begin() + static_cast<std::ptrdiff_t>(first), out->end(),
                              [&](const Match& m) { return rules_[m.rule].fallback; }),
               out->end());
  }
}

void Matcher::MatchRecordSlow(const LogRecord& record, std::vector<Match>* out) const {
  const std::string lower = Lower(record.text);
  std::vector<int> atoms;
  for (size_t i = 0; i < atoms_.size(); ++i) {
    if (lower.find(atoms_[i]) != std::string::npos) atoms.push_back(static_cast<int>(i));
  }
  MatchRecord(record, atoms, out);
}

bool Matcher::Redact(std::string* text) const {
  bool changed = false;
  for (const auto& re : redact_re_) {
    re2::StringPiece groups[2];
    size_t pos = 0;
    while (pos <= text->size() &&
           re->Match(*text, pos, text->size(), re2::RE2::UNANCHORED, groups, 2)) {
      const re2::StringPiece& g = groups[1];
      const size_t match_end =
          static_cast<size_t>(groups[0].data() - text->data()) + groups[0].size();
      if (g.data() == nullptr || g.empty()) {
        pos = match_end + 1;
        continue;
      }
      const size_t start = static_cast<size_t>(g.data() - text->data());
      text->replace(start, g.size(), "***");
      changed = true;
      pos = start + 3 + (match_end - start - g.size());
    }
  }
  return changed;
}

}  // namespace etiolog::rules
