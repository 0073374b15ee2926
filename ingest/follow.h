// SPDX-License-Identifier: Apache-2.0
//
// Follower: keeps track of log files that grow, get rotated, truncated,
// deleted or replaced, the way `tail -F` and the file sources of Vector or
// Fluent Bit do, and hands each file to the reading chain as a Source that
// says "nothing more for now" (Drained::kMore) rather than "end of input".
//
// Which files: the user's paths and globs (glob(3) patterns such as
// '/var/log/pods/*/*/*.log'), re-evaluated periodically, so new files (a new
// task attempt, a new pod) are picked up; a directory stands for every file
// below it (ingest/input_set.h rules, --include/--exclude apply).
// Compressed and archived files are skipped: a rotated copy that was
// compressed holds what was read from it before.
//
// Identity: a file is its device and inode plus a fingerprint of its first
// bytes (FNV-1a of up to kFingerprintBytes), so a file keeps its identity
// when it is renamed (rotation) and an inode reused for a new file is not
// mistaken for the old one. One FollowedFile is one *generation* of a file:
// a byte stream whose offsets never move back. What happens:
//   grows                 the new bytes are readable
//   renamed (rotation)    it is followed under its new name if a pattern
//   or deleted            matches it, otherwise it is *finishing*: read to
//                         its end for rotate_wait more (a writer may still
//                         be flushing into it), then it ends (Drained::kEnd)
//   replaced at its path  the same, and the new file is a new generation
//   truncated (size       the generation ends at once (what followed its
//   below what was read,  last read is gone) and the file is found again as
//   or first bytes        a new generation, read from offset 0
//   rewritten)
//   idle with a partial   after settle: the partial line is handed out as a
//   last line             line (Drained::kSettled)
//   idle for close_idle   its descriptor is closed (reopened when it grows)
// The caller decides where a new generation starts (Start: 0, a stored
// checkpoint, or the end of its last complete line) and keeps checkpoints;
// the Follower keeps none.
//
// Thread safety: one thread at a time. The clock is injectable for tests.

#ifndef ETIOLOG_INGEST_FOLLOW_H_
#define ETIOLOG_INGEST_FOLLOW_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ingest/input_set.h"
#include "ingest/source.h"
#include "ingest/status.h"

namespace etiolog::ingest {

// The most bytes a fingerprint covers.
inline constexpr uint32_t kFingerprintBytes = 256;

// What identifies one generation of a file.
struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  // The fingerprint covers the first fingerprint_bytes bytes: the file's
  // size when it was taken, at most kFingerprintBytes. It grows with the
  // file up to that bound.
  uint32_t fingerprint_bytes = 0;
  uint64_t fingerprint = 0;  // Fingerprint() of those bytes.

  bool operator==(const FileIdentity&) const = default;
};

// FNV-1a (64 bits) of data: stable across builds and machines, so it may be
// stored.
uint64_t Fingerprint(std::string_view data);

// Milliseconds from a monotonic clock.
using Clock = std::function<int64_t()>;
int64_t SteadyMillis();

class Follower;

// One generation of a followed file, read as a Source. Read() returns the
// bytes after the current offset; at the end of what the file holds it
// returns 0 with drained() kMore (or kSettled, see above), and kEnd once the
// generation has ended. Owned by its Follower.
class FollowedFile final : public Source {
 public:
  ~FollowedFile() override;

