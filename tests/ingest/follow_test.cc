// SPDX-License-Identifier: Apache-2.0
//
// The Follower against a real directory, with an injected clock: every
// test moves time by hand and polls, so nothing depends on how fast the
// machine is. The rotation cases (issue 13) check exactly-once: every line
// written is read once, none twice, across all the generations read.

#include "ingest/follow.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/line_reader.h"
#include "tests/test_util.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace etiolog::ingest {
namespace {

namespace fs = std::filesystem;

class FollowTest : public ::testing::Test {
 protected:
  // A followed file and the lines read from it so far.
  struct Reading {
    FollowedFile* file = nullptr;
    std::unique_ptr<LineReader> reader;
    std::vector<std::string> lines;
    bool ended = false;
  };

  void SetUp() override {
    char tmpl[] = "/tmp/etiolog-follow-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  void Append(const std::string& name, const std::string& text) {
    std::ofstream(Path(name), std::ios::app | std::ios::binary) << text;
  }
  void Truncate(const std::string& name) { ASSERT_EQ(::truncate(Path(name).c_str(), 0), 0); }
  void Rename(const std::string& from, const std::string& to) {
    ASSERT_EQ(std::rename(Path(from).c_str(), Path(to).c_str()), 0);
  }
  // Writes text at offset without O_APPEND, as a writer that keeps its own
  // offset across a copytruncate does (the file becomes sparse).
  void WriteAt(const std::string& name, uint64_t offset, const std::string& text) {
    const int fd = ::open(Path(name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::pwrite(fd, text.data(), text.size(), static_cast<off_t>(offset)),
              static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  uint64_t Inode(const std::string& name) {
    struct stat st;
    EXPECT_EQ(::stat(Path(name).c_str(), &st), 0);
    return static_cast<uint64_t>(st.st_ino);
  }

  void Follow(std::vector<std::string> patterns, uint64_t budget = uint64_t{64} << 20) {
    Follower::Options o;
    o.max_bytes_per_poll = budget;
    for (std::string& p : patterns) o.patterns.push_back({std::move(p), {}});
    o.rescan_ms = 1000;
    o.rotate_wait_ms = 1000;
    o.settle_ms = 2000;
    o.close_idle_ms = 60000;
    follower_ = std::make_unique<Follower>(std::move(o), [this] { return now_; });
  }

  // Polls once (after moving the clock by advance_ms) and reads what is
  // readable, starting new files at offset 0 (or at start_at_end's end).
  Follower::Changes Poll(int64_t advance_ms = 0, bool start_at_end = false) {
    now_ += advance_ms;
    Follower::Changes c = follower_->Poll();
    for (FollowedFile* f : c.ended) Drain(f);
    for (FollowedFile* f : c.readable) Drain(f);
    for (FollowedFile* f : c.found) {
      uint64_t at = 0, line = 1;
      if (start_at_end) {
        Result<std::pair<uint64_t, uint64_t>> end = f->LastLineEnd();
        EXPECT_OK(end);
        at = end->first;
        line = end->second + 1;
      }
      f->Start(at);
      Reading r;
      r.file = f;
      LineReader::Options ro;
      ro.first_offset = at;
      ro.first_line = line;
      r.reader = std::make_unique<LineReader>(f, ro);
      readings_.push_back(std::move(r));
      Drain(f);
    }
    return c;
  }

  void Drain(FollowedFile* f) {
    for (Reading& r : readings_) {
      if (r.file != f || r.ended) continue;
      for (;;) {
        Result<Chunk> c = r.reader->Next();
        ASSERT_OK(c);
        if (c->data.empty()) {
          r.ended = f->drained() == Drained::kEnd;
          if (r.ended) r.reader.reset();  // Many generations: free their buffers.
          break;
        }
        ForEachLine(c->data, [&](uint64_t, size_t b, size_t e) {
          r.lines.emplace_back(c->data.substr(b, e - b));
        });
      }
    }
  }

  // The lines read from the i-th file found.
  const std::vector<std::string>& Lines(size_t i) { return readings_.at(i).lines; }

  // Every line read from every generation, sorted.
  std::vector<std::string> AllLines() const {
    std::vector<std::string> all;
    for (const Reading& r : readings_) all.insert(all.end(), r.lines.begin(), r.lines.end());
    std::sort(all.begin(), all.end());
    return all;
  }
  // Exactly-once: the lines read, in any order and any generation, are
  // written, each once.
  void ExpectEachOnce(std::vector<std::string> written) const {
    std::sort(written.begin(), written.end());
    EXPECT_EQ(AllLines(), written);
  }

  std::string dir_;
  int64_t now_ = 1000;
  std::unique_ptr<Follower> follower_;
  std::vector<Reading> readings_;
};

using Strs = std::vector<std::string>;

TEST_F(FollowTest, ReadsGrowthAndWaitsForPartialLines) {
  Append("a.log", "one\ntw");
  Follow({Path("a.log")});
  Follower::Changes c = Poll();
  ASSERT_EQ(c.found.size(), 1u);
  EXPECT_EQ(Lines(0), (Strs{"one"}));
  Append("a.log", "o\nthree\n");
  c = Poll(10);
  EXPECT_EQ(c.readable.size(), 1u);
  EXPECT_EQ(Lines(0), (Strs{"one", "two", "three"}));
  // Nothing new: nothing readable.
  c = Poll(10);
  EXPECT_TRUE(c.readable.empty());
}

TEST_F(FollowTest, ABusyFileYieldsItsBudgetPerPoll) {
  Append("a.log", "0123456789\nabcdefghij\n");
  Follow({Path("a.log")}, /*budget=*/8);
  Poll();
  EXPECT_TRUE(Lines(0).empty());  // 8 bytes: no complete line yet.
  EXPECT_LT(readings_[0].file->offset(), readings_[0].file->size());
  Poll();
  EXPECT_EQ(Lines(0), (Strs{"0123456789"}));
  Poll();
  EXPECT_EQ(Lines(0), (Strs{"0123456789", "abcdefghij"}));
  EXPECT_EQ(readings_[0].file->offset(), readings_[0].file->size());
}

TEST_F(FollowTest, SettlesADanglingLineAfterIdle) {
  Append("a.log", "one\nlast without newline");
  Follow({Path("a.log")});
  Poll();
  EXPECT_EQ(Lines(0), (Strs{"one"}));
  Poll(1000);  // Not idle long enough.
  EXPECT_EQ(Lines(0), (Strs{"one"}));
  Poll(1500);
  EXPECT_EQ(Lines(0), (Strs{"one", "last without newline"}));
  Append("a.log", "\nnext\n");
  Poll(10);
  // The newline completing the settled line makes an empty line.
  EXPECT_EQ(Lines(0), (Strs{"one", "last without newline", "", "next"}));
}

TEST_F(FollowTest, StartsAtTheEndWithLineNumbers) {
  Append("a.log", "old 1\nold 2\npartial");
  Follow({Path("a.log")});
  Poll(0, /*start_at_end=*/true);
  EXPECT_TRUE(Lines(0).empty());
  Append("a.log", " done\nnew\n");
  Poll(10);
  EXPECT_EQ(Lines(0), (Strs{"partial done", "new"}));
}

TEST_F(FollowTest, StartsAtTheEndAtTheFirstPieceOfALineBeingWritten) {
  // CRI: the stdout line is in pieces (P) with a stderr line between them;
  // its last piece (F) is not written yet.
  const std::string complete = "2026-12-07T10:00:00.000000000Z stdout F complete one\n";
  Append("cri.log", complete);
  Append("cri.log",
         "2026-12-07T10:00:01.000000000Z stdout P first piece \n"
         "2026-12-07T10:00:01.000000000Z stderr F other stream\n"
         "2026-12-07T10:00:01.000000000Z stdout P second piece \n");
  // Docker json-file: a "log" without its newline is a piece.
  const std::string docker_complete =
      R"({"log":"complete\n","stream":"stdout","time":"2026-12-07T10:00:00.000000000Z"})"
      "\n";
  Append("docker.log", docker_complete);
  Append(
      "docker.log",
      R"({"log":"a long line, its first 16 KiB","stream":"stdout","time":"2026-12-07T10:00:01.000000000Z"})"
      "\n");
  Append("plain.log", "one\ntwo\n");
  Follow({Path("cri.log"), Path("docker.log"), Path("plain.log")});
  Follower::Changes c = follower_->Poll();
  ASSERT_EQ(c.found.size(), 3u);
  for (FollowedFile* f : c.found) {
    Result<std::pair<uint64_t, uint64_t>> end = f->LastLineEnd();
    ASSERT_OK(end);
    if (f->path() == Path("cri.log")) {
      EXPECT_EQ(*end, std::make_pair(uint64_t{complete.size()}, uint64_t{1}));
    } else if (f->path() == Path("docker.log")) {
      EXPECT_EQ(*end, std::make_pair(uint64_t{docker_complete.size()}, uint64_t{1}));
    } else {
      EXPECT_EQ(*end, std::make_pair(uint64_t{8}, uint64_t{2})) << "plain: the end";
    }
  }
}

TEST_F(FollowTest, RenameRotationFinishesTheOldFileThenFollowsTheNew) {
  Append("app.log", "1\n2\n");
  Follow({Path("app.log")});
  Poll();
  const FileIdentity old_id = readings_[0].file->identity();
  // The writer logs a last line, the file is renamed, a new one created;
  // the writer flushes one more line into the old file.
  Append("app.log", "3\n");
  ASSERT_EQ(std::rename(Path("app.log").c_str(), Path("app.log.1").c_str()), 0);
  Append("app.log", "new 1\n");
  Append("app.log.1", "4\n");
  Follower::Changes c = Poll(10);
  ASSERT_EQ(c.found.size(), 1u);
  EXPECT_EQ(c.found[0]->path(), Path("app.log"));
  EXPECT_NE(c.found[0]->identity(), old_id);
  EXPECT_EQ(Lines(0), (Strs{"1", "2", "3", "4"}));
  EXPECT_EQ(Lines(1), (Strs{"new 1"}));
  EXPECT_FALSE(readings_[0].ended);
  // After rotate_wait without growth the old generation ends.
  c = Poll(1500);
  ASSERT_EQ(c.ended.size(), 1u);
  EXPECT_TRUE(readings_[0].ended);
  Append("app.log", "new 2\n");
  Poll(10);
  EXPECT_EQ(Lines(1), (Strs{"new 1", "new 2"}));
}

TEST_F(FollowTest, CopyTruncateRestartsFromZero) {
  Append("app.log", "aaaa\nbbbb\n");
  Follow({Path("app.log")});
  Poll();
  Truncate("app.log");
  Append("app.log", "c\n");  // Shorter than what was read.
  Follower::Changes c = Poll(10);
  ASSERT_EQ(c.ended.size(), 1u);
  ASSERT_EQ(c.found.size(), 1u);
  bool said = false;
  for (const std::string& n : c.notes) said = said || n.find("truncated") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_TRUE(readings_[0].ended);
  EXPECT_EQ(Lines(0), (Strs{"aaaa", "bbbb"}));
  EXPECT_EQ(Lines(1), (Strs{"c"}));
}

TEST_F(FollowTest, TruncatedAndRewrittenPastTheOffsetIsANewGeneration) {
  Append("app.log", "first line\n");
  Follow({Path("app.log")});
  Poll();
  Truncate("app.log");
  Append("app.log", "another file, longer than the first\n");
  Follower::Changes c = Poll(10);
  ASSERT_EQ(c.found.size(), 1u);
  EXPECT_EQ(Lines(1), (Strs{"another file, longer than the first"}));
}

TEST_F(FollowTest, DeleteAndRecreate) {
  Append("app.log", "old\n");
  Follow({Path("app.log")});
  Poll();
  ASSERT_EQ(::unlink(Path("app.log").c_str()), 0);
  Follower::Changes c = Poll(10);
  EXPECT_TRUE(c.found.empty());
  Append("app.log", "recreated\n");
  c = Poll(10);
  ASSERT_EQ(c.found.size(), 1u);
  EXPECT_EQ(Lines(1), (Strs{"recreated"}));
  c = Poll(1500);
  EXPECT_EQ(c.ended.size(), 1u);
  EXPECT_TRUE(readings_[0].ended);
  EXPECT_FALSE(readings_[1].ended);
}

TEST_F(FollowTest, FindsNewFilesMatchingAGlobAndInADirectory) {
  fs::create_directory(Path("d"));
  Append("a.log", "a\n");
  Follow({Path("*.log"), Path("d")});
  Poll();
  ASSERT_EQ(readings_.size(), 1u);
  Append("b.log", "b\n");
  Append("b.txt", "not matched\n");
  Append("d/c.txt", "c\n");
  Poll(10);  // Before the rescan interval: not seen yet.
  EXPECT_EQ(readings_.size(), 1u);
  Follower::Changes c = Poll(1000);
  ASSERT_EQ(c.found.size(), 2u);
  EXPECT_EQ(Lines(1), (Strs{"b"}));
  EXPECT_EQ(Lines(2), (Strs{"c"}));
}

TEST_F(FollowTest, ResumesFromACheckpoint) {
  Append("app.log", "1\n2\n");
  Follow({Path("app.log")});
  Poll();
  const FileIdentity id = readings_[0].file->identity();
  const uint64_t offset = readings_[0].file->offset();
  EXPECT_EQ(offset, 4u);
  follower_.reset();
  readings_.clear();
  Append("app.log", "3\n");
  // A new follower: the file is the generation the checkpoint describes.
  Follow({Path("app.log")});
  Follower::Changes c = follower_->Poll();
  ASSERT_EQ(c.found.size(), 1u);
  Result<bool> same = c.found[0]->Matches(id);
  ASSERT_OK(same);
  EXPECT_TRUE(*same);
  c.found[0]->Start(offset);
  LineReader::Options ro;
  ro.first_offset = offset;
  ro.first_line = 3;
  LineReader reader(c.found[0], ro);
  Result<Chunk> chunk = reader.Next();
  ASSERT_OK(chunk);
  EXPECT_EQ(chunk->data, "3\n");
  EXPECT_EQ(chunk->first_line, 3u);
  EXPECT_EQ(chunk->offset, 4u);
}

TEST_F(FollowTest, ACheckpointDoesNotMatchAFileRewrittenInPlace) {
  Append("app.log", "original content\n");
  Follow({Path("app.log")});
  Poll();
  const FileIdentity id = readings_[0].file->identity();
  follower_.reset();
  readings_.clear();
  Truncate("app.log");  // Same inode, other first bytes.
  Append("app.log", "different content\n");
  Follow({Path("app.log")});
  Follower::Changes c = follower_->Poll();
  ASSERT_EQ(c.found.size(), 1u);
  EXPECT_EQ(c.found[0]->identity().inode, id.inode);
  Result<bool> same = c.found[0]->Matches(id);
  ASSERT_OK(same);
  EXPECT_FALSE(*same);
}

TEST_F(FollowTest, AdoptsAFileRotatedWhileNotFollowed) {
  Append("app.log", "1\n2\n");
  Follow({Path("app.log")});
  Poll();
  const FileIdentity id = readings_[0].file->identity();
  follower_.reset();
  readings_.clear();
  Append("app.log", "3\n");
  ASSERT_EQ(std::rename(Path("app.log").c_str(), Path("app.log.1").c_str()), 0);
  Append("app.log", "new\n");
  Follow({Path("app.log")});
  Follower::Changes c = follower_->Poll();
  ASSERT_EQ(c.found.size(), 1u);
  EXPECT_NE(c.found[0]->identity(), id);
  FollowedFile* old = follower_->Adopt(Path("app.log"), id);
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->identity().inode, id.inode);
  EXPECT_EQ(old->path(), "");  // Finishing: no followed path holds it.
}

TEST_F(FollowTest, AdoptsThePreviousTargetOfASymlinkRetargetedWhileNotFollowed) {
  fs::create_directories(Path("pods/c"));
  fs::create_directories(Path("containers"));
  Append("pods/c/0.log", "0 a\n");
  fs::create_symlink(Path("pods/c/0.log"), Path("containers/c.log"));
  Follow({Path("containers/*.log")});
  Poll();
  const FileIdentity id = readings_[0].file->identity();
  follower_.reset();
  readings_.clear();
  // The container restarts: its last line, the next container's log, the
  // link retargeted.
  Append("pods/c/0.log", "0 b\n");
  Append("pods/c/1.log", "1 a\n");
  fs::remove(Path("containers/c.log"));
  fs::create_symlink(Path("pods/c/1.log"), Path("containers/c.log"));
  Follow({Path("containers/*.log")});
  Follower::Changes c = follower_->Poll();
  ASSERT_EQ(c.found.size(), 1u);
  FollowedFile* old = follower_->Adopt(Path("containers/c.log"), id);
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->identity().inode, id.inode);
  EXPECT_EQ(old->path(), "");  // Finishing.
}

TEST_F(FollowTest, DoesNotAdoptAFileMovedOutOfItsDirectory) {
  fs::create_directories(Path("archive"));
  Append("app.log", "1\n");
  Follow({Path("app.log")});
  Poll();
  const FileIdentity id = readings_[0].file->identity();
  follower_.reset();
  readings_.clear();
  Rename("app.log", "archive/app.log.1");
  Append("app.log", "new\n");
  Follow({Path("app.log")});
  follower_->Poll();
  EXPECT_EQ(follower_->Adopt(Path("app.log"), id), nullptr);
}

TEST_F(FollowTest, ReportsAMissingFileOnceAndFindsItLater) {
  Follow({Path("later.log")});
  Follower::Changes c = Poll();
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].find("later.log"), std::string::npos);
  c = Poll(1000);
  EXPECT_TRUE(c.errors.empty());
  Append("later.log", "here\n");
  c = Poll(1000);
  ASSERT_EQ(c.found.size(), 1u);
  EXPECT_EQ(Lines(0), (Strs{"here"}));
}

