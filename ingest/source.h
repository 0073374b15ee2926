// SPDX-License-Identifier: Apache-2.0
//
// Source: where log bytes come from. A source reads sequentially and reports
// nothing but bytes; framing into lines is LineReader's job.
//
// Every source has a display name, used in evidence and error messages: the
// file path as the user gave it, "-" for standard input, and
// "<archive>:<member>" for a member of a tar or zip file (ingest/input.h).
//
// Most sources end: a Read() that returns 0 means end of input. A followed
// file (ingest/follow.h) may grow; its Read() returns 0 when it has nothing
// more *for now*, and drained() tells readers which of the two it was.
//
// Thread safety: a Source is used by one thread at a time.

#ifndef ETIOLOG_INGEST_SOURCE_H_
#define ETIOLOG_INGEST_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ingest/status.h"

namespace etiolog::ingest {

// What a Read() that returned 0 meant.
enum class Drained {
  kEnd,      // End of input. Every source but a followed file.
  kMore,     // Nothing more for now; more may come. A reader hands out the
             // complete lines it holds, keeps a partial last line, and calls
             // Read() again later.
  kSettled,  // As kMore, but what was read so far is complete: a last line
             // still lacking its newline is handed out as a line (the file
             // has been idle for long), and what follows starts a new one.
};

class Source {
 public:
  Source() = default;
  // A source owns an OS resource (a file descriptor) or a cursor; copying
  // would share or duplicate it silently.
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;
  virtual ~Source() = default;

  // Reads up to n bytes into buf[0, n). Returns the number of bytes read;
  // 0 means end of input, or, for a source that may grow, nothing for now
  // (drained() says which). Returns IoError (naming the source) if the
  // operating system refuses the read.
  // REQUIRES: buf has room for n bytes.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;

  // The display name. Stable for the life of the source.
  virtual const std::string& name() const = 0;

  // Last modification time (seconds since the epoch), or 0 if unknown.
  // Used to guess the year of log times printed without one (journald).
  virtual int64_t mtime() const { return 0; }

  // What the last Read() that returned 0 meant. Meaningful only right after
  // such a Read(). Default: kEnd.
  virtual Drained drained() const { return Drained::kEnd; }
};

// Opens the file at path for reading. Returns NotFound if it does not exist
// and IoError if it cannot be opened (permission, a directory, ...); the
// message names the path.
Result<std::unique_ptr<Source>> OpenFileSource(const std::string& path);

// Standard input (file descriptor 0), named "-". Not closed on destruction.
std::unique_ptr<Source> NewStdinSource();

// A source over bytes held in memory, for tests and for embedded inputs.
std::unique_ptr<Source> NewMemorySource(std::string name, std::string data, int64_t mtime = 0);

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_SOURCE_H_
