// SPDX-License-Identifier: Apache-2.0
#include "ingest/line_reader.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace etiolog::ingest {
namespace {

// A source that fails after delivering some bytes.
class FailingSource : public Source {
 public:
  explicit FailingSource(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (done_) return Status::IoError(name_ + ": injected failure");
    size_t k = std::min(n, data_.size());
    std::copy(data_.begin(), data_.begin() + static_cast<long>(k), buf);
    done_ = true;
    return k;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string data_;
  std::string name_ = "failing.log";
  bool done_ = false;
};

std::vector<Chunk> ReadAll(LineReader* reader, std::vector<std::string>* texts) {
  std::vector<Chunk> chunks;
  for (;;) {
    Result<Chunk> c = reader->Next();
    EXPECT_OK(c);
    if (!c.ok() || c->data.empty()) break;
    texts->emplace_back(c->data);
    chunks.push_back(*c);
  }
  return chunks;
}

TEST(LineReader, ChunksEndAtLineBoundariesWithOffsetsAndLineNumbers) {
  std::string data;
  for (int i = 0; i < 100; ++i) data += "line number " + std::to_string(i) + "\n";
  auto src = NewMemorySource("m", data);
  LineReader::Options opt;
  opt.chunk_size = 64;
  LineReader reader(src.get(), opt);
  std::vector<std::string> texts;
  std::vector<Chunk> chunks = ReadAll(&reader, &texts);
  std::string joined;
  uint64_t expect_line = 1;
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].offset, joined.size());
    EXPECT_EQ(chunks[i].first_line, expect_line);
    EXPECT_EQ(texts[i].back(), '\n');
    expect_line += chunks[i].lines;
    joined += texts[i];
  }
  EXPECT_EQ(joined, data);
  EXPECT_EQ(expect_line, 101u);
}

TEST(LineReader, LastLineWithoutNewline) {
  auto src = NewMemorySource("m", "a\nb");
  LineReader reader(src.get());
  std::vector<std::string> texts;
  auto chunks = ReadAll(&reader, &texts);
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[1], "b");
  EXPECT_EQ(chunks[1].first_line, 2u);
}

TEST(LineReader, OverlongLineIsCappedAndRestContinues) {
  std::string data = "short\n" + std::string(500, 'x') + "\nafter\n";
  auto src = NewMemorySource("m", data);
  LineReader::Options opt;
  opt.chunk_size = 64;
  LineReader reader(src.get(), opt);
  std::vector<std::string> texts;
  auto chunks = ReadAll(&reader, &texts);
  EXPECT_EQ(reader.capped_lines(), 1u);
  ASSERT_FALSE(texts.empty());
  EXPECT_EQ(texts.back(), "after\n");
  EXPECT_EQ(chunks.back().first_line, 3u);
  EXPECT_EQ(chunks.back().offset, data.size() - 6);
}

TEST(LineReader, ReadFailureIsReportedAfterEarlierLines) {
  FailingSource src("one\ntwo\n");
  LineReader reader(&src);
  Result<Chunk> c = reader.Next();
  ASSERT_OK(c);
  EXPECT_EQ(c->data, "one\ntwo\n");  // Nothing read before the failure is lost.
  c = reader.Next();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("failing.log"), std::string::npos);
}

TEST(OpenFileSource, MissingFileNamesPath) {
  auto r = OpenFileSource("/nonexistent/etiolog/x.log");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/etiolog/x.log"), std::string::npos);
}

// Line marks let the pipeline find a candidate's line index by counting
// from the nearest 64 KiB mark; clean (valid UTF-8, no NUL), checked as the
// bytes are read, lets it skip CheckChunk.
TEST(LineReader, LineMarksAndCleanlinessAreFoundAsTheBytesAreRead) {
  std::string data;
  for (int i = 0; data.size() < 6 * kLineMarkBytes + 1000; ++i) {
    data += "line " + std::to_string(i) + std::string(static_cast<size_t>(i % 97), 'x') + "\n";
  }
  // A two-byte character across the boundary between two reads (256 KiB).
  const size_t split = (size_t{256} << 10) - 1;
  data.replace(split, 2, "\xc3\xa9");
  data += std::string(200000, 'y') + "\n";  // A line across reads.
  // Whether the first chunk of text is marked clean.
  auto clean = [](const std::string& text) {
    auto src = NewMemorySource("marks.log", text);
    LineReader reader(src.get());
    Result<Chunk> c = reader.Next();
    EXPECT_OK(c);
    return c.ok() && c->clean;
  };
  {
    auto src = NewMemorySource("marks.log", data);
    LineReader reader(src.get());
    Result<Chunk> next = reader.Next();
    ASSERT_OK(next);
    const Chunk& c = *next;
    ASSERT_NE(c.line_marks, nullptr);
    EXPECT_TRUE(c.clean);
    EXPECT_EQ(c.data.size(), data.size());
    EXPECT_EQ(c.lines, CountNewlines(data));
    for (size_t m = 0; m * kLineMarkBytes < c.data.size(); ++m) {
      EXPECT_EQ(c.line_marks[m], CountNewlines(c.data.substr(0, m * kLineMarkBytes))) << m;
    }
  }
  {
    std::string with_nul = data;
    with_nul[2 * kLineMarkBytes + 5] = '\0';
    EXPECT_FALSE(clean(with_nul));
    bool nul = false;
    EXPECT_EQ(CountNewlines(with_nul, &nul), CountNewlines(data));
    EXPECT_TRUE(nul);
  }
  {
    std::string bad = data;
    bad[split] = '\xff';
    EXPECT_FALSE(clean(bad));
    bad = data;
    bad[data.size() - 10] = '\xc3';  // In the long last line, read last.
    EXPECT_FALSE(clean(bad));
  }
}

