// SPDX-License-Identifier: Apache-2.0
//
// Lint: what a pack can get wrong without being invalid. Loading catches
// errors (bad YAML, bad RE2, unknown kind); lint warns about rules that
// load but will cost speed or miss real lines:
//   - a rule without examples or without counter-examples;
//   - a scanned literal that is short or occurs in most log lines (every
//     line containing it is decoded: see Matcher::LiteralWeakness);
//   - a pattern anchored at both ends (a mangled prefix or a trailing
//     field defeats it), or a `match: line` pattern anchored at the line
//     start (deployments prefix lines: docker compose, Kubernetes, journald);
//   - a `match: line` rule whose examples all match the decoded message, so
//     the whole line is not needed;
//   - a capture name the vocabulary of the rule's kind does not list.
// For causes (LintCauses), what can be checked without a store: a
// `suppressed_by` or example `cause` naming no loaded cause (errors: the
// suppression or the example can never work), and causes without
// examples, counter-examples or the texts `explain` shows (warnings). The
// analyzer checks the causes' SQL against the store schema.
//
// Thread safety: pure functions over immutable inputs.

#ifndef ETIOLOG_RULES_LINT_H_
#define ETIOLOG_RULES_LINT_H_

#include <string>
#include <vector>

#include "rules/matcher.h"
#include "rules/pack.h"

namespace etiolog::rules {

struct LintWarning {
  std::string where;    // "<file>:<line>:<column>" of the rule or pattern.
  std::string rule;     // Rule id.
  std::string message;  // What is suspicious and why.
};

// Lints every rule of matcher. kinds are the kinds the loaded packs declare
// (PackSet::kinds): a capture a rule's kind does not list is warned about.
std::vector<LintWarning> LintRules(const Matcher& matcher, const std::vector<KindInfo>& kinds);

// A problem with a cause. An error means the cause cannot work as written
// (a name that refers to nothing, SQL that does not prepare); a warning
// means it works but is not proven or not explained.
struct CauseLintIssue {
  std::string where;    // "<file>:<line>:<column>" of the cause or the value.
  std::string cause;    // Cause id.
  std::string message;  // What is wrong and why it matters.
  bool error = false;
};

// The names in known closest to name, closest first, at most max: those
// within a small edit distance (a third of their length, at least 2) or
// containing it or contained in it. For "did you mean" messages.
std::vector<std::string> ClosestNames(const std::string& name,
                                      const std::vector<std::string>& known, size_t max = 3);

// Lints causes (PackSet::causes, or a subset). known_causes are the ids a
// `suppressed_by` or an example's `cause` may name: every loaded cause,
// which may include causes of packs that are not linted.
std::vector<CauseLintIssue> LintCauses(const std::vector<Cause>& causes,
                                       const std::vector<std::string>& known_causes);

}  // namespace etiolog::rules

#endif  // ETIOLOG_RULES_LINT_H_
