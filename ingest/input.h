// SPDX-License-Identifier: Apache-2.0
//
// Input: one thing the user named (a file, or standard input as "-"),
// opened and looked into. What it holds is decided by content, never by
// name:
//   plain text                     one log stream, the input itself
//   gzip, zstd, bzip2, xz, lz4     one log stream, decompressed
//   tar or zip (maybe compressed)  one log stream per regular member, named
//                                  "<input>:<member path>"
// A stream that is itself compressed or an archive (a rotated
// "scheduler.log.1.gz" inside a support tarball) is opened the same way, up
// to kMaxDepth levels. Decompression is libarchive's; nothing here decodes a
// compressed format by hand.
//
// Archives are read sequentially, so their streams come one at a time: a
// stream returned by Next() may be read until the following Next() call;
// after it, reading it fails with an IoError (it is never undefined
// behaviour).
//
// Errors name the input and, for a damaged archive, the member; the bytes
// before the damage are delivered first, except for the block libarchive
// was decompressing when it found the damage (at most 64 KiB).
//
// Thread safety: one thread at a time per Input. Distinct Inputs are
// independent.

#ifndef ETIOLOG_INGEST_INPUT_H_
#define ETIOLOG_INGEST_INPUT_H_

#include <memory>
#include <string>
#include <string_view>

#include "ingest/source.h"
#include "ingest/status.h"

namespace etiolog::ingest {

// What the first bytes of a stream say it is.
enum class Container {
  kPlain = 0,   // Not recognised as compressed or archived: read as text.
  kCompressed,  // gzip, zstd, bzip2, xz or lz4 magic.
  kArchive,     // tar ("ustar" at byte 257), zip, 7z or cpio magic.
};

// Classifies a stream by its first bytes (give at least 512 when available).
Container SniffContainer(std::string_view head);

class Input {
 public:
  static constexpr int kMaxDepth = 3;

  // Opens path, or standard input for "-". Returns NotFound or IoError
  // (naming path) if it cannot be opened.
  static Result<std::unique_ptr<Input>> Open(const std::string& path);

  // An input over an already open source; takes ownership. depth counts
  // the archive levels around it (0 for a top-level input).
  static std::unique_ptr<Input> FromSource(std::unique_ptr<Source> src, int depth = 0);

  // Owns decompression state shared with the streams it handed out.
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  virtual ~Input();

  // Returns the next log stream, or nullptr when there are no more. Returns
  // IoError if the archive structure is damaged (a truncated tar header);
  // after an error the input has no more streams. Streams whose content is
  // damaged (a truncated gzip member) are still returned: their Read()
  // reports the damage after the good bytes.
  virtual Result<std::unique_ptr<Source>> Next() = 0;

  // The display name of the input as a whole.
  virtual const std::string& name() const = 0;

 protected:
  Input() = default;
};

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_INPUT_H_
