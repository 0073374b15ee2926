// SPDX-License-Identifier: Apache-2.0
//
// A Poll() first decides whether to re-evaluate the patterns: when the
// rescan interval has passed, or when a known file is no longer at its path
// (a rotation: its successor should be found in the same poll), and at
// every poll while such a file is finishing. A scan maps
// every matched path to its (device, inode); known inodes are marked
// present (and take the matched path if their own no longer holds them),
// unknown ones are opened, fingerprinted and sniffed (compressed or archived
// files are remembered and skipped). Without a scan, a file is present if
// its path still holds its inode.
//
// Then every known file is checked against fstat() of its descriptor: a
// size below the read offset, or first bytes that no longer hash to the
// fingerprint, end the generation (and force a rescan, which finds the
// inode again as a new generation); growth makes it readable; a file that
// is not present and has been quiet for rotate_wait ends; a quiet partial
// line settles; a quiet complete file gets its descriptor closed. Reads use
// pread() at the file's own offset, so nothing depends on the descriptor's
// position.

#include "ingest/follow.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "ingest/framing.h"
#include "ingest/input.h"
#include "ingest/line_reader.h"
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

namespace etiolog::ingest {

namespace {

bool HasGlobChars(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// The directory part of path ("." for a bare name, "/" for "/x").
std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string ErrnoMessage(const std::string& path, int err) {
  return path + ": " + std::strerror(err);
}

// Reads up to n bytes at offset; returns how many were read, or -1.
ssize_t ReadAt(int fd, char* buf, size_t n, uint64_t offset) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

// How far back from a file's end LastLineEnd() looks for a line being
// written in pieces (a Docker piece is 16 KiB; CRI pieces are as long).
constexpr uint64_t kPieceWindow = uint64_t{1} << 20;

// Bytes held in memory, as a source that may still grow: a framing reader
// over it keeps its pieces pending at the end instead of flushing them.
class MoreToCome final : public Source {
 public:
  explicit MoreToCome(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    n = std::min(n, data_.size() - at_);
    std::memcpy(buf, data_.data() + at_, n);
    at_ += n;
    return n;
  }
  const std::string& name() const override { return name_; }
  Drained drained() const override { return Drained::kMore; }

 private:
  std::string data_;
  size_t at_ = 0;
  std::string name_ = "probe";
};

// glob(3) reports unreadable directories through a plain function pointer.
thread_local std::vector<std::string>* glob_errors = nullptr;

int GlobError(const char* path, int err) {
  if (glob_errors != nullptr && err != ENOENT) glob_errors->push_back(ErrnoMessage(path, err));
  return 0;  // Go on with the rest.
}

}  // namespace

uint64_t Fingerprint(std::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// ---- FollowedFile -----------------------------------------------------------

FollowedFile::~FollowedFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<size_t> FollowedFile::Read(char* buf, size_t n) {
  if (fd_ < 0 || (budget_ == 0 && !ending_)) {
    drained_ = ending_ ? Drained::kEnd : Drained::kMore;
    return size_t{0};
  }
  if (!ending_) n = static_cast<size_t>(std::min<uint64_t>(n, budget_));
  for (;;) {
    ssize_t r = ::pread(fd_, buf, n, static_cast<off_t>(offset_));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(ErrnoMessage(path_.empty() ? name_ : path_, errno));
    }
    if (r == 0) {
      drained_ = ending_ ? Drained::kEnd : settle_ ? Drained::kSettled : Drained::kMore;
      return size_t{0};
    }
    // The file may have been truncated and rewritten since the last Poll()
    // checked it (copytruncate between that check and this read): these
    // bytes would then be the next generation's. Its first bytes tell.
    if (!HeadUnchanged()) {
      ::close(fd_);
      fd_ = -1;
      ending_ = true;
      replaced_ = true;  // The next Poll() ends it and finds the file again.
      drained_ = Drained::kEnd;
      return size_t{0};
    }
    const size_t k = static_cast<size_t>(r);
    offset_ += k;
    if (!ending_) budget_ -= k;
    last_byte_ = buf[k - 1];
    settle_ = false;
    return k;
  }
}

bool FollowedFile::HeadUnchanged() const {
  if (identity_.fingerprint_bytes == 0) return true;
  char head[kFingerprintBytes];
  const size_t n = std::min<size_t>(identity_.fingerprint_bytes, sizeof head);
  const ssize_t r = ReadAt(fd_, head, n, 0);
  if (r < 0) return true;  // The next read reports the error.
  return static_cast<size_t>(r) == n &&
         Fingerprint(std::string_view(head, n)) == identity_.fingerprint;
}

void FollowedFile::Start(uint64_t offset) {
  offset_ = offset;
  last_byte_ = '\n';
  settle_ = false;
}

Result<bool> FollowedFile::Matches(const FileIdentity& stored) const {
  if (stored.device != identity_.device || stored.inode != identity_.inode) return false;
  if (fd_ < 0) return Status::IoError(name_ + ": not open");
  char buf[kFingerprintBytes];
  const size_t n = std::min<size_t>(stored.fingerprint_bytes, sizeof buf);
  ssize_t r = ReadAt(fd_, buf, n, 0);
  if (r < 0) return Status::IoError(ErrnoMessage(name_, errno));
  return static_cast<size_t>(r) == n && Fingerprint(std::string_view(buf, n)) == stored.fingerprint;
}

Result<std::pair<uint64_t, uint64_t>> FollowedFile::LastLineEnd() const {
  if (fd_ < 0) return Status::IoError(name_ + ": not open");
  // Not zeroed, and below malloc's mmap threshold: of the thousands of
  // files a tail may start on, none keeps a touched megabyte in the heap.
  constexpr size_t kBlock = size_t{64} << 10;
  std::unique_ptr<char[]> buf(new char[kBlock]);
  uint64_t at = 0, lines = 0, end = 0;
  Framing framing = Framing::kPlain;
  while (at < size_) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kBlock, size_ - at));
    ssize_t r = ReadAt(fd_, buf.get(), want, at);
    if (r < 0) return Status::IoError(ErrnoMessage(name_, errno));
    if (r == 0) break;
    const std::string_view block(buf.get(), static_cast<size_t>(r));
    if (at == 0) {
      const size_t first = block.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos) {
        framing = DetectFraming(block.substr(first, block.find('\n', first) - first));
      }
    }
    const uint64_t k = CountNewlines(block);
    if (k > 0) {
      lines += k;
      end = at + block.rfind('\n') + 1;
    }
    at += static_cast<uint64_t>(r);
  }
  if (framing != Framing::kDockerJson && framing != Framing::kCri) {
    return std::make_pair(end, lines);
  }
  // A Docker or CRI line being written in pieces when the file is found:
  // start at its first piece, so it is read whole. The framing reader
  // knows: over the last lines, as a source with more to come, its
  // checkpoint stays at the earliest piece still waiting for its last.
  const uint64_t window_start = end > kPieceWindow ? end - kPieceWindow : 0;
  std::string window(static_cast<size_t>(end - window_start), '\0');
  ssize_t r = ReadAt(fd_, window.data(), window.size(), window_start);
  if (r < 0) return Status::IoError(ErrnoMessage(name_, errno));
  window.resize(static_cast<size_t>(r));
  size_t begin = 0;
  if (window_start > 0) {
    begin = window.find('\n');
    if (begin == std::string::npos) return std::make_pair(end, lines);
    ++begin;  // The first whole line of the window.
  }
  LineReader::Options ro;
  ro.chunk_size = window.size() + 1;
  ro.first_offset = window_start + begin;
  ro.first_line = lines + 1 - CountNewlines(std::string_view(window).substr(begin));
  MoreToCome probe(window.substr(begin));
  std::unique_ptr<ChunkReader> reader = NewFramingReader(&probe, ro);
  uint64_t start = ro.first_offset, start_line = ro.first_line;
  for (;;) {
    Result<Chunk> c = reader->Next();
    if (!c.ok() || c->data.empty()) break;
    start = c->next_offset;
    start_line = c->next_line;
  }
  return std::make_pair(start, start_line - 1);
}

