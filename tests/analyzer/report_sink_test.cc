// SPDX-License-Identifier: Apache-2.0
//
// The sinks without a network: the ticket directory (create, rerun,
// update, a finding disappearing and coming back, prune, refusals), the
// HTTP sink's option checks and header files (the posting itself is tested
// against a local server by http_sink_test.py), and `etiolog report`
// reading a store written by `analyze`.

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "analyzer/report/report.h"
#include "analyzer/sinks/dir_sink.h"
#include "analyzer/sinks/http_sink.h"
#include "db/store.h"
#include "tests/test_util.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace etiolog::analyzer {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Ticket MakeTicket(const std::string& fp, const std::string& cause, const std::string& body) {
  Ticket t;
  t.fingerprint = fp;
  t.cause = cause;
  t.surface = "ui";
  t.confidence = 0.8;
  t.title = "[etiolog] " + cause + " on ui: title";
  t.body = body;
  return t;
}

class TicketDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("etiolog_tickets_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  DirSinkResult Write(const std::vector<Ticket>& tickets, DirSinkOptions options = {}) {
    options.now_us = ++clock_ * 1000000;
    Result<DirSinkResult> r = WriteTicketDir((dir_ / "t").string(), tickets, options);
    EXPECT_OK(r);
    return r.ok() ? *r : DirSinkResult();
  }

  Json Index() { return Json::parse(Slurp(dir_ / "t" / kTicketIndexName)); }

  // The index entry of fp.
  Json Entry(const std::string& fp) {
    const Json index = Index();
    for (const Json& e : index["tickets"]) {
      if (e["fingerprint"] == fp) return e;
    }
    return Json();
  }

  std::vector<std::string> Files() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_ / "t")) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
  int64_t clock_ = 1765122598;
};

TEST_F(TicketDirTest, CreatesOneFilePerFindingAndAnIndex) {
  DirSinkResult r = Write({MakeTicket("aaaa", "per_process_key", "# A\n"),
                           MakeTicket("bbbb-2", "restart_regenerated_key", "# B\n")});
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0].change, "new");
  EXPECT_EQ(r.entries[0].file, "aaaa.md");
  EXPECT_EQ(Files(),
            (std::vector<std::string>{".etiolog.lock", "aaaa.md", "bbbb-2.md", "index.json"}));
  EXPECT_EQ(Slurp(dir_ / "t" / "bbbb-2.md"), "# B\n");
  Json index = Index();
  EXPECT_EQ(index["format"], "markdown");
  EXPECT_EQ(index["etiolog"]["index_schema"], kTicketIndexSchema);
  Json a = Entry("aaaa");
  EXPECT_EQ(a["status"], "open");
  EXPECT_EQ(a["change"], "new");
  EXPECT_EQ(a["cause"], "per_process_key");
  EXPECT_EQ(a["title"], "[etiolog] per_process_key on ui: title");
  EXPECT_EQ(a["first_seen"], a["last_seen"]);
}

