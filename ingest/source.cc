// SPDX-License-Identifier: Apache-2.0
#include "ingest/source.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace etiolog::ingest {

namespace {

std::string ErrnoMessage(const std::string& path, int err) {
  return path + ": " + std::strerror(err);
}

class FileSource final : public Source {
 public:
  FileSource(std::string name, int fd, bool owned, int64_t mtime)
      : name_(std::move(name)), fd_(fd), owned_(owned), mtime_(mtime) {}
  ~FileSource() override {
    if (owned_) ::close(fd_);
  }

  Result<size_t> Read(char* buf, size_t n) override {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno == EINTR) continue;
      return Status::IoError(ErrnoMessage(name_, errno));
    }
  }
  const std::string& name() const override { return name_; }
  int64_t mtime() const override { return mtime_; }

 private:
  std::string name_;
  int fd_;
  bool owned_;
  int64_t mtime_;
};

class MemorySource final : public Source {
 public:
  MemorySource(std::string name, std::string data, int64_t mtime)
      : name_(std::move(name)), data_(std::move(data)), mtime_(mtime) {}

  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  const std::string& name() const override { return name_; }
  int64_t mtime() const override { return mtime_; }

 private:
  std::string name_;
  std::string data_;
  size_t pos_ = 0;
  int64_t mtime_;
};

}  // namespace

Result<std::unique_ptr<Source>> OpenFileSource(const std::string& path) {
  // O_NONBLOCK so that a FIFO without a writer cannot hang the open; reads
  // are blocking again below (a pipe from `<(kubectl logs ...)` works).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(ErrnoMessage(path, err));
    if (err == ELOOP)
      return Status::IoError(path + ": symbolic link loop (" + std::strerror(err) + ")");
    return Status::IoError(ErrnoMessage(path, err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::IoError(ErrnoMessage(path, err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::IoError(path + ": is a directory");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<Source>(
      std::make_unique<FileSource>(path, fd, true, static_cast<int64_t>(st.st_mtime)));
}

std::unique_ptr<Source> NewStdinSource() { return std::make_unique<FileSource>("-", 0, false, 0); }

std::unique_ptr<Source> NewMemorySource(std::string name, std::string data, int64_t mtime) {
  return std::make_unique<MemorySource>(std::move(name), std::move(data), mtime);
}

}  // namespace etiolog::ingest
