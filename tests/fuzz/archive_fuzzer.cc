// SPDX-License-Identifier: Apache-2.0
//
// Fuzzes archive and compression input: Input::FromSource sniffs the bytes
// (gzip, zstd, bzip2, xz, lz4, tar, zip, cpio, 7z, nested up to
// Input::kMaxDepth) and hands out one stream per member through libarchive.
// Every stream is read to its end in small reads. Invariants:
//  - no crash, hang or sanitizer report whatever the bytes;
//  - an error (damaged archive, truncated member) ends the input or the
//    stream with a message that names it, after the good bytes;
//  - streams are finite: their total size is bounded (a decompression bomb
//    is cut by the reader's own limits or by this harness's read budget).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "ingest/input.h"
#include "ingest/source.h"

namespace ingest = etiolog::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<ingest::Input> input =
      ingest::Input::FromSource(ingest::NewMemorySource("fuzz.bin", bytes, 1760000000));
  char buf[4096];
  size_t budget = size_t{64} << 20;  // Bytes read in all, for one input.
  for (int streams = 0; streams < 1000; ++streams) {
    etiolog::Result<std::unique_ptr<ingest::Source>> next = input->Next();
    if (!next.ok()) {
      if (next.status().message().empty()) std::abort();  // Errors say what failed.
      break;
    }
    if (*next == nullptr) break;
    ingest::Source& src = **next;
    if (src.name().rfind("fuzz.bin", 0) != 0) std::abort();  // Members are named in their input.
    for (;;) {
      etiolog::Result<size_t> n = src.Read(buf, sizeof buf);
      if (!n.ok()) {
        if (n.status().message().empty()) std::abort();
        break;
      }
      if (*n == 0) break;
      if (*n > sizeof buf) std::abort();
      if (*n >= budget) return 0;
      budget -= *n;
    }
  }
  return 0;
}
