// SPDX-License-Identifier: Apache-2.0
//
// A top-level input is wrapped in a PeekSource that keeps its first bytes so
// that SniffContainer can look at them and the stream is still read from its
// start. Plain text is handed out as is. Anything else goes to libarchive,
// reading through callbacks from the (peeked) source, with every filter and
// the tar, zip, cpio and raw formats enabled; "raw" is how libarchive
// presents a compressed file that is not an archive, as one entry.
//
// Each archive member is again peeked and sniffed: a compressed or archived
// member becomes a nested Input whose streams are returned before the next
// member of the outer archive. Member streams share the archive state; a
// generation counter makes a stale stream fail cleanly instead of reading
// another member's bytes.

#include "ingest/input.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

namespace etiolog::ingest {

namespace {

bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

// Replays the first bytes it was asked to peek, then reads on.
class PeekSource final : public Source {
 public:
  explicit PeekSource(std::unique_ptr<Source> src) : src_(std::move(src)) {}

  // Reads until n bytes are buffered or the source ends. A read error is
  // kept and reported by the Read() that reaches it.
  std::string_view Peek(size_t n) {
    while (head_.size() < n && !eof_ && error_.ok()) {
      char buf[4096];
      Result<size_t> r = src_->Read(buf, std::min(sizeof buf, n - head_.size()));
      if (!r.ok()) {
        error_ = r.status();
      } else if (*r == 0) {
        eof_ = true;
      } else {
        head_.append(buf, *r);
      }
    }
    return head_;
  }

  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ < head_.size()) {
      size_t k = std::min(n, head_.size() - pos_);
      std::memcpy(buf, head_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    if (!error_.ok()) return error_;
    if (eof_) return size_t{0};
    return src_->Read(buf, n);
  }
  const std::string& name() const override { return src_->name(); }
  int64_t mtime() const override { return src_->mtime(); }

 private:
  std::unique_ptr<Source> src_;
  std::string head_;
  size_t pos_ = 0;
  bool eof_ = false;
  Status error_;
};

// libarchive state shared by an ArchiveInput and the member streams it
// hands out.
struct ArchiveState {
  std::unique_ptr<Source> src;
  struct archive* a = nullptr;
  std::vector<char> buf = std::vector<char>(size_t{64} << 10);
  Status read_error;        // Why the read callback failed, if it did.
  uint64_t generation = 0;  // Bumped by every Next(): older members are stale.
  bool raw = false;         // A compressed file, not an archive.

  ~ArchiveState() {
    if (a != nullptr) archive_read_free(a);
  }

  static la_ssize_t ReadCallback(struct archive* a, void* ctx, const void** out) {
    auto* st = static_cast<ArchiveState*>(ctx);
    Result<size_t> r = st->src->Read(st->buf.data(), st->buf.size());
    if (!r.ok()) {
      st->read_error = r.status();
      archive_set_error(a, EIO, "%s", r.status().message().c_str());
      return -1;
    }
    *out = st->buf.data();
    return static_cast<la_ssize_t>(*r);
  }

  std::string Error() const {
    if (!read_error.ok()) return read_error.message();
    const char* e = archive_error_string(a);
    return e != nullptr ? e : "unknown archive error";
  }
};

class MemberSource final : public Source {
 public:
  MemberSource(std::shared_ptr<ArchiveState> st, std::string name, int64_t mtime)
      : st_(std::move(st)), name_(std::move(name)), gen_(st_->generation), mtime_(mtime) {}

  Result<size_t> Read(char* buf, size_t n) override {
    if (st_->generation != gen_) {
      return Status::Internal(name_ + ": archive member read after the next member was opened");
    }
    if (done_) return size_t{0};
    // archive_read_data fills the whole request block by block and, if the
    // data turns out damaged, drops what it had copied: ask for one block at
    // a time so that everything before the damage is delivered.
    la_ssize_t r = archive_read_data(st_->a, buf, std::min<size_t>(n, size_t{64} << 10));
    if (r < 0) {
      done_ = true;
      return Status::IoError(name_ + ": " + st_->Error());
    }
    if (r == 0) done_ = true;
    return static_cast<size_t>(r);
  }
  const std::string& name() const override { return name_; }
  int64_t mtime() const override { return mtime_; }

 private:
  std::shared_ptr<ArchiveState> st_;
  std::string name_;
  uint64_t gen_;
  int64_t mtime_;
  bool done_ = false;
};

class PlainInput final : public Input {
 public:
  explicit PlainInput(std::unique_ptr<Source> src) : src_(std::move(src)), name_(src_->name()) {}
  Result<std::unique_ptr<Source>> Next() override { return std::move(src_); }
  const std::string& name() const override { return name_; }

 private:
  std::unique_ptr<Source> src_;
  std::string name_;
};

class ArchiveInput final : public Input {
 public:
  ArchiveInput(std::unique_ptr<Source> src, int depth, bool compressed)
      : st_(std::make_shared<ArchiveState>()),
        name_(src->name()),
        depth_(depth),
        compressed_(compressed) {
    st_->src = std::move(src);
  }

