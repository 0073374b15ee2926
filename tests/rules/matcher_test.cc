// SPDX-License-Identifier: Apache-2.0
#include "rules/matcher.h"

#include <gtest/gtest.h>

#include "ingest/decoder.h"
#include "tests/test_util.h"

namespace etiolog::rules {
namespace {

std::unique_ptr<Matcher> Build(const char* yaml) {
  Result<Pack> p = ParsePack(yaml, "t.yaml");
  EXPECT_OK(p);
  auto m = Matcher::Create(p->rules, p->redactions);
  EXPECT_OK(m);
  return std::move(m).value();
}

const char kPack[] = R"yaml(pack: t
redact:
  - 'token=(\S+)'
rules:
  - id: sig
    kind: auth.signature_failure
    pattern: 'JWT token is not valid: (?P<reason>Signature verification failed)'
    where: {level: error, logger: 'base_auth_manager$'}
  - id: start
    kind: process.start
    pattern: '^Started server process \[(?P<pid>\d+)\]'
)yaml";

struct Candidate {
  std::string line;
  std::vector<int> atoms;
};

std::vector<Candidate> ScanAll(const Matcher& m, std::string_view text) {
  std::vector<Candidate> out;
  auto scratch = m.NewScratch();
  EXPECT_OK(m.Scan(text, scratch.get(), [&](size_t b, size_t e, const std::vector<int>& a) {
    out.push_back({std::string(text.substr(b, e - b)), a});
  }));
  return out;
}

TEST(Matcher, ScanReportsOnlyLinesWithAtomsOncePerLine) {
  auto m = Build(kPack);
  std::string text =
      "noise line\n"
      "x JWT token is not valid: Signature verification failed and again JWT TOKEN IS NOT "
      "VALID\n"
      "more noise\n"
      "INFO:     Started server process [42]";
  std::vector<Candidate> c = ScanAll(*m, text);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].line.rfind("x JWT", 0), 0u);
  EXPECT_EQ(c[1].line, "INFO:     Started server process [42]");
  EXPECT_TRUE(std::is_sorted(c[0].atoms.begin(), c[0].atoms.end()));
}

TEST(Matcher, MatchRecordExtractsCaptures) {
  auto m = Build(kPack);
  LogRecord r;
  ingest::DecodeLine("INFO:     Started server process [42]", {}, &r);
  std::vector<Match> out;
  m->MatchRecordSlow(r, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(m->rules()[out[0].rule].id, "start");
  ASSERT_EQ(out[0].captures.size(), 1u);
  EXPECT_EQ(out[0].captures[0], (std::pair<std::string, std::string>("pid", "42")));
}

TEST(Matcher, ConditionsRejectContradictingFieldsOnly) {
  auto m = Build(kPack);
  std::vector<Match> out;
  LogRecord wrong_level;
  ingest::DecodeLine(
      "2025-12-07T15:56:23.562782Z [info     ] JWT token is not valid: Signature verification "
      "failed [airflow.api_fastapi.auth.managers.base_auth_manager]",
      {}, &wrong_level);
  m->MatchRecordSlow(wrong_level, &out);
  EXPECT_TRUE(out.empty());
  LogRecord wrong_logger;
  ingest::DecodeLine(
      "2025-12-07T15:56:23.562782Z [error    ] JWT token is not valid: Signature verification "
      "failed [my.app]",
      {}, &wrong_logger);
  m->MatchRecordSlow(wrong_logger, &out);
  EXPECT_TRUE(out.empty());
  LogRecord bare;  // No level, no logger: conditions are not checked.
  ingest::DecodeLine("JWT token is not valid: Signature verification failed", {}, &bare);
  m->MatchRecordSlow(bare, &out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(Matcher, RedactReplacesSecretGroup) {
  auto m = Build(kPack);
  std::string text = "Failed to validate JWT token=eyJhbGciOi.abc.def other=1 token=x";
  EXPECT_TRUE(m->Redact(&text));
  EXPECT_EQ(text, "Failed to validate JWT token=*** other=1 token=***");
  std::string clean = "nothing here";
  EXPECT_FALSE(m->Redact(&clean));
}

TEST(Matcher, EmptyRuleSetMatchesNothing) {
  auto m = Matcher::Create({});
  ASSERT_OK(m);
  EXPECT_TRUE(ScanAll(**m, "anything\n").empty());
}

}  // namespace
}  // namespace etiolog::rules