TEST_F(FollowTest, SkipsCompressedFiles) {
  std::ofstream(Path("old.log.gz"), std::ios::binary) << std::string("\x1f\x8b\x08\x00", 4);
  Append("a.log", "a\n");
  Follow({Path("*")});
  Follower::Changes c = Poll();
  EXPECT_EQ(c.found.size(), 1u);
}

// ---- Rotation cases (issue 13): each checks that every line is read once.

TEST_F(FollowTest, RenameRotationKeepsReadingTheOldFileWhileTheWriterStillUsesIt) {
  Append("app.log", "1\n");
  Follow({Path("app.log")});
  Poll();
  Rename("app.log", "app.log.1");
  Append("app.log", "new 1\n");
  // The writer has not reopened its file yet: it goes on writing into the
  // renamed one, each line within rotate_wait of the last.
  Strs old = {"1"};
  for (int i = 2; i <= 5; ++i) {
    Append("app.log.1", std::to_string(i) + "\n");
    old.push_back(std::to_string(i));
    Poll(800);
  }
  EXPECT_FALSE(readings_[0].ended);
  Append("app.log", "new 2\n");
  Poll(1500);  // Quiet for rotate_wait: the old generation ends.
  EXPECT_TRUE(readings_[0].ended);
  ASSERT_EQ(readings_.size(), 2u);
  EXPECT_EQ(Lines(0), old);
  EXPECT_EQ(Lines(1), (Strs{"new 1", "new 2"}));
}

