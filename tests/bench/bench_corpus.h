// SPDX-License-Identifier: Apache-2.0
//
// Shared by the micro-benchmarks: the corpus they run on. A benchmark of a
// log scanner is only as honest as its input, so the corpus is a file
// written by scripts/gen-corpus (realistic multi-format Airflow lines), not
// lines made up here. It is named by --corpus=FILE or $ETIOLOG_BENCH_CORPUS
// and read whole into memory (at most --corpus_bytes, default 64 MiB, cut
// at a line boundary) before any benchmark runs.
//
// Thread safety: LoadCorpus runs once, in main, before the benchmarks.

#ifndef ETIOLOG_TESTS_BENCH_BENCH_CORPUS_H_
#define ETIOLOG_TESTS_BENCH_BENCH_CORPUS_H_

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/line_reader.h"
#include "ingest/text.h"
#include <benchmark/benchmark.h>

namespace etiolog::bench {

// The loaded corpus; empty until LoadCorpus succeeds.
inline std::string& Corpus() {
  static std::string corpus;
  return corpus;
}

// The file it was loaded from (all of it, not only the loaded part).
inline std::string& CorpusPath() {
  static std::string path;
  return path;
}

// Removes --corpus=FILE and --corpus_bytes=N from argv (Google Benchmark
// rejects flags it does not know) and loads the corpus. Returns false after
// printing why if there is none.
inline bool LoadCorpus(int* argc, char** argv) {
  std::string path;
  if (const char* env = std::getenv("ETIOLOG_BENCH_CORPUS")) path = env;
  size_t limit = size_t{64} << 20;
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string_view a = argv[i];
    if (a.rfind("--corpus=", 0) == 0) {
      path = std::string(a.substr(9));
    } else if (a.rfind("--corpus_bytes=", 0) == 0) {
      limit = std::strtoull(argv[i] + 15, nullptr, 10);
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  if (path.empty()) {
    std::fprintf(stderr,
                 "%s: no corpus. Generate one and pass it:\n"
                 "  scripts/gen-corpus --size 64M --out bench-out/micro\n"
                 "  %s --corpus=bench-out/micro/docker-compose.log\n"
                 "(or set ETIOLOG_BENCH_CORPUS; scripts/bench does all of this)\n",
                 argv[0], argv[0]);
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot open corpus %s: %s\n", argv[0], path.c_str(),
                 std::strerror(errno));
    return false;
  }
  CorpusPath() = path;
  std::string& c = Corpus();
  c.resize(limit);
  in.read(c.data(), static_cast<std::streamsize>(limit));
  c.resize(static_cast<size_t>(in.gcount()));
  if (c.size() == limit) {
    size_t nl = c.rfind('\n');
    c.resize(nl == std::string::npos ? 0 : nl + 1);
  }
  if (c.empty()) {
    std::fprintf(stderr, "%s: corpus %s is empty\n", argv[0], path.c_str());
    return false;
  }
  std::fprintf(stderr, "corpus: %s, %zu bytes\n", path.c_str(), c.size());
  return true;
}

// Cuts the corpus into chunks of whole lines of about chunk_size bytes, as
// LineReader would (same offsets and line numbers), without copying.
inline std::vector<ingest::Chunk> CorpusChunks(size_t chunk_size = size_t{4} << 20) {
  std::vector<ingest::Chunk> chunks;
  std::string_view all = Corpus();
  uint64_t line = 1;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = std::min(all.size(), pos + chunk_size);
    if (end < all.size()) {
      size_t nl = all.rfind('\n', end - 1);
      end = (nl == std::string_view::npos || nl < pos) ? end : nl + 1;
    }
    ingest::Chunk c;
    c.data = all.substr(pos, end - pos);
    c.offset = pos;
    c.first_line = line;
    c.lines = ingest::CountNewlines(c.data);
    line += c.lines;
    c.next_offset = end;
    c.next_line = line;
    c.source_bytes = c.data.size();
    c.source_lines = c.lines;
    c.clean = ingest::CheckChunk(c.data).lines() == 0;  // As the pipeline marks it.
    chunks.push_back(c);
    pos = end;
  }
  return chunks;
}

// The main of a corpus micro-benchmark: loads the corpus, then runs the
// benchmarks named on the command line. Returns the exit code: 2 for a
// corpus that cannot be loaded or an unknown argument.
inline int RunCorpusBenchmarks(int argc, char** argv) {
  if (!LoadCorpus(&argc, argv)) return 2;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace etiolog::bench

#endif  // ETIOLOG_TESTS_BENCH_BENCH_CORPUS_H_
