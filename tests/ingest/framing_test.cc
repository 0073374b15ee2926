// SPDX-License-Identifier: Apache-2.0
#include "ingest/framing.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace etiolog::ingest {
namespace {

struct Line {
  std::string text;
  uint64_t line;
  uint64_t offset;
};

// All lines a framing reader yields, with their source positions.
std::vector<Line> Frame(const std::string& data, size_t chunk_size = 4096) {
  auto src = NewMemorySource("x.log", data);
  LineReader::Options o;
  o.chunk_size = chunk_size;
  std::unique_ptr<ChunkReader> r = NewFramingReader(src.get(), o);
  std::vector<Line> out;
  for (;;) {
    Result<Chunk> c = r->Next();
    EXPECT_OK(c);
    if (!c.ok() || c->data.empty()) break;
    size_t pos = 0;
    for (uint64_t k = 0; pos < c->data.size(); ++k) {
      size_t e = c->data.find('\n', pos);
      if (e == std::string_view::npos) e = c->data.size();
      out.push_back(
          {std::string(c->data.substr(pos, e - pos)), c->LineNumber(k), c->LineOffset(k, pos)});
      pos = e + 1;
    }
  }
  return out;
}

TEST(DetectFraming, Shapes) {
  EXPECT_EQ(DetectFraming(R"({"log":"x\n","stream":"stdout","time":"2025-12-07T15:49:58.1Z"})"),
            Framing::kDockerJson);
  EXPECT_EQ(DetectFraming(R"({"stream":"stdout","log":"x\n","time":"2025-12-07T15:49:58.1Z"})"),
            Framing::kDockerJson);
  EXPECT_EQ(DetectFraming("2025-12-07T15:49:58.104512345Z stdout F hello"), Framing::kCri);
  EXPECT_EQ(DetectFraming("2025-12-07T15:49:58.104512345Z stderr P hel"), Framing::kCri);
  EXPECT_EQ(DetectFraming(R"({"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1","MESSAGE":"x"})"),
            Framing::kJournalJson);
  EXPECT_EQ(DetectFraming(R"({"timestamp":"2025-03-31T18:03:17Z","level":"info","event":"x"})"),
            Framing::kPlain);
  EXPECT_EQ(DetectFraming("2025-12-07T15:56:23.562782Z [error    ] x"), Framing::kPlain);
}

TEST(Framing, PlainChunksPassThroughUntouched) {
  std::vector<Line> l = Frame("a\nb\n");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[1].text, "b");
  EXPECT_EQ(l[1].line, 2u);
  EXPECT_EQ(l[1].offset, 2u);
}

TEST(Framing, DockerEscapesAreUndoneSoLiteralsCanBeFound) {
  std::string data =
      R"({"log":"INFO:     1.2.3.4:5 - \"GET /ui/config HTTP/1.1\" 403 \u003cForbidden\u003e \u0026 \ud83d\ude00\n","stream":"stderr","time":"2025-12-07T15:51:00.25Z"})"
      "\n";
  std::vector<Line> l = Frame(data);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].text,
            "2025-12-07T15:51:00.25Z stderr F INFO:     1.2.3.4:5 - \"GET /ui/config HTTP/1.1\" "
            "403 <Forbidden> & \xF0\x9F\x98\x80");
}

TEST(Framing, PartialPiecesJoinAcrossChunksWithTheFirstPiecesPosition) {
  // Docker splits lines longer than 16 KiB; CRI marks pieces with P.
  std::string data;
  data += R"({"log":"first ","stream":"stdout","time":"2025-01-01T00:00:00Z"})"
          "\n";
  data += R"({"log":"second ","stream":"stdout","time":"2025-01-01T00:00:01Z"})"
          "\n";
  data += R"({"log":"third\n","stream":"stdout","time":"2025-01-01T00:00:02Z"})"
          "\n";
  data += R"({"log":"next\n","stream":"stdout","time":"2025-01-01T00:00:03Z"})"
          "\n";
  for (size_t chunk : {size_t{64}, size_t{4096}}) {
    std::vector<Line> l = Frame(data, chunk);
    ASSERT_EQ(l.size(), 2u) << chunk;
    EXPECT_EQ(l[0].text, "2025-01-01T00:00:00Z stdout F first second third") << chunk;
    EXPECT_EQ(l[0].line, 1u);
    EXPECT_EQ(l[0].offset, 0u);
    EXPECT_EQ(l[1].line, 4u);
    EXPECT_EQ(l[1].offset, data.rfind("{\"log\":\"next"));
  }
}

