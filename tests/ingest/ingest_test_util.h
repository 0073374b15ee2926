// SPDX-License-Identifier: Apache-2.0
//
// Test helper for the ingest tests: reads an input through the whole ingest
// chain (Input, framing, chunks, Decoder) decoding every line, as if every
// line were a candidate, so tests can check what any line decodes to.

#ifndef ETIOLOG_TESTS_INGEST_INGEST_TEST_UTIL_H_
#define ETIOLOG_TESTS_INGEST_INGEST_TEST_UTIL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ingest/decoder.h"
#include "ingest/framing.h"
#include "ingest/input.h"
#include "ingest/line_reader.h"
#include "ingest/record.h"

namespace etiolog::ingest {

struct DecodedSource {
  std::string name;
  std::map<uint64_t, LogRecord> lines;  // By source line number.
  std::vector<std::string> errors;
};

// Decodes every line of every stream of input (already opened).
inline std::vector<DecodedSource> DecodeAllOf(Input* input, const DecoderOptions& options = {},
                                              size_t chunk_size = size_t{4} << 20,
                                              const ProcessIdentity& labels = {}) {
  std::vector<DecodedSource> out;
  for (;;) {
    Result<std::unique_ptr<Source>> src = input->Next();
    if (!src.ok()) {
      if (out.empty()) out.emplace_back();
      out.back().errors.push_back(src.status().message());
      break;
    }
    if (*src == nullptr) break;
    DecodedSource ds;
    ds.name = (*src)->name();
    LineReader::Options ro;
    ro.chunk_size = chunk_size;
    std::unique_ptr<ChunkReader> reader = NewFramingReader(src->get(), ro);
    Decoder decoder(SourceContext{ds.name, labels, (*src)->mtime()}, options);
    for (;;) {
      Result<Chunk> c = reader->Next();
      if (!c.ok()) {
        ds.errors.push_back(c.status().message());
        break;
      }
      if (c->data.empty()) break;
      ForEachLine(c->data, [&](uint64_t k, size_t begin, size_t end) {
        LogRecord r;
        decoder.Decode(*c, begin, end, k, &r);
        ds.lines[r.line] = r;
      });
      decoder.EndChunk(*c);
    }
    out.push_back(std::move(ds));
  }
  return out;
}

inline std::vector<DecodedSource> DecodeAllOfPath(const std::string& path,
                                                  const DecoderOptions& options = {},
                                                  size_t chunk_size = size_t{4} << 20,
                                                  const ProcessIdentity& labels = {}) {
  Result<std::unique_ptr<Input>> in = Input::Open(path);
  if (!in.ok()) {
    DecodedSource ds;
    ds.name = path;
    ds.errors.push_back(in.status().message());
    return {ds};
  }
  return DecodeAllOf(in->get(), options, chunk_size, labels);
}

}  // namespace etiolog::ingest

#endif  // ETIOLOG_TESTS_INGEST_INGEST_TEST_UTIL_H_
