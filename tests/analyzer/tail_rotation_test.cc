// SPDX-License-Identifier: Apache-2.0
//
// The rotation cases of issue 13 through RunTail with a store (--db): each
// log line is numbered and is an event of a small pack, so the store's
// events say which lines were stored and how often. Every test checks
// exactly-once: no line stored twice, every line stored unless the case
// loses it by design (then the test says which, and docs/tail.md says why).
// Runs are bounded (exit_when_idle); waits are bounded loops, never
// durations asserted. The model-based test at the end drives random
// sequences of writes, rotations, truncations, deletions and restarts.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "analyzer/tail/tail.h"
#include "db/store.h"
#include "tests/db/db_test_util.h"
#include "tests/test_util.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace etiolog::analyzer {
namespace {

namespace fs = std::filesystem;

// Every line "<time> LINE <n>" is an event.
const char kLinePack[] = R"yaml(pack: lines
kinds:
  - name: test.line
    meaning: a numbered test line
rules:
  - id: lines.line
    title: a numbered line
    kind: test.line
    pattern: 'LINE (?P<n>\d+)'
    match: line
)yaml";

std::string Line(int n) { return "2025-03-01T10:00:00Z LINE " + std::to_string(n) + "\n"; }

class TailRotationTest : public ::testing::Test {
 public:  // Also driven by RotationModel.
  void SetUp() override {
    char tmpl[] = "/tmp/etiolog-rotation-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directory(dir_ + "/logs");
    std::ofstream(dir_ + "/lines.yaml") << kLinePack;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Log(const std::string& name) const { return dir_ + "/logs/" + name; }

  // Appends lines [from, to) to the log.
  void Write(const std::string& name, int from, int to) {
    std::ofstream out(Log(name), std::ios::app | std::ios::binary);
    for (int n = from; n < to; ++n) {
      out << Line(n);
      written_.push_back(n);
    }
  }
  // Writes lines [from, to) at offset without O_APPEND: a writer that kept
  // its offset across a copytruncate.
  void WriteAt(const std::string& name, uint64_t offset, int from, int to) {
    std::string text;
    for (int n = from; n < to; ++n) {
      text += Line(n);
      written_.push_back(n);
    }
    const int fd = ::open(Log(name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::pwrite(fd, text.data(), text.size(), static_cast<off_t>(offset)),
              static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  uint64_t Size(const std::string& name) const { return fs::file_size(Log(name)); }

  TailOptions Options() const {
    TailOptions o;
    o.paths = {dir_ + "/logs/*.log"};
    o.db_path = dir_ + "/tail.db";
    o.jsonl = true;
    o.builtin_rules = false;
    o.default_rules = false;
    o.rule_files = {dir_ + "/lines.yaml"};
    o.poll_interval_ms = 10;
    o.debounce_ms = 50;
    o.exit_when_idle_ms = 150;
    o.from_start = true;
    return o;
  }

  // One bounded run; its stderr is kept in err_ (and all runs' in log_).
  void Run(const TailOptions& o) {
    std::ostringstream out, err;
    const int rc = TailExitCode(RunTail(o, out, err));
    err_ = err.str();
    log_ += err_;
    ASSERT_EQ(rc, kExitOk) << err_;
  }
  void Run() { Run(Options()); }
  void LiveRenameRotations(bool poll);

  // How often each line number was stored; where (source:offset) in where.
  std::map<int, int> Stored(std::map<int, std::string>* where = nullptr) const {
    std::map<int, int> counts;
    auto store = db::Store::Open(dir_ + "/tail.db");
    EXPECT_OK(store);
    if (!store.ok()) return counts;
    auto t = (*store)->Query(
        "SELECT text, path || ':' || offset FROM events JOIN sources ON sources.id = source_id",
        {});
    EXPECT_OK(t);
    if (!t.ok()) return counts;
    for (const auto& row : t->rows) {
      const std::string& text = std::get<std::string>(row[0]);
      const size_t at = text.find("LINE ");
      EXPECT_NE(at, std::string::npos) << text;
      if (at == std::string::npos) continue;
      const int n = std::stoi(text.substr(at + 5));
      ++counts[n];
      if (where != nullptr) (*where)[n] += " " + std::get<std::string>(row[1]);
    }
    return counts;
  }

  // Exactly-once: no line stored twice, none that was not written, and
  // every written line stored unless in may_lose.
  void ExpectExactlyOnce(const std::set<int>& may_lose = {}) const {
    std::map<int, std::string> where;
    const std::map<int, int> stored = Stored(&where);
    const std::set<int> written(written_.begin(), written_.end());
    for (const auto& [n, count] : stored) {
      EXPECT_EQ(count, 1) << "line " << n << " stored " << count << " times, at" << where[n] << "\n"
                          << log_;
      EXPECT_TRUE(written.count(n)) << "line " << n << " stored but never written";
    }
    for (int n : written) {
      if (may_lose.count(n)) continue;
      EXPECT_TRUE(stored.count(n)) << "line " << n << " not stored\n" << log_;
    }
  }
  int Count(int n) const {
    const std::map<int, int> stored = Stored();
    auto it = stored.find(n);
    return it == stored.end() ? 0 : it->second;
  }
  static std::set<int> Range(int from, int to) {
    std::set<int> s;
    for (int n = from; n < to; ++n) s.insert(n);
    return s;
  }

  std::string dir_;
  std::vector<int> written_;
  std::string err_;  // The last run's stderr.
  std::string log_;  // Every run's.
};

TEST_F(TailRotationTest, RestartResumesAtTheCheckpoint) {
  Write("a.log", 0, 50);
  Run();
  Write("a.log", 50, 100);
  Write("b.log", 100, 120);  // New while nothing followed: read from its start.
  Run();
  EXPECT_NE(err_.find("resuming at line 51"), std::string::npos) << err_;
  Run();
  ExpectExactlyOnce();
}

TEST_F(TailRotationTest, PartialLastLineAcrossARestart) {
  Write("a.log", 0, 10);
  std::ofstream(Log("a.log"), std::ios::app) << "2025-03-01T10:00:00Z LINE 10";
  Run();  // The partial line waits for its newline (partial_line_ms is 5 s).
  EXPECT_EQ(Count(10), 0);
  std::ofstream(Log("a.log"), std::ios::app) << "\n";
  written_.push_back(10);
  Write("a.log", 11, 20);
  Run();
  ExpectExactlyOnce();
}

TEST_F(TailRotationTest, RenamedWhileDownIsFoundInItsDirectory) {
  Write("app.log", 0, 20);
  Run();
  Write("app.log", 20, 30);
  fs::rename(Log("app.log"), Log("app.log.1"));  // Not matched by *.log.
  Write("app.log", 30, 40);
  Run();
  EXPECT_NE(err_.find("found again, resuming at line 21"), std::string::npos) << err_;
  // The writer still writes into the rotated file; the next run reads it.
  Write("app.log.1", 40, 45);
  Run();
  ExpectExactlyOnce();
}

TEST_F(TailRotationTest, MovedOutOfItsDirectoryOrCompressedWhileDownLosesItsRest) {
  Write("app.log", 0, 20);
  Write("web.log", 100, 120);
  Run();
  Write("app.log", 20, 30);
  Write("web.log", 120, 130);
  fs::create_directory(dir_ + "/archive");
  fs::rename(Log("app.log"), dir_ + "/archive/app.log.1");
  // Compressed: a new file, and the one that was read is deleted.
  std::ofstream(Log("web.log.1.gz"), std::ios::binary) << std::string("\x1f\x8b\x08\x00", 4);
  fs::remove(Log("web.log"));
  Write("app.log", 30, 40);
  Write("web.log", 130, 140);
  Run();
  for (const char* name : {"app.log", "web.log"}) {
    EXPECT_NE(err_.find(Log(name) + ": not found any more"), std::string::npos) << err_;
  }
  // What they held after the checkpoint is lost, and said to be.
  std::set<int> lost = Range(20, 30);
  lost.merge(Range(120, 130));
  for (int n : lost) EXPECT_EQ(Count(n), 0) << n;
  ExpectExactlyOnce(lost);
}

TEST_F(TailRotationTest, CopyTruncateAcrossARestart) {
  Write("app.log", 0, 20);
  Write("sparse.log", 100, 120);
  Run();
  // app.log: lines after the checkpoint, copied away (not followed) and
  // truncated; the writer goes on from the start.
  Write("app.log", 20, 25);
  fs::copy_file(Log("app.log"), Log("app.log.1"));
  fs::resize_file(Log("app.log"), 0);
  Write("app.log", 25, 30);
  // sparse.log: the writer keeps its offset: a hole, then its lines.
  const uint64_t end = Size("sparse.log");
  fs::resize_file(Log("sparse.log"), 0);
  WriteAt("sparse.log", end, 120, 130);
  Run();
  // 20-24 are in the copy only.
  for (int n = 20; n < 25; ++n) EXPECT_EQ(Count(n), 0) << n;
  ExpectExactlyOnce(Range(20, 25));
}

TEST_F(TailRotationTest, CopyTruncateWhileFollowedWithAWriterKeepingItsOffset) {
  // The same while a run follows it (it must read the new lines once, not
  // also through the old generation), then a restart.
  Write("sparse.log", 0, 20);
  Run();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    // Wait (bounded) for the run to attach, then rotate under it.
    for (int i = 0; i < 500 && !fs::exists(dir_ + "/started"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const uint64_t end = Size("sparse.log");
    fs::resize_file(Log("sparse.log"), 0);
    WriteAt("sparse.log", end, 20, 30);
    done = true;
  });
  TailOptions o = Options();
  o.exit_when_idle_ms = 400;
  std::ofstream(dir_ + "/started") << "";
  Run(o);
  writer.join();
  ASSERT_TRUE(done);
  Run();  // Whatever the first run had not read yet.
  ExpectExactlyOnce();
}

TEST_F(TailRotationTest, CopyTruncateIntoAFollowedDirectoryReadsTheCopyAgain) {
  // By design: the copy is a new file (a new inode) in a followed
  // directory, so it is read from its start like any new file; its lines
  // are stored twice (docs/tail.md, Limits).
  TailOptions o = Options();
  o.paths = {dir_ + "/logs"};
  Write("app.log", 0, 20);
  Run(o);
  fs::copy_file(Log("app.log"), Log("app.log.1"));
  fs::resize_file(Log("app.log"), 0);
  Write("app.log", 20, 25);
  Run(o);
  for (int n = 0; n < 20; ++n) EXPECT_EQ(Count(n), 2) << n;
  for (int n = 20; n < 25; ++n) EXPECT_EQ(Count(n), 1) << n;
}

TEST_F(TailRotationTest, IdenticalFirstLinesRotatedWhileDown) {
  // A banner longer than the fingerprint starts every file.
  const std::string banner = "2025-03-01T10:00:00Z banner " + std::string(300, 'b') + "\n";
  std::ofstream(Log("app.log")) << banner;
  std::ofstream(Log("other.log")) << banner;
  Write("app.log", 0, 10);
  Write("other.log", 100, 110);
  Run();
  Write("app.log", 10, 15);
  fs::rename(Log("app.log"), Log("app.log.1"));
  std::ofstream(Log("app.log")) << banner;
  Write("app.log", 15, 25);
  Write("other.log", 110, 115);
  Run();
  ExpectExactlyOnce();
}

TEST_F(TailRotationTest, InodeReusedByAnotherFileWhileDown) {
  Write("a.log", 0, 10);
  Run();
  struct stat st;
  ASSERT_EQ(::stat(Log("a.log").c_str(), &st), 0);
  const uint64_t inode = static_cast<uint64_t>(st.st_ino);
  // Delete and create until the file system hands out the same inode; the
  // new file is longer than the old one's checkpoint.
  bool reused = false;
  for (int i = 0; i < 100 && !reused; ++i) {
    fs::remove(Log("a.log"));
    std::ofstream out(Log("a.log"));
    for (int n = 10; n < 40; ++n) out << Line(n);
    out.close();
    ASSERT_EQ(::stat(Log("a.log").c_str(), &st), 0);
    reused = static_cast<uint64_t>(st.st_ino) == inode;
  }
  if (!reused) GTEST_SKIP() << "the file system did not reuse the inode";
  for (int n = 10; n < 40; ++n) written_.push_back(n);
  Run();
  ExpectExactlyOnce();
}

TEST_F(TailRotationTest, SymlinkRetargetedWhileDown) {
  // /var/log/containers/<pod>_<ns>_<c>-<id>.log -> /var/log/pods/.../<c>/N.log
  fs::create_directories(dir_ + "/logs/pods/ns_p_uid/c");
  fs::create_directories(dir_ + "/logs/containers");
  TailOptions o = Options();
  o.paths = {dir_ + "/logs/containers/*.log"};
  Write("pods/ns_p_uid/c/0.log", 0, 10);
  fs::create_symlink(Log("pods/ns_p_uid/c/0.log"), Log("containers/p_ns_c.log"));
  Run(o);
  // The container writes its last lines and restarts; kubelet retargets
  // the link to the next container's log.
  Write("pods/ns_p_uid/c/0.log", 10, 15);
  Write("pods/ns_p_uid/c/1.log", 15, 25);
  fs::create_symlink(Log("pods/ns_p_uid/c/1.log"), Log("containers/next"));
  fs::rename(Log("containers/next"), Log("containers/p_ns_c.log"));
  Run(o);
  Write("pods/ns_p_uid/c/1.log", 25, 30);
  Run(o);
  ExpectExactlyOnce();
}

// The largest log the crash tests write: enough that a run is still
// committing batches when it is killed.
constexpr int kBig = 60000;

TEST_F(TailRotationTest, KilledMidRunThenResumedStoresEachLineOnce) {
  Write("a.log", 0, kBig);
  const std::string db = dir_ + "/tail.db";
  // Kill runs at two points of progress, then let one finish.
  for (int64_t at : {1, kBig / 2}) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::ostringstream out, err;
      ::_exit(TailExitCode(RunTail(Options(), out, err)));
    }
    int64_t events = 0;
    for (int i = 0; i < 3000; ++i) {
      events = db::testing::ReadInt(db, "SELECT count(*) FROM events", 0);
      if (events >= at) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  }
  Run();
  ExpectExactlyOnce();
}

TEST_F(TailRotationTest, StoreWriteFailingMidRunThenResumedStoresEachLineOnce) {
  Write("a.log", 0, kBig);
  // The store may not grow past 512 KiB (as on a full disk): a commit fails
  // part-way and the run exits 4.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {};
    limit.rlim_cur = limit.rlim_max = 512 * 1024;
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::ostringstream out, err;
    ::_exit(TailExitCode(RunTail(Options(), out, err)));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kExitFatal);
  const int64_t partial = db::testing::ReadInt(dir_ + "/tail.db", "SELECT count(*) FROM events", 0);
  EXPECT_GT(partial, 0);
  EXPECT_LT(partial, kBig);
  Run();
  ExpectExactlyOnce();
}

// A writer rotates under a running tail: 20 lines, rename (replacing the
// previous rotated file), one more line into the renamed file, a new file.
void TailRotationTest::LiveRenameRotations(bool poll) {
  TailOptions o = Options();
  o.poll = poll;
  // Long enough that a writer stalled by a loaded machine does not end the
  // run: rotations while no run follows overwrite app.log.1 unread.
  o.exit_when_idle_ms = 2000;
  std::ofstream(Log("app.log")) << "";
  std::thread writer([&] {
    // Not before the run follows app.log (its record is in the store):
    // lines rotated away before that are not the run's to read.
    for (int i = 0; i < 1000; ++i) {
      if (db::testing::ReadInt(dir_ + "/tail.db", "SELECT count(*) FROM followed_files", 0) > 0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    int n = 0;
    for (int round = 0; round < 8; ++round) {
      for (int i = 0; i < 20; ++i, ++n) {
        Write("app.log", n, n + 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      fs::rename(Log("app.log"), Log("app.log.1"));
      Write("app.log.1", n, n + 1);
      ++n;
      Write("app.log", n, n + 1);
      ++n;
    }
  });
  Run(o);
  writer.join();
  // What the run had not read yet is read by a resumed one: each line once.
  Run();
  ExpectExactlyOnce();
}

TEST_F(TailRotationTest, PollingFollowsLiveRenameRotationsExactlyOnce) {
  LiveRenameRotations(true);
}

TEST_F(TailRotationTest, InotifyFollowsLiveRenameRotationsExactlyOnce) {
  LiveRenameRotations(false);
}

// ---- The model-based test ---------------------------------------------------

// Random sequences of write / rotate (rename) / copytruncate / delete /
// restart against a model of what must be stored. Runs follow logs/*.log;
// rotated files are app<k>.log.1, outside the pattern, so they are read
// only through the store's record of them (Adopt), as after a real
// rotation. Between runs nothing follows the files, so the model knows
// exactly what each run reads: a line may be lost only if its file was
// deleted, truncated or replaced by another rotation before a run read it
// (or was rotated before any run knew the file).
class RotationModel {
 public:
  // One file (inode) as the model sees it.
  struct File {
    std::vector<int> lines;  // Line numbers, in file order.
    size_t read = 0;         // Lines a run has read.
    bool known = false;      // A run attached it: the store has its record.
    uint64_t hole_at = 0;    // > 0: the next write lands at this offset.
    uint64_t size = 0;       // Bytes.
  };

  RotationModel(TailRotationTest* t, uint32_t seed) : t_(t), rng_(seed) {}

  void Step(std::string* trace) {
    const int k = Pick(3);
    const std::string name = "app" + std::to_string(k) + ".log";
    const std::string rotated = name + ".1";
    switch (Pick(10)) {
      case 0:
      case 1:
      case 2: {  // Write to the current file.
        const int n = Pick(5) + 1;
        WriteLines(name, &current_[k], n);
        *trace += " write(" + name + "," + std::to_string(n) + ")";
        break;
      }
      case 3: {  // The writer still writes into the rotated file.
        if (!rotated_[k]) return;
        WriteLines(rotated, &rotated_[k], Pick(3) + 1);
        *trace += " late(" + rotated + ")";
        break;
      }
      case 4: {  // Rename rotation: the previous rotated file is replaced.
        if (!current_[k]) return;
        Lose(rotated_[k]);
        fs::rename(t_->Log(name), t_->Log(rotated));
        rotated_[k] = std::move(current_[k]);
        current_[k].reset();
        // A file no run knew is not followed once rotated.
        if (!rotated_[k]->known) Lose(rotated_[k]);
        *trace += " rotate(" + name + ")";
        break;
      }
      case 5: {  // Copytruncate; the copy replaces the rotated file.
        if (!current_[k]) return;
        Lose(rotated_[k]);
        // The copy is a new file, made before the old rotated file goes
        // (so it cannot reuse that file's inode: a store record of a file
        // that was empty when last read matches any file given its inode,
        // docs/tail.md, Limits).
        fs::copy_file(t_->Log(name), t_->Log(rotated + ".tmp"));
        fs::rename(t_->Log(rotated + ".tmp"), t_->Log(rotated));
        rotated_[k] = File();  // A copy: never followed (not matched, not known).
        rotated_[k]->read = rotated_[k]->lines.size();
        File& f = *current_[k];
        const bool sparse = Pick(2) == 0;
        const uint64_t end = f.size;
        fs::resize_file(t_->Log(name), 0);
        Lose(current_[k]);
        // The same inode, but a new generation no run knows yet.
        current_[k] = File();
        if (sparse) current_[k]->hole_at = end;
        *trace += std::string(" copytruncate(") + name + (sparse ? ",sparse)" : ")");
        break;
      }
      case 6: {  // Delete the current or the rotated file.
        const bool old = Pick(2) == 0;
        std::optional<File>& f = old ? rotated_[k] : current_[k];
        if (!f) return;
        fs::remove(t_->Log(old ? rotated : name));
        Lose(f);
        *trace += " delete(" + (old ? rotated : name) + ")";
        break;
      }
      default:  // Restart: a run reads what it can, then the check.
        Restart(trace);
        break;
    }
  }

  void Restart(std::string* trace) {
    *trace += " restart";
    t_->Run();
    for (int k = 0; k < 3; ++k) {
      if (current_[k]) {
        current_[k]->read = current_[k]->lines.size();
        current_[k]->known = true;
      }
      // A rotated file no run knew (rotated before one saw it, or a copy)
      // is never read.
      if (rotated_[k] && !rotated_[k]->known) {
        for (size_t i = rotated_[k]->read; i < rotated_[k]->lines.size(); ++i) {
          may_lose_.insert(rotated_[k]->lines[i]);
        }
      }
      if (rotated_[k]) rotated_[k]->read = rotated_[k]->lines.size();
    }
    t_->ExpectExactlyOnce(may_lose_);
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  void WriteLines(const std::string& name, std::optional<File>* file, int n) {
    if (!*file) *file = File();
    File& f = **file;
    const int first = next_;
    next_ += n;
    if (f.hole_at > 0) {
      // The writer that kept its offset: its lines land past a hole.
      t_->WriteAt(name, f.hole_at, first, next_);
      f.size = f.hole_at;
      f.hole_at = 0;
    } else {
      t_->Write(name, first, next_);
    }
    for (int i = first; i < next_; ++i) {
      f.lines.push_back(i);
      f.size += Line(i).size();
    }
  }

  // The lines of f no run read are lost: f was deleted, truncated or
  // replaced, or can no longer be found.
  void Lose(std::optional<File>& f) {
    if (!f) return;
    for (size_t i = f->read; i < f->lines.size(); ++i) may_lose_.insert(f->lines[i]);
    f.reset();
  }

  TailRotationTest* t_;
  std::mt19937 rng_;
  int next_ = 0;
  std::optional<File> current_[3];
  std::optional<File> rotated_[3];
  std::set<int> may_lose_;
};

TEST_F(TailRotationTest, ModelBasedRandomRotations) {
  // ETIOLOG_ROTATION_SEED replays a run; ETIOLOG_ROTATION_STEPS runs longer
  // (default 40 steps, a few seconds).
  uint32_t seed = std::random_device()();
  if (const char* s = std::getenv("ETIOLOG_ROTATION_SEED"))
    seed = static_cast<uint32_t>(std::stoul(s));
  int steps = 40;
  if (const char* s = std::getenv("ETIOLOG_ROTATION_STEPS")) steps = std::stoi(s);
  std::cout << "ModelBasedRandomRotations: seed " << seed << " (ETIOLOG_ROTATION_SEED), " << steps
            << " steps\n";
  RotationModel model(this, seed);
  std::string trace;
  for (int i = 0; i < steps && !HasFailure(); ++i) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", steps:" + trace);
    model.Step(&trace);
  }
  if (!HasFailure()) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", steps:" + trace);
    model.Restart(&trace);
  }
}

}  // namespace
}  // namespace etiolog::analyzer
