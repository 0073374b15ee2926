// SPDX-License-Identifier: Apache-2.0
#include "ingest/input_set.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace etiolog::ingest {
namespace {

namespace fs = std::filesystem;

class InputSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etiolog_input_set_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& text = "x\n") {
    fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  void Link(const std::string& target, const std::string& rel) {
    fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    fs::create_symlink(target, p);
  }
  std::vector<std::string> Paths(const Enumeration& e) {
    std::vector<std::string> out;
    for (const InputSpec& s : e.inputs) out.push_back(s.path.substr(root_.size() + 1));
    return out;
  }
  Enumeration Enumerate(const EnumerateOptions& o = {}) {
    return EnumerateInputs({{root_, {}}}, o);
  }

  std::string root_;
};

TEST_F(InputSetTest, RecursesInSortedOrder) {
  Write("b/scheduler.log");
  Write("a/api-server.log");
  Write("a/nested/deeper/worker.log.gz");
  Enumeration e = Enumerate();
  EXPECT_TRUE(e.errors.empty());
  EXPECT_EQ(Paths(e), (std::vector<std::string>{"a/api-server.log", "a/nested/deeper/worker.log.gz",
                                                "b/scheduler.log"}));
}

TEST_F(InputSetTest, IncludeAndExcludeGlobs) {
  Write("api-server.log");
  Write("scheduler.log.1.gz");
  Write("notes.txt");
  Write("archive/old.log");
  EnumerateOptions o;
  o.include = {"*.log", "*.gz"};
  o.exclude = {"archive/*"};
  EXPECT_EQ(Paths(Enumerate(o)),
            (std::vector<std::string>{"api-server.log", "scheduler.log.1.gz"}));
}

TEST_F(InputSetTest, FilesNamedExplicitlyAreNotFiltered) {
  Write("notes.txt");
  EnumerateOptions o;
  o.include = {"*.log"};
  Enumeration e = EnumerateInputs({{root_ + "/notes.txt", {}}}, o);
  ASSERT_EQ(e.inputs.size(), 1u);
}

TEST_F(InputSetTest, KubernetesSymlinksToTheSameFileAreReadOnce) {
  Write("pods/airflow_api-0_uid/api-server/0.log");
  Link("../pods/airflow_api-0_uid/api-server/0.log", "containers/api-0_airflow_api-server-abc.log");
  Enumeration e = Enumerate();
  EXPECT_TRUE(e.errors.empty());
  EXPECT_EQ(Paths(e), (std::vector<std::string>{"containers/api-0_airflow_api-server-abc.log"}));
}

TEST_F(InputSetTest, SymlinkLoopsAndDanglingLinksAreReportedAndTheRestListed) {
  Write("ok.log");
  Link("loop-b", "loop-a");
  Link("loop-a", "loop-b");
  Link(".", "sub/self");  // A directory link back to its own directory.
  Link("/nonexistent/etiolog/gone.log", "gone.log");
  Enumeration e = Enumerate();
  EXPECT_EQ(Paths(e), (std::vector<std::string>{"ok.log"}));
  std::string all;
  for (const std::string& m : e.errors) all += m + "\n";
  EXPECT_NE(all.find("loop-a: symbolic link loop"), std::string::npos) << all;
  EXPECT_NE(all.find("loop-b: symbolic link loop"), std::string::npos) << all;
  EXPECT_NE(all.find("sub/self: symbolic link loop"), std::string::npos) << all;
  EXPECT_NE(all.find("gone.log: dangling symbolic link"), std::string::npos) << all;
}

TEST_F(InputSetTest, StdinAndMissingPathsAreKeptForOpeningToReport) {
  Enumeration e = EnumerateInputs({{"-", {}}, {"/nonexistent/etiolog/x.log", {}}}, {});
  ASSERT_EQ(e.inputs.size(), 2u);
  EXPECT_EQ(e.inputs[0].path, "-");
}

TEST_F(InputSetTest, LabelsFollowTheirInputIntoDirectories) {
  Write("a.log");
  ProcessIdentity labels;
  labels.component = "scheduler";
  Enumeration e = EnumerateInputs({{root_, labels}}, {});
  ASSERT_EQ(e.inputs.size(), 1u);
  EXPECT_EQ(e.inputs[0].labels.component, "scheduler");
}

TEST(MatchesGlob, NameOrRelativePath) {
  EXPECT_TRUE(MatchesGlob("*.log", "a/b/scheduler.log"));
  EXPECT_FALSE(MatchesGlob("*.log", "a/b/scheduler.log.1"));
  EXPECT_TRUE(MatchesGlob("*/scheduler/*", "logs/scheduler/2025-01-01/1.log"));
  EXPECT_TRUE(MatchesGlob("logs/**/*.log", "logs/scheduler/2025-01-01/1.log"));
  EXPECT_FALSE(MatchesGlob("*/scheduler/*", "logs/api/1.log"));
}

TEST(ParseLabel, KeysAndErrors) {
  ProcessIdentity p;
  ASSERT_OK(ParseLabel("component=scheduler", &p));
  ASSERT_OK(ParseLabel("host=airflow-1", &p));
  ASSERT_OK(ParseLabel("pid=42", &p));
  EXPECT_EQ(p.component, "scheduler");
  EXPECT_EQ(p.host, "airflow-1");
  EXPECT_EQ(p.pid, 42);
  EXPECT_FALSE(ParseLabel("colour=red", &p).ok());
  EXPECT_FALSE(ParseLabel("pid=abc", &p).ok());
  EXPECT_FALSE(ParseLabel("component", &p).ok());
  EXPECT_FALSE(ParseLabel("=x", &p).ok());
}

}  // namespace
}  // namespace etiolog::ingest
