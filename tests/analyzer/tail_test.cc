// SPDX-License-Identifier: Apache-2.0
//
// `etiolog tail` through RunTail: bounded runs (exit_when_idle) over a
// scenario copied into a temporary directory; the diagnosis must equal
// analyze's, a resumed run must not read a line twice, and a growing
// stream must match the source it follows. Timing is never asserted.

#include "analyzer/tail/tail.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "analyzer/pipeline/pipeline.h"
#include "db/store.h"
#include "ingest/source.h"
#include "rules/pack.h"
#include "tests/db/db_test_util.h"
#include "tests/test_util.h"
#include <unistd.h>

namespace etiolog::analyzer {
namespace {

namespace fs = std::filesystem;

const std::string kScenario =
    std::string(ETIOLOG_SAMPLES_DIR) + "/scenarios/per_process_key/docker-compose.log";

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

class TailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etiolog-tail-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directory(dir_ + "/logs");
    lines_ = ReadLines(kScenario);
    ASSERT_GT(lines_.size(), 100u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, size_t from, size_t to, bool append) {
    std::ofstream out(dir_ + "/logs/" + name, append ? std::ios::app : std::ios::trunc);
    for (size_t i = from; i < to && i < lines_.size(); ++i) out << lines_[i] << "\n";
  }

  TailOptions Options() {
    TailOptions o;
    o.paths = {dir_ + "/logs"};
    o.db_path = dir_ + "/tail.db";
    o.jsonl = true;
    o.default_rules = false;
    o.poll_interval_ms = 10;
    o.debounce_ms = 50;
    o.exit_when_idle_ms = 200;
    o.from_start = true;
    return o;
  }

  int Tail(const TailOptions& o) {
    out_.str("");
    err_.str("");
    return TailExitCode(RunTail(o, out_, err_));
  }

  // The findings analyze reports for paths (Summary()).
  std::string Analyze(const std::vector<std::string>& paths) {
    AnalyzeOptions a;
    a.paths = paths;
    a.default_rules = false;
    a.output.report.format = ReportFormat::kJson;
    std::ostringstream out, err;
    EXPECT_EQ(RunAnalyze(a, out, err), kExitOk) << err.str();
    return Summary(out.str());
  }

  // The same from the store tail kept (etiolog report).
  std::string Reported() {
    ReportCommandOptions r;
    r.db_path = dir_ + "/tail.db";
    r.default_rules = false;
    r.output.report.format = ReportFormat::kJson;
    std::ostringstream out, err;
    EXPECT_EQ(RunReport(r, out, err), kExitOk) << err.str();
    return Summary(out.str());
  }

  // The "cause", "confidence" and "fingerprint" values of a JSON report, in
  // order (evidence lines have none of these keys).
  static std::string Summary(const std::string& json) {
    std::string s;
    for (const char* key : {"\"cause\":", "\"confidence\":", "\"fingerprint\":"}) {
      for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
        const size_t end = json.find_first_of(",}", at);
        s += json.substr(at, end - at) + " ";
      }
    }
    return s;
  }

  int64_t Events() {
    auto store = db::Store::Open(dir_ + "/tail.db");
    EXPECT_OK(store);
    auto t = (*store)->Query("SELECT count(*) FROM events", {});
    EXPECT_OK(t);
    return std::get<int64_t>(t->rows[0][0]);
  }

  std::string dir_;
  std::vector<std::string> lines_;
  std::ostringstream out_, err_;
};

TEST_F(TailTest, FindsTheCauseAndAgreesWithAnalyze) {
  Write("airflow.log", 0, lines_.size(), false);
  ASSERT_EQ(Tail(Options()), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("\"cause\":\"per_process_key\""), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("\"change\":\"new\""), std::string::npos);
  EXPECT_EQ(Reported(), Analyze({dir_ + "/logs/airflow.log"}));
}

TEST_F(TailTest, ResumesWithoutReadingALineTwice) {
  const size_t half = lines_.size() / 2;
  Write("airflow.log", 0, half, false);
  ASSERT_EQ(Tail(Options()), kExitOk) << err_.str();
  const int64_t first = Events();
  Write("airflow.log", half, lines_.size(), true);
  // Even with --from-start, a file the store knows resumes at its checkpoint.
  ASSERT_EQ(Tail(Options()), kExitOk) << err_.str();
  EXPECT_NE(err_.str().find("resuming at line " + std::to_string(half + 1)), std::string::npos)
      << err_.str();
  const int64_t second = Events();
  EXPECT_GT(second, first);
  // A third run with nothing new reads nothing and emits nothing.
  ASSERT_EQ(Tail(Options()), kExitOk) << err_.str();
  EXPECT_EQ(Events(), second);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(Reported(), Analyze({dir_ + "/logs/airflow.log"}));
}