  Status Start() {
    st_->a = archive_read_new();
    if (st_->a == nullptr) return Status::Internal(name_ + ": cannot allocate libarchive state");
    archive_read_support_filter_all(st_->a);
    archive_read_support_format_tar(st_->a);
    archive_read_support_format_zip(st_->a);
    archive_read_support_format_cpio(st_->a);
    // "raw" (any content, as one entry) only behind a compression filter:
    // an uncompressed tar or zip that fails to parse is damaged, not text.
    if (compressed_) archive_read_support_format_raw(st_->a);
    if (archive_read_open(st_->a, st_.get(), nullptr, &ArchiveState::ReadCallback, nullptr) !=
        ARCHIVE_OK) {
      return Status::IoError(name_ + ": " + st_->Error());
    }
    return Status::OK();
  }

  Result<std::unique_ptr<Source>> Next() override {
    for (;;) {
      if (child_ != nullptr) {
        Result<std::unique_ptr<Source>> r = child_->Next();
        if (!r.ok() || *r != nullptr) return r;
        child_.reset();
      }
      if (done_) return std::unique_ptr<Source>();
      ++st_->generation;
      struct archive_entry* entry = nullptr;
      int rc = archive_read_next_header(st_->a, &entry);
      if (rc == ARCHIVE_EOF) {
        done_ = true;
        return std::unique_ptr<Source>();
      }
      if (rc < ARCHIVE_WARN) {
        done_ = true;
        return Status::IoError(name_ + ": damaged archive: " + st_->Error());
      }
      const bool raw = archive_format(st_->a) == ARCHIVE_FORMAT_RAW;
      if (!raw && archive_entry_filetype(entry) != AE_IFREG) continue;
      std::string member = name_;
      if (!raw) {
        const char* p = archive_entry_pathname(entry);
        member += ":";
        member += p != nullptr ? p : "?";
      }
      const int64_t mtime = archive_entry_mtime_is_set(entry)
                                ? static_cast<int64_t>(archive_entry_mtime(entry))
                                : st_->src->mtime();
      auto src = std::make_unique<MemberSource>(st_, member, mtime);
      if (depth_ + 1 >= kMaxDepth) return std::unique_ptr<Source>(std::move(src));
      std::unique_ptr<Input> nested = FromSource(std::move(src), depth_ + 1);
      if (auto* plain = dynamic_cast<PlainInput*>(nested.get())) return plain->Next();
      child_ = std::move(nested);
    }
  }
  const std::string& name() const override { return name_; }

 private:
  std::shared_ptr<ArchiveState> st_;
  std::string name_;
  int depth_;
  bool compressed_;
  std::unique_ptr<Input> child_;  // A compressed or archived member being read.
  bool done_ = false;
};

// An input that could not even be started: reports its error once.
class FailedInput final : public Input {
 public:
  FailedInput(std::string name, Status st) : name_(std::move(name)), st_(std::move(st)) {}
  Result<std::unique_ptr<Source>> Next() override {
    if (st_.ok()) return std::unique_ptr<Source>();
    Status s = st_;
    st_ = Status::OK();
    return s;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
  Status st_;
};

}  // namespace

Container SniffContainer(std::string_view h) {
  if (StartsWith(h, "\x1f\x8b") || StartsWith(h, "\x28\xb5\x2f\xfd") || StartsWith(h, "BZh") ||
      StartsWith(h, std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6)) ||
      StartsWith(h, "\x04\x22\x4d\x18")) {
    return Container::kCompressed;
  }
  if (StartsWith(h, "PK\x03\x04") || StartsWith(h, "PK\x05\x06") ||
      StartsWith(h, "7z\xbc\xaf\x27\x1c") || StartsWith(h, "070707") || StartsWith(h, "070701") ||
      (h.size() >= 262 && h.substr(257, 5) == "ustar")) {
    return Container::kArchive;
  }
  return Container::kPlain;
}

Input::~Input() = default;

std::unique_ptr<Input> Input::FromSource(std::unique_ptr<Source> src, int depth) {
  auto peek = std::make_unique<PeekSource>(std::move(src));
  Container c = SniffContainer(peek->Peek(512));
  if (c == Container::kPlain) return std::make_unique<PlainInput>(std::move(peek));
  std::string name = peek->name();
  auto in = std::make_unique<ArchiveInput>(std::move(peek), depth, c == Container::kCompressed);
  Status st = in->Start();
  if (!st.ok()) return std::make_unique<FailedInput>(std::move(name), std::move(st));
  return in;
}

Result<std::unique_ptr<Input>> Input::Open(const std::string& path) {
  if (path == "-") return FromSource(NewStdinSource());
  Result<std::unique_ptr<Source>> src = OpenFileSource(path);
  if (!src.ok()) return src.status();
  return FromSource(std::move(src).value());
}

}  // namespace etiolog::ingest
