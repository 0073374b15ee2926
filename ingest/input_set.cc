// SPDX-License-Identifier: Apache-2.0
//
// The walk uses opendir/readdir and stat (following links), keeping the
// (device, inode) of the directories on the current path to recognise loops
// and of every file listed to drop duplicates reached through links.

#include "ingest/input_set.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>
#include <utility>

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

namespace etiolog::ingest {

namespace {

using FileId = std::pair<dev_t, ino_t>;

struct Walker {
  const EnumerateOptions& options;
  Enumeration* out;
  std::set<FileId> files;      // Regular files listed so far.
  std::set<FileId> ancestors;  // Directories on the current path.

  bool Keep(const std::string& rel) const {
    if (!options.include.empty() &&
        std::none_of(options.include.begin(), options.include.end(),
                     [&](const std::string& g) { return MatchesGlob(g, rel); })) {
      return false;
    }
    return std::none_of(options.exclude.begin(), options.exclude.end(),
                        [&](const std::string& g) { return MatchesGlob(g, rel); });
  }

  void Walk(const std::string& dir, const std::string& rel_dir, const ProcessIdentity& labels,
            int depth) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      out->errors.push_back(dir + ": cannot list directory: " + std::strerror(errno));
      return;
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      const std::string path = dir + (dir.empty() || dir.back() == '/' ? "" : "/") + n;
      const std::string rel = rel_dir.empty() ? n : rel_dir + "/" + n;
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        struct stat lst;
        const bool is_link = ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
        if (err == ELOOP) {
          // Could have been a file or a directory: globs still apply.
          if (Keep(rel)) {
            out->errors.push_back(path + ": symbolic link loop (" + std::strerror(err) + ")");
          }
        } else if (is_link && err == ENOENT) {
          if (Keep(rel)) out->errors.push_back(path + ": dangling symbolic link");
        } else {
          out->errors.push_back(path + ": " + std::strerror(err));
        }
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        const FileId id{st.st_dev, st.st_ino};
        if (ancestors.count(id) != 0) {
          out->errors.push_back(path + ": symbolic link loop (leads back to a parent directory)");
          continue;
        }
        if (depth >= 64) {
          out->errors.push_back(path + ": directory tree deeper than 64 levels, not entered");
          continue;
        }
        ancestors.insert(id);
        Walk(path, rel, labels, depth + 1);
        ancestors.erase(id);
        continue;
      }
      if (!S_ISREG(st.st_mode)) continue;  // Sockets, fifos, devices.
      if (!Keep(rel)) continue;
      if (!files.insert({st.st_dev, st.st_ino}).second) continue;
      out->inputs.push_back({path, labels});
    }
  }
};

}  // namespace

bool MatchesGlob(std::string_view glob, std::string_view relative_path) {
  std::string g(glob);
  std::string subject(relative_path);
  if (g.find('/') == std::string::npos) {
    size_t slash = subject.rfind('/');
    if (slash != std::string::npos) subject = subject.substr(slash + 1);
  } else {
    // "**" means the same as '*' here: both cross '/'.
    for (size_t p; (p = g.find("**")) != std::string::npos;) g.erase(p, 1);
  }
  return ::fnmatch(g.c_str(), subject.c_str(), 0) == 0;
}

Status ParseLabel(std::string_view label, ProcessIdentity* labels) {
  const size_t eq = label.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == label.size()) {
    return Status::InvalidArgument("label '" + std::string(label) +
                                   "' must be KEY=VALUE, with KEY component, host or pid");
  }
  std::string_view key = label.substr(0, eq), value = label.substr(eq + 1);
  if (key == "component") {
    labels->component.assign(value);
  } else if (key == "host") {
    labels->host.assign(value);
  } else if (key == "pid") {
    int64_t pid = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), pid);
    if (ec != std::errc() || p != value.data() + value.size() || pid <= 0) {
      return Status::InvalidArgument("label '" + std::string(label) +
                                     "': pid must be a positive number");
    }
    labels->pid = pid;
  } else {
    return Status::InvalidArgument("label '" + std::string(label) +
                                   "': unknown key; use component, host or pid");
  }
  return Status::OK();
}

Enumeration EnumerateInputs(const std::vector<InputSpec>& given, const EnumerateOptions& options) {
  Enumeration out;
  Walker w{options, &out, {}, {}};
  for (const InputSpec& spec : given) {
    struct stat st;
    if (spec.path == "-" || ::stat(spec.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      // Files are read as named; opening reports missing or looping paths.
      if (spec.path != "-" && ::stat(spec.path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          !w.files.insert({st.st_dev, st.st_ino}).second) {
        continue;  // Named twice, or also found in a directory named.
      }
      out.inputs.push_back(spec);
      continue;
    }
    const FileId id{st.st_dev, st.st_ino};
    w.ancestors.insert(id);
    w.Walk(spec.path, "", spec.labels, 0);
    w.ancestors.erase(id);
  }
  return out;
}

}  // namespace etiolog::ingest
