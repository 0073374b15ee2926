// SPDX-License-Identifier: Apache-2.0
//
// Causes tested like rules: their example logs run through the analyze
// pipeline (pass, fail, counter-examples, surface, minimum confidence,
// risks, a broken cause), their SQL is prepared against the store schema
// (one test per error class), `etiolog explain` prints a cause or names the
// closest ones, and `rules test|lint` fail on a broken cause.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "analyzer/diagnosis/cause_examples.h"
#include "analyzer/diagnosis/cause_lint.h"
#include "rules/matcher.h"
#include "rules/pack.h"
#include "tests/test_util.h"
#include <unistd.h>

namespace etiolog::analyzer {
namespace {

namespace fs = std::filesystem;

const char kKey[] =
    "2025-12-07T15:49:58.120000Z [warning  ] `api_auth/jwt_secret` was empty, using a generated "
    "one for now. Please set this in your config [airflow.api_fastapi.auth.tokens] "
    "loc=tokens.py:581";
const char kUiFail[] =
    "2025-12-07T15:52:25.000000Z [error    ] JWT token is not valid: Signature verification "
    "failed [airflow.api_fastapi.auth.managers.base_auth_manager] loc=base_auth_manager.py:107";

// The built-in rules with the causes of yaml (a pack of causes only, which
// may use the built-in vocabulary), as `rules test` loads them.
class CauseExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = rules::LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
    ASSERT_OK(set);
    auto m = rules::Matcher::Create(set->rules, set->redactions);
    ASSERT_OK(m);
    matcher_ = std::move(m).value();
  }

  CauseTestSummary Test(const std::string& yaml) {
    auto p = rules::ParsePack(yaml, "c.yaml");
    EXPECT_OK(p);
    causes_ = p.ok() ? p->causes : std::vector<rules::Cause>{};
    Result<CauseTestSummary> r = RunCauseExamples(*matcher_, causes_);
    EXPECT_OK(r);
    return r.ok() ? std::move(r).value() : CauseTestSummary{};
  }

  std::unique_ptr<rules::Matcher> matcher_;
  std::vector<rules::Cause> causes_;
};

// A cause found (at 0.6) when a UI signature failure is logged, and a risk
// when a key was generated; examples go under the risk.
std::string Pack(const std::string& examples) {
  return std::string(R"yaml(pack: c
causes:
  - id: ui_failed
    title: t
    detect: |
      SELECT 'ui' AS surface, 0.6 AS confidence FROM events
      WHERE kind = 'auth.signature_failure' LIMIT 1
    summary: s
    remediation: r
  - id: key_risk
    title: t
    risk: true
    detect: SELECT '' AS surface FROM events WHERE kind = 'key.generated' LIMIT 1
    summary: s
    remediation: r
)yaml") + examples;
}

std::string Log(const std::vector<std::string>& lines) {
  std::string out = "        log: |\n";
  for (const std::string& l : lines) out += "          " + l + "\n";
  return out;
}

TEST_F(CauseExamplesTest, ExamplesPassOrFailAsTheDiagnosisSays) {
  CauseTestSummary r =
      Test(Pack("    examples:\n      - surface: ui\n" + Log({kUiFail}) + "      - name: passes\n" +
                Log({kKey}) + "    counter_examples:\n      - name: quiet\n" + Log({kKey}) +
                "      - name: passes too\n" + Log({kUiFail})));
  EXPECT_EQ(r.logs, 4);
  ASSERT_EQ(r.causes.size(), 2u);
  EXPECT_EQ(r.causes[0].examples, 0);
  EXPECT_TRUE(r.causes[1].risk);
  EXPECT_EQ(r.causes[1].examples, 2);
  EXPECT_EQ(r.causes[1].counter_examples, 2);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].cause, "key_risk");
  EXPECT_EQ(r.failures[0].where, "c.yaml:17:9");
  EXPECT_EQ(r.failures[0].message,
            "example #1: expected a key_risk risk on ui; the diagnosis gave ui_failed/ui 0.60");
  EXPECT_EQ(r.failures[1].message,
            "counter-example 'quiet': must not produce a key_risk risk, but the diagnosis gave "
            "risks: key_risk/-");
}

