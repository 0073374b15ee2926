// SPDX-License-Identifier: Apache-2.0
#include "rules/lint.h"

#include <algorithm>
#include <set>

#include <re2/re2.h>

#include "ingest/decoder.h"

namespace etiolog::rules {

namespace {

// Removes leading inline flag groups such as "(?i)" or "(?s)".
std::string_view SkipFlags(std::string_view p) {
  while (p.size() > 3 && p[0] == '(' && p[1] == '?') {
    size_t close = p.find(')');
    if (close == std::string_view::npos) break;
    std::string_view flags = p.substr(2, close - 2);
    if (flags.find_first_not_of("imsU-") != std::string_view::npos) break;
    p.remove_prefix(close + 1);
  }
  return p;
}

bool AnchoredAtStart(std::string_view p) {
  p = SkipFlags(p);
  return p.rfind('^', 0) == 0 || p.rfind("\\A", 0) == 0;
}

bool AnchoredAtEnd(std::string_view p) {
  auto escaped = [&](size_t pos) {  // Is p[pos] preceded by an odd run of '\'?
    size_t n = 0;
    while (pos > n && p[pos - n - 1] == '\\') ++n;
    return n % 2 == 1;
  };
  if (!p.empty() && p.back() == '$' && !escaped(p.size() - 1)) return true;
  return p.size() >= 2 && p.substr(p.size() - 2) == "\\z" && !escaped(p.size() - 2);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<LintWarning> LintRules(const Matcher& matcher, const std::vector<KindInfo>& kinds) {
  std::vector<LintWarning> out;
  const std::vector<Rule>& rules = matcher.rules();
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(Matcher::kPatternMaxMem);
  for (size_t r = 0; r < rules.size(); ++r) {
    const Rule& rule = rules[r];
    auto warn = [&](const Location& at, std::string message) {
      out.push_back({at.ToString(), rule.id, std::move(message)});
    };
    if (rule.examples.empty()) warn(rule.where, "rule has no examples");
    if (rule.counter_examples.empty()) {
      warn(rule.where, "rule has no counter-examples (lines that look alike but must not match)");
    }
    const KindInfo* kind = nullptr;
    for (const KindInfo& k : kinds) {
      if (k.name == rule.kind) kind = &k;
    }
    std::set<std::string> captures;
    for (const auto& [capture, field] : rule.fields) captures.insert(capture);
    std::vector<std::unique_ptr<re2::RE2>> compiled;
    for (size_t p = 0; p < rule.patterns.size(); ++p) {
      const std::string& pattern = rule.patterns[p];
      const Location& at = p < rule.pattern_where.size() ? rule.pattern_where[p] : rule.where;
      compiled.push_back(std::make_unique<re2::RE2>(pattern, options));
      for (const auto& [name, index] : compiled.back()->NamedCapturingGroups()) {
        captures.insert(name);
      }
      if (rule.match_line && AnchoredAtStart(pattern)) {
        warn(at,
             "pattern is anchored to the start of the raw line, which deployments prefix "
             "(docker compose, Kubernetes, journald); drop the '^' or match the message");
      } else if (AnchoredAtStart(pattern) && AnchoredAtEnd(pattern)) {
        warn(at,
             "pattern is anchored at both ends, so it matches only a whole message; a prefix "
             "or trailing field the decoder leaves in place defeats it");
      }
    }
    for (const Matcher::PatternInfo& info : matcher.patterns()) {
      if (info.rule != static_cast<int>(r)) continue;
      const Location& at = static_cast<size_t>(info.index) < rule.pattern_where.size()
                               ? rule.pattern_where[static_cast<size_t>(info.index)]
                               : rule.where;
      for (const std::string& atom : info.scan_atoms) {
        std::string why = Matcher::LiteralWeakness(atom);
        if (!why.empty()) {
          warn(at, "prefilter literal '" + atom + "' is weak (" + why +
                       "): every line containing it is decoded; add distinctive fixed text");
        }
      }
    }
    if (kind != nullptr) {
      for (const std::string& c : captures) {
        const auto& ids = IdentityCaptures();
        if (std::find(kind->captures.begin(), kind->captures.end(), c) != kind->captures.end() ||
            std::find(ids.begin(), ids.end(), c) != ids.end()) {
          continue;
        }
        warn(rule.where, "capture '" + c + "' is not in the vocabulary of kind '" + rule.kind +
                             "' (documented captures: " + Join(kind->captures) +
                             "); causes will not look for it");
      }
    }
    if (rule.match_line && !rule.examples.empty()) {
      bool message_suffices = true;
      for (const Example& ex : rule.examples) {
        LogRecord record;
        ingest::DecodeLine(ex.line, ingest::DecoderOptions(), &record);
        bool on_message = false;
        for (const auto& re : compiled) {
          if (re->ok() && re2::RE2::PartialMatch(record.message, *re)) on_message = true;
        }
        if (!on_message) message_suffices = false;
      }
      if (message_suffices) {
        warn(rule.where,
             "every example also matches the decoded message; 'match: line' is not needed");
      }
    }
  }
  return out;
}

namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::vector<std::string> ClosestNames(const std::string& name,
                                      const std::vector<std::string>& known, size_t max) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const std::string& k : known) {
    const size_t d = EditDistance(name, k);
    const bool contains =
        !name.empty() && (k.find(name) != std::string::npos || name.find(k) != std::string::npos);
    if (d <= std::max<size_t>(2, k.size() / 3) || contains) scored.emplace_back(d, k);
  }
  std::sort(scored.begin(), scored.end());
  scored.erase(std::unique(scored.begin(), scored.end()), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < max; ++i) out.push_back(scored[i].second);
  return out;
}

std::vector<CauseLintIssue> LintCauses(const std::vector<Cause>& causes,
                                       const std::vector<std::string>& known_causes) {
  std::vector<CauseLintIssue> out;
  std::set<std::string> known(known_causes.begin(), known_causes.end());
  for (const Cause& c : causes) known.insert(c.id);
  const std::vector<std::string> names(known.begin(), known.end());
  auto unknown = [&](const std::string& name) {
    std::string hint;
    for (const std::string& k : ClosestNames(name, names)) {
      hint += (hint.empty() ? " (did you mean " : " or ") + k;
    }
    if (!hint.empty()) hint += "?)";
    return "'" + name + "', which is not a loaded cause" + hint;
  };
  for (const Cause& c : causes) {
    auto issue = [&](const Location& at, std::string message, bool error) {
      out.push_back({at.ToString(), c.id, std::move(message), error});
    };
    for (size_t i = 0; i < c.suppressed_by.size(); ++i) {
      const std::string& other = c.suppressed_by[i];
      const Location& at = i < c.suppressed_by_where.size() ? c.suppressed_by_where[i] : c.where;
      if (other == c.id) {
        issue(at, "suppressed_by names the cause itself", true);
      } else if (known.count(other) == 0) {
        issue(at, "suppressed_by names " + unknown(other) + ": it never suppresses anything", true);
      }
    }
    for (const auto* list : {&c.examples, &c.counter_examples}) {
      for (const CauseExample& ex : *list) {
        if (!ex.cause.empty() && known.count(ex.cause) == 0) {
          issue(ex.where, "example expects cause " + unknown(ex.cause), true);
        }
      }
    }
    if (c.examples.empty()) {
      issue(c.where, "cause has no examples (logs that must produce it)", false);
    }
    if (c.counter_examples.empty()) {
      issue(c.where, "cause has no counter-examples (look-alike logs that must not produce it)",
            false);
    }
    if (c.meaning.empty()) issue(c.where, "cause has no 'meaning' (etiolog explain)", false);
    if (c.looks_for.empty()) issue(c.where, "cause has no 'looks_for' (etiolog explain)", false);
    if (c.collect.empty()) {
      issue(c.where, "cause has no 'collect' (what to gather when it is in doubt)", false);
    }
  }
  return out;
}

}  // namespace etiolog::rules
