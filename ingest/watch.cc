// SPDX-License-Identifier: Apache-2.0
//
// One inotify descriptor, non-blocking; one watch per directory. Drain()
// reads the queue in 64 KiB gulps until it is empty and folds the events
// into four flags: the follower needs no more (it re-reads state from the
// file system), so no per-file bookkeeping is kept here.

#include "ingest/watch.h"

#include <cerrno>
#include <cstring>

#include <sys/inotify.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace etiolog::ingest {

namespace {

constexpr uint32_t kMask = IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE |
                           IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// statfs(2) magic numbers of file systems whose changes on other hosts (or
// in another user-space server) raise no inotify event (linux/magic.h and
// the file systems' own sources).
struct RemoteKind {
  unsigned long magic;  // statfs's f_type
  const char* name;
};
constexpr RemoteKind kRemote[] = {
    {0x6969, "nfs"},           {0xFF534D42, "cifs"},  {0xFE534D42, "smb2"},  {0x517B, "smb"},
    {0x00C36400, "ceph"},      {0x01021997, "9p"},    {0x65735546, "fuse"},  {0x5346414F, "afs"},
    {0x6B414653, "afs"},       {0x564C, "ncp"},       {0x47504653, "gpfs"},  {0x0BD00BD0, "lustre"},
    {0x19830326, "glusterfs"}, {0xAAD7AAEA, "panfs"}, {0x013111A8, "ibrix"},
};

}  // namespace

bool IsRemoteFileSystem(const std::string& path, std::string* kind) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return false;
  for (const RemoteKind& r : kRemote) {
    if (static_cast<unsigned long>(fs.f_type) == r.magic) {
      *kind = r.name;
      return true;
    }
  }
  return false;
}

Result<std::unique_ptr<Watcher>> Watcher::Create() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Status::IoError(std::string("inotify: ") + std::strerror(errno));
  return std::unique_ptr<Watcher>(new Watcher(fd));
}

Watcher::~Watcher() { ::close(fd_); }

Status Watcher::Watch(const std::string& dir) {
  if (by_dir_.count(dir)) return Status::OK();
  std::string kind;
  if (IsRemoteFileSystem(dir, &kind)) {
    return Status::Unsupported(dir + ": on a " + kind +
                               " file system, where inotify does not see changes made "
                               "elsewhere");
  }
  const int wd = ::inotify_add_watch(fd_, dir.c_str(), kMask);
  if (wd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return Status::NotFound(dir + ": no such directory");
    if (err == ENOSPC) {
      return Status::IoError(dir +
                             ": the inotify watch limit is reached "
                             "(sysctl fs.inotify.max_user_watches)");
    }
    return Status::IoError(dir + ": inotify: " + std::strerror(err));
  }
  // Two names of one directory (a symlink) share a watch descriptor.
  if (auto it = by_wd_.find(wd); it != by_wd_.end()) by_dir_.erase(it->second);
  by_dir_[dir] = wd;
  by_wd_[wd] = dir;
  return Status::OK();
}

Watcher::Events Watcher::Drain() {
  Events out;
  alignas(struct inotify_event) char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: the queue is empty.
    for (ssize_t at = 0; at < n;) {
      struct inotify_event ev {};
      std::memcpy(&ev, buf + at, sizeof ev);
      at += static_cast<ssize_t>(sizeof ev + ev.len);
      out.any = true;
      if (ev.mask & IN_Q_OVERFLOW) out.overflow = true;
      if (ev.mask & (IN_CREATE | IN_MOVED_TO)) out.appeared = true;
      if (ev.mask & IN_IGNORED) {
        // The directory is gone (or was unmounted): forget its watch.
        out.lost = true;
        if (auto it = by_wd_.find(ev.wd); it != by_wd_.end()) {
          by_dir_.erase(it->second);
          by_wd_.erase(it);
        }
      }
    }
  }
  return out;
}

}  // namespace etiolog::ingest