// ---- Follower ---------------------------------------------------------------

Follower::Follower(Options options, Clock clock)
    : options_(std::move(options)), clock_(std::move(clock)) {}

Follower::~Follower() = default;

std::vector<std::string> Follower::Expand(std::vector<std::string>* errors) {
  std::vector<InputSpec> given;
  for (const InputSpec& p : options_.patterns) {
    if (!HasGlobChars(p.path)) {
      given.push_back(p);
      continue;
    }
    glob_t g{};
    glob_errors = errors;
    const int rc = ::glob(p.path.c_str(), 0, GlobError, &g);
    glob_errors = nullptr;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) given.push_back({g.gl_pathv[i], p.labels});
    } else if (rc != GLOB_NOMATCH) {
      errors->push_back(p.path + ": cannot expand the pattern");
    }
    ::globfree(&g);
  }
  Enumeration e = EnumerateInputs(given, options_.enumerate);
  errors->insert(errors->end(), e.errors.begin(), e.errors.end());
  std::vector<std::string> paths;
  labels_.clear();
  for (InputSpec& in : e.inputs) {
    labels_.emplace(in.path, in.labels);
    paths.push_back(std::move(in.path));
  }
  return paths;
}

std::unique_ptr<FollowedFile> Follower::Open(const std::string& path, const FileIdentity* expected,
                                             std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *error = errno == ENOENT ? "" : ErrnoMessage(path, errno);
    return nullptr;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    *error = ErrnoMessage(path, errno);
    ::close(fd);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = path + ": not a regular file";
    ::close(fd);
    return nullptr;
  }
  const Key key{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  if (expected != nullptr && Key{expected->device, expected->inode} != key) {
    ::close(fd);
    return nullptr;
  }
  char head[512];
  ssize_t n = ReadAt(fd, head, sizeof head, 0);
  if (n < 0) {
    *error = ErrnoMessage(path, errno);
    ::close(fd);
    return nullptr;
  }
  if (SniffContainer(std::string_view(head, static_cast<size_t>(n))) != Container::kPlain) {
    *error = "";
    skipped_.insert(key);
    ::close(fd);
    return nullptr;
  }
  auto f = std::unique_ptr<FollowedFile>(new FollowedFile());
  f->name_ = path;
  f->path_ = path;
  f->fd_ = fd;
  f->size_ = static_cast<uint64_t>(st.st_size);
  f->mtime_ = static_cast<int64_t>(st.st_mtime);
  f->identity_.device = key.first;
  f->identity_.inode = key.second;
  f->identity_.fingerprint_bytes =
      static_cast<uint32_t>(std::min<ssize_t>(n, static_cast<ssize_t>(kFingerprintBytes)));
  f->identity_.fingerprint = Fingerprint(std::string_view(head, f->identity_.fingerprint_bytes));
  f->budget_ = options_.max_bytes_per_poll;
  f->grew_ms_ = clock_();
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    f->real_dir_ = DirName(real);
    std::free(real);
  }
  if (auto it = labels_.find(path); it != labels_.end()) f->labels_ = it->second;
  return f;
}