TEST_F(FollowTest, RenameOfAFileClosedWhileIdleStillReadsWhatTheWriterAddsToIt) {
  Append("app.log", "1\n");
  Follow({Path("app.log")});
  Poll();
  Follower::Changes c = Poll(61000);  // Idle past close_idle: closed.
  ASSERT_EQ(c.closed.size(), 1u);
  // A rarely logging writer logs again, the file is rotated, and the writer
  // writes into the renamed file until it reopens.
  Append("app.log", "2\n");
  Rename("app.log", "app.log.1");
  Append("app.log", "new 1\n");
  Append("app.log.1", "3\n");
  Poll(10);
  Append("app.log.1", "4\n");
  Poll(500);
  Poll(1500);
  ASSERT_EQ(readings_.size(), 2u);
  EXPECT_EQ(Lines(0), (Strs{"1", "2", "3", "4"}));
  EXPECT_EQ(Lines(1), (Strs{"new 1"}));
  EXPECT_TRUE(readings_[0].ended);
}

TEST_F(FollowTest, CopyTruncateWithAWriterKeepingItsOffsetReadsTheNewLinesOnce) {
  Append("app.log", "aaaa\nbbbb\n");
  Follow({Path("app.log")});
  Poll();
  // logrotate copies the file away and truncates it; the writer (without
  // O_APPEND) writes its next line at its old offset: a hole of NULs, then
  // the line. Both happen between two polls.
  Truncate("app.log");
  WriteAt("app.log", 10, "cccc\n");
  Follower::Changes c = Poll(10);
  ASSERT_EQ(c.found.size(), 1u);
  WriteAt("app.log", 15, "dddd\n");
  Poll(10);
  // Again, the truncation seen before the writer writes.
  Truncate("app.log");
  c = Poll(10);
  ASSERT_EQ(c.found.size(), 1u);
  WriteAt("app.log", 20, "eeee\n");
  Poll(10);
  ASSERT_EQ(readings_.size(), 3u);
  EXPECT_TRUE(readings_[0].ended);
  EXPECT_TRUE(readings_[1].ended);
  EXPECT_EQ(Lines(0), (Strs{"aaaa", "bbbb"}));
  EXPECT_EQ(Lines(1), (Strs{std::string(10, '\0') + "cccc", "dddd"}));
  EXPECT_EQ(Lines(2), (Strs{std::string(20, '\0') + "eeee"}));
}

