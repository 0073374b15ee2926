// SPDX-License-Identifier: Apache-2.0
//
// Risks and explanations: a risk cause reports apart from findings and
// without a confidence, yields to the findings it names, is kept in the
// store, shown by every stdout format and never filed as a ticket; and
// `--explain` says, for each finding, what every other cause came to
// (reported too, suppressed, below the threshold, scored 0, nothing found,
// with what to collect), while the output without it stays what it was.

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "analyzer/diagnosis/diagnoser.h"
#include "analyzer/pipeline/pipeline.h"
#include "analyzer/report/report.h"
#include "rules/matcher.h"
#include "rules/pack.h"
#include "tests/test_util.h"
#include <unistd.h>

namespace etiolog::analyzer {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Causes of a test pack: each detect is a constant row (or none).
std::vector<rules::Cause> Causes(const std::string& yaml) {
  auto p = rules::ParsePack("pack: t\ncauses:\n" + yaml, "t.yaml");
  EXPECT_OK(p);
  return p.ok() ? p->causes : std::vector<rules::Cause>{};
}

std::string Cause(const std::string& id, const std::string& detect, const std::string& extra = "") {
  return "  - id: " + id + "\n    title: " + id + " title\n    detect: \"" + detect +
         "\"\n    summary: '" + id + " summary'\n    remediation: '" + id + " fix'\n" + extra;
}

std::string Row(const std::string& surface, double confidence) {
  return "SELECT '" + surface + "' AS surface, " + std::to_string(confidence) + " AS confidence";
}

class VerdictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = db::Store::Open(":memory:");
    ASSERT_OK(s);
    store_ = std::move(s).value();
    ASSERT_OK(store_->BuildTimeline());
  }

  Verdict Run(const std::string& yaml, DiagnoseOptions options = {}) {
    Diagnoser d(Causes(yaml), options);
    Result<Verdict> v = d.Run(*store_);
    EXPECT_OK(v);
    return v.ok() ? std::move(v).value() : Verdict{};
  }

  std::unique_ptr<db::Store> store_;
};

const Alternative* Find(const std::vector<Alternative>& alts, const std::string& cause) {
  for (const Alternative& a : alts) {
    if (a.cause == cause) return &a;
  }
  return nullptr;
}

TEST_F(VerdictTest, ARiskIsNotAFindingAndHasNoConfidence) {
  const std::string pack =
      Cause("found", Row("ui", 0.7)) +
      Cause("warned", "SELECT 'ui' AS surface, 0.9 AS confidence, 'x' AS scope_a",
            "    risk: true\n");
  Verdict v = Run(pack);
  ASSERT_EQ(v.findings.size(), 1u);
  EXPECT_EQ(v.findings[0].cause, "found");
  ASSERT_EQ(v.risks.size(), 1u);
  EXPECT_EQ(v.risks[0].cause, "warned");
  EXPECT_EQ(v.risks[0].confidence, 0);
  EXPECT_EQ(v.risks[0].summary, "warned summary");
  EXPECT_EQ(v.risks[0].fingerprint.size(), 16u);
  // Diagnose() is the findings alone, as tail and older callers expect.
  Diagnoser d(Causes(pack));
  auto findings = d.Diagnose(*store_);
  ASSERT_OK(findings);
  ASSERT_EQ(findings->size(), 1u);
  // A threshold hides findings, never risks.
  DiagnoseOptions strict;
  strict.min_confidence = 0.95;
  Verdict hidden = Run(pack, strict);
  EXPECT_TRUE(hidden.findings.empty());
  EXPECT_EQ(hidden.risks.size(), 1u);
}

TEST_F(VerdictTest, ARiskGivesWayToAFindingOfACauseItNames) {
  const std::string risk = "    risk: true\n    suppressed_by: [failed]\n";
  // A risk with no surface yields to the named cause on any surface...
  Verdict v = Run(Cause("failed", Row("log_server", 0.2)) + Cause("warned", Row("", 0), risk));
  EXPECT_TRUE(v.risks.empty());
  // ...one with a surface only on its own...
  v = Run(Cause("failed", Row("ui", 0.9)) + Cause("warned", Row("log_server", 0), risk));
  EXPECT_EQ(v.risks.size(), 1u);
  // ...and a cause that found nothing, or is not named, leaves it.
  v = Run(Cause("failed", "SELECT 'ui' AS surface, 0.9 AS confidence WHERE 0") +
          Cause("other", Row("", 0.9)) + Cause("warned", Row("", 0), risk));
  EXPECT_EQ(v.risks.size(), 1u);
}