void Follower::ReportError(const std::string& key, const std::string& message, Changes* out) {
  auto [it, inserted] = errors_.emplace(key, message);
  if (!inserted && it->second == message) return;
  it->second = message;
  out->errors.push_back(message);
}

void Follower::ClearError(const std::string& key, Changes* out) {
  auto it = errors_.find(key);
  if (it == errors_.end()) return;
  errors_.erase(it);
  out->notes.push_back(key + ": readable again");
}

void Follower::End(FollowedFile* f, const std::string& why, Changes* out, bool replaced) {
  f->ending_ = true;
  f->settle_ = false;
  if (replaced && f->fd_ >= 0) {
    // Truncated or rewritten: what the file holds past the offset now is
    // the new generation's (lines a writer that kept its offset wrote, or
    // lines written from the start past it), read by it from offset 0.
    // Reading them here too would read them twice.
    ::close(f->fd_);
    f->fd_ = -1;
  }
  out->notes.push_back(f->name_ + ": " + why);
  out->ended.push_back(f);
  auto it = files_.find({f->identity_.device, f->identity_.inode});
  if (it != files_.end() && it->second.get() == f) {
    ended_.push_back(std::move(it->second));
    files_.erase(it);
  }
}

void Follower::Check(FollowedFile* f, bool present, int64_t now, Changes* out) {
  const std::string last_path = f->path_;
  if (!present && f->gone_ms_ < 0) {
    f->gone_ms_ = now;
    f->path_.clear();
    out->notes.push_back(f->name_ +
                         ": no longer at a followed path (rotated or deleted); reading it to "
                         "its end");
  } else if (present) {
    f->gone_ms_ = -1;
  }
  if (f->replaced_) {
    // A Read() found its first bytes rewritten (and read nothing more).
    End(f, "rewritten from its start; reading it again", out, true);
    rescan_ = true;
    return;
  }
  if (f->fd_ < 0) {
    // Closed while idle: reopen it if it grew.
    if (!present) {
      // Renamed by a rotation: the writer may have written to it just
      // before, or still writes into it. Find it again by inode in the
      // directory it was in, and finish it as an open file would be.
      std::unique_ptr<FollowedFile> moved =
          last_path.empty() ? nullptr : FindMoved(last_path, f->identity_);
      if (moved == nullptr) {
        End(f, "gone while idle", out);
        return;
      }
      std::swap(f->fd_, moved->fd_);
    } else {
      struct stat st;
      if (::stat(f->path_.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) == f->offset_) {
        return;
      }
      std::string error;
      std::unique_ptr<FollowedFile> again = Open(f->path_, &f->identity_, &error);
      Result<bool> same = again != nullptr ? again->Matches(f->identity_) : Result<bool>(false);
      if (again == nullptr || !same.ok() || !*same) {
        End(f, "replaced while idle; reading the new file from its start", out, true);
        rescan_ = true;
        return;
      }
      std::swap(f->fd_, again->fd_);
      f->grew_ms_ = now;
    }
  }
  struct stat st;
  if (::fstat(f->fd_, &st) != 0) {
    ReportError(f->name_, ErrnoMessage(f->name_, errno), out);
    return;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < f->offset_) {
    End(f, "truncated; reading it again from its start", out, true);
    rescan_ = true;
    return;
  }
  if (size != f->size_) {
    f->size_ = size;
    f->mtime_ = static_cast<int64_t>(st.st_mtime);
    f->grew_ms_ = now;
    // The first bytes must still be those fingerprinted (a file truncated
    // and rewritten past the offset between two polls is not): check them,
    // and extend the fingerprint while the file is shorter than its span.
    FileIdentity& id = f->identity_;
    char head[kFingerprintBytes];
    const size_t n = static_cast<size_t>(std::min<uint64_t>(size, kFingerprintBytes));
    ssize_t r = ReadAt(f->fd_, head, n, 0);
    if (r < 0) {
      ReportError(f->name_, ErrnoMessage(f->name_, errno), out);
      return;
    }
    const std::string_view got(head, static_cast<size_t>(r));
    if (got.size() < id.fingerprint_bytes ||
        Fingerprint(got.substr(0, id.fingerprint_bytes)) != id.fingerprint) {
      End(f, "rewritten from its start; reading it again", out, true);
      rescan_ = true;
      return;
    }
    id.fingerprint_bytes = static_cast<uint32_t>(got.size());
    id.fingerprint = Fingerprint(got);
  }
  ClearError(f->name_, out);
  f->budget_ = options_.max_bytes_per_poll;
  const bool quiet = now - f->grew_ms_ >= options_.rotate_wait_ms;
  if (f->gone_ms_ >= 0 && now - f->gone_ms_ >= options_.rotate_wait_ms && quiet) {
    End(f, "finished (rotated or deleted)", out);
    return;
  }
  if (size > f->offset_) {
    out->readable.push_back(f);
    return;
  }
  const int64_t idle = now - f->grew_ms_;
  if (options_.settle_ms > 0 && !f->settle_ && f->last_byte_ != '\n' &&
      idle >= options_.settle_ms) {
    f->settle_ = true;
    out->readable.push_back(f);
    return;
  }
  if (options_.close_idle_ms > 0 && f->gone_ms_ < 0 && f->last_byte_ == '\n' &&
      idle >= options_.close_idle_ms) {
    ::close(f->fd_);
    f->fd_ = -1;
    out->closed.push_back(f);
  }
}

