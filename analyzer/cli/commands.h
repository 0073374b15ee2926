// SPDX-License-Identifier: Apache-2.0
//
// The etiolog commands, callable without a command line: main.cc parses
// options into these structs and calls Run*. Output goes to the given
// streams so tests can capture it.
//
// Exit codes: analyzer/cli/exit_codes.h (a contract for scripts;
// docs/cli.md).
//
// Thread safety: each call is independent.

#ifndef ETIOLOG_ANALYZER_CLI_COMMANDS_H_
#define ETIOLOG_ANALYZER_CLI_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "analyzer/pipeline/pipeline.h"
#include "analyzer/pipeline/rule_set.h"
#include "analyzer/sinks/output.h"
#include "analyzer/tail/tail.h"
#include "ingest/input_set.h"
#include "rules/matcher.h"
#include "rules/pack.h"

namespace etiolog::analyzer {

struct AnalyzeOptions {
  std::vector<std::string> paths;       // Files, directories (recursive), "-"
                                        // for standard input; archives too.
  std::vector<ProcessIdentity> labels;  // labels[i] (if present) applies to
                                        // paths[i] (--label).
  ingest::EnumerateOptions enumerate;   // --include / --exclude globs.
  OutputOptions output;                 // Format, filter and sink.
  std::vector<std::string> rule_files;  // Extra packs, after the built-in one.
  bool builtin_rules = true;            // Load the built-in packs.
  bool default_rules = true;            // Load the standard rule directories.
  std::string db_path;                  // "" = temporary store.
  double min_confidence = 0;            // Hide findings below this.
  bool fail_on_finding = false;         // Exit 1 if any finding (risks do not count).
  bool explain = false;                 // Show the alternatives of each finding.
  bool timings = false;                 // Print each stage's duration on err.
  // The step limit of each cause query (DiagnoseOptions::query_step_limit);
  // 0: the store's default.
  uint64_t query_step_limit = 0;
  IngestOptions ingest;
};

// Reads the inputs, diagnoses, saves the findings and risks (and the run)
// in the store and emits them (EmitVerdict). Exit codes: 0, 1, 2, 3, 4, 5.
int RunAnalyze(const AnalyzeOptions& options, std::ostream& out, std::ostream& err);

// `etiolog report`: the findings the last `analyze --db` saved, rendered
// again without reading any log.
struct ReportCommandOptions {
  std::string db_path;                  // The store. REQUIRED.
  double min_confidence = 0;            // Hide findings below this.
  OutputOptions output;                 // Format, filter and sink.
  std::vector<std::string> rule_files;  // Packs whose `redact:` patterns
  bool builtin_rules = true;            // apply again (as for analyze), and
  bool default_rules = true;            // whose causes explain runs.
  // Show the alternatives of each finding: the packs' causes run again on
  // the store's events (the stored diagnosis keeps no alternatives).
  bool explain = false;
};

// Loads the store's diagnosis and emits it like RunAnalyze did (the same
// bytes, for the same format). Exit codes: 0; 2 for a pack that fails to
// load; 3 if, with explain, a cause run again was skipped because its SQL
// failed (message on err); 4 if the store is missing, not a store, or
// holds no diagnosis (message on err); 5 as EmitFindings.
int RunReport(const ReportCommandOptions& options, std::ostream& out, std::ostream& err);

// `etiolog explain [CAUSE]`.
struct ExplainOptions {
  std::string cause;                    // "" lists every cause and risk.
  std::string deployment = "default";   // Which fix to show.
  std::vector<std::string> rule_files;  // Packs, as for analyze.
  bool builtin_rules = true;
  bool default_rules = true;
};

// Prints what a cause means, what evidence it looks for, what to collect
// when in doubt and its fix, from the loaded packs (or, without a cause,
// every cause and risk with its title). Exit codes: 0; 2 for an unknown
// cause (with the closest known ids), an unknown deployment or a pack
// that fails to load.
int RunExplain(const ExplainOptions& options, std::ostream& out, std::ostream& err);

// `etiolog rules test|lint|list`.
struct RulesOptions {
  std::string action;              // "test", "lint" or "list".
  std::vector<std::string> packs;  // Pack files or directories; if empty, the
                                   // standard set (built-in + directories).
  bool builtin_rules = true;       // Load the built-in packs (with packs: only
                                   // their kinds and surfaces).
  bool default_rules = true;       // Standard set: load the rule directories.
  bool literals = false;           // list: also print each pattern's scanned literals.
};

// test: runs every example and counter-example of every rule and cause
//   (the causes' through the whole pipeline, analyzer/diagnosis/cause_examples.h),
//   prints one line per rule and per cause; exit 0 if all pass, 1 if any
//   fails.
// lint: prints warnings and errors (rules/lint.h; override/disable naming
//   nothing; causes whose SQL does not prepare against the store schema,
//   analyzer/diagnosis/cause_lint.h); exit 0 if none, 1 if any.
// list: prints id, kind, surface and source location of every rule (and,
//   with literals, the literals the prefilter scans for, per pattern).
// All: exit 2 (kExitUsage) if a pack fails to load, with its location.
int RunRules(const RulesOptions& options, std::ostream& out, std::ostream& err);

// `etiolog events PATH...`: every event the rules find, one per line.
// Inputs and packs are given as for `analyze`.
struct EventsOptions {
  std::vector<std::string> paths;       // As AnalyzeOptions.
  std::vector<ProcessIdentity> labels;  // As AnalyzeOptions.
  ingest::EnumerateOptions enumerate;   // As AnalyzeOptions.
  std::string format = "text";          // "text" or "jsonl".
  std::vector<std::string> rule_files;  // Extra packs, after the standard set.
  bool builtin_rules = true;            // Load the built-in packs.
  bool default_rules = true;            // Load the standard rule directories.
  IngestOptions ingest;
};

// Ingests the paths through the Pipeline into a temporary store and prints
// its events in input order: text ("<time> <process> <kind> <rule>
// <path>:<line> <line text>") or jsonl (one object per event; keys in
// docs/pack-format.md). Exit codes as RunAnalyze (0, 2, 3, 4).
int RunEvents(const EventsOptions& options, std::ostream& out, std::ostream& err);

// Enumerates paths (labels[i] applying to paths[i]; enumerate's globs)
// and runs pipeline over them, adding to *stats. Prints input errors and
// bad-line warnings to err. Returns kExitFatal (message on err) if the store
// failed or nothing could be read, else kExitOk.
int IngestInputs(const std::vector<std::string>& paths, const std::vector<ProcessIdentity>& labels,
                 const ingest::EnumerateOptions& enumerate, Pipeline* pipeline, IngestStats* stats,
                 std::ostream& err);

// The exit code of `etiolog tail` (analyzer/tail/tail.h): 0 after a clean
// stop; 2 for a pack that fails to load; 3 if reading standard input
// failed; 4 if the store cannot be opened or fails; 5 if findings could not
// all be delivered to a sink.
int TailExitCode(TailEnd end);

// The exit code of `etiolog status`: 0 if the run is following and the file
// was updated in time; 1 if it stopped or is stale; 4 if the file cannot be
// read or is not a status file.
int StatusExitCode(TailHealth health);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_CLI_COMMANDS_H_