TEST_F(VerdictTest, WithoutExplainNothingIsConsidered) {
  Verdict v = Run(Cause("a", Row("ui", 0.7)) + Cause("b", Row("ui", 0.4)));
  EXPECT_TRUE(v.considered.empty());
  for (const Finding& f : v.findings) EXPECT_TRUE(f.alternatives.empty());
}

TEST_F(VerdictTest, ExplainSaysWhatEveryOtherCauseCameTo) {
  DiagnoseOptions options;
  options.explain = true;
  options.min_confidence = 0.3;
  const std::string pack =
      Cause("top", Row("ui", 0.8), "    collect: top logs\n") + Cause("also", Row("ui", 0.5)) +
      Cause("elsewhere", Row("log_server", 0.6)) +
      Cause("vague", Row("ui", 0.35), "    suppressed_by: [top]\n    collect: vague logs\n") +
      Cause("weak", Row("ui", 0.2), "    collect: weak logs\n") + Cause("zero", Row("ui", 0)) +
      Cause("absent", "SELECT 'ui' AS surface, 1 AS confidence WHERE 0",
            "    collect: the api-server startup\n") +
      Cause("warned", Row("", 0), "    risk: true\n");
  Verdict v = Run(pack, options);
  ASSERT_EQ(v.findings.size(), 3u);
  const Finding& top = v.findings[0];
  ASSERT_EQ(top.cause, "top");
  // Every other cause but risks, each once.
  ASSERT_EQ(top.alternatives.size(), 6u);
  EXPECT_EQ(Find(top.alternatives, "top"), nullptr);
  EXPECT_EQ(Find(top.alternatives, "warned"), nullptr);

  const Alternative* also = Find(top.alternatives, "also");
  ASSERT_NE(also, nullptr);
  EXPECT_EQ(also->status, "reported");
  EXPECT_TRUE(also->found);
  EXPECT_DOUBLE_EQ(also->confidence, 0.5);
  EXPECT_EQ(also->reason, "lower confidence (0.50 against 0.80); also reported, ranked below");
  EXPECT_EQ(also->summary, "also summary");

  const Alternative* elsewhere = Find(top.alternatives, "elsewhere");
  ASSERT_NE(elsewhere, nullptr);
  EXPECT_EQ(elsewhere->reason, "also reported, on the log_server surface: a separate finding");

  const Alternative* vague = Find(top.alternatives, "vague");
  ASSERT_NE(vague, nullptr);
  EXPECT_EQ(vague->status, "suppressed");
  EXPECT_NE(vague->reason.find("suppressed by top (0.80, against its 0.35) on the ui surface"),
            std::string::npos)
      << vague->reason;
  EXPECT_EQ(vague->collect, "vague logs");

  const Alternative* weak = Find(top.alternatives, "weak");
  ASSERT_NE(weak, nullptr);
  EXPECT_EQ(weak->status, "below_threshold");
  EXPECT_EQ(weak->reason, "below the threshold: 0.20 is under --min-confidence 0.30");

  const Alternative* zero = Find(top.alternatives, "zero");
  ASSERT_NE(zero, nullptr);
  EXPECT_EQ(zero->status, "zero_confidence");

  const Alternative* absent = Find(top.alternatives, "absent");
  ASSERT_NE(absent, nullptr);
  EXPECT_EQ(absent->status, "not_found");
  EXPECT_FALSE(absent->found);
  EXPECT_EQ(absent->reason, "found nothing: its detect query returned no row");
  EXPECT_EQ(absent->collect, "the api-server startup");
  EXPECT_EQ(top.alternatives.back().cause, "absent");  // Nothing found comes last.

  // Seen from the weaker finding, the stronger one ranked above it.
  ASSERT_EQ(v.findings[2].cause, "also");
  const Alternative* above = Find(v.findings[2].alternatives, "top");
  ASSERT_NE(above, nullptr);
  EXPECT_EQ(above->reason, "higher confidence (0.80 against 0.50); reported, ranked above");

  // The run as a whole: the findings in rank order, then the rest.
  ASSERT_EQ(v.considered.size(), 7u);
  EXPECT_EQ(v.considered[0].cause, "top");
  EXPECT_EQ(v.considered[0].reason, "reported (#1)");
  EXPECT_EQ(v.considered[1].cause, "elsewhere");
  EXPECT_EQ(v.considered[2].cause, "also");
  EXPECT_EQ(v.considered[3].cause, "vague");
  EXPECT_EQ(v.considered[6].cause, "absent");
}

