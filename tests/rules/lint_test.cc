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

std::vector<CauseLintIssue> LintCauseText(const char* yaml,
                                          const std::vector<std::string>& known = {}) {
  Result<Pack> p = ParsePack(yaml, "c.yaml");
  EXPECT_OK(p);
  return p.ok() ? LintCauses(p->causes, known) : std::vector<CauseLintIssue>{};
}

std::string Issues(const std::vector<CauseLintIssue>& is) {
  std::string out;
  for (const auto& i : is) {
    out += i.where + " " + (i.error ? "error " : "warning ") + i.cause + ": " + i.message + "\n";
  }
  return out;
}

const char kExplainedCause[] = R"yaml(pack: c
causes:
  - id: a
    title: t
    detect: SELECT 'ui' AS surface, 0.5 AS confidence
    summary: s
    remediation: r
    meaning: m
    looks_for: l
    collect: c
    examples: [{log: x}]
    counter_examples: [{log: y}]
)yaml";

TEST(LintCauses, ACompleteCauseIsClean) {
  auto is = LintCauseText(kExplainedCause);
  EXPECT_TRUE(is.empty()) << Issues(is);
}

TEST(LintCauses, UnknownSuppressedByIsAnErrorAtItsName) {
  std::string yaml = std::string(kExplainedCause) + "    suppressed_by: [a, per_proces_key, b]\n";
  auto is = LintCauseText(yaml.c_str(), {"per_process_key", "b"});
  ASSERT_EQ(is.size(), 2u) << Issues(is);
  EXPECT_TRUE(is[0].error);
  EXPECT_EQ(is[0].where, "c.yaml:13:21");
  EXPECT_EQ(is[0].message, "suppressed_by names the cause itself");
  EXPECT_TRUE(is[1].error);
  EXPECT_EQ(is[1].where, "c.yaml:13:24");
  EXPECT_EQ(is[1].message,
            "suppressed_by names 'per_proces_key', which is not a loaded cause (did you mean "
            "per_process_key?): it never suppresses anything");
}

TEST(LintCauses, ExampleNamingAnUnknownCauseIsAnError) {
  std::string yaml = std::string(kExplainedCause) + "  - id: b\n    title: t\n    detect: x\n" +
                     "    summary: s\n    remediation: r\n    meaning: m\n    looks_for: l\n" +
                     "    collect: c\n    examples: [{log: x, cause: nope}]\n" +
                     "    counter_examples: [{log: y, cause: a}]\n";
  auto is = LintCauseText(yaml.c_str());
  ASSERT_EQ(is.size(), 1u) << Issues(is);
  EXPECT_TRUE(is[0].error);
  EXPECT_EQ(is[0].cause, "b");
  EXPECT_EQ(is[0].message, "example expects cause 'nope', which is not a loaded cause");
}

TEST(LintCauses, MissingExamplesAndTextsAreWarnings) {
  auto is = LintCauseText(R"yaml(pack: c
causes:
  - id: bare
    title: t
    detect: SELECT 1
    summary: s
    remediation: r
)yaml");
  ASSERT_EQ(is.size(), 5u) << Issues(is);
  for (const auto& i : is) {
    EXPECT_FALSE(i.error) << i.message;
    EXPECT_EQ(i.where, "c.yaml:3:5");
  }
  EXPECT_NE(Issues(is).find("no examples"), std::string::npos);
  EXPECT_NE(Issues(is).find("no counter-examples"), std::string::npos);
  EXPECT_NE(Issues(is).find("no 'meaning'"), std::string::npos);
  EXPECT_NE(Issues(is).find("no 'looks_for'"), std::string::npos);
  EXPECT_NE(Issues(is).find("no 'collect'"), std::string::npos);
}

TEST(ClosestNames, TyposAndPartsClosestFirst) {
  const std::vector<std::string> known = {"per_process_key", "restart_regenerated_key",
                                          "token_expired", "clock_skew"};
  EXPECT_EQ(ClosestNames("per_proces_key", known), (std::vector<std::string>{"per_process_key"}));
  EXPECT_EQ(ClosestNames("expired", known), (std::vector<std::string>{"token_expired"}));
  EXPECT_TRUE(ClosestNames("frobnicate", known).empty());
}

TEST(LintCauses, TheBuiltinCausesAreClean) {
  Result<PackSet> set = LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  ASSERT_OK(set);
  auto is = LintCauses(set->causes, {});
  EXPECT_TRUE(is.empty()) << Issues(is);
}

}  // namespace
}  // namespace etiolog::rules