  Result<size_t> Read(char* buf, size_t n) override;
  // The name the file is known by: the path it was first found at, unless
  // set_name() gave another (etiolog tail names a later generation of a
  // path "<path>#<n>", so each generation is a source of its own).
  const std::string& name() const override { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  int64_t mtime() const override { return mtime_; }
  Drained drained() const override { return drained_; }

  const FileIdentity& identity() const { return identity_; }
  // Where the file was last seen ("" once it is no longer at a followed
  // path).
  const std::string& path() const { return path_; }
  // The offset of the next byte Read() returns.
  uint64_t offset() const { return offset_; }
  // The file's size at the last Poll().
  uint64_t size() const { return size_; }
  // Whether a descriptor is open (false after close_idle: reopened by a
  // Poll() when the file grows).
  bool is_open() const { return fd_ >= 0; }
  // Whether the generation has ended: Read() returns 0 with kEnd at its end.
  bool ending() const { return ending_; }
  // The --label of the pattern that found it.
  const ProcessIdentity& labels() const { return labels_; }

  // Makes Read() continue at offset (a checkpoint, 0, or LastLineEnd()).
  // REQUIRES: offset <= size(), at a line boundary.
  void Start(uint64_t offset);

  // Whether this file's first stored.fingerprint_bytes bytes have the
  // fingerprint stored.fingerprint and its device and inode are stored's:
  // stored (a checkpoint's identity) describes an earlier view of this
  // generation. Returns an IoError if the file cannot be read.
  Result<bool> Matches(const FileIdentity& stored) const;

  // The offset just after the last complete line of the file and the
  // number of lines before it, counted by reading the file once (for
  // starting at the end with correct line numbers). In a Docker or CRI log
  // whose last line is being written in pieces, the start of its first
  // piece instead (within the last MiB), so that the line is read whole.
  Result<std::pair<uint64_t, uint64_t>> LastLineEnd() const;

 private:
  friend class Follower;
  FollowedFile() = default;
  // Whether the first bytes still hash to the fingerprint.
  bool HeadUnchanged() const;

  std::string name_;
  std::string path_;
  FileIdentity identity_;
  int fd_ = -1;
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
  int64_t mtime_ = 0;
  uint64_t budget_ = 0;    // Bytes Read() may still return in this poll.
  char last_byte_ = '\n';  // The last byte Read() returned.
  bool settle_ = false;    // Idle with a partial line: hand it out.
  bool ending_ = false;    // Read to the end, then kEnd.
  bool replaced_ = false;  // Read() found it rewritten: ended, nothing read.
  Drained drained_ = Drained::kMore;
  int64_t grew_ms_ = 0;   // When the size last changed (or the file was found).
  int64_t gone_ms_ = -1;  // Since when it is at no followed path; -1: it is.
  std::string real_dir_;  // The directory its path resolves to (symlinks).
  ProcessIdentity labels_;
};

class Follower {
 public:
  struct Options {
    // Paths, directories and glob(3) patterns to follow, each with the
    // labels of the files it finds. REQUIRED.
    std::vector<InputSpec> patterns;
    // --include/--exclude for files found in directories.
    EnumerateOptions enumerate;
    // Re-evaluate the patterns at most this often (sooner after a
    // rotation). Default: 5 s.
    int64_t rescan_ms = 5000;
    // Keep reading a file this long after it left its path (rotated or
    // deleted) before ending it. Default: 5 s (Fluent Bit's Rotate_Wait).
    int64_t rotate_wait_ms = 5000;
    // Hand out a partial last line after the file has been idle this long.
    // 0: never. Default: 5 s.
    int64_t settle_ms = 5000;
    // Close the descriptor of a file idle this long (it is reopened when it
    // grows), so thousands of finished task logs do not hold descriptors.
    // 0: never. Default: 5 min.
    int64_t close_idle_ms = 300000;
    // Bytes a file may yield per Poll(), so one busy file cannot starve the
    // others or the diagnosis; a file with offset() < size() after reading
    // has more: poll again without waiting. Default: 64 MiB.
    uint64_t max_bytes_per_poll = uint64_t{64} << 20;
  };