void Follower::Scan(int64_t now, std::map<Key, bool>* present, Changes* out) {
  std::vector<std::string> errors;
  const std::vector<std::string> paths = Expand(&errors);
  for (const std::string& e : errors) ReportError(e, e, out);
  std::set<Key> skipped_seen;
  for (const std::string& path : paths) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno != ENOENT) {
        ReportError(path, ErrnoMessage(path, errno), out);
      } else if (!HasGlobChars(path)) {
        ReportError(path, path + ": no such file (waiting for it)", out);
      }
      continue;
    }
    const Key key{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
    if (skipped_.count(key)) {
      skipped_seen.insert(key);
      continue;
    }
    if (auto it = files_.find(key); it != files_.end()) {
      bool& here = (*present)[key];
      if (!here) {
        // Found under another followed name (renamed by a rotation, or a
        // second link): follow it there.
        it->second->path_ = path;
        here = true;
      }
      continue;
    }
    std::string error;
    std::unique_ptr<FollowedFile> f = Open(path, nullptr, &error);
    if (f == nullptr) {
      if (skipped_.count(key)) {
        skipped_seen.insert(key);
        out->notes.push_back(path + ": compressed or archived; not followed");
      } else if (!error.empty()) {
        ReportError(path, error, out);
      }
      continue;
    }
    ClearError(path, out);
    const Key got{f->identity_.device, f->identity_.inode};
    (*present)[got] = true;
    out->found.push_back(f.get());
    files_[got] = std::move(f);
  }
  // A skipped inode that vanished may come back as a new file.
  for (auto it = skipped_.begin(); it != skipped_.end();) {
    it = skipped_seen.count(*it) ? std::next(it) : skipped_.erase(it);
  }
  last_scan_ms_ = now;
  rescan_ = false;
}

