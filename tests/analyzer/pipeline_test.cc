// SPDX-License-Identifier: Apache-2.0
//
// The parallel pipeline: results do not depend on the number of threads or
// their timing; bad inputs are reported and the rest is still ingested.

#include "analyzer/pipeline/pipeline.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rules/matcher.h"
#include "rules/pack.h"
#include "tests/test_util.h"

namespace etiolog::analyzer {
namespace {

namespace fs = std::filesystem;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = rules::LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
    ASSERT_OK(set);
    auto m = rules::Matcher::Create(set->rules, set->redactions);
    ASSERT_OK(m);
    matcher_ = std::move(m).value();
    char tmpl[] = "/tmp/etiolog_pipeline_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // Inputs of very different sizes, so threads finish out of order.
    for (int i = 0; i < 6; ++i) {
      std::ofstream out(dir_ + "/api-server-" + std::to_string(i) + ".log");
      const int repeat = i % 2 == 0 ? 2000 : 3;
      for (int k = 0; k < repeat; ++k) {
        out << "2025-12-07T15:5" << (k % 10) << ":0" << i
            << ".000000Z [error    ] JWT token is not valid: Signature verification failed "
               "[airflow.api_fastapi.auth.managers.base_auth_manager] "
               "loc=base_auth_manager.py:107\n"
               "INFO:     172.18.0.1:34366 - \"GET /ui/config HTTP/1.1\" 403 Forbidden\n";
      }
      inputs_.push_back({dir_ + "/api-server-" + std::to_string(i) + ".log", {}});
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the pipeline into a fresh store; returns the events table as text.
  std::string Run(const IngestOptions& options, IngestStats* stats) {
    auto s = db::Store::Open(":memory:");
    EXPECT_OK(s);
    if (!s.ok()) return "";
    Pipeline p(matcher_.get(), s->get(), options);
    EXPECT_OK(p.Run(inputs_, stats));
    auto t = (*s)->Query(
        "SELECT e.id, s.path, e.offset, e.line, e.rule, e.time_us FROM events e "
        "JOIN sources s ON s.id = e.source_id ORDER BY e.id",
        {});
    EXPECT_OK(t);
    std::string out;
    if (!t.ok()) return out;
    for (const auto& row : t->rows) {
      for (const auto& v : row) out += db::ValueToString(v) + "|";
      out += "\n";
    }
    return out;
  }

  std::unique_ptr<rules::Matcher> matcher_;
  std::string dir_;
  std::vector<ingest::InputSpec> inputs_;
};

TEST_F(PipelineTest, ResultsDoNotDependOnThreads) {
  IngestOptions one;
  one.jobs = 1;
  IngestStats s1;
  const std::string serial = Run(one, &s1);
  EXPECT_GT(s1.events, 6000u);
  for (int jobs : {2, 4}) {
    IngestOptions many;
    many.jobs = jobs;
    many.max_buffered_bytes = 10000;  // Force workers ahead of the writer to wait.
    IngestStats sn;
    EXPECT_EQ(Run(many, &sn), serial) << jobs;
    EXPECT_EQ(sn.events, s1.events);
    EXPECT_EQ(sn.lines, s1.lines);
    EXPECT_EQ(sn.sources, 6u);
  }
}

TEST_F(PipelineTest, UnreadableInputIsReportedAndTheRestIngested) {
  inputs_.insert(inputs_.begin() + 2, {dir_ + "/missing.log", {}});
  IngestOptions o;
  o.jobs = 2;
  IngestStats stats;
  Run(o, &stats);
  EXPECT_EQ(stats.sources, 6u);
  ASSERT_EQ(stats.errors.size(), 1u);
  EXPECT_NE(stats.errors[0].find("missing.log"), std::string::npos);
}

TEST_F(PipelineTest, BadBytesAndOverlongLinesAreCountedWithTheirLine) {
  {
    std::ofstream out(dir_ + "/bad.log", std::ios::binary);
    out << "first line\n"
        << std::string("x\0y", 3) << "\nbad \xff utf8\n"
        << std::string(5000, 'z') << "\nlast\n";
  }
  inputs_ = {{dir_ + "/bad.log", {}}};
  IngestOptions o;
  o.reader.chunk_size = 1024;
  IngestStats stats;
  Run(o, &stats);
  EXPECT_TRUE(stats.errors.empty());
  EXPECT_EQ(stats.sources, 1u);
  EXPECT_EQ(stats.bad_records, 2u);
  EXPECT_EQ(stats.capped_lines, 1u);
  EXPECT_EQ(stats.lines, 5u);
  std::string all;
  for (const std::string& w : stats.warnings) all += w + "\n";
  EXPECT_NE(all.find("bad.log: line 2 (byte offset 12): NUL byte"), std::string::npos) << all;
  EXPECT_NE(all.find("line 4 (byte offset 26): line longer than 1024 bytes"), std::string::npos)
      << all;
}

TEST(MakeEvent, StateDumpFactsAreDatedFromTheirCaptures) {
  rules::Rule rule;
  rule.id = "r";
  rule.kind = "dump.started";
  LogRecord record;
  record.time_us = 123;
  record.time_quality = TimeQuality::kInherited;  // From the line before: meaningless.
  record.process.component = "worker";            // From the file's name.
  rules::Match m;
  m.captures = {{"host", "airflow-api-server-6d8f7b9c5d-2xkqp"},
                {"at", " Mon, 06 Jan 2025 10:21:33 +0000 "}};
  db::Event e = MakeEvent(rule, m, record);
  EXPECT_EQ(e.record.time_quality, TimeQuality::kExact);
  EXPECT_EQ(e.record.time_us, int64_t{1736158893} * 1000000);
  EXPECT_EQ(e.record.process.host, "airflow-api-server-6d8f7b9c5d-2xkqp");
  EXPECT_EQ(e.record.process.component, "api-server");
  EXPECT_FALSE(e.age_us.has_value());
  // A date without zone is read in the zone given.
  m.captures = {{"host", "x"}, {"at", "Tue Jan  7 09:14:52 2025"}};
  const TimeZone plus1 = TimeZone::Fixed(60);
  e = MakeEvent(rule, m, record, &plus1);
  EXPECT_EQ(e.record.time_quality, TimeQuality::kAssumedZone);
  EXPECT_EQ(e.record.time_us, int64_t{1736237692} * 1000000);
  EXPECT_EQ(e.record.process.component, "");
  // An age: no time yet, the store dates it.
  m.captures = {{"host", "airflow-scheduler-0"}, {"ago", "5d2h"}};
  e = MakeEvent(rule, m, record);
  EXPECT_EQ(e.record.time_quality, TimeQuality::kNone);
  ASSERT_TRUE(e.age_us.has_value());
  EXPECT_EQ(*e.age_us, (int64_t{5} * 24 + 2) * 3600 * 1000000);
  EXPECT_EQ(e.age_resolution_us, int64_t{3600} * 1000000);
  // What does not parse as a whole dates nothing.
  m.captures = {{"host", "x"}, {"ago", "5d2h or so"}, {"at", "yesterday"}};
  e = MakeEvent(rule, m, record);
  EXPECT_EQ(e.record.time_quality, TimeQuality::kNone);
  EXPECT_FALSE(e.age_us.has_value());
  // Other kinds keep the line's time and component.
  rule.kind = "auth.signature_failure";
  m.captures = {{"at", "Mon, 06 Jan 2025 10:21:33 +0000"}};
  e = MakeEvent(rule, m, record);
  EXPECT_EQ(e.record.time_us, 123);
  EXPECT_EQ(e.record.process.component, "worker");
}

// Runs the built-in rules over text as one source; returns its events as
// "<kind> <host> <captures k=v,...>" lines.
std::string DumpEvents(const std::string& text) {
  auto set = rules::LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  EXPECT_OK(set);
  auto m = rules::Matcher::Create(set->rules, set->redactions);
  EXPECT_OK(m);
  auto s = db::Store::Open(":memory:");
  EXPECT_OK(s);
  if (!m.ok() || !s.ok()) return "";
  Pipeline p(m->get(), s->get(), IngestOptions());
  std::unique_ptr<ingest::Source> src = ingest::NewMemorySource("describe.txt", text);
  IngestStats stats;
  EXPECT_OK(p.Ingest(src.get(), &stats));
  auto t = (*s)->Query(
      "SELECT e.kind || ' ' || e.host || ' ' || coalesce((SELECT group_concat(c.name || '=' || "
      "c.value, ',') FROM (SELECT * FROM captures c WHERE c.event_id = e.id AND c.name IN "
      "('init', 'previous', 'at', 'pid', 'command') ORDER BY c.name) c), '') "
      "FROM events e ORDER BY e.id",
      {});
  EXPECT_OK(t);
  std::string out;
  if (t.ok()) {
    for (const auto& row : t->rows) out += db::ValueToString(row[0]) + "\n";
  }
  return out;
}

TEST(PipelineContext, HeadingsNameTheProcessOfTheFactsBelowThem) {
  EXPECT_EQ(DumpEvents("$ kubectl describe pod airflow-scheduler-0\n"
                       "Name:             airflow-scheduler-0\n"
                       "Init Containers:\n"
                       "  wait-for-airflow-migrations:\n"
                       "    State:          Terminated\n"
                       "      Started:      Mon, 06 Jan 2025 10:21:35 +0000\n"
                       "Containers:\n"
                       "  scheduler:\n"
                       "    State:          Running\n"
                       "      Started:      Wed, 08 Jan 2025 03:12:44 +0000\n"
                       "    Last State:     Terminated\n"
                       "      Finished:     Wed, 08 Jan 2025 03:12:40 +0000\n"
                       "$ systemctl status airflow-triggerer\n"
                       "      Started:      Wed, 08 Jan 2025 03:12:44 +0000\n"
                       "● airflow-triggerer.service - Airflow triggerer\n"
                       "   Main PID: 1873 (airflow)\n"),
            "dump.heading  command=kubectl describe pod airflow-scheduler-0\n"
            "dump.heading airflow-scheduler-0 \n"
            "dump.heading airflow-scheduler-0 init=Init\n"
            "dump.heading airflow-scheduler-0 init=Init\n"
            "dump.started airflow-scheduler-0 at=Mon, 06 Jan 2025 10:21:35 +0000,init=Init\n"
            "dump.heading airflow-scheduler-0 \n"
            "dump.heading airflow-scheduler-0 \n"
            "dump.started airflow-scheduler-0 at=Wed, 08 Jan 2025 03:12:44 +0000\n"
            "dump.heading airflow-scheduler-0 previous=Last \n"
            "dump.stopped airflow-scheduler-0 at=Wed, 08 Jan 2025 03:12:40 +0000,previous=Last \n"
            "dump.heading  command=systemctl status airflow-triggerer\n"
            "dump.started  at=Wed, 08 Jan 2025 03:12:44 +0000\n"
            "dump.heading airflow-triggerer \n"
            "dump.heading airflow-triggerer pid=1873\n");
}

}  // namespace
}  // namespace etiolog::analyzer
