// SPDX-License-Identifier: Apache-2.0
#include "rules/matcher.h"

#include <set>

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

std::vector<std::string> MatchedIds(const Matcher& m, const std::string& line) {
  LogRecord r;
  ingest::DecodeLine(line, {}, &r);
  std::vector<Match> out;
  m.MatchRecordSlow(r, &out);
  std::vector<std::string> ids;
  ids.reserve(out.size());
  for (const Match& x : out) ids.push_back(m.rules()[x.rule].id);
  return ids;
}

TEST(Matcher, FallbackGivesWayToSpecificRules) {
  auto m = Build(R"yaml(pack: t
rules:
  - id: any
    kind: auth.validation_failure
    fallback: true
    pattern: 'Invalid auth token: (?P<reason>.+)'
  - id: sig
    kind: auth.signature_failure
    pattern: 'Invalid auth token: (?P<reason>Signature verification failed)'
  - id: other
    kind: process.start
    pattern: 'unrelated marker'
)yaml");
  EXPECT_EQ(MatchedIds(*m, "Invalid auth token: Signature verification failed"),
            std::vector<std::string>{"sig"});
  EXPECT_EQ(MatchedIds(*m, "Invalid auth token: Something new"), std::vector<std::string>{"any"});
  // Any specific rule silences the fallback, whatever its kind.
  EXPECT_EQ(MatchedIds(*m, "Invalid auth token: x unrelated marker"),
            std::vector<std::string>{"other"});
}

// Look-alike lines told apart by the logger they were logged under, with
// a fallback for lines that carry none: strict conditions need the field.
TEST(Matcher, StrictConditionsRejectMissingFields) {
  auto m = Build(R"yaml(pack: t
rules:
  - id: api
    kind: auth.token_expired
    surface: api
    pattern: 'ExpiredSignatureError'
    where: {logger: 'execution_api', strict: true}
  - id: logs
    kind: auth.token_expired
    surface: logs
    pattern: 'ExpiredSignatureError'
    where: {logger: 'serve_logs', level: warning, strict: true}
  - id: unknown
    kind: auth.token_expired
    fallback: true
    pattern: 'ExpiredSignatureError'
)yaml");
  EXPECT_EQ(MatchedIds(*m, "jwt.exceptions.ExpiredSignatureError: Signature has expired"),
            std::vector<std::string>{"unknown"});
  EXPECT_EQ(MatchedIds(*m,
                       "2025-12-07T15:56:23.562782Z [warning  ] ExpiredSignatureError "
                       "[airflow.api_fastapi.execution_api.deps]"),
            std::vector<std::string>{"api"});
  EXPECT_EQ(MatchedIds(*m,
                       "[2024-03-20T10:15:30.123+0000] {serve_logs.py:111} WARNING - "
                       "ExpiredSignatureError"),
            std::vector<std::string>{"logs"});
  // The level condition is strict too: a line without a level fails it.
  EXPECT_EQ(MatchedIds(*m, "2025-12-07T15:56:23.562782Z ExpiredSignatureError [x.serve_logs]"),
            std::vector<std::string>{"unknown"});
}

TEST(Matcher, FieldsBecomeCapturesWhenThePatternHasNone) {
  auto m = Build(R"yaml(pack: t
rules:
  - id: reissue
    kind: auth.validation_failure
    pattern: 'JWT reissue middleware failed to refresh token'
    fields: {reason: error, reason2: missing}
)yaml");
  LogRecord r;
  ingest::DecodeLine(
      "2026-07-24T23:37:03.964536Z [warning  ] JWT reissue middleware failed to refresh token "
      "[airflow.api_fastapi.execution_api.app] error='Signature has expired' loc=app.py:158",
      {}, &r);
  std::vector<Match> out;
  m->MatchRecordSlow(r, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].captures, (KeyValues{{"reason", "Signature has expired"}}));
}