TEST_F(CauseExamplesTest, AnExampleMayNameAnotherCauseSurfaceAndConfidence) {
  const std::string examples =
      "    examples:\n      - cause: ui_failed\n        surface: ui\n" + Log({kUiFail}) +
      "      - name: too sure\n        cause: ui_failed\n        min_confidence: 0.7\n" +
      Log({kUiFail}) + "      - name: wrong surface\n        cause: ui_failed\n" +
      "        surface: log_server\n" + Log({kUiFail}) + "      - name: risk\n" + Log({kKey}) +
      "    counter_examples:\n      - cause: ui_failed\n        min_confidence: 0.7\n" +
      Log({kUiFail}) + "      - name: no risk without the warning\n" + Log({kUiFail});
  CauseTestSummary r = Test(Pack(examples));
  EXPECT_EQ(r.logs, 6);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].message,
            "example 'too sure': expected a ui_failed finding at 0.70 or more; the diagnosis "
            "gave ui_failed/ui 0.60");
  EXPECT_EQ(r.failures[1].message,
            "example 'wrong surface': expected a ui_failed finding on log_server; the diagnosis "
            "gave ui_failed/ui 0.60");
}

TEST_F(CauseExamplesTest, SeveralNamedFilesAreSourcesOfThoseNames) {
  // Kubernetes pod log names make the deployment kubernetes, as for analyze.
  Result<Verdict> v = DiagnoseFiles(
      *matcher_, {},  // No cause: only the pipeline runs.
      {{"kubectl-logs/airflow-api-server-7d9f8b6c4-vx8pn.log", std::string(kKey) + "\n"},
       {"kubectl-logs/airflow-worker-0.log", "nothing\n"}});
  ASSERT_OK(v);
  EXPECT_TRUE(v->findings.empty());
}

TEST_F(CauseExamplesTest, ABrokenCauseFailsItsExamplesWithTheSqlError) {
  CauseTestSummary r = Test(R"yaml(pack: c
causes:
  - id: broken
    title: t
    detect: SELECT nope FROM events
    summary: s
    remediation: r
    examples:
      - log: 'x'
)yaml");
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_NE(r.failures[0].message.find("the diagnosis failed: c.yaml:3:5: cause 'broken' detect: "
                                       "no such column: nope"),
            std::string::npos)
      << r.failures[0].message;
}

TEST_F(CauseExamplesTest, OnlyTheCausesOfTheGivenFilesAreTested) {
  auto p = rules::ParsePack(Pack("    examples:\n" + std::string("      - log: x\n")), "c.yaml");
  ASSERT_OK(p);
  Result<CauseTestSummary> none = RunCauseExamples(*matcher_, p->causes, {"other.yaml"});
  ASSERT_OK(none);
  EXPECT_TRUE(none->causes.empty());
  Result<CauseTestSummary> mine = RunCauseExamples(*matcher_, p->causes, {"c.yaml"});
  ASSERT_OK(mine);
  EXPECT_EQ(mine->causes.size(), 2u);
}

TEST_F(CauseExamplesTest, TheBuiltinCausesPassTheirExamples) {
  auto set = rules::LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  ASSERT_OK(set);
  Result<CauseTestSummary> r = RunCauseExamples(*matcher_, set->causes);
  ASSERT_OK(r);
  for (const auto& f : r->failures) ADD_FAILURE() << f.where << " " << f.cause << ": " << f.message;
  for (const auto& c : r->causes) {
    EXPECT_GT(c.examples, 0) << c.cause;
    EXPECT_GT(c.counter_examples, 0) << c.cause;
  }
}

// ------------------------------------------------------------ SQL lint

std::vector<rules::CauseLintIssue> LintSql(const std::string& causes) {
  auto p = rules::ParsePack("pack: l\ncauses:\n" + causes, "l.yaml");
  EXPECT_OK(p);
  if (!p.ok()) return {};
  Result<std::vector<rules::CauseLintIssue>> r = LintCauseSql(p->causes);
  EXPECT_OK(r);
  return r.ok() ? std::move(r).value() : std::vector<rules::CauseLintIssue>{};
}

std::string CauseYaml(const std::string& detect, const std::string& extra = "") {
  return "  - id: c\n    title: t\n    detect: |\n      " + detect +
         "\n    summary: 's {confidence}'\n    remediation: r\n" + extra;
}

TEST(CauseSqlLint, ValidCausesAreClean) {
  EXPECT_TRUE(LintSql(CauseYaml("SELECT 'ui' AS surface, 0.5 AS confidence, '1' AS _ids",
                                "    evidence:\n      - role: symptom\n        sql: SELECT value "
                                "FROM json_each('[' || :_ids || ']') WHERE :cause = 'c'\n"))
                  .empty());
  // A risk needs no confidence.
  EXPECT_TRUE(LintSql("  - id: r\n    title: t\n    risk: true\n    detect: SELECT '' AS surface\n"
                      "    summary: s\n    remediation: r\n")
                  .empty());
}