TEST_F(TicketDirTest, RerunUpdatesInPlaceAndLeavesUnchangedFilesAlone) {
  Write({MakeTicket("aaaa", "c", "# A\n"), MakeTicket("bbbb", "c", "# B\n")});
  struct stat before;
  ASSERT_EQ(::stat((dir_ / "t" / "bbbb.md").c_str(), &before), 0);
  const Json first = Entry("aaaa");
  DirSinkResult r =
      Write({MakeTicket("aaaa", "c", "# A, more evidence\n"), MakeTicket("bbbb", "c", "# B\n")});
  EXPECT_EQ(r.entries[0].change, "updated");
  EXPECT_EQ(r.entries[1].change, "unchanged");
  EXPECT_EQ(Slurp(dir_ / "t" / "aaaa.md"), "# A, more evidence\n");
  struct stat after;
  ASSERT_EQ(::stat((dir_ / "t" / "bbbb.md").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // Not rewritten.
  // No duplicate, no leftover temporary file.
  EXPECT_EQ(Files().size(), 4u);
  EXPECT_EQ(Index()["tickets"].size(), 2u);
  const Json second = Entry("aaaa");
  EXPECT_EQ(second["first_seen"], first["first_seen"]);
  EXPECT_NE(second["last_seen"], first["last_seen"]);
}

TEST_F(TicketDirTest, AFindingThatDisappearsIsResolvedThenReopened) {
  Write({MakeTicket("aaaa", "c", "# A\n"), MakeTicket("bbbb", "c", "# B\n")});
  DirSinkResult r = Write({MakeTicket("aaaa", "c", "# A\n")});
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[1].fingerprint, "bbbb");
  EXPECT_EQ(r.entries[1].change, "resolved");
  EXPECT_TRUE(fs::exists(dir_ / "t" / "bbbb.md"));  // Kept for the record.
  Json b = Entry("bbbb");
  EXPECT_EQ(b["status"], "resolved");
  EXPECT_EQ(b["change"], "resolved");
  EXPECT_TRUE(b.contains("resolved_at"));
  // Still gone: stays resolved, nothing changes.
  r = Write({MakeTicket("aaaa", "c", "# A\n")});
  EXPECT_EQ(Entry("bbbb")["change"], "unchanged");
  EXPECT_EQ(Entry("bbbb")["status"], "resolved");
  // Back again.
  r = Write({MakeTicket("aaaa", "c", "# A\n"), MakeTicket("bbbb", "c", "# B\n")});
  EXPECT_EQ(r.entries[1].change, "reopened");
  EXPECT_EQ(Entry("bbbb")["status"], "open");
  EXPECT_FALSE(Entry("bbbb").contains("resolved_at"));
}

TEST_F(TicketDirTest, PruneDeletesResolvedTickets) {
  Write({MakeTicket("aaaa", "c", "# A\n"), MakeTicket("bbbb", "c", "# B\n")});
  DirSinkOptions prune;
  prune.prune = true;
  DirSinkResult r = Write({MakeTicket("aaaa", "c", "# A\n")}, prune);
  EXPECT_EQ(r.entries[1].change, "pruned");
  EXPECT_FALSE(fs::exists(dir_ / "t" / "bbbb.md"));
  EXPECT_EQ(Index()["tickets"].size(), 1u);
}

TEST_F(TicketDirTest, ACauseFilterLeavesOtherCausesAlone) {
  Write({MakeTicket("aaaa", "one", "# A\n"), MakeTicket("bbbb", "two", "# B\n")});
  DirSinkOptions only_one;
  only_one.cause = "one";
  Write({MakeTicket("aaaa", "one", "# A\n")}, only_one);
  EXPECT_EQ(Entry("bbbb")["status"], "open");
  only_one.cause = "two";
  Write({}, only_one);
  EXPECT_EQ(Entry("bbbb")["status"], "resolved");
  EXPECT_EQ(Entry("aaaa")["status"], "open");
}

TEST_F(TicketDirTest, RefusesAnotherFormatABadIndexAndUnsafeNames) {
  Write({MakeTicket("aaaa", "c", "# A\n")});
  DirSinkOptions json;
  json.format = ReportFormat::kJson;
  Result<DirSinkResult> r = WriteTicketDir((dir_ / "t").string(), {}, json);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("holds markdown tickets"), std::string::npos);

  r = WriteTicketDir((dir_ / "t").string(), {MakeTicket("../../etc/x", "c", "x")}, {});
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_ / "etc"));
  r = WriteTicketDir((dir_ / "t").string(),
                     {MakeTicket("dddd", "c", "1"), MakeTicket("dddd", "c", "2")}, {});
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_ / "t" / "dddd.md"));

  std::ofstream(dir_ / "t" / kTicketIndexName) << "{ not json";
  r = WriteTicketDir((dir_ / "t").string(), {MakeTicket("cccc", "c", "x")}, {});
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("index.json"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "t" / "cccc.md"));  // Nothing written.
}

