// SPDX-License-Identifier: Apache-2.0
//
// LivePipe: a pipe, terminal or socket (standard input of `kubectl logs -f
// | etiolog tail -`) read as it fills, never blocking, as a Source that
// says "nothing more for now" (Drained::kMore) while the writer is quiet
// and "end of input" (Drained::kEnd) once it closed its end. Like a
// followed file (ingest/follow.h) it hands out a partial last line after
// the pipe was idle for settle_ms (Drained::kSettled), and it yields at most
// a budget of bytes per Refill(), so a fast writer cannot starve the
// caller's other work.
//
// Thread safety: one thread at a time.

#ifndef ETIOLOG_INGEST_LIVE_PIPE_H_
#define ETIOLOG_INGEST_LIVE_PIPE_H_

#include <cstdint>
#include <string>

#include "ingest/follow.h"
#include "ingest/source.h"

namespace etiolog::ingest {

class LivePipe final : public Source {
 public:
  // Reads descriptor fd (not owned, not closed, left in blocking mode:
  // readiness is asked with poll(2)). name is its display name ("-").
  LivePipe(int fd, std::string name, int64_t settle_ms, uint64_t bytes_per_refill,
           Clock clock = SteadyMillis);

  // Returns the bytes the pipe holds now, 0 with drained() kMore when it
  // holds none (or the budget is spent), kSettled once a partial last line
  // has been idle for settle_ms, and 0 with kEnd after the writer closed.
  // IoError (naming the source) if the read fails.
  Result<size_t> Read(char* buf, size_t n) override;
  const std::string& name() const override { return name_; }
  Drained drained() const override { return drained_; }

  // Allows bytes_per_refill more bytes to be read.
  void Refill() { budget_ = bytes_per_refill_; }
  // Whether the last Read() stopped at the budget rather than at an empty
  // pipe: Refill() and read again without waiting.
  bool spent() const { return budget_ == 0; }
  // Whether the writer closed its end and everything was read.
  bool ended() const { return ended_; }
  // Whether a partial last line waits to settle (poll for time, not data).
  bool unsettled() const { return !ended_ && last_byte_ != '\n' && !settled_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string name_;
  int64_t settle_ms_;
  uint64_t bytes_per_refill_;
  Clock clock_;
  uint64_t budget_;
  int64_t last_data_ms_;
  char last_byte_ = '\n';
  bool settled_ = false;
  bool ended_ = false;
  Drained drained_ = Drained::kMore;
};

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_LIVE_PIPE_H_