TEST(Matcher, ScansOnlyTheStrongLiteralOfAnAnd) {
  // The access pattern needs ' - ' (in most classic lines) and '" 403'.
  auto m = Build(R"yaml(pack: t
rules:
  - id: denied
    kind: http.denied
    pattern: '(?P<client>\S+) - "(?P<method>[A-Z]+) (?P<path>/api/\S*) [^"]*" (?P<status>403)'
)yaml");
  ASSERT_EQ(m->patterns().size(), 1u);
  EXPECT_EQ(m->patterns()[0].scan_atoms, std::vector<std::string>{"\" 403"});
  EXPECT_GT(m->patterns()[0].atoms.size(), 1u);
  std::string text =
      "[2025-03-01T22:21:42.874+0000] {x.py:1} INFO - nothing here\n"
      "INFO:     1.2.3.4:5 - \"GET /api/v2/dags HTTP/1.1\" 403 Forbidden\n"
      "INFO:     1.2.3.4:5 - \"GET /api/v2/dags HTTP/1.1\" 200 OK\n";
  std::vector<Candidate> c = ScanAll(*m, text);
  ASSERT_EQ(c.size(), 1u);
  // The candidate carries every atom of its line, not just the scanned one.
  EXPECT_EQ(c[0].atoms.size(), m->patterns()[0].atoms.size());
  LogRecord r;
  ingest::DecodeLine(c[0].line, {}, &r);
  std::vector<Match> out;
  m->MatchRecord(r, c[0].atoms, &out);
  ASSERT_EQ(out.size(), 1u);
}

TEST(Matcher, ScanAgreesWithSlowMatchOnTheBuiltinPack) {
  Result<PackSet> set = LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  ASSERT_OK(set);
  std::string text;
  std::vector<std::string> lines;
  for (const Rule& r : set->rules) {
    for (const Example& e : r.examples) lines.push_back(e.line);
    for (const Example& e : r.counter_examples) lines.push_back(e.line);
  }
  for (const std::string& l : lines) {
    if (l.find('\n') == std::string::npos) text += l + "\n";
  }
  auto m = Matcher::Create(set->rules, set->redactions);
  ASSERT_OK(m);
  // Fast path: scan, then MatchRecord with the scan's atoms.
  std::multiset<std::string> fast, slow;
  auto scratch = (*m)->NewScratch();
  ASSERT_OK((*m)->Scan(text, scratch.get(), [&](size_t b, size_t e, const std::vector<int>& a) {
    LogRecord r;
    ingest::DecodeLine(text.substr(b, e - b), {}, &r);
    std::vector<Match> out;
    (*m)->MatchRecord(r, a, &out);
    for (const Match& x : out)
      fast.insert(text.substr(b, e - b) + " => " + (*m)->rules()[x.rule].id);
  }));
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    LogRecord r;
    ingest::DecodeLine(line, {}, &r);
    std::vector<Match> out;
    (*m)->MatchRecordSlow(r, &out);
    for (const Match& x : out) slow.insert(line + " => " + (*m)->rules()[x.rule].id);
  }
  EXPECT_GT(fast.size(), 100u);
  EXPECT_EQ(fast, slow);
}

TEST(Matcher, LiteralWeakness) {
  EXPECT_EQ(Matcher::LiteralWeakness("abc"), "shorter than 4 characters");
  EXPECT_NE(Matcher::LiteralWeakness(" - ").find("shorter"), std::string::npos);
  EXPECT_NE(Matcher::LiteralWeakness("/execution/").find("occurs in most Airflow log lines"),
            std::string::npos);
  EXPECT_NE(Matcher::LiteralWeakness("[info  ").find("part of '[info     ]'"), std::string::npos);
  EXPECT_EQ(Matcher::LiteralWeakness("jwt token is not valid: "), "");
  EXPECT_EQ(Matcher::LiteralWeakness("\" 403"), "");
}

TEST(Matcher, EmptyRuleSetMatchesNothing) {
  auto m = Matcher::Create({});
  ASSERT_OK(m);
  EXPECT_TRUE(ScanAll(**m, "anything\n").empty());
}

}  // namespace
}  // namespace etiolog::rules