TEST_F(TailTest, StartsAtTheEndByDefault) {
  Write("airflow.log", 0, lines_.size(), false);
  TailOptions o = Options();
  o.from_start = false;
  o.db_path = "";
  ASSERT_EQ(Tail(o), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "");  // Nothing new was written.
}

TEST_F(TailTest, ReportsABadLineAndGoesOn) {
  {
    std::ofstream out(dir_ + "/logs/bad.log");
    out << "ok line\nbad \xff\xfe line\n";
  }
  Write("airflow.log", 0, lines_.size(), false);
  ASSERT_EQ(Tail(Options()), kExitOk) << err_.str();
  EXPECT_NE(err_.str().find("bad.log: line 2 (byte offset 12): invalid UTF-8"), std::string::npos)
      << err_.str();
  EXPECT_NE(out_.str().find("per_process_key"), std::string::npos);
}

TEST_F(TailTest, SkipsACauseWhoseSqlFailsSaysSoOnceAndGoesOn) {
  const std::string pack = dir_ + "/m.yaml";
  std::ofstream(pack) << "pack: m\ncauses:\n  - id: malicious\n    title: t\n    detect: "
                         "SELECT 'ui' AS surface, 0.9 AS confidence FROM sqlite_master\n"
                         "    summary: s\n    remediation: r\n";
  const std::string said =
      "m.yaml:3:5: cause 'malicious' detect: reading sqlite_master is not allowed";
  TailOptions o = Options();
  o.rule_files = {pack};
  // Two sessions, each diagnosing as events arrive: each says it once.
  const size_t half = lines_.size() / 2;
  std::string out;
  for (size_t from : {size_t{0}, half}) {
    Write("airflow.log", from, from == 0 ? half : lines_.size(), from != 0);
    ASSERT_EQ(Tail(o), kExitOk) << err_.str();
    const std::string err = err_.str();
    ASSERT_NE(err.find(said), std::string::npos) << err;
    EXPECT_EQ(err.find(said, err.find(said) + 1), std::string::npos) << err;
    out += out_.str();
  }
  EXPECT_NE(out.find("per_process_key"), std::string::npos) << out;
}

