// SPDX-License-Identifier: Apache-2.0
//
// Pack SQL is contained (issue 12, item 2): for each way a cause could try
// to do more than read etiolog's tables (attach a file, insert, update,
// delete, drop, change a pragma, open a transaction or a savepoint, run
// forever, load code, read sqlite_schema), `rules lint` reports it at the
// cause's location before use, and the diagnosis skips that cause with the
// same error while the built-in causes still find what they find. Also:
// a failing evidence query skips its cause whole, --explain lists a skipped
// cause as "error", and `analyze` with such a pack reports the rest and
// exits 3. The store-level refusals are in tests/db/query_guard_test.cc.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "analyzer/diagnosis/cause_lint.h"
#include "analyzer/diagnosis/diagnoser.h"
#include "analyzer/pipeline/pipeline.h"
#include "ingest/input_set.h"
#include "rules/matcher.h"
#include "rules/pack.h"
#include "tests/test_util.h"
#include <unistd.h>

namespace etiolog::analyzer {
namespace {

namespace fs = std::filesystem;

const std::string kScenario = ETIOLOG_SAMPLES_DIR "/scenarios/per_process_key";

// One attempt: a detect query and what the error must say. "{dir}" in the
// SQL is replaced by a directory of the test's own.
struct Attempt {
  const char* name;
  const char* detect;
  const char* why;
};

const Attempt kAttempts[] = {
    {"Attach", "ATTACH DATABASE '{dir}/evil.db' AS evil", "ATTACH is not allowed"},
    {"Insert",
     "INSERT INTO events(source_id, offset, line, time_quality, kind, rule, surface, severity, "
     "level, logger, format, host, component, message, text) "
     "SELECT 1, 1, 1, 'exact', 'x', 'r', 'ui', 'error', 'error', '', '', '', '', '', '' "
     "RETURNING 'ui' AS surface, 0.9 AS confidence",
     "INSERT into events is not allowed"},
    {"Update", "UPDATE events SET kind = 'x' RETURNING 'ui' AS surface, 0.9 AS confidence",
     "UPDATE of events is not allowed"},
    {"Delete", "DELETE FROM events RETURNING 'ui' AS surface, 0.9 AS confidence",
     "DELETE from events is not allowed"},
    {"Drop", "DROP TABLE events", "changing the schema (CREATE, DROP) is not allowed"},
    {"WritableSchema", "PRAGMA writable_schema=ON", "PRAGMA writable_schema is not allowed"},
    {"Begin", "BEGIN", "BEGIN is not allowed"},
    {"Savepoint", "SAVEPOINT s", "SAVEPOINT is not allowed"},
    {"EndlessCte",
     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
     "SELECT 'ui' AS surface, 0.9 AS confidence, count(*) AS n FROM c",
     "query stopped after"},
    {"LoadExtension", "SELECT 'ui' AS surface, 0.9 AS confidence, load_extension('x') AS y",
     "load_extension() is not allowed"},
    {"SchemaTable",
     "SELECT 'ui' AS surface, 0.9 AS confidence, group_concat(name) AS tables FROM sqlite_master",
     "reading sqlite_master is not allowed"},
};

// The built-in rules and causes, with one cause of a pack "m.yaml" placed
// first, diagnosing the per_process_key scenario in an in-memory store.
class ContainedSqlTest : public ::testing::TestWithParam<Attempt> {
 protected:
  void SetUp() override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : test) {
      if (c == '/') c = '_';
    }
    dir_ = fs::temp_directory_path() / ("etiolog_contained_" + std::to_string(::getpid()) + test);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto set = rules::LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
    ASSERT_OK(set);
    builtin_ = set->causes;
    auto m = rules::Matcher::Create(set->rules, set->redactions);
    ASSERT_OK(m);
    matcher_ = std::move(m).value();
  }

  void TearDown() override { fs::remove_all(dir_); }

  // The attempt's SQL, with {dir} filled in.
  std::string Sql(const std::string& sql) const {
    std::string out = sql;
    const size_t at = out.find("{dir}");
    if (at != std::string::npos) out.replace(at, 5, dir_.string());
    return out;
  }

