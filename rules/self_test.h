// SPDX-License-Identifier: Apache-2.0
//
// Pack self-tests: every rule's examples must match it (with the expected
// captures) and its counter-examples must not. Example lines are decoded
// exactly as log lines are, so an example proves the whole path from raw
// line to event.
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

struct SelfTestResult {
  int examples = 0;  // Examples and counter-examples checked.
  std::vector<ExampleFailure> failures;
};

// Checks every example and counter-example of every rule in matcher.
SelfTestResult RunExamples(const Matcher& matcher);

}  // namespace etiolog::rules

#endif  // ETIOLOG_RULES_SELF_TEST_H_