  // What a Poll() found. The pointers stay valid until the Poll() after the
  // one that lists them in ended.
  struct Changes {
    std::vector<FollowedFile*> found;     // New generations: Start() each.
    std::vector<FollowedFile*> readable;  // Have bytes (or a partial line to
                                          // settle): Read() until it returns 0.
    std::vector<FollowedFile*> ended;     // Ended (rotated away, deleted,
                                          // truncated): Read() them to kEnd.
    std::vector<FollowedFile*> closed;    // Descriptor closed while idle.
    std::vector<std::string> errors;      // Paths that cannot be read, each
                                          // once until it can be again.
    std::vector<std::string> notes;       // Rotations, truncations, ...
  };

  explicit Follower(Options options, Clock clock = SteadyMillis);
  // Owns descriptors.
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;
  ~Follower();

  // Looks at the file system: finds new files, checks known ones, ends
  // those rotated away, deleted or truncated, and gives every readable file
  // a new read budget. The first Poll() finds the files present at start.
  Changes Poll();

  // Finds the file a stored identity describes when it is no longer at path
  // (renamed by a rotation while nothing followed it): looks at path, then
  // for the same inode in path's directory and, if path is a symbolic link,
  // in the directory of its current target. Returns the file (listed as
  // found by no Poll(); Start() it), or nullptr if it is gone. It is
  // finishing unless a pattern matches where it is.
  FollowedFile* Adopt(const std::string& path, const FileIdentity& identity);

  // Whether a pattern covers path: names it, matches it, or names a
  // directory it is in.
  bool Covers(const std::string& path) const;

  // Makes the next Poll() re-evaluate the patterns (a watched directory
  // gained a name: ingest/watch.h).
  void Rescan() { rescan_ = true; }

  // Whether a file waits for time to pass rather than for a change: one
  // finishing after it left its path (rotate_wait), or one whose partial
  // last line has not settled yet. A caller woken by changes (ingest/
  // watch.h) polls at its poll interval while this holds.
  bool waiting() const;

  // The directories whose changes matter: those of the followed files (as
  // named, and where symlinks lead), the directories the patterns name and
  // every directory below them, and for glob patterns the existing
  // directories their directory parts match ('/var/log/pods/*/*/*.log':
  // /var/log/pods, every pod directory, every container directory).
  // Sorted, without duplicates.
  std::vector<std::string> Directories() const;

  // Files currently followed (ended ones until released).
  size_t size() const { return files_.size() + ended_.size(); }
  // Paths that cannot be read now (reported in Changes::errors).
  size_t unreadable() const { return errors_.size(); }

 private:
  using Key = std::pair<uint64_t, uint64_t>;  // Device and inode.
  std::vector<std::string> Expand(std::vector<std::string>* errors);
  void Scan(int64_t now, std::map<Key, bool>* present, Changes* out);
  std::unique_ptr<FollowedFile> Open(const std::string& path, const FileIdentity* expected,
                                     std::string* error);
  void Check(FollowedFile* f, bool present, int64_t now, Changes* out);
  // Ends f's generation. replaced (truncated or rewritten): nothing more
  // is read from it; the bytes past its offset are the next generation's.
  void End(FollowedFile* f, const std::string& why, Changes* out, bool replaced = false);
  // Opens the file identity describes if it is at path, or has another name
  // in path's directory or in the directory of path's symlink target;
  // nullptr if none.
  std::unique_ptr<FollowedFile> FindMoved(const std::string& path, const FileIdentity& identity);
  void ReportError(const std::string& key, const std::string& message, Changes* out);
  void ClearError(const std::string& key, Changes* out);

  Options options_;
  Clock clock_;
  std::map<Key, std::unique_ptr<FollowedFile>> files_;
  std::vector<std::unique_ptr<FollowedFile>> ended_;  // Released by the next Poll().
  std::set<Key> skipped_;                             // Compressed or archived.
  std::map<std::string, ProcessIdentity> labels_;     // Of the paths of the last scan.
  std::map<std::string, std::string> errors_;         // Reported, by path.
  int64_t last_scan_ms_ = -1;
  bool rescan_ = true;
};

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_FOLLOW_H_