TEST_F(VerdictTest, ExplainDoesNotChangeTheFindings) {
  const std::string pack = Cause("a", Row("ui", 0.7)) + Cause("b", Row("ui", 0.4)) +
                           Cause("c", Row("ui", 0.6), "    suppressed_by: [a]\n");
  DiagnoseOptions explain;
  explain.explain = true;
  Verdict plain = Run(pack), explained = Run(pack, explain);
  ASSERT_EQ(plain.findings.size(), explained.findings.size());
  for (size_t i = 0; i < plain.findings.size(); ++i) {
    EXPECT_EQ(plain.findings[i].cause, explained.findings[i].cause);
    EXPECT_EQ(plain.findings[i].fingerprint, explained.findings[i].fingerprint);
  }
}

TEST_F(VerdictTest, RisksAreKeptInTheStoreAndReadBack) {
  Verdict v = Run(Cause("found", Row("ui", 0.7)) + Cause("warned", Row("", 0), "    risk: true\n"));
  ASSERT_OK(SaveVerdict(v, "{}", store_.get()));
  std::string run;
  Result<Verdict> back = LoadVerdict(*store_, &run);
  ASSERT_OK(back);
  EXPECT_EQ(run, "{}");
  ASSERT_EQ(back->findings.size(), 1u);
  ASSERT_EQ(back->risks.size(), 1u);
  EXPECT_EQ(back->risks[0].cause, "warned");
  EXPECT_EQ(back->risks[0].fingerprint, v.risks[0].fingerprint);
  // LoadFindings is the findings alone.
  Result<std::vector<Finding>> findings = LoadFindings(*store_, nullptr);
  ASSERT_OK(findings);
  EXPECT_EQ(findings->size(), 1u);
}

// ------------------------------------------------------------ rendering

class VerdictReportTest : public ::testing::Test {
 protected:
  static Finding Make(const std::string& cause, double confidence) {
    Finding f;
    f.cause = cause;
    f.title = cause + " title";
    f.surface = "ui";
    f.confidence = confidence;
    f.summary = cause + " summary";
    f.remediation = "1. Fix it.\n";
    f.deployment = "default";
    f.fingerprint = cause == "risky" ? "1111111111111111" : "2222222222222222";
    f.facts = {{"surface", "ui"}, {"processes", "1"}};
    EvidenceLine e;
    e.role = "cause";
    e.path = "a.log";
    e.line = 6;
    e.text = "`api_auth/jwt_secret` was empty";
    f.evidence = {e};
    return f;
  }

  Verdict Sample(bool explained) const {
    Verdict v;
    v.findings = {Make("per_process_key", 0.75)};
    v.risks = {Make("risky", 0)};
    if (explained) {
      Alternative a;
      a.cause = "restart_regenerated_key";
      a.title = "restart title";
      a.status = "not_found";
      a.reason = "found nothing: its detect query returned no row";
      a.collect = "the api-server log across the restart";
      v.findings[0].alternatives = {a};
      Alternative me;
      me.cause = "per_process_key";
      me.found = true;
      me.confidence = 0.75;
      me.surface = "ui";
      me.status = "reported";
      me.reason = "reported (#1)";
      v.considered = {me, a};
    }
    return v;
  }

  std::string Render(ReportFormat format, const Verdict& v, bool explain) const {
    ReportOptions o;
    o.format = format;
    o.jira_project = "OPS";
    o.explain = explain;
    return RenderReport(v, run_, o);
  }

  RunSummary run_;
};

