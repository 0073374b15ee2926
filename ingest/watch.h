// SPDX-License-Identifier: Apache-2.0
//
// Watcher: wakes a follower when a watched directory changes, with Linux
// inotify. It does not replace the Follower's checks (ingest/follow.h): the
// Follower stays the one mechanism that finds files and reads, rotates and
// truncates them; the Watcher only says "look now" instead of "look at the
// next poll", so a line is read milliseconds after it is written instead of
// up to a poll interval later, and an idle follower can sleep long.
//
// A directory is watched (not each file): its files' writes, creations,
// renames and deletions all arrive on the directory's watch, so one watch
// serves thousands of files and rotation needs no re-arming. Where inotify
// cannot be trusted the caller polls instead:
//   - inotify is unavailable, or the watch limit (fs.inotify.max_user_watches)
//     is reached: Create() or Watch() fail;
//   - the directory is on a network or FUSE file system (NFS, SMB/CIFS, Ceph,
//     9p, FUSE): changes made on another host raise no event, so Watch()
//     refuses it (Unreliable);
//   - the kernel's event queue overflowed: Drain() says so (overflow), and
//     the caller checks everything once.
//
// Thread safety: one thread at a time.

#ifndef ETIOLOG_INGEST_WATCH_H_
#define ETIOLOG_INGEST_WATCH_H_

#include <map>
#include <memory>
#include <set>
#include <string>

#include "ingest/status.h"

namespace etiolog::ingest {

class Watcher {
 public:
  // What Drain() found since the last Drain().
  struct Events {
    bool any = false;       // Something changed in a watched directory.
    bool appeared = false;  // A name was created or moved in: look for new files.
    bool overflow = false;  // Events were lost: check everything.
    bool lost = false;      // A watched directory was deleted or moved: its
                            // watch is gone (Watch() it again if it is back).
  };

  // Returns a watcher, or IoError if inotify is not available (the message
  // says why).
  static Result<std::unique_ptr<Watcher>> Create();
  // Owns a descriptor.
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  ~Watcher();

  // Watches the directory dir (a directory already watched is OK). Returns
  // NotFound if dir does not exist, Unsupported if dir is on a file system
  // where inotify misses changes (network, FUSE), IoError if the kernel
  // refuses (the watch limit is reached); the caller should then poll. The
  // message names dir and the reason.
  Status Watch(const std::string& dir);

  // Whether dir is watched now.
  bool watches(const std::string& dir) const { return by_dir_.count(dir) > 0; }
  size_t size() const { return by_dir_.size(); }

  // The descriptor to wait on (poll(2) for POLLIN); readable when events
  // are queued.
  int fd() const { return fd_; }

  // Reads every queued event without blocking and sums them up.
  Events Drain();

 private:
  explicit Watcher(int fd) : fd_(fd) {}
  int fd_;
  std::map<std::string, int> by_dir_;  // Watch descriptors by directory.
  std::map<int, std::string> by_wd_;
};

// Whether the file system holding path is one where inotify sees only local
// changes (NFS, SMB/CIFS, Ceph, 9p, FUSE, ...). Its name (e.g. "nfs") in
// *kind when so. False if path cannot be examined.
bool IsRemoteFileSystem(const std::string& path, std::string* kind);

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_WATCH_H_
