// SPDX-License-Identifier: Apache-2.0
//
// Under the directory lock: read the index, write each ticket whose bytes
// differ from its file (temp file, fsync, rename), mark or prune the
// tickets no longer given, write the index the same way, fsync the
// directory so the renames are durable.

#include "analyzer/sinks/dir_sink.h"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ingest/timestamp.h"
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace etiolog::analyzer {

namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;  // Owns the descriptor.
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

bool SafeName(const std::string& fp) {
  if (fp.empty() || fp.size() > 64) return false;
  for (char c : fp) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

// Writes content to path through a temporary file in the same directory,
// flushed before it replaces path.
Status WriteAtomically(const fs::path& path, const std::string& content) {
  const fs::path tmp =
      path.parent_path() / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()));
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return Status::IoError(Errno(tmp.string()));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = Status::IoError(Errno(tmp.string()));
      ::unlink(tmp.c_str());
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    Status st = Status::IoError(Errno(tmp.string()));
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = Status::IoError(Errno(path.string()));
    ::unlink(tmp.c_str());
    return st;
  }
  return Status::OK();
}

// The file's bytes, or nullopt-like false if it cannot be read.
bool ReadFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  *out = buf.str();
  return !in.bad();
}

std::string IsoTime(int64_t us) {
  char buf[32];
  return std::string(buf, FormatIsoTimestamp(us, buf));
}

std::string Text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Result<DirSinkResult> WriteTicketDir(const std::string& dir, const std::vector<Ticket>& tickets,
                                     const DirSinkOptions& options) {
  std::map<std::string, bool> names;
  for (const Ticket& t : tickets) {
    if (!SafeName(t.fingerprint)) {
      return Status::InvalidArgument("finding fingerprint '" + t.fingerprint +
                                     "' is not a safe file name ([0-9A-Za-z-], at most 64)");
    }
    if (!names.emplace(t.fingerprint, true).second) {
      return Status::InvalidArgument("two findings share the fingerprint " + t.fingerprint);
    }
  }
  const fs::path root(dir);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::IoError(dir + ": cannot create the ticket directory: " + ec.message());
  const fs::path lock_path = root / ".etiolog.lock";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (lock.get() < 0) return Status::IoError(Errno(lock_path.string()));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::IoError(dir + ": another etiolog run is writing this ticket directory");
    }
    return Status::IoError(Errno(lock_path.string()));
  }

  const std::string format(ReportFormatName(options.format));
  const fs::path index_path = root / kTicketIndexName;
  std::vector<Json> old_entries;
  std::map<std::string, size_t> old_by_fp;
  if (fs::exists(index_path, ec)) {
    std::string text;
    if (!ReadFile(index_path, &text)) return Status::IoError(Errno(index_path.string()));
    Json index = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!index.is_object() || !index.contains("tickets") || !index["tickets"].is_array()) {
      return Status::InvalidArgument(index_path.string() +
                                     ": not an etiolog ticket index (move it away to start over)");
    }
    if (Text(index, "format") != format) {
      return Status::InvalidArgument(index_path.string() + ": the directory holds " +
                                     Text(index, "format") + " tickets, not " + format +
                                     "; use --format " + Text(index, "format") +
                                     " or another directory");
    }
    for (Json& e : index["tickets"]) {
      const std::string fp = Text(e, "fingerprint");
      if (!e.is_object() || !SafeName(fp) || old_by_fp.count(fp) > 0) continue;
      old_by_fp[fp] = old_entries.size();
      old_entries.push_back(std::move(e));
    }
  }

  const int64_t now_us = options.now_us != 0
                             ? options.now_us
                             : std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  const std::string now = IsoTime(now_us);
  const std::string ext(TicketExtension(options.format));
  DirSinkResult result;
  std::vector<Json> index_entries;
  std::map<std::string, bool> given;
  for (const Ticket& t : tickets) {
    given[t.fingerprint] = true;
    const std::string file = t.fingerprint + "." + ext;
    const fs::path path = root / file;
    auto old = old_by_fp.find(t.fingerprint);
    const Json* prev = old == old_by_fp.end() ? nullptr : &old_entries[old->second];
    std::string current;
    const bool same = ReadFile(path, &current) && current == t.body;
    std::string change;
    if (prev == nullptr) {
      change = "new";
    } else if (Text(*prev, "status") == "resolved") {
      change = "reopened";
    } else {
      change = same ? "unchanged" : "updated";
    }
    if (!same) {
      Status st = WriteAtomically(path, t.body);
      if (!st.ok()) {
        result.errors.push_back(st.message());
        if (prev != nullptr) index_entries.push_back(*prev);
        continue;
      }
    }
    Json e;
    e["fingerprint"] = t.fingerprint;
    e["file"] = file;
    e["title"] = t.title;
    e["cause"] = t.cause;
    e["surface"] = t.surface;
    e["confidence"] = std::round(t.confidence * 100.0) / 100.0;
    e["status"] = "open";
    e["change"] = change;
    e["first_seen"] =
        prev != nullptr && !Text(*prev, "first_seen").empty() ? Text(*prev, "first_seen") : now;
    e["last_seen"] = now;
    index_entries.push_back(std::move(e));
    result.entries.push_back({t.fingerprint, file, t.title, change});
  }
  for (Json& e : old_entries) {
    const std::string fp = Text(e, "fingerprint");
    if (given.count(fp) > 0) continue;
    const bool in_scope = options.cause.empty() || Text(e, "cause") == options.cause;
    const bool was_open = Text(e, "status") != "resolved";
    if (in_scope && options.prune) {
      const fs::path path = root / (fp + "." + ext);
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        result.errors.push_back(Errno(path.string()));
        index_entries.push_back(std::move(e));
        continue;
      }
      result.entries.push_back({fp, Text(e, "file"), Text(e, "title"), "pruned"});
      continue;
    }
    std::string change = "unchanged";
    if (in_scope && was_open) {
      change = "resolved";
      e["status"] = "resolved";
      e["resolved_at"] = now;
    }
    e["change"] = change;
    result.entries.push_back({fp, Text(e, "file"), Text(e, "title"), change});
    index_entries.push_back(std::move(e));
  }

  Json index;
  index["etiolog"] = {{"version", ETIOLOG_VERSION}, {"index_schema", kTicketIndexSchema}};
  index["format"] = format;
  index["updated"] = now;
  index["tickets"] = index_entries;
  Status st = WriteAtomically(
      index_path, index.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (!st.ok()) result.errors.push_back(st.message());
  // Make the renames durable; a failure here loses nothing already visible.
  Fd dir_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) (void)::fsync(dir_fd.get());
  return result;
}

}  // namespace etiolog::analyzer
