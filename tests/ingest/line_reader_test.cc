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

TEST(CountNewlines, Counts) {
  EXPECT_EQ(CountNewlines(""), 0u);
  EXPECT_EQ(CountNewlines("a\nb\n\n"), 3u);
}

}  // namespace
}  // namespace etiolog::ingest
