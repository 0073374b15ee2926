// SPDX-License-Identifier: Apache-2.0
//
// poll(2) with a zero timeout before each read(2): a read that follows a
// POLLIN never blocks (it returns what is there, or 0 at end of input), so
// the descriptor keeps its blocking mode, which it shares with whatever
// else holds it (a shell's terminal).

#include "ingest/live_pipe.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <poll.h>
#include <unistd.h>

namespace etiolog::ingest {

LivePipe::LivePipe(int fd, std::string name, int64_t settle_ms, uint64_t bytes_per_refill,
                   Clock clock)
    : fd_(fd),
      name_(std::move(name)),
      settle_ms_(settle_ms),
      bytes_per_refill_(bytes_per_refill),
      clock_(std::move(clock)),
      budget_(bytes_per_refill),
      last_data_ms_(clock_()) {}

Result<size_t> LivePipe::Read(char* buf, size_t n) {
  if (ended_) {
    drained_ = Drained::kEnd;
    return size_t{0};
  }
  n = static_cast<size_t>(std::min<uint64_t>(n, budget_));
  struct pollfd p {};
  p.fd = fd_;
  p.events = POLLIN;
  int ready = 0;
  if (n > 0) {
    do {
      ready = ::poll(&p, 1, 0);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) return Status::IoError(name_ + ": " + std::strerror(errno));
  }
  if (ready > 0 && (p.revents & POLLNVAL) != 0) {
    return Status::IoError(name_ + ": not open (bad file descriptor)");
  }
  // POLLHUP without POLLIN: the writer closed and nothing is left; read()
  // then returns 0.
  if (ready > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
    for (;;) {
      const ssize_t r = ::read(fd_, buf, n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (r < 0) return Status::IoError(name_ + ": " + std::strerror(errno));
      if (r == 0) {
        ended_ = true;
        drained_ = Drained::kEnd;
        return size_t{0};
      }
      const size_t k = static_cast<size_t>(r);
      budget_ -= k;
      last_byte_ = buf[k - 1];
      last_data_ms_ = clock_();
      settled_ = false;
      return k;
    }
  }
  drained_ = Drained::kMore;
  if (settle_ms_ > 0 && unsettled() && clock_() - last_data_ms_ >= settle_ms_) {
    settled_ = true;
    drained_ = Drained::kSettled;
  }
  return size_t{0};
}

}  // namespace etiolog::ingest
