// SPDX-License-Identifier: Apache-2.0
//
// Micro-benchmarks of ingest: the whole ingest layer on a file
// (BM_IngestFile), framing (LineReader, the unwrapping reader), the
// bad-byte check, newline counting, and decoding every line (the worst case
// the lazy design avoids).
// Run: ingest_bench --corpus=FILE (see bench_corpus.h).

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ingest/decoder.h"
#include "ingest/framing.h"
#include "ingest/input.h"
#include "ingest/line_reader.h"
#include "ingest/record.h"
#include "ingest/source.h"
#include "ingest/text.h"
#include "tests/bench/bench_corpus.h"
#include <benchmark/benchmark.h>

namespace etiolog::bench {
namespace {

// A Source over the corpus in place: the memory source of ingest copies its
// data, which would charge a 64 MiB copy to every iteration.
class ViewSource final : public ingest::Source {
 public:
  explicit ViewSource(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  std::string name_ = "corpus";
};

void SetRates(benchmark::State& state, uint64_t lines) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Corpus().size()));
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(lines) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

// What the pipeline does to every line of a file before the literal scan:
// open it (content sniffing: plain, compressed or archive), read() it in
// chunks of whole lines, unwrap container formats, check for NUL and
// invalid UTF-8, and count lines. Reads the whole corpus file (from the
// page cache once warm), not the in-memory copy. Issue 3's "decoding every
// line" compares this, the work etiolog does on every line, with `rg -c`
// on one literal and with `cat` (see BENCHMARKS.md).
void BM_IngestFile(benchmark::State& state) {
  uint64_t lines = 0, bytes = 0, bad = 0;
  for (auto _ : state) {
    lines = bytes = 0;
    Result<std::unique_ptr<ingest::Input>> input = ingest::Input::Open(CorpusPath());
    if (!input.ok()) {
      state.SkipWithError(input.status().message().c_str());
      return;
    }
    for (;;) {
      Result<std::unique_ptr<ingest::Source>> src = (*input)->Next();
      if (!src.ok() || *src == nullptr) break;
      std::unique_ptr<ingest::ChunkReader> reader =
          ingest::NewFramingReader(src->get(), ingest::LineReader::Options());
      for (;;) {
        Result<ingest::Chunk> c = reader->Next();
        if (!c.ok() || c->data.empty()) break;
        if (!c->clean) bad += ingest::CheckChunk(c->data).lines();
        lines += c->source_lines;
        bytes += c->source_bytes;
      }
    }
    benchmark::DoNotOptimize(bad);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(lines) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IngestFile)->Unit(benchmark::kMillisecond);

// LineReader over the corpus: read() copies into its buffer plus framing.
void BM_LineReader(benchmark::State& state) {
  uint64_t lines = 0;
  for (auto _ : state) {
    ViewSource src(Corpus());
    ingest::LineReader reader(&src);
    lines = 0;
    for (;;) {
      Result<ingest::Chunk> c = reader.Next();
      if (!c.ok() || c->data.empty()) break;
      lines += c->lines;
    }
    benchmark::DoNotOptimize(lines);
  }
  SetRates(state, lines);
}
BENCHMARK(BM_LineReader)->Unit(benchmark::kMillisecond);

// The reader the pipeline uses: LineReader plus format unwrapping (Docker
// json-file, CRI, journald JSON), which passes plain lines through.
void BM_FramingReader(benchmark::State& state) {
  uint64_t lines = 0;
  for (auto _ : state) {
    ViewSource src(Corpus());
    std::unique_ptr<ingest::ChunkReader> reader =
        ingest::NewFramingReader(&src, ingest::LineReader::Options());
    lines = 0;
    for (;;) {
      Result<ingest::Chunk> c = reader->Next();
      if (!c.ok() || c->data.empty()) break;
      lines += c->lines;
    }
    benchmark::DoNotOptimize(lines);
  }
  SetRates(state, lines);
}
BENCHMARK(BM_FramingReader)->Unit(benchmark::kMillisecond);

// The per-chunk check for NUL bytes and invalid UTF-8.
void BM_CheckChunk(benchmark::State& state) {
  const std::vector<ingest::Chunk> chunks = CorpusChunks();
  uint64_t lines = 0, bad = 0;
  for (auto _ : state) {
    for (const ingest::Chunk& c : chunks) bad += ingest::CheckChunk(c.data).lines();
    benchmark::DoNotOptimize(bad);
  }
  for (const ingest::Chunk& c : chunks) lines += c.lines;
  SetRates(state, lines);
}
BENCHMARK(BM_CheckChunk)->Unit(benchmark::kMillisecond);

void BM_CountNewlines(benchmark::State& state) {
  uint64_t lines = 0;
  for (auto _ : state) {
    lines = ingest::CountNewlines(Corpus());
    benchmark::DoNotOptimize(lines);
  }
  SetRates(state, lines);
}
BENCHMARK(BM_CountNewlines)->Unit(benchmark::kMillisecond);

// Decodes every line with DecodeLine (no context).
void BM_DecodeEveryLine(benchmark::State& state) {
  const std::string_view all = Corpus();
  ingest::DecoderOptions options;
  LogRecord record;
  uint64_t lines = 0;
  for (auto _ : state) {
    lines = 0;
    size_t pos = 0;
    while (pos < all.size()) {
      size_t nl = all.find('\n', pos);
      if (nl == std::string_view::npos) nl = all.size();
      ingest::DecodeLine(all.substr(pos, nl - pos), options, &record);
      benchmark::DoNotOptimize(record.time_us);
      ++lines;
      pos = nl + 1;
    }
  }
  SetRates(state, lines);
}
BENCHMARK(BM_DecodeEveryLine)->Unit(benchmark::kMillisecond);

// The decoder in context, as the pipeline drives it: every chunk ends with
// EndChunk (which peels its last lines), and one line in kEvery is decoded as
// a candidate (record and time searches walk back over the lines before it,
// peeling and classifying each). This is where per-line work in Peel and
// Classify shows.
void BM_DecodeCandidatesInContext(benchmark::State& state) {
  constexpr uint64_t kEvery = 64;
  const std::vector<ingest::Chunk> chunks = CorpusChunks();
  ingest::DecoderOptions options;
  LogRecord record;
  uint64_t lines = 0;
  for (auto _ : state) {
    ingest::Decoder decoder("corpus", options);
    for (const ingest::Chunk& c : chunks) {
      size_t pos = 0;
      for (uint64_t k = 0; k < c.lines; ++k) {
        size_t nl = c.data.find('\n', pos);
        if (nl == std::string_view::npos) nl = c.data.size();
        if (k % kEvery == kEvery - 1) {
          decoder.Decode(c, pos, nl, k, &record);
          benchmark::DoNotOptimize(record.time_us);
        }
        pos = nl + 1;
      }
      decoder.EndChunk(c);
    }
  }
  for (const ingest::Chunk& c : chunks) lines += c.lines;
  SetRates(state, lines);
}
BENCHMARK(BM_DecodeCandidatesInContext)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace etiolog::bench

int main(int argc, char** argv) { return etiolog::bench::RunCorpusBenchmarks(argc, argv); }
