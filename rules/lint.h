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
//
// Thread safety: pure function over an immutable Matcher.

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

}  // namespace etiolog::rules

#endif  // ETIOLOG_RULES_LINT_H_
