// SPDX-License-Identifier: Apache-2.0
//
// Micro-benchmarks of the matching hot path with the built-in packs, on
// 4 MiB chunks of realistic lines (as LineReader hands them out):
//   BM_MatcherScan        the literal prefilter over whole chunks (bytes/s);
//   BM_DecodeCandidate    Decoder::Decode per candidate line (items/s);
//   BM_MatchCandidate     Decode + Matcher::MatchRecord per candidate;
//   BM_ScanDecodeMatch    all three per chunk: ingest minus the store.
// Run: rules_bench --corpus=FILE [--pack=PACK.yaml] (see bench_corpus.h);
// with --pack, that pack replaces the built-in ones.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/decoder.h"
#include "ingest/record.h"
#include "rules/matcher.h"
#include "rules/pack.h"
#include "tests/bench/bench_corpus.h"
#include <benchmark/benchmark.h>

namespace etiolog::bench {
namespace {

// --pack=FILE benchmarks that pack instead of the built-in ones.
std::string& PackFile() {
  static std::string file;
  return file;
}

const rules::Matcher* TheMatcher() {
  static std::unique_ptr<rules::Matcher> matcher = [] {
    rules::LoadOptions options;
    options.default_dirs = false;  // Only what is benchmarked, not the user's packs.
    if (!PackFile().empty()) {
      // The pack alone, as `analyze --no-builtin-rules --rules PACK` loads it.
      options.builtin = false;
      options.paths.push_back(PackFile());
    }
    Result<rules::PackSet> packs = rules::LoadPacks(options);
    if (!packs.ok()) {
      std::fprintf(stderr, "built-in packs: %s\n", packs.status().message().c_str());
      std::abort();
    }
    Result<std::unique_ptr<rules::Matcher>> m =
        rules::Matcher::Create(std::move(packs->rules), packs->redactions);
    if (!m.ok()) {
      std::fprintf(stderr, "matcher: %s\n", m.status().message().c_str());
      std::abort();
    }
    return std::move(*m);
  }();
  return matcher.get();
}

const std::vector<ingest::Chunk>& Chunks() {
  static const std::vector<ingest::Chunk> chunks = CorpusChunks();
  return chunks;
}

struct Candidate {
  size_t chunk;
  size_t begin, end;
  uint64_t index;  // 0-based line index in the chunk.
  std::vector<int> atoms;
};

const std::vector<Candidate>& Candidates() {
  static const std::vector<Candidate> candidates = [] {
    std::vector<Candidate> out;
    auto scratch = TheMatcher()->NewScratch();
    const auto& chunks = Chunks();
    for (size_t i = 0; i < chunks.size(); ++i) {
      const ingest::Chunk& c = chunks[i];
      size_t counted_to = 0;
      uint64_t index = 0;
      Status st = TheMatcher()->Scan(
          c.data, scratch.get(), [&](size_t b, size_t e, const std::vector<int>& atoms) {
            index += ingest::CountNewlines(c.data.substr(counted_to, b - counted_to));
            counted_to = b;
            out.push_back({i, b, e, index, atoms});
          });
      if (!st.ok()) std::abort();
    }
    return out;
  }();
  return candidates;
}

void BM_MatcherScan(benchmark::State& state) {
  const rules::Matcher* m = TheMatcher();
  auto scratch = m->NewScratch();
  uint64_t candidates = 0;
  for (auto _ : state) {
    candidates = 0;
    for (const ingest::Chunk& c : Chunks()) {
      Status st = m->Scan(c.data, scratch.get(),
                          [&](size_t, size_t, const std::vector<int>&) { ++candidates; });
      if (!st.ok()) state.SkipWithError(st.message().c_str());
    }
    benchmark::DoNotOptimize(candidates);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Corpus().size()));
  state.counters["candidates"] = static_cast<double>(candidates);
  state.counters["atoms"] = static_cast<double>(m->atoms().size());
}
BENCHMARK(BM_MatcherScan)->Unit(benchmark::kMillisecond);

// Walks the candidates in order as the pipeline does: Decode for each, and
// EndChunk for every chunk passed (the decoder carries state across them).
class CandidateWalker {
 public:
  CandidateWalker() { Reset(); }
  // Decodes the next candidate into *record and returns it.
  const Candidate& Next(LogRecord* record) {
    const auto& cands = Candidates();
    const Candidate& c = cands[i_];
    for (; chunk_ < c.chunk; ++chunk_) decoder_->EndChunk(Chunks()[chunk_]);
    decoder_->Decode(Chunks()[c.chunk], c.begin, c.end, c.index, record);
    if (++i_ == cands.size()) Reset();  // Start over with a fresh decoder.
    return c;
  }

 private:
  void Reset() {
    decoder_ = std::make_unique<ingest::Decoder>("corpus", ingest::DecoderOptions());
    i_ = 0;
    chunk_ = 0;
  }
  std::unique_ptr<ingest::Decoder> decoder_;
  size_t i_ = 0, chunk_ = 0;
};

void BM_DecodeCandidate(benchmark::State& state) {
  const auto& cands = Candidates();
  if (cands.empty()) {
    state.SkipWithError("no candidate lines in the corpus");
    return;
  }
  CandidateWalker walker;
  LogRecord record;
  for (auto _ : state) {
    walker.Next(&record);
    benchmark::DoNotOptimize(record.time_us);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["candidates"] = static_cast<double>(cands.size());
}
BENCHMARK(BM_DecodeCandidate);

void BM_MatchCandidate(benchmark::State& state) {
  const auto& cands = Candidates();
  if (cands.empty()) {
    state.SkipWithError("no candidate lines in the corpus");
    return;
  }
  const rules::Matcher* m = TheMatcher();
  CandidateWalker walker;
  LogRecord record;
  std::vector<rules::Match> matches;
  size_t matched = 0;
  for (auto _ : state) {
    const Candidate& c = walker.Next(&record);
    matches.clear();
    m->MatchRecord(record, c.atoms, &matches);
    matched += matches.size();
  }
  benchmark::DoNotOptimize(matched);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MatchCandidate);

void BM_ScanDecodeMatch(benchmark::State& state) {
  const rules::Matcher* m = TheMatcher();
  auto scratch = m->NewScratch();
  uint64_t events = 0;
  for (auto _ : state) {
    ingest::Decoder decoder("corpus", ingest::DecoderOptions());
    LogRecord record;
    std::vector<rules::Match> matches;
    events = 0;
    for (const ingest::Chunk& c : Chunks()) {
      size_t counted_to = 0;
      uint64_t index = 0;
      Status st =
          m->Scan(c.data, scratch.get(), [&](size_t b, size_t e, const std::vector<int>& a) {
            index += ingest::CountNewlines(c.data.substr(counted_to, b - counted_to));
            counted_to = b;
            decoder.Decode(c, b, e, index, &record);
            matches.clear();
            m->MatchRecord(record, a, &matches);
            events += matches.size();
          });
      if (!st.ok()) state.SkipWithError(st.message().c_str());
      decoder.EndChunk(c);
    }
    benchmark::DoNotOptimize(events);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Corpus().size()));
  state.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_ScanDecodeMatch)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace etiolog::bench

int main(int argc, char** argv) {
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.rfind("--pack=", 0) == 0) {
      etiolog::bench::PackFile() = std::string(a.substr(7));
    } else {
      argv[out++] = argv[i];
    }
  }
  return etiolog::bench::RunCorpusBenchmarks(out, argv);
}