TEST_F(FollowTest, CopyTruncateBetweenAPollAndAReadIsNotReadByTheOldGeneration) {
  Append("app.log", "aaaa\nbbbb\n");
  Follow({Path("app.log")});
  Poll();
  Poll(10);  // Nothing new; the file is checked.
  // Truncated and rewritten past the offset after that check, before the
  // read that follows it (tail reads right after polling).
  Truncate("app.log");
  WriteAt("app.log", 10, "cccc\n");
  Drain(readings_[0].file);
  EXPECT_TRUE(readings_[0].ended);
  Follower::Changes c = Poll(10);
  ASSERT_EQ(c.found.size(), 1u);
  ASSERT_EQ(readings_.size(), 2u);
  EXPECT_EQ(Lines(0), (Strs{"aaaa", "bbbb"}));
  EXPECT_EQ(Lines(1), (Strs{std::string(10, '\0') + "cccc"}));
}

TEST_F(FollowTest, TruncationWhileBehindLosesOnlyWhatWasNotReadYet) {
  Append("app.log", "1111\n2222\n3333\n4444\n");
  Follow({Path("app.log")}, /*budget=*/10);
  Poll();  // 10 bytes: two lines.
  EXPECT_EQ(Lines(0), (Strs{"1111", "2222"}));
  // Copied away and truncated before the rest was read; the writer then
  // writes more than was read, from the start (O_APPEND).
  Truncate("app.log");
  Append("app.log", "5555\n6666\n7777\n");
  for (int i = 0; i < 4; ++i) Poll(10);
  ASSERT_EQ(readings_.size(), 2u);
  EXPECT_TRUE(readings_[0].ended);
  // 3333 and 4444 are in the copy only.
  EXPECT_EQ(Lines(0), (Strs{"1111", "2222"}));
  EXPECT_EQ(Lines(1), (Strs{"5555", "6666", "7777"}));
}

