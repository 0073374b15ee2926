// SPDX-License-Identifier: Apache-2.0
//
// Fuzzes framing: the readers that unwrap Docker json-file, Kubernetes CRI
// (joining partial P lines) and `journalctl -o json` sources, chunk by
// chunk, with a chunk size picked by the input. Invariants:
//  - every chunk holds whole lines: `lines` counts them, every line but the
//    last ends in '\n' (the last may lack it only at the end or when capped);
//  - every line is located inside the source: its line number and byte
//    offset never exceed the source's (they may go backwards: a joined
//    line is handed out when its last piece arrives, after lines of the
//    other stream that began later);
//  - the source is consumed exactly once: no chunk starts before the
//    previous one ended, and the chunks' source bytes add up to the input
//    size (less the rest of capped lines, which is skipped);
//  - unwrapped text has no line longer than the cap plus the head framing
//    writes before it (time, stream, host, identifier: at most 512 bytes).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "ingest/framing.h"
#include "ingest/line_reader.h"
#include "ingest/source.h"
#include "ingest/text.h"

namespace ingest = etiolog::ingest;

namespace {

[[noreturn]] void Fail(const char* what, uint64_t a, uint64_t b) {
  std::fprintf(stderr, "framing_fuzzer: %s (%llu, %llu)\n", what,
               static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the chunk size (the line cap): 64 bytes to 16 KiB.
  const size_t chunk_size = size_t{64} << (data[0] % 9);
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const uint64_t total_lines = ingest::CountNewlines(input) + 1;
  auto src = ingest::NewMemorySource("/var/log/containers/x.log", input, 1760000000);
  ingest::LineReader::Options ro;
  ro.chunk_size = chunk_size;
  std::unique_ptr<ingest::ChunkReader> reader = ingest::NewFramingReader(src.get(), ro);
  uint64_t consumed = 0, expect_offset = 0;
  bool capped = false;
  for (int guard = 0;; ++guard) {
    if (guard > 1 << 20) Fail("reader does not end", consumed, input.size());
    etiolog::Result<ingest::Chunk> c = reader->Next();
    if (!c.ok()) break;
    if (c->data.empty()) break;
    const std::string_view d = c->data;
    // A capped line's rest is skipped, so a chunk may start after the last
    // one's end, never before it.
    if (c->offset < expect_offset && c->origins == nullptr) {
      Fail("chunk starts before the last ended", c->offset, expect_offset);
    }
    const uint64_t newlines = ingest::CountNewlines(d);
    const bool ends_nl = d.back() == '\n';
    if (c->lines != newlines + (ends_nl ? 0 : 1)) Fail("line count", c->lines, newlines);
    size_t pos = 0;
    for (uint64_t k = 0; k < c->lines; ++k) {
      size_t e = d.find('\n', pos);
      if (e == std::string_view::npos) e = d.size();
      if (!c->capped && e - pos > chunk_size + 512) Fail("line over the cap", e - pos, chunk_size);
      const uint64_t line = c->LineNumber(k);
      const uint64_t offset = c->LineOffset(k, pos);
      if (line < 1 || line > total_lines) Fail("line number outside the source", line, total_lines);
      if (offset > input.size()) Fail("offset outside the source", offset, input.size());
      pos = e + 1;
    }
    consumed += c->source_bytes;
    capped = capped || c->capped;
    expect_offset = c->next_offset;
    if (consumed > input.size()) Fail("consumed more than the source", consumed, input.size());
  }
  if (capped ? consumed > input.size() : consumed != input.size()) {
    Fail("source not consumed exactly once", consumed, input.size());
  }
  return 0;
}
