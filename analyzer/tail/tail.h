// SPDX-License-Identifier: Apache-2.0
//
// `etiolog tail`: follows live logs (ingest/follow.h) and reports findings
// as they appear. Each followed file is read through the same chain as
// `analyze` (Pipeline::Follow: framing, decoding, matching, the store with
// its checkpoint); after new events, once the logs have been quiet for the
// debounce interval, the timeline is completed and the causes are run
// again (Diagnoser), and only findings that are new, or whose confidence
// or evidence changed materially, are emitted: as text, as JSON Lines (one
// finding object per line, the JSON report's shape plus "change"), or
// through the report sinks (--to DIR, --post URL). docs/tail.md.
//
// With a store file (--db) the followed files, their identity and their
// checkpoints persist: a later `etiolog tail --db` resumes each where it
// stopped, without re-reading or counting twice, and the findings already
// emitted are not emitted again. `etiolog report --db` renders the latest
// diagnosis.
//
// Thread safety: one RunTail at a time per process (it handles SIGINT and
// SIGTERM while it runs).

#ifndef ETIOLOG_ANALYZER_TAIL_TAIL_H_
#define ETIOLOG_ANALYZER_TAIL_TAIL_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/pipeline/pipeline.h"
#include "analyzer/sinks/output.h"
#include "ingest/input_set.h"
#include "ingest/status.h"

namespace etiolog::analyzer {

struct TailOptions {
  // Files, directories, glob patterns, and "-" for standard input (read as
  // it fills; its end ends the run).
  std::vector<std::string> paths;
  std::vector<ProcessIdentity> labels;  // labels[i] applies to paths[i].
  ingest::EnumerateOptions enumerate;   // --include / --exclude in directories.
  OutputOptions output;                 // Ticket format and sinks.
  bool jsonl = false;                   // Stdout: JSON Lines instead of output.report.format.
  std::vector<std::string> rule_files;  // As AnalyzeOptions.
  bool builtin_rules = true;
  bool default_rules = true;
  std::string db_path;  // "" = a temporary store.
  double min_confidence = 0;
  // Read files present at start from their beginning. Default: false, start
  // at the end of their last complete line (unless the store knows them).
  bool from_start = false;
  // How often files are looked at when polling. Default: 250 ms.
  int64_t poll_interval_ms = 250;
  // Poll only. Default: false: inotify (ingest/watch.h) wakes the loop as
  // soon as a followed directory changes, and everything is checked every
  // watched_check_ms besides; polling is used anyway where inotify is
  // unavailable or cannot be trusted (network file systems).
  bool poll = false;
  // With inotify, check every file this often anyway (a missed event, a
  // directory that appeared deep inside a followed one). Default: 5 s.
  int64_t watched_check_ms = 5000;
  // Diagnose once no new event arrived for this long, and at most once per
  // this interval. Default: 2 s.
  int64_t debounce_ms = 2000;
  // Diagnose anyway once the oldest event not diagnosed yet is this old,
  // so a finding is printed during a storm that never goes quiet for
  // debounce_ms; a finding is then updated at most once per this interval
  // (and only when it changed materially). 0: no maximum. Default: 5 s.
  int64_t max_delay_ms = 5000;
  // A last line without a newline is taken as complete after its file was
  // idle this long. Default: 5 s.
  int64_t partial_line_ms = 5000;
  // A file renamed or deleted is read for this long after it stopped
  // growing, then closed. Default: 5 s.
  int64_t rotate_wait_ms = 5000;
  // Patterns and directories are re-listed this often to find new files.
  // Default: 1 s.
  int64_t rescan_ms = 1000;
  // Keep a status file here ("" = none): JSON saying what is followed, how
  // far behind each file is, and when events and the last diagnosis came;
  // rewritten (atomically) at least every watched_check_ms, and once more
  // with "state": "stopped" at the end. `etiolog status` reads it.
  std::string status_file;
  // Stop after this long (0: never). Default: 0.
  int64_t exit_after_ms = 0;
  // Stop once nothing was read and no diagnosis was pending for this long
  // (0: never). Default: 0.
  int64_t exit_when_idle_ms = 0;
  IngestOptions ingest;
};

// How a tail run ended (the command line makes an exit code of it).
enum class TailEnd {
  kStopped,       // A clean stop.
  kBadPacks,      // A pack failed to load.
  kInputFailed,   // Reading standard input failed (the rest was read).
  kFailed,        // The store could not be opened or failed.
  kNotDelivered,  // Findings could not all be delivered to a sink.
};

// Follows options.paths until SIGINT or SIGTERM (or an exit option, or the
// end of standard input when "-" is among them), then reads what is left,
// diagnoses if events arrived since the last diagnosis, saves checkpoints
// and findings and returns how it ended. Notes (rotations, truncations),
// unreadable files and bad lines go to err as they happen; findings to out
// (flushed after each emission). kNotDelivered takes precedence over
// kInputFailed.
TailEnd RunTail(const TailOptions& options, std::ostream& out, std::ostream& err);

// What a status file says of its run.
enum class TailHealth {
  kHealthy,    // Following, and updated within max_age_ms.
  kUnhealthy,  // Stopped or stale (why, on out).
  kUnreadable  // The file cannot be read or is not a status file (on err).
};

// `etiolog status FILE`: reads a status file of RunTail (status_file) and
// prints what it says to out.
TailHealth RunStatus(const std::string& path, int64_t max_age_ms, std::ostream& out,
                     std::ostream& err);

// Parses a duration: a number with a unit (ms, s, m, h; "1.5s"), or a bare
// number of seconds. Returns milliseconds, or InvalidArgument.
Result<int64_t> ParseDuration(std::string_view text);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_TAIL_TAIL_H_
