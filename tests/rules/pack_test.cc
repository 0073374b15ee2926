// SPDX-License-Identifier: Apache-2.0
#include "rules/pack.h"

#include <gtest/gtest.h>

#include "rules/matcher.h"
#include "rules/self_test.h"
#include "tests/test_util.h"

namespace etiolog::rules {
namespace {

const char kGoodPack[] = R"yaml(pack: test
rules:
  - id: t.sig
    kind: auth.signature_failure
    surface: ui
    patterns:
      - 'JWT token is not valid: (?P<reason>.+)'
    examples:
      - line: 'JWT token is not valid: Signature verification failed'
        captures: {reason: Signature verification failed}
)yaml";

TEST(ParsePack, ReadsRules) {
  Result<Pack> p = ParsePack(kGoodPack, "good.yaml");
  ASSERT_OK(p);
  ASSERT_EQ(p->rules.size(), 1u);
  const Rule& r = p->rules[0];
  EXPECT_EQ(r.id, "t.sig");
  EXPECT_EQ(r.kind, "auth.signature_failure");
  EXPECT_EQ(r.surface, "ui");
  ASSERT_EQ(r.patterns.size(), 1u);
  EXPECT_EQ(r.where.ToString(), "good.yaml:3:5");
  ASSERT_EQ(r.examples.size(), 1u);
  EXPECT_EQ(r.examples[0].captures[0].second, "Signature verification failed");
}

TEST(ParsePack, BadYamlNamesLineAndColumn) {
  Result<Pack> p = ParsePack("pack: x\nrules:\n  - id: [unclosed\n", "bad.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message().rfind("bad.yaml:", 0), 0u) << p.status().message();
}

TEST(ParsePack, UnknownKeyIsAnError) {
  Result<Pack> p =
      ParsePack("pack: x\nrules:\n  - id: a\n    kind: k\n    patern: 'abc'\n", "typo.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("typo.yaml:5:5: unknown key 'patern'"), std::string::npos)
      << p.status().message();
}

TEST(ParsePack, MissingKindIsAnError) {
  Result<Pack> p = ParsePack("pack: x\nrules:\n  - id: a\n    pattern: 'abc'\n", "k.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("k.yaml:3:5: missing required key 'kind'"), std::string::npos)
      << p.status().message();
}

TEST(Matcher, InvalidRe2PatternNamesPatternLocation) {
  Result<Pack> p = ParsePack(
      "pack: x\nrules:\n  - id: a\n    kind: k\n    patterns:\n      - 'abc(def'\n", "re.yaml");
  ASSERT_OK(p);
  auto m = Matcher::Create(p->rules);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("re.yaml:6:9: rule 'a': invalid pattern: missing )"),
            std::string::npos)
      << m.status().message();
}

TEST(Matcher, PatternWithoutLiteralIsRejected) {
  Result<Pack> p =
      ParsePack("pack: x\nrules:\n  - id: a\n    kind: k\n    patterns: ['\\d+']\n", "lit.yaml");
  ASSERT_OK(p);
  auto m = Matcher::Create(p->rules);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("no required literal"), std::string::npos)
      << m.status().message();
}

TEST(Matcher, DuplicateIdIsRejected) {
  Result<Pack> p = ParsePack(
      "pack: x\nrules:\n  - {id: a, kind: k, pattern: 'abc'}\n  - {id: a, kind: k, pattern: "
      "'xyz'}\n",
      "dup.yaml");
  ASSERT_OK(p);
  auto m = Matcher::Create(p->rules);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("duplicate rule id 'a'"), std::string::npos);
}

TEST(SelfTest, DetectsWrongCaptureAndMatchingCounterExample) {
  Result<Pack> p = ParsePack(R"yaml(pack: x
rules:
  - id: a
    kind: k
    pattern: 'token is not valid: (?P<reason>\w+)'
    examples:
      - line: 'token is not valid: Signature verification failed'
        captures: {reason: Expired}
    counter_examples:
      - 'token is not valid: Signature'
)yaml",
                             "self.yaml");
  ASSERT_OK(p);
  auto m = Matcher::Create(p->rules);
  ASSERT_OK(m);
  SelfTestResult r = RunExamples(**m);
  EXPECT_EQ(r.examples, 2);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_NE(r.failures[0].message.find("is 'Signature', expected 'Expired'"), std::string::npos);
  EXPECT_EQ(r.failures[1].message, "counter-example matches");
}

TEST(BuiltinPacks, AllExamplesPass) {
  Result<PackSet> set = LoadPacks(true, {});
  ASSERT_OK(set);
  ASSERT_FALSE(set->rules.empty());
  ASSERT_FALSE(set->causes.empty());
  auto m = Matcher::Create(set->rules, set->redactions);
  ASSERT_OK(m);
  SelfTestResult r = RunExamples(**m);
  EXPECT_GT(r.examples, 0);
  for (const auto& f : r.failures) ADD_FAILURE() << f.where << " " << f.rule << ": " << f.message;
}

}  // namespace
}  // namespace etiolog::rules