Follower::Changes Follower::Poll() {
  ended_.clear();
  Changes out;
  const int64_t now = clock_();
  bool scan = rescan_ || last_scan_ms_ < 0 || now - last_scan_ms_ >= options_.rescan_ms;
  // Present at their own path? A file that left it makes this poll scan, so
  // that its successor is found at once.
  std::map<Key, bool> present;
  for (auto& [key, f] : files_) {
    struct stat st;
    const bool here =
        f->gone_ms_ < 0 && !f->path_.empty() && ::stat(f->path_.c_str(), &st) == 0 &&
        Key{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)} == key;
    present[key] = here;
    // A file that left its path (or is finishing after leaving it): its
    // successor should be found at once.
    if (!here) scan = true;
  }
  if (scan) Scan(now, &present, &out);
  std::vector<FollowedFile*> known;
  for (auto& [key, f] : files_) {
    if (std::find(out.found.begin(), out.found.end(), f.get()) == out.found.end()) {
      known.push_back(f.get());
    }
  }
  for (FollowedFile* f : known) {
    Check(f, present[{f->identity_.device, f->identity_.inode}], now, &out);
  }
  // A generation that ended because its file was truncated or replaced: the
  // file is there again, as a new generation.
  if (rescan_) Scan(now, &present, &out);
  return out;
}

bool Follower::Covers(const std::string& path) const {
  for (const InputSpec& p : options_.patterns) {
    if (p.path == path || ::fnmatch(p.path.c_str(), path.c_str(), FNM_PATHNAME) == 0) return true;
    const std::string dir = p.path.back() == '/' ? p.path : p.path + "/";
    if (path.compare(0, dir.size(), dir) == 0) return true;
    // A directory matched by a glob.
    if (HasGlobChars(p.path)) {
      for (size_t cut = path.rfind('/'); cut != std::string::npos && cut > 0;
           cut = path.rfind('/', cut - 1)) {
        if (::fnmatch(p.path.c_str(), path.substr(0, cut).c_str(), FNM_PATHNAME) == 0) {
          return true;
        }
      }
    }
  }
  return false;
}