TEST(Framing, CriPartialLines) {
  std::string data =
      "2025-12-07T15:51:01.1Z stdout P JWT token is not valid: Signature veri\n"
      "2025-12-07T15:51:01.2Z stderr F INFO:     interleaved\n"
      "2025-12-07T15:51:01.3Z stdout F fication failed\n";
  std::vector<Line> l = Frame(data);
  ASSERT_EQ(l.size(), 2u);
  // A piece of the other stream does not complete this one; the joined line
  // is emitted when its F piece arrives.
  EXPECT_EQ(l[0].text, "2025-12-07T15:51:01.2Z stderr F INFO:     interleaved");
  EXPECT_EQ(l[1].text,
            "2025-12-07T15:51:01.1Z stdout F JWT token is not valid: Signature verification "
            "failed");
  EXPECT_EQ(l[1].line, 1u);
}

TEST(Framing, UnterminatedPartialIsFlushedAtEnd) {
  std::vector<Line> l = Frame("2025-12-07T15:51:01.1Z stdout P cut off\n");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].text, "2025-12-07T15:51:01.1Z stdout F cut off");
}

// A source that grows like a followed file: Read() returns 0 with kMore
// until End().
class GrowingSource : public Source {
 public:
  Result<size_t> Read(char* buf, size_t n) override {
    const size_t k = std::min(n, data_.size() - at_);
    data_.copy(buf, k, at_);
    at_ += k;
    return k;
  }
  const std::string& name() const override { return name_; }
  Drained drained() const override { return ended_ ? Drained::kEnd : Drained::kMore; }
  void Grow(const std::string& s) { data_ += s; }
  void End() { ended_ = true; }

 private:
  std::string name_ = "growing.log";
  std::string data_;
  size_t at_ = 0;
  bool ended_ = false;
};

// A line split in pieces (Docker json-file, CRI "P") whose last piece is not
// written yet: the chunks handed out meanwhile end, for the checkpoint, at
// its first piece, so a reader resumed there (after a crash) reads every
// piece again and joins the whole line at the same position.
TEST(Framing, APendingLineHoldsTheCheckpointAtItsFirstPiece) {
  struct Case {
    const char* name;
    std::string before_piece, first_piece, other_stream, last_piece, joined;
  };
  auto docker = [](std::string log, const char* stream) {
    return R"({"log":")" + log + R"(","stream":")" + stream +
           R"(","time":"2025-01-01T00:00:00Z"})"
           "\n";
  };
  const std::vector<Case> cases = {
      {"cri", "2025-12-07T15:51:01.0Z stderr F complete\n",
       "2025-12-07T15:51:01.1Z stderr P JWT token is not valid: Signature veri\n",
       "2025-12-07T15:51:01.2Z stdout F other stream\n",
       "2025-12-07T15:51:01.3Z stderr F fication failed\n",
       "2025-12-07T15:51:01.1Z stderr F JWT token is not valid: Signature verification failed"},
      {"docker", docker("complete\\n", "stdout"),
       docker("JWT token is not valid: Signature veri", "stdout"),
       docker("other stream\\n", "stderr"), docker("fication failed\\n", "stdout"),
       "2025-01-01T00:00:00Z stdout F JWT token is not valid: Signature verification failed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const uint64_t piece = c.before_piece.size();
    const std::string all = c.before_piece + c.first_piece + c.other_stream + c.last_piece;
    GrowingSource src;
    src.Grow(c.before_piece + c.first_piece + c.other_stream);
    std::unique_ptr<ChunkReader> r = NewFramingReader(&src, LineReader::Options());
    Result<Chunk> first = r->Next();
    ASSERT_OK(first);
    EXPECT_EQ(first->lines, 2u);  // The complete line and the other stream's.
    EXPECT_EQ(first->next_offset, piece);
    EXPECT_EQ(first->next_line, 2u);
    Result<Chunk> none = r->Next();
    ASSERT_OK(none);
    EXPECT_TRUE(none->data.empty());
    src.Grow(c.last_piece);
    Result<Chunk> joined = r->Next();
    ASSERT_OK(joined);
    ASSERT_EQ(joined->lines, 1u);
    EXPECT_EQ(joined->data, c.joined + "\n");
    EXPECT_EQ(joined->LineOffset(0, 0), piece);
    EXPECT_EQ(joined->LineNumber(0), 2u);
    EXPECT_EQ(joined->next_offset, all.size());
    EXPECT_EQ(joined->next_line, 5u);

    // Resumed at the checkpoint: the same joined line, at the same place.
    LineReader::Options at;
    at.first_offset = first->next_offset;
    at.first_line = first->next_line;
    GrowingSource rest;
    rest.Grow(all.substr(piece));
    rest.End();
    std::unique_ptr<ChunkReader> resumed = NewFramingReader(&rest, at);
    std::vector<std::pair<std::string, uint64_t>> lines;
    for (;;) {
      Result<Chunk> ch = resumed->Next();
      ASSERT_OK(ch);
      if (ch->data.empty()) break;
      ForEachLine(ch->data, [&](uint64_t k, size_t b, size_t e) {
        lines.emplace_back(std::string(ch->data.substr(b, e - b)), ch->LineOffset(k, b));
      });
    }
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[1].first, c.joined);
    EXPECT_EQ(lines[1].second, piece);
  }
}

