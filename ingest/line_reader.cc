// SPDX-License-Identifier: Apache-2.0
//
// The buffer holds [begin_, end_) unreturned bytes. Next() moves them to the
// front, fills the rest from the source, and returns everything up to the
// last newline. A buffer that fills without any newline holds a line longer
// than the cap: it is returned as one capped line and the reader then skips
// input up to the next newline.

#include "ingest/line_reader.h"

#include <cstring>

namespace etiolog::ingest {

uint64_t CountNewlines(std::string_view data) {
  uint64_t n = 0;
  const char* p = data.data();
  const char* end = p + data.size();
  while (p < end) {
    const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
    if (nl == nullptr) break;
    ++n;
    p = static_cast<const char*>(nl) + 1;
  }
  return n;
}

LineReader::LineReader(Source* src, const Options& options)
    : src_(src),
      options_(options),
      buf_(new char[options.chunk_size < 64 ? 64 : options.chunk_size]) {
  if (options_.chunk_size < 64) options_.chunk_size = 64;
}

LineReader::~LineReader() = default;

Result<Chunk> LineReader::Next() {
  const size_t cap = options_.chunk_size;
  for (;;) {
    // Compact, then fill.
    if (begin_ > 0) {
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    while (!eof_ && end_ < cap) {
      Result<size_t> r = src_->Read(buf_.get() + end_, cap - end_);
      if (!r.ok()) {
        // Hand out the complete lines already read; the error comes next.
        pending_error_ = r.status();
        eof_ = true;
        break;
      }
      if (*r == 0) {
        eof_ = true;
        break;
      }
      end_ += *r;
      source_offset_ += *r;
    }
    if (!pending_error_.ok() && end_ == 0) return pending_error_;
    const uint64_t chunk_offset = source_offset_ - end_;

    if (skipping_) {
      const void* nl = std::memchr(buf_.get(), '\n', end_);
      if (nl == nullptr) {
        end_ = 0;  // Still inside the capped line: drop it all.
        if (eof_) {
          if (!pending_error_.ok()) return pending_error_;
          return Chunk{{}, source_offset_, next_line_, 0, nullptr, source_offset_, next_line_};
        }
        continue;
      }
      begin_ = static_cast<size_t>(static_cast<const char*>(nl) - buf_.get()) + 1;
      skipping_ = false;
      continue;
    }
    if (end_ == 0) return Chunk{{}, chunk_offset, next_line_, 0, nullptr, chunk_offset, next_line_};

    // Find the last newline.
    const void* nl = memrchr(buf_.get(), '\n', end_);
    const size_t last =
        nl == nullptr ? 0 : static_cast<size_t>(static_cast<const char*>(nl) - buf_.get()) + 1;
    Chunk chunk;
    chunk.offset = chunk_offset;
    chunk.first_line = next_line_;
    if (last == 0) {
      if (eof_) {
        // Final line without a newline.
        chunk.data = std::string_view(buf_.get(), end_);
        begin_ = end_;
      } else {
        // Buffer full of one line: cap it.
        chunk.data = std::string_view(buf_.get(), end_);
        begin_ = end_;
        skipping_ = true;
        chunk.capped = true;
        ++capped_lines_;
      }
      chunk.lines = 1;
    } else {
      chunk.data = std::string_view(buf_.get(), last);
      begin_ = last;
      chunk.lines = CountNewlines(chunk.data);
    }
    next_line_ += chunk.lines;
    chunk.next_line = next_line_;
    chunk.next_offset = chunk.offset + chunk.data.size();
    chunk.source_bytes = chunk.data.size();
    chunk.source_lines = chunk.lines;
    return chunk;
  }
}

}  // namespace etiolog::ingest