TEST_F(FollowTest, SymlinkRetargetedToANewFileIsANewGeneration) {
  // Kubernetes: /var/log/containers/<pod>_<ns>_<container>-<id>.log links
  // to /var/log/pods/<ns>_<pod>_<uid>/<container>/<restart>.log; a
  // container restart retargets the link to a new file.
  fs::create_directories(Path("pods/ns_p_uid/c"));
  fs::create_directories(Path("containers"));
  Append("pods/ns_p_uid/c/0.log", "0 a\n");
  fs::create_symlink(Path("pods/ns_p_uid/c/0.log"), Path("containers/p_ns_c.log"));
  Follow({Path("containers/*.log")});
  Poll();
  Append("pods/ns_p_uid/c/0.log", "0 b\n");
  Append("pods/ns_p_uid/c/1.log", "1 a\n");
  fs::create_symlink(Path("pods/ns_p_uid/c/1.log"), Path("containers/next"));
  Rename("containers/next", "containers/p_ns_c.log");  // Retargeted atomically.
  Follower::Changes c = Poll(10);
  ASSERT_EQ(c.found.size(), 1u);
  Append("pods/ns_p_uid/c/0.log", "0 c\n");  // The old container's last words.
  Append("pods/ns_p_uid/c/1.log", "1 b\n");
  Poll(500);
  Poll(1500);
  ASSERT_EQ(readings_.size(), 2u);
  EXPECT_TRUE(readings_[0].ended);
  EXPECT_EQ(Lines(0), (Strs{"0 a", "0 b", "0 c"}));
  EXPECT_EQ(Lines(1), (Strs{"1 a", "1 b"}));
}