TEST(CauseSqlLint, DetectThatDoesNotPrepareNamesTheValueAndTheSqlLine) {
  auto is = LintSql(CauseYaml("SELECT 'ui' AS surface,\n      nope AS confidence FROM events"));
  ASSERT_EQ(is.size(), 1u);
  EXPECT_TRUE(is[0].error);
  EXPECT_EQ(is[0].where, "l.yaml:5:13");
  EXPECT_EQ(is[0].message, "detect: no such column: nope (SQL line 2, column 1)");
  // Not every SQLite message points into the SQL.
  is = LintSql(CauseYaml("SELECT 'ui' AS surface, 0.5 AS confidence FROM nowhere"));
  ASSERT_EQ(is.size(), 1u);
  EXPECT_EQ(is[0].message, "detect: no such table: nowhere");
}

TEST(CauseSqlLint, DetectWithoutSurfaceOrConfidence) {
  auto is = LintSql(CauseYaml("SELECT 1 AS x"));
  ASSERT_EQ(is.size(), 3u);
  EXPECT_EQ(is[0].message, "detect returns no 'surface' column (use '' AS surface for none)");
  EXPECT_NE(is[1].message.find("detect returns no 'confidence' column"), std::string::npos);
  EXPECT_FALSE(is[2].error);  // {confidence} in the summary is no fact.
  EXPECT_EQ(is[2].message,
            "summary uses {confidence}, which is not a fact detect returns: it is shown as "
            "written");
}

TEST(CauseSqlLint, DetectParametersOtherThanCauseAreNeverBound) {
  auto is = LintSql(CauseYaml("SELECT 'ui' AS surface, 0.5 AS confidence WHERE :since > 0"));
  ASSERT_EQ(is.size(), 1u);
  EXPECT_EQ(is[0].message, "detect uses :since, which is never bound (detect gets :cause only)");
}

TEST(CauseSqlLint, WritesAndSecondStatementsAreRefused) {
  auto is = LintSql(CauseYaml("DELETE FROM events"));
  ASSERT_EQ(is.size(), 1u);
  EXPECT_EQ(is[0].message,
            "detect: DELETE from events is not allowed: pack SQL may only read the store");
  is = LintSql(CauseYaml("SELECT 'ui' AS surface, 1 AS confidence; SELECT 2"));
  ASSERT_EQ(is.size(), 1u);
  EXPECT_EQ(is[0].message, "detect: only one SQL statement is allowed");
}

TEST(CauseSqlLint, EvidenceQueriesAreCheckedAtTheirLocation) {
  auto is =
      LintSql(CauseYaml("SELECT 'ui' AS surface, 0.5 AS confidence",
                        "    evidence:\n"
                        "      - role: symptom\n        sql: SELECT id FROM events WHER id = 1\n"
                        "      - role: cause\n        sql: SELECT id FROM events WHERE "
                        "burst_id IN (SELECT value FROM json_each(:_bursts))\n"));
  ASSERT_EQ(is.size(), 2u);
  EXPECT_EQ(is[0].where, "l.yaml:10:9");
  EXPECT_EQ(is[0].message, "evidence query 1: near \"id\": syntax error (SQL line 1, column 28)");
  EXPECT_EQ(is[1].where, "l.yaml:12:9");
  EXPECT_EQ(is[1].message,
            "evidence query 2 uses :_bursts, which detect does not return: it would always be "
            "NULL");
}

TEST(CauseSqlLint, TheBuiltinCausesPrepare) {
  auto set = rules::LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  ASSERT_OK(set);
  Result<std::vector<rules::CauseLintIssue>> is = LintCauseSql(set->causes);
  ASSERT_OK(is);
  for (const auto& i : *is) ADD_FAILURE() << i.where << " " << i.cause << ": " << i.message;
}

// ------------------------------------------------------------ explain

int Explain(const std::string& cause, std::string* out, std::string* err,
            const std::string& deployment = "default") {
  ExplainOptions opt;
  opt.cause = cause;
  opt.deployment = deployment;
  opt.default_rules = false;
  std::ostringstream o, e;
  const int rc = RunExplain(opt, o, e);
  *out = o.str();
  *err = e.str();
  return rc;
}

TEST(ExplainCommand, ACauseWithWhatItMeansLooksForCollectsAndItsFix) {
  std::string out, err;
  ASSERT_EQ(Explain("per_process_key", &out, &err), kExitOk) << err;
  for (const char* part :
       {"per_process_key (cause): Processes sign and validate tokens",
        "What it means:", "What it looks for:", "What would settle it (collect):", "Gives way to:",
        "stale_key_after_rollout, misplaced_key_config", "Fix (default;",
        "(also for: docker-compose, kubernetes, systemd; --deployment NAME)",
        "Examples: 2 log(s)"}) {
    EXPECT_NE(out.find(part), std::string::npos) << part << "\n" << out;
  }
  ASSERT_EQ(Explain("per_process_key", &out, &err, "kubernetes"), kExitOk);
  EXPECT_NE(out.find("kubectl create secret generic airflow-jwt-secret"), std::string::npos);
  EXPECT_EQ(Explain("per_process_key", &out, &err, "nomad"), kExitUsage);
  EXPECT_NE(err.find("has no fix for deployment 'nomad'"), std::string::npos) << err;
}