TEST_F(VerdictReportTest, WithoutRisksOrExplainTheOutputIsWhatItWas) {
  Verdict v = Sample(false);
  v.risks.clear();
  for (ReportFormat format : {ReportFormat::kText, ReportFormat::kJson, ReportFormat::kMarkdown,
                              ReportFormat::kGithub, ReportFormat::kJira}) {
    ReportOptions o;
    o.format = format;
    o.jira_project = "OPS";
    EXPECT_EQ(Render(format, v, false), RenderReport(v.findings, run_, o))
        << ReportFormatName(format);
  }
  const Json j = Json::parse(Render(ReportFormat::kJson, v, false));
  EXPECT_FALSE(j.contains("risks"));
  EXPECT_FALSE(j.contains("considered"));
  EXPECT_FALSE(j["findings"][0].contains("alternatives"));
}

TEST_F(VerdictReportTest, JsonListsRisksApartWithoutConfidence) {
  const Json j = Json::parse(Render(ReportFormat::kJson, Sample(false), false));
  ASSERT_EQ(j["findings"].size(), 1u);
  ASSERT_EQ(j["risks"].size(), 1u);
  const Json& r = j["risks"][0];
  EXPECT_EQ(r["cause"], "risky");
  EXPECT_FALSE(r.contains("confidence"));
  EXPECT_FALSE(r.contains("alternatives"));
  for (const char* key : {"title", "surface", "summary", "evidence", "against", "remediation",
                          "deployment", "fingerprint", "facts"}) {
    EXPECT_TRUE(r.contains(key)) << key;
  }
}

TEST_F(VerdictReportTest, JsonExplainAddsAlternativesAndConsidered) {
  const Json j = Json::parse(Render(ReportFormat::kJson, Sample(true), true));
  const Json& alts = j["findings"][0]["alternatives"];
  ASSERT_EQ(alts.size(), 1u);
  EXPECT_EQ(alts[0]["cause"], "restart_regenerated_key");
  EXPECT_TRUE(alts[0]["confidence"].is_null());
  EXPECT_EQ(alts[0]["status"], "not_found");
  EXPECT_EQ(alts[0]["collect"], "the api-server log across the restart");
  for (const char* key : {"cause", "title", "surface", "confidence", "status", "reason", "summary",
                          "evidence", "against", "collect"}) {
    EXPECT_TRUE(alts[0].contains(key)) << key;
  }
  ASSERT_EQ(j["considered"].size(), 2u);
  EXPECT_EQ(j["considered"][0]["confidence"], 0.75);
}

TEST_F(VerdictReportTest, TextAndMarkdownShowRisksInTheirOwnSection) {
  const std::string text = Render(ReportFormat::kText, Sample(false), false);
  const size_t finding = text.find("[1] per_process_key");
  const size_t risks = text.find("\nRisks: nothing has failed because of these yet");
  const size_t risk = text.find("[R1] risky");
  ASSERT_NE(finding, std::string::npos) << text;
  ASSERT_NE(risks, std::string::npos) << text;
  ASSERT_NE(risk, std::string::npos) << text;
  EXPECT_LT(finding, risks);
  EXPECT_LT(risks, risk);
  EXPECT_EQ(text.find("confidence 0.00"), std::string::npos);

  const std::string md = Render(ReportFormat::kMarkdown, Sample(false), false);
  EXPECT_NE(md.find("\n\n## Risks\n\n"), std::string::npos) << md;
  EXPECT_NE(md.find("### R1. risky: risky title"), std::string::npos) << md;
  EXPECT_NE(md.find("| Risk | Surface | Deployment |"), std::string::npos) << md;
  // A risk carries no fingerprint comment: scripts filing issues skip it.
  EXPECT_EQ(md.find("etiolog-fingerprint: 1111111111111111"), std::string::npos) << md;

  Verdict none = Sample(false);
  none.findings.clear();
  const std::string quiet = Render(ReportFormat::kText, none, false);
  EXPECT_NE(quiet.find("No finding"), std::string::npos);
  EXPECT_NE(quiet.find("[R1] risky"), std::string::npos);
}