TEST_F(TailTest, ReportsDuringAStormThatNeverGoesQuiet) {
  // A writer appends a line every 5 ms and stops only once tail has saved
  // a finding (or after 60 s). The debounce (an hour) never sees a quiet
  // log, so only --max-delay can make tail diagnose while it writes.
  TailOptions o = Options();
  o.debounce_ms = 3600 * 1000;
  o.max_delay_ms = 200;
  o.exit_when_idle_ms = 2000;
  Write("airflow.log", 0, 0, false);
  std::atomic<bool> reported_while_writing{false};
  std::thread writer([&] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::ofstream out(dir_ + "/logs/airflow.log", std::ios::app);
    for (size_t i = 0; std::chrono::steady_clock::now() < give_up; ++i) {
      out << lines_[i % lines_.size()] << "\n" << std::flush;
      if (i % 20 == 0 &&
          db::testing::ReadInt(dir_ + "/tail.db", "SELECT count(*) FROM findings", 0) > 0) {
        reported_while_writing = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const int rc = Tail(o);
  writer.join();
  ASSERT_EQ(rc, kExitOk) << err_.str();
  EXPECT_TRUE(reported_while_writing) << "no finding until the writer stopped";
  EXPECT_NE(out_.str().find("\"cause\":\"per_process_key\""), std::string::npos) << out_.str();
}

TEST_F(TailTest, UpdatesAFindingWhenOneMoreProcessIsAffected) {
  // A pack whose one cause cites every failure. Six failing processes give
  // the finding; a seventh changes neither its confidence nor its evidence
  // by half (7 lines, then 8, against 6), but is one more process affected:
  // the finding is emitted again. One more failure of a known process is
  // not.
  const std::string pack = dir_ + "/fail.yaml";
  std::ofstream(pack) << R"yaml(pack: fail
kinds:
  - name: test.fail
    meaning: a failure of a test process
rules:
  - id: fail.line
    title: a failure
    kind: test.fail
    pattern: 'FAIL (?P<component>\w+) (?P<pid>\d+)'
    match: line
causes:
  - id: failing
    title: processes fail
    detect: SELECT 'ui' AS surface, 0.9 AS confidence FROM events WHERE rule = 'fail.line' LIMIT 1
    evidence:
      - role: symptom
        sql: SELECT id FROM events WHERE rule = 'fail.line' ORDER BY id
        limit: 100
    summary: processes fail
    remediation: fix them
)yaml";
  TailOptions o = Options();
  o.builtin_rules = false;
  o.rule_files = {pack};
  o.exit_when_idle_ms = 1500;
  int events = 0;
  // Appends a failure of each pid in one write (read, and diagnosed,
  // together), a second apart: one failure of one process at one time is
  // cited once.
  auto append = [&](std::initializer_list<int> pids) {
    std::ostringstream text;
    for (int pid : pids) {
      ++events;
      text << "2025-03-01T10:00:" << (events < 10 ? "0" : "") << events << "Z FAIL api " << pid
           << "\n";
    }
    std::ofstream(dir_ + "/logs/app.log", std::ios::app) << text.str();
  };
  // Waits (bounded) until a diagnosis has seen every event written.
  auto diagnosed = [&] {
    for (int i = 0; i < 3000; ++i) {
      if (db::testing::ReadInt(dir_ + "/tail.db",
                               "SELECT coalesce(json_extract(run, '$.events'), 0) FROM diagnosis",
                               0) >= events) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  std::ofstream(dir_ + "/logs/app.log") << "";
  std::atomic<bool> in_time{true};
  std::thread writer([&] {
    append({1, 2, 3, 4, 5, 6});
    in_time = in_time && diagnosed();
    append({7});  // One more process.
    in_time = in_time && diagnosed();
    append({1});  // A known one.
    in_time = in_time && diagnosed();
  });
  const int rc = Tail(o);
  writer.join();
  ASSERT_EQ(rc, kExitOk) << err_.str();
  ASSERT_TRUE(in_time) << "the diagnoses did not come within 30 s\n" << err_.str();
  const std::string out = out_.str();
  std::vector<std::string> emitted;
  for (size_t at = out.find("\"change\":\""); at != std::string::npos;
       at = out.find("\"change\":\"", at + 1)) {
    emitted.push_back(out.substr(at + 10, out.find('"', at + 10) - at - 10));
  }
  EXPECT_EQ(emitted, (std::vector<std::string>{"new", "changed"})) << out;
  EXPECT_NE(out.rfind("FAIL api 7"), std::string::npos) << "the update cites the new process\n"
                                                        << out;
}

TEST(ParseDurationTest, Units) {
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("2s"), 2000);
  EXPECT_EQ(*ParseDuration("2"), 2000);
  EXPECT_EQ(*ParseDuration("1.5m"), 90000);
  EXPECT_EQ(*ParseDuration("1h"), 3600000);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("2x").ok());
  EXPECT_FALSE(ParseDuration("-1s").ok());
}

// A Stream over a source that grows reads each line once, with the same
// events as Ingest() of the whole.
class GrowingSource : public ingest::Source {
 public:
  Result<size_t> Read(char* buf, size_t n) override {
    const size_t k = std::min(n, available_.size() - at_);
    std::copy(available_.begin() + static_cast<long>(at_),
              available_.begin() + static_cast<long>(at_ + k), buf);
    at_ += k;
    return k;
  }
  const std::string& name() const override { return name_; }
  ingest::Drained drained() const override {
    return ended_ ? ingest::Drained::kEnd : ingest::Drained::kMore;
  }
  void Grow(const std::string& s) { available_ += s; }
  void End() { ended_ = true; }

 private:
  std::string name_ = "growing.log";
  std::string available_;
  size_t at_ = 0;
  bool ended_ = false;
};

TEST(PipelineStreamTest, ReadsAGrowingSourceOnceInPieces) {
  auto set = rules::LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  ASSERT_OK(set);
  auto matcher = rules::Matcher::Create(set->rules, set->redactions);
  ASSERT_OK(matcher);
  auto whole = db::Store::Open(":memory:");
  auto pieces = db::Store::Open(":memory:");
  ASSERT_OK(whole);
  ASSERT_OK(pieces);
  std::string text;
  for (const std::string& l : ReadLines(kScenario)) text += l + "\n";
  IngestStats a, b;
  {
    Pipeline p(matcher->get(), whole->get(), IngestOptions());
    auto src = ingest::NewMemorySource("growing.log", text);
    ASSERT_OK(p.Ingest(src.get(), &a));
  }
  Pipeline p(matcher->get(), pieces->get(), IngestOptions());
  GrowingSource src;
  std::unique_ptr<Pipeline::Stream> stream = p.Follow(&src, {});
  // Pieces cut anywhere, mid-line included.
  for (size_t at = 0; at < text.size(); at += 7919) {
    src.Grow(text.substr(at, 7919));
    ASSERT_OK(stream->Pump(&b));
    EXPECT_FALSE(stream->ended());
  }
  src.End();
  ASSERT_OK(stream->Pump(&b));
  EXPECT_TRUE(stream->ended());
  ASSERT_OK(stream->Finish(&b));
  EXPECT_EQ(b.lines, a.lines);
  EXPECT_EQ(b.events, a.events);
  const char* sql = "SELECT offset, line, rule FROM events ORDER BY id";
  auto ea = (*whole)->Query(sql, {});
  auto eb = (*pieces)->Query(sql, {});
  ASSERT_OK(ea);
  ASSERT_OK(eb);
  EXPECT_EQ(ea->rows, eb->rows);
}

// A Docker or CRI line split in pieces, its last piece not written yet when
// the stream stops (a crash: no Finish): the checkpoint stays at its first
// piece, and a stream resumed there joins the whole line. The store ends up
// with the events one Ingest() of the whole file gives, each once (a line of
// the other stream after the first piece is read twice, stored once).
TEST(PipelineStreamTest, ResumesASplitLineFromItsFirstPiece) {
  auto set = rules::LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  ASSERT_OK(set);
  auto matcher = rules::Matcher::Create(set->rules, set->redactions);
  ASSERT_OK(matcher);
  const std::string failure =
      "[error    ] JWT token is not valid: Signature verification failed "
      "[airflow.api_fastapi.auth.managers.base_auth_manager] loc=base_auth_manager.py:107";
  const std::string split = "2025-12-07T15:56:24.1Z " + failure;
  const size_t cut = split.find("verification") + 3;  // Inside the literal.
  auto docker = [](const std::string& log, const char* stream, const char* time) {
    return R"({"log":")" + log + R"(","stream":")" + stream + R"(","time":")" + time + "\"}\n";
  };
  struct Case {
    const char* name;
    std::string before, first_piece, other_stream, last_piece;
  };
  const std::vector<Case> cases = {
      {"cri", "2025-12-07T15:56:23.1Z stderr F 2025-12-07T15:56:23.1Z " + failure + "\n",
       "2025-12-07T15:56:24.1Z stderr P " + split.substr(0, cut) + "\n",
       "2025-12-07T15:56:24.2Z stdout F 2025-12-07T15:56:24.2Z " + failure + "\n",
       "2025-12-07T15:56:24.3Z stderr F " + split.substr(cut) + "\n"},
      {"docker",
       docker("2025-12-07T15:56:23.1Z " + failure + "\\n", "stdout", "2025-12-07T15:56:23.1Z"),
       docker(split.substr(0, cut), "stdout", "2025-12-07T15:56:24.1Z"),
       docker("2025-12-07T15:56:24.2Z " + failure + "\\n", "stderr", "2025-12-07T15:56:24.2Z"),
       docker(split.substr(cut) + "\\n", "stdout", "2025-12-07T15:56:24.3Z")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string all = c.before + c.first_piece + c.other_stream + c.last_piece;
    auto whole = db::Store::Open(":memory:");
    auto resumed = db::Store::Open(":memory:");
    ASSERT_OK(whole);
    ASSERT_OK(resumed);
    IngestStats a, b;
    {
      Pipeline p(matcher->get(), whole->get(), IngestOptions());
      auto src = ingest::NewMemorySource("growing.log", all);
      ASSERT_OK(p.Ingest(src.get(), &a));
    }
    Pipeline p(matcher->get(), resumed->get(), IngestOptions());
    uint64_t offset = 0, line = 0;
    {
      GrowingSource src;
      src.Grow(c.before + c.first_piece + c.other_stream);
      std::unique_ptr<Pipeline::Stream> stream = p.Follow(&src, {});
      ASSERT_OK(stream->Pump(&b));
      EXPECT_EQ(stream->next_offset(), c.before.size());
      EXPECT_EQ(stream->next_line(), 2u);
      auto cp = (*resumed)->Query("SELECT checkpoint_offset, checkpoint_line FROM sources", {});
      ASSERT_OK(cp);
      ASSERT_EQ(cp->rows.size(), 1u);
      offset = static_cast<uint64_t>(std::get<int64_t>(cp->rows[0][0]));
      line = static_cast<uint64_t>(std::get<int64_t>(cp->rows[0][1])) + 1;
      EXPECT_EQ(offset, c.before.size());
      EXPECT_EQ(line, 2u);
    }
    GrowingSource src;
    src.Grow(all.substr(offset));
    std::unique_ptr<Pipeline::Stream> stream = p.Follow(&src, {}, offset, line);
    ASSERT_OK(stream->Pump(&b));
    src.End();
    ASSERT_OK(stream->Pump(&b));
    ASSERT_OK(stream->Finish(&b));
    EXPECT_EQ(stream->next_offset(), all.size());
    const char* sql = "SELECT offset, line, rule, text FROM events ORDER BY offset, rule";
    auto ea = (*whole)->Query(sql, {});
    auto eb = (*resumed)->Query(sql, {});
    ASSERT_OK(ea);
    ASSERT_OK(eb);
    EXPECT_EQ(ea->rows.size(), 3u);
    EXPECT_EQ(ea->rows, eb->rows);
  }
}

}  // namespace
}  // namespace etiolog::analyzer
