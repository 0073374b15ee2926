// SPDX-License-Identifier: Apache-2.0
//
// The etiolog commands, callable without a command line: main.cc parses
// options into these structs and calls Run*. Output goes to the given
// streams so tests can capture it.
//
// Exit codes (a contract for scripts; docs/cli.md):
//   0  the run completed (findings or not)
//   1  --fail-on-finding was given and a finding was reported
//   2  usage error (bad option, bad rule pack)
//   3  some inputs could not be read; the rest were analysed and reported
//   4  fatal: nothing could be analysed (store failure, no readable input)
//
// Thread safety: each call is independent.

#ifndef ETIOLOG_ANALYZER_COMMANDS_H_
#define ETIOLOG_ANALYZER_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "analyzer/pipeline.h"
#include "ingest/input_set.h"

namespace etiolog::analyzer {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFinding = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitPartial = 3;
inline constexpr int kExitFatal = 4;

struct AnalyzeOptions {
  std::vector<std::string> paths;       // Files, directories (recursive), "-"
                                        // for standard input; archives too.
  std::vector<ProcessIdentity> labels;  // labels[i] (if present) applies to
                                        // paths[i] (--label).
  ingest::EnumerateOptions enumerate;   // --include / --exclude globs.
  std::string format = "text";          // "text" or "json".
  std::vector<std::string> rule_files;  // Extra packs, after the built-in one.
  bool builtin_rules = true;            // Load the built-in packs.
  std::string db_path;                  // "" = temporary store.
  double min_confidence = 0;            // Hide findings below this.
  bool fail_on_finding = false;         // Exit 1 if any finding.
  IngestOptions ingest;
};

int RunAnalyze(const AnalyzeOptions& options, std::ostream& out, std::ostream& err);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_COMMANDS_H_
