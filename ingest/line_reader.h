// SPDX-License-Identifier: Apache-2.0
//
// LineReader: frames a Source into chunks of whole lines.
//
// The hot path of etiolog never looks at single lines: the matcher scans a
// whole chunk for required literals and only the rare candidate lines are
// decoded. LineReader therefore hands out large chunks (Options::chunk_size)
// that always end at a line boundary, with the byte offset and line number of
// their first byte, so that any line inside can be located exactly.
//
// A line longer than the buffer is capped: its first chunk_size bytes are
// returned as a chunk of their own (without a newline), the rest of the line
// is skipped, and capped_lines() counts it. Memory is bounded by the buffer,
// whatever the input size.
//
// Thread safety: one thread at a time.

#ifndef ETIOLOG_INGEST_LINE_READER_H_
#define ETIOLOG_INGEST_LINE_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "ingest/source.h"
#include "ingest/status.h"

namespace etiolog::ingest {

// Granularity of Chunk::line_marks.
inline constexpr size_t kLineMarkBytes = size_t{64} << 10;

// Where a line of a transformed chunk came from in its source.
struct LineOrigin {
  uint64_t offset = 0;  // Byte offset of the source line it starts at.
  uint64_t line = 0;    // 1-based source line number.
};

// A run of whole lines. Every line but possibly the last ends in '\n'; the
// last lacks it only at end of input or when it was capped.
//
// Usually data is the source's bytes and line k of the chunk is source line
// first_line + k at offset + (its position in data). A chunk produced by an
// unwrapping reader (ingest/framing.h) holds transformed text instead, and
// origins[k] locates its line k in the source.
struct Chunk {
  std::string_view data;                // Valid until the next Next() of its reader.
  uint64_t offset = 0;                  // Source byte offset of the chunk's first line.
  uint64_t first_line = 1;              // Source line number of the chunk's first line.
  uint64_t lines = 0;                   // Number of lines in data.
  const LineOrigin* origins = nullptr;  // lines entries, or null: identity.
  uint64_t next_offset = 0;             // Source byte offset just after the chunk.
  uint64_t next_line = 1;               // Source line number just after the chunk.
  bool capped = false;                  // data is one line cut at the length cap.
  uint64_t source_bytes = 0;            // Source bytes this chunk consumed.
  uint64_t source_lines = 0;            // Source lines this chunk consumed.
  // Lines before each block of kLineMarkBytes bytes of data: line_marks[i]
  // counts the '\n' in data[0, i * kLineMarkBytes). Null if not computed.
  // Lets a line's index be counted from the nearest mark.
  const uint32_t* line_marks = nullptr;
  // data is known to be valid UTF-8 without NUL bytes: LineReader checks
  // as it reads, the pipeline after CheckChunk. The decoder then skips its
  // own per-line checks. False: not known (or not clean).
  bool clean = false;

  // Source line number and byte offset of the line with index k (0-based)
  // that starts at data[begin].
  uint64_t LineNumber(uint64_t k) const { return origins ? origins[k].line : first_line + k; }
  uint64_t LineOffset(uint64_t k, size_t begin) const {
    return origins ? origins[k].offset : offset + begin;
  }
};

// Something that hands out chunks: LineReader, or an unwrapping layer on
// top of it.
class ChunkReader {
 public:
  ChunkReader() = default;
  ChunkReader(const ChunkReader&) = delete;  // Owns buffers chunks point into.
  ChunkReader& operator=(const ChunkReader&) = delete;
  virtual ~ChunkReader() = default;

  // Returns the next chunk; a chunk with empty data means end of input,
  // or, if the source may grow (Source::drained() is not kEnd), that no
  // complete line is available for now: call Next() again later.
  // If a read fails, the lines read before the failure are returned first
  // (the last one possibly incomplete), then the source's IoError; reading
  // may not be resumed after it.
  virtual Result<Chunk> Next() = 0;

  // Lines cut at the length cap so far.
  virtual uint64_t capped_lines() const = 0;
};

class LineReader final : public ChunkReader {
 public:
  struct Options {
    // Read buffer size; also the cap on a single line's length.
    // Default: 4 MiB.
    size_t chunk_size = size_t{4} << 20;
    // Where the source starts in its file, for offsets and line numbers: a
    // followed file resumed at a checkpoint starts there. Default: the start.
    uint64_t first_offset = 0;
    uint64_t first_line = 1;
  };

  // *src must outlive the reader.
  LineReader(Source* src, const Options& options);
  explicit LineReader(Source* src) : LineReader(src, Options()) {}
  ~LineReader() override;

  Result<Chunk> Next() override;

  // Lines longer than chunk_size seen so far (each was cut to chunk_size).
  uint64_t capped_lines() const override { return capped_lines_; }
  // Source offset just after the bytes consumed so far (first_offset plus
  // the bytes read).
  uint64_t bytes_read() const { return source_offset_; }

 private:
  // Reads are at most this large, so that counting and checking the bytes
  // just read finds them in the cache.
  static constexpr size_t kReadSize = size_t{256} << 10;

  void Account(size_t n);

  Source* src_;
  Options options_;
  std::unique_ptr<char[]> buf_;
  std::vector<uint32_t> line_marks_;  // Chunk::line_marks of the last chunk.
  // What Account found in buf_[0, end_): newlines per kLineMarkBytes block,
  // a NUL, and whether the lines up to lines_end_ (just after the last
  // newline) are valid UTF-8.
  std::vector<uint64_t> block_lines_;
  bool has_nul_ = false;
  bool utf8_ok_ = true;
  size_t lines_end_ = 0;
  size_t begin_ = 0;              // First unreturned byte in buf_.
  size_t end_ = 0;                // One past the last valid byte in buf_.
  uint64_t source_offset_ = 0;    // Source offset of buf_[end_].
  uint64_t last_handed_out_ = 0;  // next_offset of the last chunk handed out.
  uint64_t next_line_ = 1;
  uint64_t capped_lines_ = 0;
  bool eof_ = false;
  bool skipping_ = false;  // Discarding the tail of a capped line.
  Status pending_error_;   // A read failure not yet reported.
};

// Counts '\n' in data, with SIMD (no call per line). If has_nul is not
// null, also tells whether data holds a NUL byte, in the same pass.
uint64_t CountNewlines(std::string_view data, bool* has_nul = nullptr);

// Calls fn(index, begin, end) for each line of data, in order: index counts
// from 0, [begin, end) excludes the '\n' (the last line may lack one).
template <typename Fn>
void ForEachLine(std::string_view data, Fn&& fn) {
  size_t pos = 0;
  for (uint64_t k = 0; pos < data.size(); ++k) {
    size_t e = data.find('\n', pos);
    if (e == std::string_view::npos) e = data.size();
    fn(k, pos, e);
    pos = e + 1;
  }
}

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_LINE_READER_H_
