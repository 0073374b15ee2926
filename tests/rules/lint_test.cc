// SPDX-License-Identifier: Apache-2.0
#include "rules/lint.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace etiolog::rules {
namespace {

std::vector<LintWarning> Lint(const char* yaml) {
  Result<Pack> p = ParsePack(yaml, "l.yaml");
  EXPECT_OK(p);
  auto m = Matcher::Create(p->rules);
  EXPECT_OK(m);
  return LintRules(**m, p->kinds);
}

std::string Messages(const std::vector<LintWarning>& ws) {
  std::string out;
  for (const auto& w : ws) out += w.where + " " + w.rule + ": " + w.message + "\n";
  return out;
}

TEST(Lint, CleanRuleHasNoWarnings) {
  auto ws = Lint(R"yaml(pack: l
rules:
  - id: ok
    kind: auth.signature_failure
    pattern: 'JWT token is not valid: (?P<reason>Signature verification failed)'
    examples: ['JWT token is not valid: Signature verification failed']
    counter_examples: ['JWT token is not valid: Signature has expired']
)yaml");
  EXPECT_TRUE(ws.empty()) << Messages(ws);
}

TEST(Lint, MissingExamplesAndCounterExamples) {
  auto ws = Lint(R"yaml(pack: l
rules:
  - id: bare
    kind: process.start
    pattern: 'Starting the scheduler'
)yaml");
  ASSERT_EQ(ws.size(), 2u) << Messages(ws);
  EXPECT_EQ(ws[0].where, "l.yaml:3:5");
  EXPECT_EQ(ws[0].message, "rule has no examples");
  EXPECT_NE(ws[1].message.find("no counter-examples"), std::string::npos);
}

TEST(Lint, WeakScannedLiteral) {
  auto ws = Lint(R"yaml(pack: l
rules:
  - id: weak
    kind: process.start
    pattern: '(?:INFO|ERROR) - (?P<pid>\d+)'
    examples: ['INFO - 12']
    counter_examples: ['x']
)yaml");
  ASSERT_FALSE(ws.empty());
  EXPECT_EQ(ws[0].where, "l.yaml:5:14");
  EXPECT_NE(ws[0].message.find("prefilter literal"), std::string::npos) << Messages(ws);
  EXPECT_NE(ws[0].message.find("is weak"), std::string::npos) << Messages(ws);
}

TEST(Lint, AnchoredPatterns) {
  auto ws = Lint(R"yaml(pack: l
rules:
  - id: both
    kind: process.start
    pattern: '(?i)^Starting the scheduler$'
    examples: ['Starting the scheduler']
    counter_examples: ['x']
  - id: line_start
    kind: process.start
    match: line
    pattern: '^\[\d+\] Starting the triggerer'
    examples: ['[1] Starting the triggerer']
    counter_examples: ['x']
  - id: escaped_dollar
    kind: process.start
    pattern: '^Starting the dag processor \$'
    examples: ['Starting the dag processor $']
    counter_examples: ['x']
)yaml");
  std::string all = Messages(ws);
  EXPECT_NE(all.find("both: pattern is anchored at both ends"), std::string::npos) << all;
  EXPECT_NE(all.find("line_start: pattern is anchored to the start of the raw line"),
            std::string::npos)
      << all;
  EXPECT_EQ(all.find("escaped_dollar"), std::string::npos) << all;
}

TEST(Lint, MatchLineNotNeeded) {
  auto ws = Lint(R"yaml(pack: l
rules:
  - id: needless
    kind: process.start
    match: line
    pattern: 'Starting the scheduler'
    examples: ['[2020-07-23 14:09:26,916] {scheduler_job.py:1349} INFO - Starting the scheduler']
    counter_examples: ['x']
  - id: needed
    kind: process.start
    match: line
    pattern: '\[airflow\.jobs\.triggerer\]'
    examples: ['2026-05-15T05:43:50.269185Z [info     ] go [airflow.jobs.triggerer] loc=a.py:1']
    counter_examples: ['x']
)yaml");
  std::string all = Messages(ws);
  EXPECT_NE(all.find("needless: every example also matches the decoded message"), std::string::npos)
      << all;
  EXPECT_EQ(all.find("needed:"), std::string::npos) << all;
}

TEST(Lint, CaptureOutsideTheKindVocabulary) {
  auto ws = Lint(R"yaml(pack: l
kinds:
  - {name: key.generated, meaning: m, captures: [section, option]}
  - {name: myapp.login_failed, meaning: m, captures: [user]}
rules:
  - id: typo
    kind: key.generated
    pattern: '`(?P<sectoin>\w+)/(?P<option>\w+)` was empty'
    examples: ['`a/b` was empty']
    counter_examples: ['x']
  - id: custom
    kind: myapp.login_failed
    pattern: 'login failed for (?P<user>\w+) pid (?P<pid>\d+)'
    examples: ['login failed for bob pid 3']
    counter_examples: ['x']
)yaml");
  ASSERT_EQ(ws.size(), 1u) << Messages(ws);
  EXPECT_EQ(ws[0].rule, "typo");
  EXPECT_EQ(ws[0].message,
            "capture 'sectoin' is not in the vocabulary of kind 'key.generated' (documented "
            "captures: section, option); causes will not look for it");
}

TEST(Lint, BuiltinPackIsClean) {
  Result<PackSet> set = LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  ASSERT_OK(set);
  auto m = Matcher::Create(set->rules, set->redactions);
  ASSERT_OK(m);
  auto ws = LintRules(**m, set->kinds);
  EXPECT_TRUE(ws.empty()) << Messages(ws);
  EXPECT_TRUE(set->warnings.empty());
}

}  // namespace
}  // namespace etiolog::rules