  // A cause "malicious" whose detect (and evidence, if given) is sql.
  std::vector<rules::Cause> Malicious(const std::string& detect, const std::string& evidence = "") {
    std::string yaml = "pack: m\ncauses:\n  - id: malicious\n    title: t\n    detect: |\n      " +
                       Sql(detect) + "\n    summary: s\n    remediation: r\n";
    if (!evidence.empty()) {
      yaml +=
          "    evidence:\n      - role: cause\n        sql: |\n          " + Sql(evidence) + "\n";
    }
    auto p = rules::ParsePack(yaml, "m.yaml");
    EXPECT_OK(p);
    return p.ok() ? p->causes : std::vector<rules::Cause>{};
  }

  // Diagnoses the scenario with causes then the built-in ones; the store
  // stays open for inspection.
  Verdict Diagnose(std::vector<rules::Cause> causes, DiagnoseOptions options = {}) {
    auto s = db::Store::Open(":memory:");
    EXPECT_OK(s);
    if (!s.ok()) return Verdict();
    store_ = std::move(s).value();
    ingest::Enumeration inputs =
        ingest::EnumerateInputs({{kScenario, {}}}, ingest::EnumerateOptions());
    Pipeline pipeline(matcher_.get(), store_.get(), IngestOptions());
    IngestStats stats;
    EXPECT_OK(pipeline.Run(inputs.inputs, &stats));
    EXPECT_OK(store_->BuildTimeline());
    events_ = Events();
    causes.insert(causes.end(), builtin_.begin(), builtin_.end());
    if (options.query_step_limit == 0) options.query_step_limit = 2'000'000;
    Diagnoser diagnoser(std::move(causes), options);
    Result<Verdict> v = diagnoser.Run(*store_);
    EXPECT_OK(v);
    return v.ok() ? std::move(v).value() : Verdict();
  }

  // The events of the store, and how many are of kind 'x' (what the
  // attempts would write), as "<events>/<x>".
  std::string Events() const {
    auto t = store_->Query("SELECT count(*), count(*) FILTER (WHERE kind = 'x') FROM events", {});
    EXPECT_OK(t);
    return t.ok() ? db::ValueToString(t->rows[0][0]) + "/" + db::ValueToString(t->rows[0][1]) : "";
  }

  static bool Reports(const Verdict& v, const std::string& cause) {
    for (const Finding& f : v.findings) {
      if (f.cause == cause) return true;
    }
    return false;
  }

  fs::path dir_;
  std::vector<rules::Cause> builtin_;
  std::unique_ptr<rules::Matcher> matcher_;
  std::unique_ptr<db::Store> store_;
  std::string events_;  // Events() before the diagnosis.
};

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "in: " << (text)

TEST_P(ContainedSqlTest, RulesLintReportsItAtTheCause) {
  Result<std::vector<rules::CauseLintIssue>> issues = LintCauseSql(Malicious(GetParam().detect));
  ASSERT_OK(issues);
  ASSERT_FALSE(issues->empty());
  const rules::CauseLintIssue& first = issues->front();
  EXPECT_TRUE(first.error);
  EXPECT_EQ(first.where, "m.yaml:5:13");
  EXPECT_EQ(first.cause, "malicious");
  EXPECT_CONTAINS(first.message, std::string("detect: ") + GetParam().why);
  EXPECT_FALSE(fs::exists(dir_ / "evil.db"));
}

TEST_P(ContainedSqlTest, TheDiagnosisSkipsTheCauseAndTheOthersStillRun) {
  const Verdict v = Diagnose(Malicious(GetParam().detect));
  ASSERT_EQ(v.cause_errors.size(), 1u);
  EXPECT_EQ(v.cause_errors[0].cause, "malicious");
  EXPECT_CONTAINS(v.cause_errors[0].message, "m.yaml:3:5: cause 'malicious' detect: ");
  EXPECT_CONTAINS(v.cause_errors[0].message, GetParam().why);
  EXPECT_TRUE(Reports(v, "per_process_key"));
  EXPECT_FALSE(Reports(v, "malicious"));
  // Nothing was written or created, and the store still works.
  EXPECT_EQ(Events(), events_);
  EXPECT_FALSE(fs::exists(dir_ / "evil.db"));
  ASSERT_OK(store_->BuildTimeline());
}

INSTANTIATE_TEST_SUITE_P(EveryAttempt, ContainedSqlTest, ::testing::ValuesIn(kAttempts),
                         [](const ::testing::TestParamInfo<Attempt>& p) {
                           return std::string(p.param.name);
                         });

