// SPDX-License-Identifier: Apache-2.0
//
// Build: every pattern is added to one re2::FilteredRE2, which computes for
// each pattern a boolean formula over lower-cased literals ("atoms") that any
// match must contain. The atoms go into one vectorscan literal database,
// compiled caseless.
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
  o.set_max_mem(int64_t{8} << 20);
  return o;
}

}  // namespace

struct Matcher::Engine {
  hs_database_t* db = nullptr;
  ~Engine() {
    if (db != nullptr) hs_free_database(db);
  }
};

class Matcher::Scratch {
 public:
  hs_scratch_t* hs = nullptr;
  std::vector<std::pair<unsigned long long, unsigned>> hits;  // (end, atom)
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
  std::vector<std::pair<int, int>> regexp_where;  // regexp id -> (rule, pattern)
  for (size_t r = 0; r < rules.size(); ++r) {
    const Rule& rule = rules[r];
    auto [it, inserted] = seen.emplace(rule.id, rule.where);
    if (!inserted) {
      return Status::InvalidArgument(rule.where.ToString() + ": duplicate rule id '" + rule.id +
                                     "' (first defined at " + it->second.ToString() + ")");
    }
    for (size_t p = 0; p < rule.patterns.size(); ++p) {
      const Location& at = p < rule.pattern_where.size() ? rule.pattern_where[p] : rule.where;
      re2::RE2 probe(rule.patterns[p], PatternOptions());
      if (!probe.ok()) {
        return Status::InvalidArgument(at.ToString() + ": rule '" + rule.id +
                                       "': invalid pattern: " + probe.error());
      }
      int id = -1;
      if (m->filter_->Add(rule.patterns[p], PatternOptions(), &id) != re2::RE2::NoError) {
        return Status::InvalidArgument(at.ToString() + ": rule '" + rule.id +
                                       "': pattern rejected by the prefilter");
      }
      m->regexp_rule_.push_back(static_cast<int>(r));
      regexp_where.emplace_back(static_cast<int>(r), static_cast<int>(p));
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
  if (m->regexp_rule_.empty()) {
    m->rules_ = std::move(rules);
    return m;
  }
  m->filter_->Compile(&m->atoms_);
  // Patterns that pass the filter with no atom at all have no required
  // literal: they would run on every line.
  std::vector<int> unfiltered;
  m->filter_->AllPotentials({}, &unfiltered);
  if (!unfiltered.empty()) {
    auto [r, p] = regexp_where[unfiltered.front()];
    const Rule& rule = rules[r];
    const Location& at =
        p < static_cast<int>(rule.pattern_where.size()) ? rule.pattern_where[p] : rule.where;
    return Status::InvalidArgument(
        at.ToString() + ": rule '" + rule.id + "': pattern has no required literal of " +
        std::to_string(kMinAtomLength) +
        "+ characters, so it would run on every line; add fixed text to it");
  }
  std::vector<const char*> lits;
  std::vector<size_t> lens;
  std::vector<unsigned> flags, ids;
  for (size_t i = 0; i < m->atoms_.size(); ++i) {
    lits.push_back(m->atoms_[i].data());
    lens.push_back(m->atoms_[i].size());
    flags.push_back(HS_FLAG_CASELESS);
    ids.push_back(static_cast<unsigned>(i));
  }
  m->engine_ = std::make_unique<Engine>();
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(lits.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(lits.size()), HS_MODE_BLOCK, nullptr,
                           &m->engine_->db, &err) != HS_SUCCESS) {
    std::string msg = err != nullptr ? err->message : "unknown error";
    hs_free_compile_error(err);
    return Status::Internal("vectorscan could not compile the rule literals: " + msg);
  }
  m->rules_ = std::move(rules);
  return m;
}

void Matcher::ScratchDeleter::operator()(Scratch* s) const { delete s; }

Matcher::ScratchPtr Matcher::NewScratch() const {
  ScratchPtr s(new Scratch());
  if (engine_ != nullptr) {
    // Allocation failure leaves hs null; Scan reports it.
    hs_alloc_scratch(engine_->db, &s->hs);
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
  if (hs_scan(engine_->db, text.data(), static_cast<unsigned>(text.size()), 0, scratch->hs, OnHit,
              &scratch->hits) != HS_SUCCESS) {
    return Status::Internal("vectorscan scan failed");
  }
  auto& hits = scratch->hits;
  if (hits.empty()) return Status::OK();
  std::sort(hits.begin(), hits.end());
  const char* base = text.data();
  size_t line_begin = 0, line_end = 0;
  bool open = false;
  std::vector<int>& atoms = scratch->line_atoms;
  auto flush = [&]() {
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
  return Status::OK();
}

void Matcher::MatchRecord(const LogRecord& record, const std::vector<int>& atoms,
                          std::vector<Match>* out) const {
  if (atoms.empty() || engine_ == nullptr) return;
  std::vector<int> potentials;
  filter_->AllPotentials(atoms, &potentials);
  std::sort(potentials.begin(), potentials.end());
  int last_rule = -1;
  for (int re_id : potentials) {
    const int r = regexp_rule_[re_id];
    if (r == last_rule) continue;  // An earlier pattern of this rule matched.
    const Rule& rule = rules_[r];
    if (rule.min_level != Level::kUnknown && record.level != Level::kUnknown &&
        record.level < rule.min_level) {
      continue;
    }
    if (!rule.component.empty() && !record.process.component.empty() &&
        record.process.component != rule.component) {
      continue;
    }
    if (logger_re_[r] != nullptr && !record.logger.empty() &&
        !re2::RE2::PartialMatch(record.logger, *logger_re_[r])) {
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
    out->push_back(std::move(m));
    last_rule = r;
  }
}

void Matcher::MatchRecordSlow(const LogRecord& record, std::vector<Match>* out) const {
  std::string lower;
  lower.reserve(record.text.size());
  for (char c : record.text) {
    lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
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
