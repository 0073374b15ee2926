// SPDX-License-Identifier: Apache-2.0
//
// Micro-benchmarks of ingest: framing (LineReader), newline counting, and
// decoding every line (the worst case the lazy design avoids; issue 3 asks
// for it at no less than half the speed of `rg -c` with a literal).
// Run: ingest_bench --corpus=FILE (see bench_corpus.h).

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "ingest/decoder.h"
#include "ingest/line_reader.h"
#include "ingest/record.h"
#include "ingest/source.h"
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

}  // namespace
}  // namespace etiolog::bench

int main(int argc, char** argv) {
  if (!etiolog::bench::LoadCorpus(&argc, argv)) return 2;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