bool Follower::waiting() const {
  for (const auto& [key, f] : files_) {
    if (f->gone_ms_ >= 0) return true;
    if (options_.settle_ms > 0 && f->fd_ >= 0 && !f->settle_ && f->last_byte_ != '\n') return true;
  }
  return false;
}

std::vector<std::string> Follower::Directories() const {
  std::set<std::string> dirs;
  for (const auto& [key, f] : files_) {
    if (!f->path_.empty()) dirs.insert(DirName(f->path_));
    if (!f->real_dir_.empty()) dirs.insert(f->real_dir_);
  }
  for (const InputSpec& p : options_.patterns) {
    if (!HasGlobChars(p.path)) {
      struct stat st;
      if (::stat(p.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        dirs.insert(DirName(p.path));
        continue;
      }
      // A directory stands for every file below it: watch its whole tree,
      // so a file in a directory made later (Airflow's task logs,
      // dag_id=.../run_id=.../task_id=...) is seen when it appears.
      dirs.insert(p.path);
      std::error_code ec;
      for (auto it = std::filesystem::recursive_directory_iterator(
               p.path, std::filesystem::directory_options::skip_permission_denied, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) dirs.insert(it->path().string());
      }
      continue;
    }
    // The fixed directory before the first glob character, then every
    // directory each later directory part matches.
    const size_t first = p.path.find_first_of("*?[");
    const size_t root_end = p.path.rfind('/', first);
    dirs.insert(root_end == std::string::npos ? "."
                : root_end == 0               ? "/"
                                              : p.path.substr(0, root_end));
    for (size_t cut = p.path.find('/', first); cut != std::string::npos;
         cut = p.path.find('/', cut + 1)) {
      glob_t g{};
      if (::glob(p.path.substr(0, cut).c_str(), GLOB_ONLYDIR, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) dirs.insert(g.gl_pathv[i]);
      }
      ::globfree(&g);
    }
  }
  return {dirs.begin(), dirs.end()};
}

std::unique_ptr<FollowedFile> Follower::FindMoved(const std::string& path,
                                                  const FileIdentity& identity) {
  // Where to look: path itself, then every name of the inode in path's
  // directory and, when path is a symbolic link, in its target's directory
  // (a Kubernetes /var/log/containers link retargeted to the next
  // container's log leaves the previous log beside the new target).
  std::vector<std::string> candidates = {path};
  std::vector<std::string> dirs;
  const size_t slash = path.rfind('/');
  dirs.push_back(slash == std::string::npos ? "" : path.substr(0, slash + 1));
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    const std::string target = real;
    std::free(real);
    const std::string dir = target.substr(0, target.rfind('/') + 1);
    if (dir != dirs[0]) dirs.push_back(dir);
  }
  for (const std::string& dir : dirs) {
    if (DIR* d = ::opendir(dir.empty() ? "." : dir.c_str())) {
      while (struct dirent* e = ::readdir(d)) {
        if (static_cast<uint64_t>(e->d_ino) == identity.inode)
          candidates.push_back(dir + e->d_name);
      }
      ::closedir(d);
    }
  }
  for (const std::string& c : candidates) {
    std::string error;
    std::unique_ptr<FollowedFile> f = Open(c, &identity, &error);
    if (f == nullptr) continue;
    Result<bool> same = f->Matches(identity);
    if (same.ok() && *same) return f;
  }
  return nullptr;
}

FollowedFile* Follower::Adopt(const std::string& path, const FileIdentity& identity) {
  if (files_.count({identity.device, identity.inode})) return nullptr;
  std::unique_ptr<FollowedFile> f = FindMoved(path, identity);
  if (f == nullptr) return nullptr;
  if (!Covers(f->path_)) {
    f->path_.clear();
    f->gone_ms_ = clock_();
  }
  f->name_ = path;
  FollowedFile* raw = f.get();
  files_[{identity.device, identity.inode}] = std::move(f);
  return raw;
}

}  // namespace etiolog::ingest
