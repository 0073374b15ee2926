// SPDX-License-Identifier: Apache-2.0
//
// The buffer holds [begin_, end_) unreturned bytes. Next() moves them to the
// front, fills the rest from the source, and returns everything up to the
// last newline. A buffer that fills without any newline holds a line longer
// than the cap: it is returned as one capped line and the reader then skips
// input up to the next newline. A source that has nothing more for now
// (Source::drained(): a followed file) ends the fill early: the complete
// lines are returned and a partial last line waits in the buffer for its
// newline (or is handed out once the source says it has settled).

#include "ingest/line_reader.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ingest/check.h"
#include "ingest/text.h"

namespace etiolog::ingest {

namespace {

// Each kernel counts '\n' in [p, end) and ORs into *nul whether the range
// holds a NUL byte, in one pass.

uint64_t CountScalar(const char* p, const char* end, bool* nul) {
  uint64_t n = 0;
  bool z = false;
  for (; p < end; ++p) {
    n += *p == '\n';
    z |= *p == '\0';
  }
  *nul = *nul || z;
  return n;
}

using CountFn = uint64_t (*)(const char*, const char*, bool*);

#if defined(__x86_64__)

// SSE2 (every x86-64 CPU): compare 16 bytes at a time and subtract the
// 0/-1 masks from byte counters, which psadbw sums every 255 blocks before
// they could overflow. No per-line call, no popcnt needed.
uint64_t CountSse2(const char* p, const char* end, bool* nul) {
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i zero = _mm_setzero_si128();
  __m128i zeros = _mm_setzero_si128();
  uint64_t n = 0;
  while (end - p >= 16) {
    const size_t blocks = std::min<size_t>(static_cast<size_t>(end - p) / 16, 255);
    __m128i acc = _mm_setzero_si128();
    for (size_t i = 0; i < blocks; ++i, p += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, newline));
      zeros = _mm_or_si128(zeros, _mm_cmpeq_epi8(v, zero));
    }
    const __m128i sums = _mm_sad_epu8(acc, zero);
    n += static_cast<uint64_t>(_mm_cvtsi128_si64(sums)) +
         static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
  *nul = *nul || _mm_movemask_epi8(zeros) != 0;
  return n + CountScalar(p, end, nul);
}

// The same with 32-byte AVX2 vectors, chosen at run time.
__attribute__((target("avx2"))) uint64_t CountAvx2(const char* p, const char* end, bool* nul) {
  const __m256i newline = _mm256_set1_epi8('\n');
  const __m256i zero = _mm256_setzero_si256();
  __m256i zeros = _mm256_setzero_si256();
  uint64_t n = 0;
  while (end - p >= 32) {
    const size_t blocks = std::min<size_t>(static_cast<size_t>(end - p) / 32, 255);
    __m256i acc = _mm256_setzero_si256();
    for (size_t i = 0; i < blocks; ++i, p += 32) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(v, newline));
      zeros = _mm256_or_si256(zeros, _mm256_cmpeq_epi8(v, zero));
    }
    const __m256i sums = _mm256_sad_epu8(acc, zero);
    n += static_cast<uint64_t>(_mm256_extract_epi64(sums, 0)) +
         static_cast<uint64_t>(_mm256_extract_epi64(sums, 1)) +
         static_cast<uint64_t>(_mm256_extract_epi64(sums, 2)) +
         static_cast<uint64_t>(_mm256_extract_epi64(sums, 3));
  }
  *nul = *nul || !_mm256_testz_si256(zeros, zeros);
  return n + CountSse2(p, end, nul);
}

CountFn PickCount() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? CountAvx2 : CountSse2;
}

#else

CountFn PickCount() { return CountScalar; }

#endif

const CountFn kCount = PickCount();

}  // namespace

uint64_t CountNewlines(std::string_view data, bool* has_nul) {
  bool nul = false;
  const uint64_t n = kCount(data.data(), data.data() + data.size(), &nul);
  if (has_nul != nullptr) *has_nul = nul;
  return n;
}

LineReader::LineReader(Source* src, const Options& options)
    : src_(src),
      options_(options),
      buf_(new char[options.chunk_size < 64 ? 64 : options.chunk_size]),
      source_offset_(options.first_offset),
      next_line_(options.first_line) {
  if (options_.chunk_size < 64) options_.chunk_size = 64;
}