TEST_F(FollowTest, ADeletedFileStillWrittenToIsReadToItsEndOnce) {
  Append("app.log", "1\n");
  Follow({Path("app.log")});
  Poll();
  const int writer = ::open(Path("app.log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  ASSERT_EQ(::unlink(Path("app.log").c_str()), 0);
  ASSERT_EQ(::write(writer, "2\n", 2), 2);
  Append("app.log", "new\n");  // Re-created.
  Poll(10);
  ASSERT_EQ(::write(writer, "3\n", 2), 2);
  ::close(writer);
  Poll(500);
  Poll(1500);
  ASSERT_EQ(readings_.size(), 2u);
  EXPECT_TRUE(readings_[0].ended);
  EXPECT_EQ(Lines(0), (Strs{"1", "2", "3"}));
  EXPECT_EQ(Lines(1), (Strs{"new"}));
}

TEST_F(FollowTest, AnInodeReusedByAnotherFileIsANewGeneration) {
  Append("app.log", "first file\n");
  Follow({Path("app.log")});
  Poll();
  Poll(61000);  // Closed while idle: nothing holds the inode.
  ASSERT_FALSE(readings_[0].file->is_open());
  const uint64_t inode = Inode("app.log");
  // Delete and create until the file system hands out the same inode.
  bool reused = false;
  for (int i = 0; i < 100 && !reused; ++i) {
    ASSERT_EQ(::unlink(Path("app.log").c_str()), 0);
    Append("app.log", "second file, longer\n");
    reused = Inode("app.log") == inode;
  }
  if (!reused) GTEST_SKIP() << "the file system did not reuse the inode";
  Follower::Changes c = Poll(10);
  ASSERT_EQ(c.found.size(), 1u);
  EXPECT_EQ(c.found[0]->identity().inode, inode);
  Poll(10);
  ExpectEachOnce({"first file", "second file, longer"});
}

TEST_F(FollowTest, FilesWithIdenticalFirstLinesAreDistinct) {
  const std::string header(300, 'h');  // Longer than the fingerprint.
  Append("a.log", header + "\na 1\n");
  Append("b.log", header + "\nb 1\n");
  Follow({Path("*.log")});
  Poll();
  ASSERT_EQ(readings_.size(), 2u);
  EXPECT_EQ(readings_[0].file->identity().fingerprint, readings_[1].file->identity().fingerprint);
  // a.log rotated; the new a.log starts with the same header.
  Rename("a.log", "a.log.1");
  Append("a.log", header + "\na 2\n");
  Append("b.log", "b 2\n");
  Poll(10);
  Poll(1500);
  ASSERT_EQ(readings_.size(), 3u);
  ExpectEachOnce({header, "a 1", header, "b 1", "b 2", header, "a 2"});
}

TEST_F(FollowTest, AFileShorterThanTheFingerprintKeepsItsIdentityAsItGrows) {
  Append("app.log", "a\n");
  Follow({Path("app.log")});
  Poll();
  const FileIdentity short_id = readings_[0].file->identity();
  EXPECT_EQ(short_id.fingerprint_bytes, 2u);
  Append("app.log", "b\n");
  Poll(10);
  EXPECT_EQ(readings_[0].file->identity().fingerprint_bytes, 4u);
  // A checkpoint taken while it was shorter still describes it.
  Result<bool> same = readings_[0].file->Matches(short_id);
  ASSERT_OK(same);
  EXPECT_TRUE(*same);
  // Rewritten in place, still short but longer than what was read: a new
  // generation, read from its start; nothing of it is read twice.
  Truncate("app.log");
  Append("app.log", "xyz\n1\n");
  Poll(10);
  ASSERT_EQ(readings_.size(), 2u);
  Append("app.log", std::string(300, 'z') + "\n");
  Poll(10);
  EXPECT_EQ(readings_[1].file->identity().fingerprint_bytes, kFingerprintBytes);
  ExpectEachOnce({"a", "b", "xyz", "1", std::string(300, 'z')});
}

// Descriptors this process holds.
size_t OpenDescriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_F(FollowTest, ManyFilesRotatingFastHoldBoundedDescriptors) {
  constexpr int kFiles = 40, kRounds = 25;
  auto name = [](int k) { return "f" + std::to_string(k) + ".log"; };
  Strs written;
  auto write = [&](const std::string& file, const std::string& line) {
    Append(file, line + "\n");
    written.push_back(line);
  };
  for (int k = 0; k < kFiles; ++k) write(name(k), std::to_string(k) + " 0");
  const size_t base = OpenDescriptors();
  Follow({Path("*.log")});
  Poll();
  size_t most = 0;
  for (int round = 1; round <= kRounds; ++round) {
    // Every file is rotated (replacing, and so deleting, the previous
    // rotated one) and its writer flushes one more line into it.
    for (int k = 0; k < kFiles; ++k) {
      const std::string id = std::to_string(k) + " " + std::to_string(round);
      write(name(k), id + " last");
      Rename(name(k), name(k) + ".1");
      write(name(k), id + " first");
      write(name(k) + ".1", id + " late");
    }
    Poll(300);
    most = std::max(most, OpenDescriptors());
  }
  Poll(1500);
  Poll(1500);
  ExpectEachOnce(written);
  // One descriptor per file, plus the rotated ones finishing: each is held
  // for rotate_wait (1 s) after it stopped growing, about four rounds.
  EXPECT_LE(most, base + kFiles * 6) << "base " << base;
  EXPECT_LE(OpenDescriptors(), base + kFiles);
  EXPECT_EQ(follower_->size(), static_cast<size_t>(kFiles));
}

TEST(FingerprintTest, IsFnv1a) {
  EXPECT_EQ(Fingerprint(""), 14695981039346656037ull);
  EXPECT_NE(Fingerprint("a"), Fingerprint("b"));
}

}  // namespace
}  // namespace etiolog::ingest