// A source that grows: each Read() returns the next piece; between pieces
// it has nothing for now (kMore, or kSettled when asked), then it ends.
class GrowingSource : public Source {
 public:
  Result<size_t> Read(char* buf, size_t n) override {
    if (pieces_.empty() || pieces_.front().empty()) {
      if (!pieces_.empty()) pieces_.erase(pieces_.begin());
      drained_ = ended_ && pieces_.empty() ? Drained::kEnd
                 : settle_                 ? Drained::kSettled
                                           : Drained::kMore;
      return size_t{0};
    }
    std::string& p = pieces_.front();
    size_t k = std::min(n, p.size());
    std::copy(p.begin(), p.begin() + static_cast<long>(k), buf);
    p.erase(0, k);
    return k;
  }
  const std::string& name() const override { return name_; }
  Drained drained() const override { return drained_; }

  // Adds a piece, followed by "nothing for now".
  void Grow(std::string piece) {
    pieces_.push_back(std::move(piece));
    pieces_.emplace_back();
  }
  void set_settle(bool settle) { settle_ = settle; }
  void End() { ended_ = true; }

 private:
  std::vector<std::string> pieces_;
  std::string name_ = "growing.log";
  Drained drained_ = Drained::kMore;
  bool settle_ = false;
  bool ended_ = false;
};

TEST(LineReader, AGrowingSourceKeepsItsPartialLineUntilCompleted) {
  GrowingSource src;
  LineReader::Options o;
  o.first_offset = 100;
  o.first_line = 10;
  LineReader reader(&src, o);
  src.Grow("a\nb");
  Result<Chunk> c = reader.Next();
  ASSERT_OK(c);
  EXPECT_EQ(c->data, "a\n");
  EXPECT_EQ(c->offset, 100u);
  EXPECT_EQ(c->first_line, 10u);
  c = reader.Next();  // Nothing for now: "b" waits.
  ASSERT_OK(c);
  EXPECT_TRUE(c->data.empty());
  src.Grow("c\nd\n");
  c = reader.Next();
  ASSERT_OK(c);
  EXPECT_EQ(c->data, "bc\nd\n");
  EXPECT_EQ(c->offset, 102u);
  EXPECT_EQ(c->first_line, 11u);
  EXPECT_TRUE(c->clean);
  // Idle long enough: a dangling line is handed out.
  src.Grow("dangling");
  c = reader.Next();
  ASSERT_OK(c);
  EXPECT_TRUE(c->data.empty());
  src.set_settle(true);
  c = reader.Next();
  ASSERT_OK(c);
  EXPECT_EQ(c->data, "dangling");
  EXPECT_EQ(c->first_line, 13u);
  EXPECT_EQ(c->next_offset, 115u);
  src.End();
  c = reader.Next();
  ASSERT_OK(c);
  EXPECT_TRUE(c->data.empty());
}

TEST(CountNewlines, Counts) {
  EXPECT_EQ(CountNewlines(""), 0u);
  EXPECT_EQ(CountNewlines("a\nb\n\n"), 3u);
}

// The vectorised count works on 16- and 32-byte blocks, summing byte
// counters every 255 blocks: every length, offset and density must agree
// with a plain count, including runs of newlines long enough to overflow a
// byte counter if the sums came late.
TEST(CountNewlines, AgreesWithAPlainCountAtEveryLengthAndAlignment) {
  std::string data;
  uint32_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245u + 12345u;
    data.push_back((x >> 16) % 7 == 0 ? '\n' : static_cast<char>('a' + (x >> 20) % 26));
  }
  data += std::string(70000, '\n');  // 2187 blocks of 32 bytes, all newlines.
  data += "tail";
  auto plain = [](std::string_view s) {
    uint64_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
  };
  for (size_t begin : {0, 1, 7, 15, 31, 33}) {
    for (size_t len :
         {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255 * 32, 255 * 32 + 1, 9000, 20000, 60000}) {
      const std::string_view s = std::string_view(data).substr(begin, len);
      EXPECT_EQ(CountNewlines(s), plain(s)) << begin << "+" << len;
    }
    const std::string_view rest = std::string_view(data).substr(begin);
    EXPECT_EQ(CountNewlines(rest), plain(rest)) << begin;
  }
}

}  // namespace
}  // namespace etiolog::ingest