TEST(ExplainCommand, ARiskSaysSo) {
  std::string out, err;
  ASSERT_EQ(Explain("jwt_secret_unset", &out, &err), kExitOk) << err;
  EXPECT_NE(out.find("jwt_secret_unset (risk):"), std::string::npos) << out;
  EXPECT_NE(out.find("What it means (nothing failed yet):"), std::string::npos) << out;
}

TEST(ExplainCommand, AnUnknownCauseNamesTheClosestOnes) {
  std::string out, err;
  EXPECT_EQ(Explain("per_proces_key", &out, &err), kExitUsage);
  EXPECT_EQ(err,
            "etiolog explain: unknown cause 'per_proces_key'; did you mean per_process_key?\n");
  EXPECT_EQ(Explain("frobnicate", &out, &err), kExitUsage);
  EXPECT_NE(err.find("Known causes: per_process_key"), std::string::npos) << err;
}

TEST(ExplainCommand, WithoutACauseListsThemAll) {
  std::string out, err;
  ASSERT_EQ(Explain("", &out, &err), kExitOk);
  EXPECT_NE(out.find("per_process_key "), std::string::npos);
  EXPECT_NE(out.find("jwt_secret_unset "), std::string::npos);
  EXPECT_NE(out.find("  risk   "), std::string::npos) << out;
}

// ------------------------------------------------------------ rules test|lint

class RulesCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("etiolog_rules_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  int Rules(const std::string& action, const std::string& yaml, std::string* out) {
    const std::string path = (dir_ / "p.yaml").string();
    std::ofstream(path) << yaml;
    RulesOptions opt;
    opt.action = action;
    opt.packs = {path};
    std::ostringstream o, e;
    const int rc = RunRules(opt, o, e);
    *out = o.str() + e.str();
    return rc;
  }

  fs::path dir_;
};

const char kSitePack[] = R"yaml(pack: site
causes:
  - id: site_cause
    title: t
    detect: SELECT 'ui' AS surface, 0.6 AS confidence FROM events WHERE kind = 'key.generated'
    summary: s
    remediation: r
    suppressed_by: [per_process_key]
    meaning: m
    looks_for: l
    collect: c
    examples:
      - log: '2025-12-07T15:49:58.120000Z [warning  ] `api_auth/jwt_secret` was empty, using a generated one for now. Please set this in your config [airflow.api_fastapi.auth.tokens] loc=tokens.py:581'
    counter_examples:
      - log: 'nothing'
)yaml";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST_F(RulesCommandTest, ASitePacksCausesRunWithTheBuiltinRules) {
  std::string out;
  EXPECT_EQ(Rules("test", kSitePack, &out), kExitOk) << out;
  EXPECT_NE(out.find("ok    site_cause"), std::string::npos) << out;
  EXPECT_NE(out.find("1 causes and risks, 2 logs checked, 0 failure(s)"), std::string::npos) << out;
  // Lint knows the built-in causes it names.
  EXPECT_EQ(Rules("lint", kSitePack, &out), kExitOk) << out;
}

TEST_F(RulesCommandTest, AFailingCauseExampleFailsRulesTest) {
  std::string yaml = Replace(kSitePack, " FROM events WHERE kind = 'key.generated'", "");
  std::string out;
  EXPECT_EQ(Rules("test", yaml, &out), 1) << out;
  EXPECT_NE(out.find("FAIL  site_cause"), std::string::npos) << out;
  EXPECT_NE(out.find("p.yaml:15:9: counter-example #1: must not produce a site_cause finding"),
            std::string::npos)
      << out;
}

TEST_F(RulesCommandTest, LintFailsOnBadSqlAndAnUnknownSuppressedBy) {
  std::string yaml = Replace(Replace(kSitePack, "FROM events WHERE", "FROM event WHERE"),
                             "[per_process_key]", "[per_process]");
  std::string out;
  EXPECT_EQ(Rules("lint", yaml, &out), 1) << out;
  EXPECT_NE(out.find("p.yaml:5:13: error: cause 'site_cause': detect: no such table: event"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("p.yaml:8:21: error: cause 'site_cause': suppressed_by names "
                     "'per_process', which is not a loaded cause (did you mean per_process_key?)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("1 causes and risks, 2 error(s), 0 warning(s)"), std::string::npos) << out;
}

}  // namespace
}  // namespace etiolog::analyzer
