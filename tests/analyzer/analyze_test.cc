// SPDX-License-Identifier: Apache-2.0
//
// End-to-end through the analyzer: packs, pipeline, store, diagnosis,
// rendering, on in-memory sources and on the bundled samples.

#include <sstream>

#include <gtest/gtest.h>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "analyzer/diagnosis/diagnoser.h"
#include "analyzer/pipeline/pipeline.h"
#include "analyzer/report/report.h"
#include "rules/matcher.h"
#include "rules/pack.h"
#include "tests/test_util.h"

namespace etiolog::analyzer {
namespace {

class AnalyzeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = rules::LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
    ASSERT_OK(set);
    causes_ = set->causes;
    auto m = rules::Matcher::Create(set->rules, set->redactions);
    ASSERT_OK(m);
    matcher_ = std::move(m).value();
    auto s = db::Store::Open(":memory:");
    ASSERT_OK(s);
    store_ = std::move(s).value();
  }

  void Ingest(const std::string& name, const std::string& text) {
    Pipeline p(matcher_.get(), store_.get(), IngestOptions());
    auto src = ingest::NewMemorySource(name, text);
    ASSERT_OK(p.Ingest(src.get(), &stats_));
  }

  std::vector<Finding> Diagnose() {
    EXPECT_OK(store_->BuildTimeline());
    Diagnoser d(causes_);
    auto f = d.Diagnose(*store_);
    EXPECT_OK(f);
    return f.ok() ? *f : std::vector<Finding>{};
  }

  std::vector<rules::Cause> causes_;
  std::unique_ptr<rules::Matcher> matcher_;
  std::unique_ptr<db::Store> store_;
  IngestStats stats_;
};

std::string ApiServerStart(const std::string& host, const std::string& t, int pid) {
  std::string p = host + "  | ";
  return p + t +
         " [warning  ] `api_auth/jwt_secret` was empty, using a generated one for now. "
         "Please set this in your config [airflow.api_fastapi.auth.tokens] loc=tokens.py:581\n" +
         p + t + " [info     ] Running the uvicorn with:\n" + p + "Apps: all\n" + p +
         "INFO:     Started server process [" + std::to_string(pid) + "]\n" + p +
         "INFO:     Application startup complete.\n";
}

std::string UiFailure(const std::string& host, const std::string& t) {
  return host + "  | " + t +
         " [error    ] JWT token is not valid: Signature verification failed "
         "[airflow.api_fastapi.auth.managers.base_auth_manager] loc=base_auth_manager.py:107\n" +
         host + "  | INFO:     172.18.0.1:1 - \"GET /ui/config HTTP/1.1\" 403 Forbidden\n";
}

TEST_F(AnalyzeTest, TwoApiServersWithOwnKeysArePerProcessKey) {
  Ingest("compose.log",
         ApiServerStart("airflow-apiserver-1", "2025-12-07T15:50:01.000000Z", 7) +
             ApiServerStart("airflow-apiserver-2", "2025-12-07T15:50:02.000000Z", 8) +
             UiFailure("airflow-apiserver-2", "2025-12-07T15:51:00.000000Z") +
             UiFailure("airflow-apiserver-2", "2025-12-07T15:52:00.000000Z"));
  std::vector<Finding> f = Diagnose();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].cause, "per_process_key");
  EXPECT_EQ(f[0].surface, "ui");
  EXPECT_GT(f[0].confidence, 0.5);
  EXPECT_LT(f[0].confidence, 1.0);
  // Evidence: both key warnings (cause) with their lines, and the failures.
  int causes = 0, symptoms = 0;
  for (const auto& e : f[0].evidence) {
    EXPECT_EQ(e.path, "compose.log");
    EXPECT_TRUE(e.has_time);
    if (e.role == "cause") {
      ++causes;
      EXPECT_NE(e.text.find("was empty"), std::string::npos);
    }
    if (e.role == "symptom") ++symptoms;
  }
  EXPECT_EQ(causes, 2);
  EXPECT_EQ(symptoms, 2);
  EXPECT_EQ(f[0].evidence[0].line, 1);
  EXPECT_EQ(f[0].deployment, "docker-compose");
  EXPECT_NE(f[0].remediation.find("AIRFLOW__API_AUTH__JWT_SECRET"), std::string::npos);
  EXPECT_EQ(f[0].fingerprint.size(), 16u);
}

TEST_F(AnalyzeTest, RestartOfOneProcessIsNotPerProcessKey) {
  // The same container restarted: the keys never coexisted.
  Ingest("api.log", ApiServerStart("airflow-apiserver-1", "2025-12-07T15:50:01.000000Z", 7) +
                        ApiServerStart("airflow-apiserver-1", "2025-12-07T16:30:00.000000Z", 7) +
                        UiFailure("airflow-apiserver-1", "2025-12-07T16:31:00.000000Z"));
  for (const Finding& f : Diagnose()) EXPECT_NE(f.cause, "per_process_key");
}

TEST_F(AnalyzeTest, KeyWarningsWithoutFailuresAreNoFinding) {
  Ingest("compose.log",
         ApiServerStart("airflow-apiserver-1", "2025-12-07T15:50:01.000000Z", 7) +
             ApiServerStart("airflow-apiserver-2", "2025-12-07T15:50:02.000000Z", 8));
  EXPECT_TRUE(Diagnose().empty());
}

TEST_F(AnalyzeTest, SecretsAreRedactedBeforeStorage) {
  Ingest("a.log",
         "2025-03-29 19:59:21 [warning  ] Failed to validate JWT         "
         "[airflow.api_fastapi.execution_api.deps] token=eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9."
         "eyJzdWIiOiIxIn0.c2lnbmF0dXJl\n"
         "airflow.sdk.api.client.ServerResponseError: Invalid auth token: Signature verification "
         "failed\n");
  auto t = store_->Query("SELECT group_concat(text) FROM events", {});
  ASSERT_OK(t);
  EXPECT_EQ(db::ValueToString(t->rows[0][0]).find("eyJhbGciOiJIUzUxMiIsInR5cCI6"),
            std::string::npos);
}

TEST(RunAnalyze, MissingFileIsNamedAndExitIsNonZero) {
  AnalyzeOptions opt;
  opt.paths = {"/nonexistent/etiolog/api.log"};
  std::ostringstream out, err;
  int rc = RunAnalyze(opt, out, err);
  EXPECT_EQ(rc, kExitFatal);
  EXPECT_NE(err.str().find("/nonexistent/etiolog/api.log"), std::string::npos);
}

TEST(RunAnalyze, JsonOnNegativeSampleHasNoFindings) {
  AnalyzeOptions opt;
  opt.paths = {ETIOLOG_SAMPLES_DIR "/scenarios/negative_key_warning_only"};
  opt.output.report.format = ReportFormat::kJson;
  std::ostringstream out, err;
  EXPECT_EQ(RunAnalyze(opt, out, err), kExitOk) << err.str();
  EXPECT_NE(out.str().find("\"findings\": []"), std::string::npos) << out.str();
}

TEST(ExpandTemplate, ReplacesKnownFactsOnly) {
  EXPECT_EQ(ExpandTemplate("{n} processes, {unknown}", {{"n", "2"}}), "2 processes, {unknown}");
}

}  // namespace
}  // namespace etiolog::analyzer