TEST_F(TicketDirTest, ASecondWriterIsRefusedWhileTheFirstHoldsTheLock) {
  Write({MakeTicket("aaaa", "c", "# A\n")});
  int fd = ::open((dir_ / "t" / ".etiolog.lock").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  Result<DirSinkResult> r = WriteTicketDir((dir_ / "t").string(), {}, {});
  EXPECT_EQ(r.status().code(), Status::Code::kIoError);
  EXPECT_NE(r.status().message().find("another etiolog run"), std::string::npos);
  ::close(fd);
  EXPECT_OK(WriteTicketDir((dir_ / "t").string(), {}, {}));
}

TEST_F(TicketDirTest, AnUnwritableTicketIsAnErrorAndTheRestIsWritten) {
  fs::create_directories(dir_ / "t" / "aaaa.md");  // A directory where the file goes.
  DirSinkResult r = Write({MakeTicket("aaaa", "c", "# A\n"), MakeTicket("bbbb", "c", "# B\n")});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("aaaa.md"), std::string::npos);
  EXPECT_EQ(Slurp(dir_ / "t" / "bbbb.md"), "# B\n");
  EXPECT_TRUE(Entry("aaaa").is_null());  // Not listed as written.
}

TEST(HttpSinkOptions, ChecksUrlHeadersAndLimits) {
  HttpSinkOptions o;
  o.url = "https://tracker.example/api/issues";
  EXPECT_OK(CheckHttpSinkOptions(o));
  o.url = "ftp://x/y";
  EXPECT_FALSE(CheckHttpSinkOptions(o).ok());
  o.url = "http://";
  EXPECT_FALSE(CheckHttpSinkOptions(o).ok());
  o.url = "http://127.0.0.1:8080/hook";
  o.headers = {"Authorization: Bearer s3cr3t-t0ken", "X-Bad Name: v"};
  Status st = CheckHttpSinkOptions(o);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("#2"), std::string::npos);
  EXPECT_EQ(st.message().find("s3cr3t"), std::string::npos);
  o.headers = {"Authorization: Bearer s3cr3t\r\nX-Injected: 1"};
  EXPECT_FALSE(CheckHttpSinkOptions(o).ok());
  o.headers = {"Authorization: Bearer s3cr3t"};
  o.retries = 11;
  EXPECT_FALSE(CheckHttpSinkOptions(o).ok());
  o.retries = 3;
  o.timeout_s = 0;
  EXPECT_FALSE(CheckHttpSinkOptions(o).ok());
}

TEST(HttpSinkOptions, UrlsInMessagesCarryNoCredentials) {
  EXPECT_EQ(UrlForMessages("https://user:pa55@jira.example:8443/rest/api/3/issue?token=abc#x"),
            "https://jira.example:8443/rest/api/3/issue?...");
  EXPECT_EQ(UrlForMessages("http://127.0.0.1:9/hook"), "http://127.0.0.1:9/hook");
}

TEST(HttpSinkOptions, HeaderFilesKeepTokensOffTheCommandLine) {
  const fs::path file =
      fs::temp_directory_path() / ("etiolog_headers_" + std::to_string(::getpid()));
  std::ofstream(file) << "# tracker token\nAuthorization: Bearer abc\r\n\nX-Team: sre\n";
  Result<std::vector<std::string>> h = ExpandHeaderArgs({"Accept: x", "@" + file.string()});
  ASSERT_OK(h);
  EXPECT_EQ(*h,
            (std::vector<std::string>{"Accept: x", "Authorization: Bearer abc", "X-Team: sre"}));
  fs::remove(file);
  EXPECT_EQ(ExpandHeaderArgs({"@" + file.string()}).status().code(), Status::Code::kNotFound);
}

