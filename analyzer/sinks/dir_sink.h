// SPDX-License-Identifier: Apache-2.0
//
// The ticket directory: one file per finding, named by its fingerprint
// (`<fingerprint>.<extension>`, e.g. 8eac68f963d0a4e8.md), plus index.json,
// which lists every ticket the directory holds and what the last run did to
// it (docs/reports.md). A rerun on the same logs rewrites nothing: a file
// is replaced only when its content changed, so a directory kept in git or
// synced to a tracker shows real changes only.
//
// A finding that is no longer reported keeps its file; the index marks it
// "resolved" (with the time it was first missed). With prune, its file is
// deleted and it leaves the index. If it comes back, it is "reopened".
// Each file (index included) is written to a temporary file in the
// directory, flushed to disk, then renamed over the old one: a reader or a
// crash never sees a half-written ticket. A lock file (.etiolog.lock, flock)
// keeps two runs from writing one directory at once. One directory holds
// one format: writing another is refused.
//
// Thread safety: WriteTicketDir may run concurrently on distinct
// directories; on one directory a second caller gets an error.

#ifndef ETIOLOG_ANALYZER_SINKS_DIR_SINK_H_
#define ETIOLOG_ANALYZER_SINKS_DIR_SINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/report/report.h"
#include "ingest/status.h"

namespace etiolog::analyzer {

inline constexpr char kTicketIndexName[] = "index.json";
inline constexpr int kTicketIndexSchema = 1;

struct DirSinkOptions {
  // The tickets' format: names their files (TicketExtension) and is kept in
  // the index. Default: markdown.
  ReportFormat format = ReportFormat::kMarkdown;
  // Delete the files of resolved findings and drop them from the index.
  // Default: false (keep them, marked resolved).
  bool prune = false;
  // The run concerns only findings of this cause: tickets of other causes
  // are left as they are (not resolved). Default: "" (all causes).
  std::string cause;
  // The time recorded in the index, UTC µs; 0 = now. Default: 0.
  int64_t now_us = 0;
};

// What a run did, one entry per ticket it touched or kept.
struct DirSinkEntry {
  std::string fingerprint;
  std::string file;  // Name within the directory.
  std::string title;
  std::string change;  // "new", "updated", "unchanged", "reopened",
                       // "resolved" or "pruned".
};

struct DirSinkResult {
  std::vector<DirSinkEntry> entries;  // Current findings first, in the
                                      // order given; then resolved ones.
  // One message per ticket file that could not be written or deleted,
  // naming the file and the system's reason. The index then keeps such a
  // ticket's previous state.
  std::vector<std::string> errors;
};

// Writes tickets into dir (created if missing, with parents) and updates
// its index. Returns the per-ticket outcome, or an error for the directory
// as a whole, before anything is written: InvalidArgument if index.json is
// not a ticket index or holds another format, or a ticket's fingerprint is
// not a safe file name ([0-9A-Za-z-], at most 64) or is given twice; IoError if dir cannot be
// created or locked (another run holds it), naming it.
Result<DirSinkResult> WriteTicketDir(const std::string& dir, const std::vector<Ticket>& tickets,
                                     const DirSinkOptions& options);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_SINKS_DIR_SINK_H_
