// SPDX-License-Identifier: Apache-2.0
//
// Pack self-tests: every rule's examples must match it (with the expected
// captures) and its counter-examples must not. Example lines are decoded
// exactly as log lines are, and matched by the same MatchRecord the
// pipeline uses (fallback rules included), so an example proves the whole
// path from raw line to event.
//
// Thread safety: pure function over an immutable Matcher.

#ifndef ETIOLOG_RULES_SELF_TEST_H_
#define ETIOLOG_RULES_SELF_TEST_H_

#include <string>
#include <vector>

#include "rules/matcher.h"

namespace etiolog::rules {

struct ExampleFailure {
  std::string rule;     // Rule id.
  std::string where;    // "<file>:<line>:<column>" of the example.
  std::string message;  // What went wrong.
};

// The outcome for one rule.
struct RuleTestResult {
  std::string rule;          // Rule id.
  std::string where;         // "<file>:<line>:<column>" of the rule.
  int examples = 0;          // Examples checked.
  int counter_examples = 0;  // Counter-examples checked.
  std::vector<ExampleFailure> failures;
};

struct SelfTestResult {
  int examples = 0;                      // Examples and counter-examples checked, in total.
  std::vector<RuleTestResult> rules;     // One per rule, in rule order.
  std::vector<ExampleFailure> failures;  // All failures, in rule order.
};

// Checks every example and counter-example of every rule in matcher.
SelfTestResult RunExamples(const Matcher& matcher);

}  // namespace etiolog::rules

#endif  // ETIOLOG_RULES_SELF_TEST_H_
