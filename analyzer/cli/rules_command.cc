// SPDX-License-Identifier: Apache-2.0
//
// `etiolog rules test|lint|list`.
//
// `rules test PACK` and `rules lint PACK` look at PACK's rules and causes
// only. Its rules are tested alone (with the built-in vocabulary), as a
// rule example is one line; its causes' examples are logs, which need every
// rule analyze would load, so they run against the built-in packs plus
// PACK, as `analyze --rules PACK` would.

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "analyzer/diagnosis/cause_examples.h"
#include "analyzer/diagnosis/cause_lint.h"
#include "rules/lint.h"
#include "rules/self_test.h"

namespace etiolog::analyzer {

namespace {

int Test(const LoadedRules& loaded, std::ostream& out) {
  rules::SelfTestResult result = rules::RunExamples(*loaded.matcher);
  size_t width = 0;
  for (const auto& r : result.rules) width = std::max(width, r.rule.size());
  int failed_rules = 0;
  for (const auto& r : result.rules) {
    std::string id = r.rule + std::string(width - r.rule.size(), ' ');
    std::string counts = std::to_string(r.examples) + " examples, " +
                         std::to_string(r.counter_examples) + " counter-examples";
    if (r.failures.empty()) {
      out << "ok    " << id << "  " << counts
          << (r.examples == 0 ? "  (no examples: nothing proves this rule)" : "") << "\n";
      continue;
    }
    ++failed_rules;
    out << "FAIL  " << id << "  " << counts << "\n";
    for (const auto& f : r.failures) out << "        " << f.where << ": " << f.message << "\n";
  }
  out << result.rules.size() << " rules, " << result.examples << " lines checked, "
      << result.failures.size() << " failure(s) in " << failed_rules << " rule(s)\n";
  return result.failures.empty() ? kExitOk : 1;
}

// Runs the examples of the causes defined in files (all if empty) with the
// rules and causes of loaded. Returns 0, 1 (a failure) or kExitFatal.
int TestCauses(const LoadedRules& loaded, const std::vector<std::string>& files, std::ostream& out,
               std::ostream& err) {
  Result<CauseTestSummary> result = RunCauseExamples(*loaded.matcher, loaded.packs.causes, files);
  if (!result.ok()) {
    err << "etiolog: " << result.status().message() << "\n";
    return kExitFatal;
  }
  size_t width = 0;
  for (const auto& c : result->causes) width = std::max(width, c.cause.size());
  int failed = 0;
  for (const auto& c : result->causes) {
    std::string id = c.cause + std::string(width - c.cause.size(), ' ');
    std::string counts = std::string(c.risk ? "risk: " : "") + std::to_string(c.examples) +
                         " example log(s), " + std::to_string(c.counter_examples) +
                         " counter-example log(s)";
    if (c.failures.empty()) {
      out << "ok    " << id << "  " << counts
          << (c.examples == 0 ? "  (no examples: nothing proves this cause)" : "") << "\n";
      continue;
    }
    ++failed;
    out << "FAIL  " << id << "  " << counts << "\n";
    for (const auto& f : c.failures) out << "        " << f.where << ": " << f.message << "\n";
  }
  out << result->causes.size() << " causes and risks, " << result->logs << " logs checked, "
      << result->failures.size() << " failure(s) in " << failed << " cause(s)\n";
  return result->failures.empty() ? kExitOk : 1;
}

// Prints cause lint issues; returns how many.
size_t PrintCauseIssues(const std::vector<rules::CauseLintIssue>& issues, std::ostream& out) {
  for (const auto& i : issues) {
    out << i.where << ": " << (i.error ? "error" : "warning") << ": cause '" << i.cause
        << "': " << i.message << "\n";
  }
  return issues.size();
}

int Lint(const LoadedRules& loaded, const std::vector<std::string>& other_causes, std::ostream& out,
         std::ostream& err) {
  std::vector<rules::LintWarning> warnings = rules::LintRules(*loaded.matcher, loaded.packs.kinds);
  for (const std::string& w : loaded.packs.warnings) {
    // "<file>:<line>:<column>: <what>" -> "<file>:<line>:<column>: warning: <what>"
    const size_t sep = w.find(": ");
    if (sep == std::string::npos) {
      out << "warning: " << w << "\n";
    } else {
      out << w.substr(0, sep) << ": warning: " << w.substr(sep + 2) << "\n";
    }
  }
  for (const auto& w : warnings) {
    out << w.where << ": warning: rule '" << w.rule << "': " << w.message << "\n";
  }
  const size_t total = warnings.size() + loaded.packs.warnings.size();
  // Causes: names first (no store needed), then the SQL against the schema.
  std::vector<std::string> known = other_causes;
  for (const rules::Cause& c : loaded.packs.causes) known.push_back(c.id);
  std::vector<rules::CauseLintIssue> issues = rules::LintCauses(loaded.packs.causes, known);
  Result<std::vector<rules::CauseLintIssue>> sql = LintCauseSql(loaded.packs.causes);
  if (!sql.ok()) {
    err << "etiolog: " << sql.status().message() << "\n";
    return kExitFatal;
  }
  issues.insert(issues.end(), sql->begin(), sql->end());
  std::stable_sort(issues.begin(), issues.end(),
                   [](const auto& a, const auto& b) { return a.error && !b.error; });
  PrintCauseIssues(issues, out);
  const size_t errors = static_cast<size_t>(
      std::count_if(issues.begin(), issues.end(), [](const auto& i) { return i.error; }));
  out << loaded.matcher->rules().size() << " rules, " << loaded.matcher->patterns().size()
      << " patterns, " << total << " warning(s)\n";
  out << loaded.packs.causes.size() << " causes and risks, " << errors << " error(s), "
      << issues.size() - errors << " warning(s)\n";
  return total == 0 && issues.empty() ? kExitOk : 1;
}

int List(const LoadedRules& loaded, bool literals, std::ostream& out) {
  const std::vector<rules::Rule>& rules = loaded.matcher->rules();
  size_t id_w = 2, kind_w = 4, surface_w = 7;
  for (const auto& r : rules) {
    id_w = std::max(id_w, r.id.size());
    kind_w = std::max(kind_w, r.kind.size());
    surface_w = std::max(surface_w, std::max<size_t>(r.surface.size(), 1));
  }
  auto pad = [](const std::string& s, size_t w) { return s + std::string(w - s.size(), ' '); };
  out << pad("id", id_w) << "  " << pad("kind", kind_w) << "  " << pad("surface", surface_w)
      << "  source\n";
  for (const auto& r : rules) {
    out << pad(r.id, id_w) << "  " << pad(r.kind, kind_w) << "  "
        << pad(r.surface.empty() ? "-" : r.surface, surface_w) << "  " << r.where.ToString()
        << "\n";
    if (!literals) continue;
    for (const auto& p : loaded.matcher->patterns()) {
      if (rules[static_cast<size_t>(p.rule)].id != r.id) continue;
      out << "    pattern " << p.index + 1 << " scans for:";
      for (const std::string& a : p.scan_atoms) out << " '" << a << "'";
      if (p.scan_atoms.size() < p.atoms.size()) {
        out << "  (of " << p.atoms.size() << " required literals)";
      }
      out << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

int RunRules(const RulesOptions& options, std::ostream& out, std::ostream& err) {
  rules::LoadOptions load;
  if (options.packs.empty()) {
    load.builtin = options.builtin_rules;
    load.default_dirs = options.default_rules;
  } else {
    // Only PACK's rules, but with the built-in vocabulary they may use.
    load.builtin = options.builtin_rules;
    load.builtin_vocabulary_only = true;
    load.default_dirs = false;
    load.paths = options.packs;
  }
  Result<LoadedRules> loaded = LoadRuleSet(load);
  if (!loaded.ok()) {
    err << "etiolog: " << loaded.status().message() << "\n";
    return kExitUsage;
  }
  if (options.action == "lint") {
    // PACK's causes may name the built-in ones (suppressed_by, examples).
    std::vector<std::string> builtin_causes;
    if (!options.packs.empty() && options.builtin_rules) {
      Result<std::vector<rules::Pack>> builtin = rules::BuiltinPacks();
      if (builtin.ok()) {
        for (const rules::Pack& p : *builtin) {
          for (const rules::Cause& c : p.causes) builtin_causes.push_back(c.id);
        }
      }
    }
    return Lint(*loaded, builtin_causes, out, err);
  }
  for (const std::string& w : loaded->packs.warnings) err << "etiolog: warning: " << w << "\n";
  if (options.action == "test") {
    const int rules_rc = Test(*loaded, out);
    int causes_rc = kExitOk;
    if (options.packs.empty()) {
      causes_rc = TestCauses(*loaded, {}, out, err);
    } else if (!loaded->packs.causes.empty()) {
      // PACK's causes (only they were loaded besides the vocabulary), run
      // with every rule and cause analyze --rules PACK would load.
      std::vector<std::string> files;
      for (const rules::Cause& c : loaded->packs.causes) {
        if (std::find(files.begin(), files.end(), c.where.file) == files.end()) {
          files.push_back(c.where.file);
        }
      }
      rules::LoadOptions full;
      full.builtin = options.builtin_rules;
      full.default_dirs = false;
      full.paths = options.packs;
      Result<LoadedRules> all = LoadRuleSet(full);
      if (!all.ok()) {
        err << "etiolog: " << all.status().message() << "\n";
        return kExitUsage;
      }
      causes_rc = TestCauses(*all, files, out, err);
    }
    if (causes_rc == kExitFatal) return kExitFatal;
    return rules_rc == kExitOk && causes_rc == kExitOk ? kExitOk : 1;
  }
  if (options.action == "list") return List(*loaded, options.literals, out);
  err << "etiolog rules: unknown action '" << options.action << "' (test, lint or list)\n";
  return kExitUsage;
}

}  // namespace etiolog::analyzer