TEST_F(VerdictReportTest, TextAndMarkdownExplainShowWhatWouldChangeTheVerdict) {
  const std::string text = Render(ReportFormat::kText, Sample(true), true);
  EXPECT_NE(text.find("    Alternatives considered:\n      - restart_regenerated_key: not_found\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("would change the verdict:\n            the api-server log across the "
                      "restart"),
            std::string::npos)
      << text;
  const std::string md = Render(ReportFormat::kMarkdown, Sample(true), true);
  EXPECT_NE(md.find("### Alternatives considered"), std::string::npos) << md;
  EXPECT_NE(md.find("| restart\\_regenerated\\_key | - | - | not\\_found |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("What would change the verdict:"), std::string::npos) << md;

  Verdict none = Sample(true);
  none.findings.clear();
  EXPECT_NE(Render(ReportFormat::kText, none, true).find("Causes considered:"), std::string::npos);
  EXPECT_NE(Render(ReportFormat::kMarkdown, none, true).find("## Causes considered"),
            std::string::npos);
}

TEST_F(VerdictReportTest, RisksAreNeverIssuesOrTickets) {
  for (ReportFormat format : {ReportFormat::kGithub, ReportFormat::kJira}) {
    const std::string out = Render(format, Sample(false), false);
    EXPECT_EQ(out.find("risky"), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  }
  const std::string jira = Render(ReportFormat::kJira, Sample(true), true);
  EXPECT_NE(jira.find("Alternatives considered"), std::string::npos);
}

// ------------------------------------------------------------ commands

class RiskCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("etiolog_verdict_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "store.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  AnalyzeOptions Options(const std::string& scenario) const {
    AnalyzeOptions opt;
    opt.paths = {std::string(ETIOLOG_SAMPLES_DIR) + "/scenarios/" + scenario};
    opt.default_rules = false;
    opt.db_path = db_;
    opt.output.report.format = ReportFormat::kJson;
    return opt;
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(RiskCommandTest, ARiskAloneIsNotAFindingForFailOnFinding) {
  AnalyzeOptions opt = Options("negative_key_warning_only");
  opt.fail_on_finding = true;
  std::ostringstream out, err;
  ASSERT_EQ(RunAnalyze(opt, out, err), kExitOk) << err.str();
  const Json j = Json::parse(out.str());
  EXPECT_TRUE(j["findings"].empty());
  ASSERT_EQ(j["risks"].size(), 1u);
  EXPECT_EQ(j["risks"][0]["cause"], "jwt_secret_unset");
}

TEST_F(RiskCommandTest, ReportShowsTheStoredRisksAndTicketsLeaveThemOut) {
  std::ostringstream out, err;
  ASSERT_EQ(RunAnalyze(Options("negative_key_warning_only"), out, err), kExitOk) << err.str();
  ReportCommandOptions rep;
  rep.db_path = db_;
  rep.default_rules = false;
  rep.output.report.format = ReportFormat::kJson;
  std::ostringstream o2, e2;
  ASSERT_EQ(RunReport(rep, o2, e2), kExitOk) << e2.str();
  EXPECT_EQ(o2.str(), out.str());  // The same bytes as analyze printed.

  rep.output.report.format = ReportFormat::kMarkdown;
  rep.output.to_dir = (dir_ / "tickets").string();
  std::ostringstream o3, e3;
  ASSERT_EQ(RunReport(rep, o3, e3), kExitOk) << e3.str();
  EXPECT_NE(o3.str().find("0 new"), std::string::npos) << o3.str();
  EXPECT_NE(o3.str().find("etiolog: risk (not a ticket): jwt_secret_unset"), std::string::npos)
      << o3.str();
}

TEST_F(RiskCommandTest, ReportExplainRunsTheCausesAgainOnTheStore) {
  AnalyzeOptions opt = Options("mixed_per_process_key_and_restart");
  opt.explain = true;
  std::ostringstream out, err;
  ASSERT_EQ(RunAnalyze(opt, out, err), kExitOk) << err.str();
  ReportCommandOptions rep;
  rep.db_path = db_;
  rep.default_rules = false;
  rep.explain = true;
  rep.output.report.format = ReportFormat::kJson;
  std::ostringstream o2, e2;
  ASSERT_EQ(RunReport(rep, o2, e2), kExitOk) << e2.str();
  EXPECT_EQ(o2.str(), out.str());
  const Json j = Json::parse(o2.str());
  ASSERT_FALSE(j["findings"].empty());
  EXPECT_FALSE(j["findings"][0]["alternatives"].empty());
  EXPECT_FALSE(j["considered"].empty());
}

}  // namespace
}  // namespace etiolog::analyzer