TEST_F(ContainedSqlTest, AQueryGeneratingRowsWithoutEndIsStoppedByTheRowLimit) {
  DiagnoseOptions options;
  options.query_step_limit = 100'000'000;  // Rows run out first.
  const Verdict v =
      Diagnose(Malicious("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                         "SELECT 'ui' AS surface, 0.9 AS confidence, x FROM c"),
               options);
  ASSERT_EQ(v.cause_errors.size(), 1u);
  EXPECT_CONTAINS(v.cause_errors[0].message,
                  "cause 'malicious' detect: returned more than 10000 rows");
  EXPECT_TRUE(Reports(v, "per_process_key"));
}

TEST_F(ContainedSqlTest, AFailingEvidenceQuerySkipsItsCauseWhole) {
  const Verdict v = Diagnose(Malicious("SELECT 'ui' AS surface, 0.9 AS confidence",
                                       "SELECT id FROM events WHERE load_extension('x') IS NULL"));
  ASSERT_EQ(v.cause_errors.size(), 1u);
  EXPECT_CONTAINS(v.cause_errors[0].message,
                  "m.yaml:3:5: cause 'malicious' evidence: load_extension() is not allowed");
  EXPECT_FALSE(Reports(v, "malicious"));
  EXPECT_TRUE(Reports(v, "per_process_key"));
}

TEST_F(ContainedSqlTest, ExplainListsASkippedCauseAsAnError) {
  DiagnoseOptions options;
  options.explain = true;
  const Verdict v = Diagnose(Malicious("SELECT 'ui' AS surface, 0.9 AS confidence, "
                                       "count(*) AS n FROM sqlite_master"),
                             options);
  ASSERT_FALSE(v.considered.empty());
  const Alternative& last = v.considered.back();
  EXPECT_EQ(last.cause, "malicious");
  EXPECT_EQ(last.status, "error");
  EXPECT_CONTAINS(last.reason,
                  "skipped: its SQL failed: m.yaml:3:5: cause 'malicious' detect: "
                  "reading sqlite_master is not allowed");
  ASSERT_FALSE(v.findings.empty());
  EXPECT_EQ(v.findings[0].alternatives.back().status, "error");
}

TEST_F(ContainedSqlTest, AnalyzeReportsTheRestAndExitsPartial) {
  const std::string pack = (dir_ / "m.yaml").string();
  std::ofstream(pack) << "pack: m\ncauses:\n  - id: malicious\n    title: t\n    detect: |\n"
                         "      SELECT 'ui' AS surface, 0.9 AS confidence, load_extension('x') "
                         "AS y\n    summary: s\n    remediation: r\n";
  AnalyzeOptions opt;
  opt.paths = {kScenario};
  opt.rule_files = {pack};
  opt.default_rules = false;
  opt.output.report.format = ReportFormat::kJson;
  std::ostringstream out, err;
  EXPECT_EQ(RunAnalyze(opt, out, err), kExitPartial) << err.str();
  EXPECT_CONTAINS(err.str(), pack +
                                 ":3:5: cause 'malicious' detect: load_extension() is not "
                                 "allowed: pack SQL may not load code or read files (cause "
                                 "skipped)");
  EXPECT_CONTAINS(out.str(), "\"cause_errors\": [");
  EXPECT_CONTAINS(out.str(), "\"cause\": \"per_process_key\"");
}

TEST_F(ContainedSqlTest, ReportExplainSkipsTheCauseAndExitsPartial) {
  const std::string db = (dir_ / "s.db").string();
  AnalyzeOptions a;
  a.paths = {kScenario};
  a.db_path = db;
  a.default_rules = false;
  std::ostringstream out, err;
  ASSERT_EQ(RunAnalyze(a, out, err), kExitOk) << err.str();
  const std::string pack = (dir_ / "m.yaml").string();
  std::ofstream(pack) << "pack: m\ncauses:\n  - id: malicious\n    title: t\n    detect: BEGIN\n"
                         "    summary: s\n    remediation: r\n";
  ReportCommandOptions r;
  r.db_path = db;
  r.default_rules = false;
  r.rule_files = {pack};
  r.explain = true;
  r.output.report.format = ReportFormat::kJson;
  out.str("");
  err.str("");
  EXPECT_EQ(RunReport(r, out, err), kExitPartial) << err.str();
  EXPECT_CONTAINS(err.str(), "cause 'malicious' detect: BEGIN is not allowed");
  EXPECT_CONTAINS(out.str(), "\"status\": \"error\"");
  EXPECT_CONTAINS(out.str(), "\"cause\": \"per_process_key\"");
}

}  // namespace
}  // namespace etiolog::analyzer