LineReader::~LineReader() = default;

// Marks the bytes buf_[end_ - n, end_) just read: their newlines (per block
// of kLineMarkBytes), whether they hold a NUL, and the UTF-8 validity of the
// lines they complete. Done right after each read, while the bytes are in
// the cache.
void LineReader::Account(size_t n) {
  const size_t from = end_ - n;
  const char* buf = buf_.get();
  for (size_t pos = from; pos < end_;) {
    const size_t block = pos / kLineMarkBytes;
    const size_t stop = std::min(end_, (block + 1) * kLineMarkBytes);
    if (block_lines_.size() <= block) block_lines_.resize(block + 1, 0);
    bool nul = false;
    block_lines_[block] += CountNewlines(std::string_view(buf + pos, stop - pos), &nul);
    has_nul_ = has_nul_ || nul;
    pos = stop;
  }
  // A newline never falls inside a UTF-8 sequence, so validating up to the
  // last one validates whole lines.
  const void* nl = memrchr(buf + from, '\n', n);
  if (nl != nullptr) {
    const size_t to = static_cast<size_t>(static_cast<const char*>(nl) - buf) + 1;
    utf8_ok_ = utf8_ok_ && IsValidUtf8(std::string_view(buf + lines_end_, to - lines_end_));
    lines_end_ = to;
  }
}

Result<Chunk> LineReader::Next() {
  const size_t cap = options_.chunk_size;
  for (;;) {
    // Compact, then fill.
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    block_lines_.assign(block_lines_.size(), 0);
    has_nul_ = false;
    utf8_ok_ = true;
    lines_end_ = 0;
    if (end_ > 0) Account(end_);
    // Set when a source that may grow has nothing more for now.
    bool waiting = false, settled = false;
    while (!eof_ && end_ < cap) {
      Result<size_t> r = src_->Read(buf_.get() + end_, std::min(cap - end_, kReadSize));
      if (!r.ok()) {
        // Hand out the complete lines already read; the error comes next.
        pending_error_ = r.status();
        eof_ = true;
        break;
      }
      if (*r == 0) {
        // One virtual call per empty read, none per line.
        const Drained d = src_->drained();
        eof_ = d == Drained::kEnd;
        waiting = !eof_;
        settled = d == Drained::kSettled;
        break;
      }
      end_ += *r;
      source_offset_ += *r;
      Account(*r);
    }
    if (!pending_error_.ok() && end_ == 0) return pending_error_;
    const uint64_t chunk_offset = source_offset_ - end_;

    if (skipping_) {
      const void* nl = std::memchr(buf_.get(), '\n', end_);
      if (nl == nullptr) {
        end_ = 0;  // Still inside the capped line: drop it all.
        if (eof_ || waiting) {
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

    // Up to the last newline: lines_end_, which Account found.
    const size_t last = lines_end_;
    Chunk chunk;
    chunk.offset = chunk_offset;
    chunk.first_line = next_line_;
    if (last == 0) {
      if (waiting && !settled) {
        // A partial line: wait for its newline.
        return Chunk{{}, chunk_offset, next_line_, 0, nullptr, chunk_offset, next_line_};
      }
      if (eof_ || settled) {
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
      // The bytes after the last newline hold none, so the blocks' counts
      // are the chunk's.
      const size_t marks = (last + kLineMarkBytes - 1) / kLineMarkBytes;
      if (line_marks_.size() < marks) line_marks_.resize(marks);
      uint64_t lines = 0;
      for (size_t m = 0; m < marks; ++m) {
        line_marks_[m] = static_cast<uint32_t>(lines);
        lines += block_lines_[m];
      }
      chunk.lines = lines;
      chunk.line_marks = line_marks_.data();
      // A NUL after the last newline makes this false too: the caller then
      // checks the chunk itself, which is only slower.
      chunk.clean = utf8_ok_ && !has_nul_;
    }
    next_line_ += chunk.lines;
    chunk.next_line = next_line_;
    chunk.next_offset = chunk.offset + chunk.data.size();
    ETIOLOG_DCHECK(chunk.offset >= last_handed_out_, "chunk offsets only grow");
    last_handed_out_ = chunk.next_offset;
    chunk.source_bytes = chunk.data.size();
    chunk.source_lines = chunk.lines;
    return chunk;
  }
}

}  // namespace etiolog::ingest
