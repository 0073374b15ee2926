// SPDX-License-Identifier: Apache-2.0
//
// The Follower against a real directory, with an injected clock: every
// test moves time by hand and polls, so nothing depends on how fast the
// machine is.

#include "ingest/follow.h"

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

TEST(FingerprintTest, IsFnv1a) {
  EXPECT_EQ(Fingerprint(""), 14695981039346656037ull);
  EXPECT_NE(Fingerprint("a"), Fingerprint("b"));
}

}  // namespace
}  // namespace etiolog::ingest
