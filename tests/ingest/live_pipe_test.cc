// SPDX-License-Identifier: Apache-2.0
//
// LivePipe on a real pipe, with an injected clock.

#include "ingest/live_pipe.h"

#include <string>

#include <gtest/gtest.h>

#include "ingest/line_reader.h"
#include <fcntl.h>
#include <unistd.h>

namespace etiolog::ingest {
namespace {

class LivePipeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::pipe(fds_), 0); }
  void TearDown() override {
    if (fds_[0] >= 0) ::close(fds_[0]);
    CloseWriter();
  }
  void Write(const std::string& s) {
    ASSERT_EQ(::write(fds_[1], s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  void CloseWriter() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }
  // Everything the pipe yields now.
  std::string ReadAll(LivePipe* p) {
    std::string got;
    char buf[64];
    for (;;) {
      Result<size_t> n = p->Read(buf, sizeof buf);
      EXPECT_TRUE(n.ok()) << n.status().message();
      if (!n.ok() || *n == 0) return got;
      got.append(buf, *n);
    }
  }

  int fds_[2] = {-1, -1};
  int64_t now_ = 0;
};

TEST_F(LivePipeTest, ReadsWhatIsThereAndNeverBlocks) {
  LivePipe p(fds_[0], "-", 1000, 1 << 20, [this] { return now_; });
  EXPECT_EQ(ReadAll(&p), "");
  EXPECT_EQ(p.drained(), Drained::kMore) << "an empty pipe is not the end";
  Write("one\ntw");
  EXPECT_EQ(ReadAll(&p), "one\ntw");
  EXPECT_EQ(p.drained(), Drained::kMore);
  EXPECT_TRUE(p.unsettled());
  now_ += 999;
  EXPECT_EQ(ReadAll(&p), "");
  EXPECT_EQ(p.drained(), Drained::kMore);
  now_ += 1;
  EXPECT_EQ(ReadAll(&p), "");
  EXPECT_EQ(p.drained(), Drained::kSettled) << "idle with a partial line: hand it out";
  EXPECT_FALSE(p.unsettled());
  Write("o\n");
  CloseWriter();
  EXPECT_EQ(ReadAll(&p), "o\n");
  EXPECT_EQ(p.drained(), Drained::kEnd);
  EXPECT_TRUE(p.ended());
}

TEST_F(LivePipeTest, YieldsItsBudgetPerRefill) {
  LivePipe p(fds_[0], "-", 0, 4, [this] { return now_; });
  Write("0123456789");
  EXPECT_EQ(ReadAll(&p), "0123");
  EXPECT_TRUE(p.spent());
  EXPECT_EQ(p.drained(), Drained::kMore);
  p.Refill();
  EXPECT_EQ(ReadAll(&p), "4567");
  p.Refill();
  EXPECT_EQ(ReadAll(&p), "89");
  EXPECT_FALSE(p.spent()) << "stopped at an empty pipe";
}

TEST_F(LivePipeTest, ThroughALineReaderThePartialLineWaits) {
  LivePipe p(fds_[0], "-", 1000, 1 << 20, [this] { return now_; });
  LineReader reader(&p);
  Write("first\nsec");
  std::string lines;
  auto drain = [&] {
    for (;;) {
      Result<Chunk> c = reader.Next();
      ASSERT_TRUE(c.ok()) << c.status().message();
      if (c->data.empty()) return;
      lines.append(c->data);
    }
  };
  drain();
  EXPECT_EQ(lines, "first\n");
  Write("ond\n");
  CloseWriter();
  drain();
  EXPECT_EQ(lines, "first\nsecond\n");
  EXPECT_EQ(p.drained(), Drained::kEnd);
}

TEST_F(LivePipeTest, AClosedDescriptorIsAnError) {
  const int fd = ::dup(fds_[0]);
  ::close(fd);
  LivePipe p(fd, "-", 0, 1 << 20);
  char buf[8];
  Result<size_t> n = p.Read(buf, sizeof buf);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("-: not open"), std::string::npos) << n.status().message();
}

}  // namespace
}  // namespace etiolog::ingest