TEST(Framing, JournalExport) {
  std::string data =
      R"({"__CURSOR":"c","__REALTIME_TIMESTAMP":"1762425009104512","_HOSTNAME":"h1","SYSLOG_IDENTIFIER":"airflow","_PID":"77","MESSAGE":"line one\nline two"})"
      "\n";
  std::vector<Line> l = Frame(data);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].text, "2025-11-06T10:30:09.104512Z h1 airflow[77]: line one");
  EXPECT_EQ(l[1].text, "2025-11-06T10:30:09.104512Z h1 airflow[77]: line two");
  EXPECT_EQ(l[1].line, 1u);
}

TEST(Framing, LinesThatDoNotParsePassThrough) {
  std::string data = R"({"log":"ok\n","stream":"stdout","time":"2025-01-01T00:00:00Z"})"
                     "\n"
                     "garbage {\"log\": not json\n";
  std::vector<Line> l = Frame(data);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[1].text, "garbage {\"log\": not json");
  EXPECT_EQ(l[1].line, 2u);
}

TEST(UnescapeJsonString, BadEscapesAreRejected) {
  std::string out;
  EXPECT_EQ(UnescapeJsonString(R"(a\qb")", &out), 0u);
  out.clear();
  EXPECT_EQ(UnescapeJsonString(R"(unterminated)", &out), 0u);
  out.clear();
  EXPECT_EQ(UnescapeJsonString(R"(\ud800x")", &out), 8u);
  EXPECT_EQ(out, "\xEF\xBF\xBDx");
}

// Found by the framing fuzzer: a chunk whose lines all became pending
// pieces was read but never counted, so a source's byte and line totals
// came out short (0 lines read for a file of two).
TEST(Framing, BytesOfPiecesCountWithTheLineTheyJoin) {
  const std::string data =
      "2025-12-07T15:56:23.562783104Z stderr P 2025-12-07T15:56:23.562782Z [error    ] JWT "
      "token is not valid: Sig\n"
      "2025-12-07T15:56:23.562783204Z stderr P nature verification failed\n";
  auto src = NewMemorySource("x.log", data);
  LineReader::Options o;
  o.chunk_size = 256;
  std::unique_ptr<ChunkReader> r = NewFramingReader(src.get(), o);
  uint64_t bytes = 0, lines = 0, out_lines = 0;
  for (;;) {
    Result<Chunk> c = r->Next();
    ASSERT_OK(c);
    if (c->data.empty()) break;
    bytes += c->source_bytes;
    lines += c->source_lines;
    out_lines += c->lines;
  }
  EXPECT_EQ(bytes, data.size());
  EXPECT_EQ(lines, 2u);
  EXPECT_EQ(out_lines, 1u);  // The pieces, joined at the end of input.
}

// Found by the framing fuzzer (UBSan: signed overflow): a journald export
// timestamp longer than any real one counts as no time.
TEST(Framing, AnOverlongJournalTimestampIsNoTime) {
  std::vector<Line> lines =
      Frame(R"({"__REALTIME_TIMESTAMP":"999999999999999999999999999999","_HOSTNAME":"h",)"
            R"("SYSLOG_IDENTIFIER":"airflow","MESSAGE":"hello"})"
            "\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].text.find("hello"), std::string::npos);
  EXPECT_EQ(lines[0].text.rfind("1970-01-01T00:00:00", 0), 0u);
}

}  // namespace
}  // namespace etiolog::ingest