// `etiolog report` against a store that `etiolog analyze --db` wrote.
class ReportCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("etiolog_report_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "store.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  int Analyze(const std::string& scenario, ReportFormat format, std::string* out) {
    AnalyzeOptions opt;
    opt.paths = {std::string(ETIOLOG_SAMPLES_DIR) + "/scenarios/" + scenario};
    opt.default_rules = false;
    opt.db_path = db_;
    opt.output.report.format = format;
    opt.output.report.jira_project = "OPS";
    std::ostringstream o, e;
    int rc = RunAnalyze(opt, o, e);
    *out = o.str();
    return rc;
  }

  int Report(ReportFormat format, std::string* out, std::string* err, const std::string& cause = "",
             double min_confidence = 0) {
    ReportCommandOptions opt;
    opt.db_path = db_;
    opt.default_rules = false;
    opt.min_confidence = min_confidence;
    opt.output.cause = cause;
    opt.output.report.format = format;
    opt.output.report.jira_project = "OPS";
    std::ostringstream o, e;
    int rc = RunReport(opt, o, e);
    *out = o.str();
    *err = e.str();
    return rc;
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(ReportCommandTest, ReportRendersWhatAnalyzePrinted) {
  for (ReportFormat format :
       {ReportFormat::kJson, ReportFormat::kMarkdown, ReportFormat::kGithub, ReportFormat::kJira}) {
    std::string analyzed, reported, err;
    ASSERT_EQ(Analyze("mixed_per_process_key_and_restart", format, &analyzed), kExitOk);
    ASSERT_EQ(Report(format, &reported, &err), kExitOk) << err;
    EXPECT_EQ(reported, analyzed) << ReportFormatName(format);
  }
  std::string json, err;
  ASSERT_EQ(Report(ReportFormat::kJson, &json, &err), kExitOk);
  const Json j = Json::parse(json);
  ASSERT_EQ(j["findings"].size(), 2u);
  EXPECT_GT(j["run"]["lines"].get<int>(), 0);
  EXPECT_FALSE(j["findings"][0]["evidence"].empty());
}

TEST_F(ReportCommandTest, FiltersByCauseAndConfidence) {
  std::string out, err;
  ASSERT_EQ(Analyze("mixed_per_process_key_and_restart", ReportFormat::kJson, &out), kExitOk);
  ASSERT_EQ(Report(ReportFormat::kJson, &out, &err, "restart_regenerated_key"), kExitOk);
  Json j = Json::parse(out);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["cause"], "restart_regenerated_key");
  ASSERT_EQ(Report(ReportFormat::kJson, &out, &err, "", 0.99), kExitOk);
  EXPECT_TRUE(Json::parse(out)["findings"].empty());
}

TEST_F(ReportCommandTest, AMissingStoreOrDiagnosisIsFatalAndSaysWhy) {
  std::string out, err;
  EXPECT_EQ(Report(ReportFormat::kText, &out, &err), kExitFatal);
  EXPECT_NE(err.find("store.db: no such store"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(db_));  // Not created by looking.
  { ASSERT_OK(db::Store::Open(db_)); }
  EXPECT_EQ(Report(ReportFormat::kText, &out, &err), kExitFatal);
  EXPECT_NE(err.find("no diagnosis"), std::string::npos) << err;
  EXPECT_NE(err.find("etiolog analyze --db"), std::string::npos) << err;
}

TEST_F(ReportCommandTest, ANegativeRunIsADiagnosisWithNoFinding) {
  std::string out, err;
  ASSERT_EQ(Analyze("negative_key_warning_only", ReportFormat::kJson, &out), kExitOk);
  ASSERT_EQ(Report(ReportFormat::kText, &out, &err), kExitOk) << err;
  EXPECT_NE(out.find("No finding"), std::string::npos);
}

TEST_F(ReportCommandTest, AnalyzeAndReportShareTheTicketDirectory) {
  AnalyzeOptions opt;
  opt.paths = {std::string(ETIOLOG_SAMPLES_DIR) + "/scenarios/mixed_per_process_key_and_restart"};
  opt.default_rules = false;
  opt.db_path = db_;
  opt.output.report.format = ReportFormat::kMarkdown;
  opt.output.to_dir = (dir_ / "tickets").string();
  std::ostringstream o, e;
  ASSERT_EQ(RunAnalyze(opt, o, e), kExitOk) << e.str();
  EXPECT_NE(o.str().find("2 new"), std::string::npos) << o.str();
  ReportCommandOptions rep;
  rep.db_path = db_;
  rep.default_rules = false;
  rep.output = opt.output;
  std::ostringstream o2, e2;
  ASSERT_EQ(RunReport(rep, o2, e2), kExitOk) << e2.str();
  EXPECT_NE(o2.str().find("0 new, 0 updated, 0 reopened, 2 unchanged"), std::string::npos)
      << o2.str();
}

}  // namespace
}  // namespace etiolog::analyzer
