// SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the ingest chain on arbitrary bytes: framing (Docker, CRI,
// journald unwrapping), chunking with a small chunk size (so records and
// times are carried across chunks), record framing and every line decoder.
// Invariants: every decoded line is located inside the input (line number
// and byte offset), a record start is its own record line, decoded text is
// valid UTF-8 without NUL, a time lies within the years a timestamp can
// print (0000-9999, give or take the year and the zone offset a partial
// wrapper time is completed with: no overflow), and decoding a line alone
// twice gives the same result.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/decoder.h"
#include "ingest/framing.h"
#include "ingest/line_reader.h"
#include "ingest/source.h"
#include "ingest/text.h"
#include "ingest/timestamp.h"

using etiolog::LogRecord;
using etiolog::TimeQuality;
namespace ingest = etiolog::ingest;

namespace {

bool TimeInRange(const LogRecord& r) {
  static const int64_t kMin = etiolog::DaysFromCivil(-2, 1, 1) * 86400 * 1000000;
  static const int64_t kMax = etiolog::DaysFromCivil(10001, 1, 1) * 86400 * 1000000;
  return r.time_quality == TimeQuality::kNone || (r.time_us >= kMin && r.time_us <= kMax);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the chunk size: 64 bytes to 16 KiB.
  const size_t chunk_size = size_t{64} << (data[0] % 9);
  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const uint64_t total_lines = ingest::CountNewlines(input) + 1;

  auto src =
      ingest::NewMemorySource("/var/log/pods/ns_pod-0_uid/scheduler/0.log", input, 1760000000);
  ingest::LineReader::Options ro;
  ro.chunk_size = chunk_size;
  std::unique_ptr<ingest::ChunkReader> reader = ingest::NewFramingReader(src.get(), ro);
  ingest::DecoderOptions options;
  options.lookback_lines = 16;
  ingest::SourceContext context;
  context.name = src->name();
  context.mtime = src->mtime();
  ingest::Decoder decoder(context, options);
  for (;;) {
    etiolog::Result<ingest::Chunk> c = reader->Next();
    if (!c.ok() || c->data.empty()) break;
    std::string_view d = c->data;
    size_t pos = 0;
    for (uint64_t k = 0; pos < d.size() && k < c->lines; ++k) {
      size_t e = d.find('\n', pos);
      if (e == std::string_view::npos) e = d.size();
      LogRecord r;
      decoder.Decode(*c, pos, e, k, &r);
      if (r.line < 1 || r.line > total_lines) std::abort();
      if (r.offset > input.size()) std::abort();
      // A record start is its own record line. (A continuation's record
      // line may equal its own, when a wrapped entry held several lines,
      // or follow it, when a joined partial line completed late.)
      if (r.record_line == 0 || (!r.continuation && r.record_line != r.line)) std::abort();
      if (!ingest::IsCleanText(r.text) || !ingest::IsCleanText(r.message)) std::abort();
      if (r.time_quality == TimeQuality::kNone && r.time_us != 0) std::abort();
      if (!TimeInRange(r)) std::abort();

      LogRecord a, b;
      ingest::DecodeLine(d.substr(pos, e - pos), options, &a);
      ingest::DecodeLine(d.substr(pos, e - pos), options, &b);
      if (!TimeInRange(a)) std::abort();
      if (a.format != b.format || a.message != b.message || a.time_us != b.time_us ||
          a.level != b.level || a.logger != b.logger) {
        std::abort();
      }
      pos = e + 1;
    }
    decoder.EndChunk(*c);
  }
  return 0;
}
