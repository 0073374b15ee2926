// SPDX-License-Identifier: Apache-2.0
//
// Cause self-tests: a cause is tested like a rule. Each of its `examples`
// (rules::CauseExample: a few log files inline in the pack) must produce its
// finding, or its risk, with the surface and minimum confidence the example
// names; each `counter_examples` log must not. An example runs through what
// `analyze` runs: its files, each a source named by its file name, go
// through the Pipeline with every loaded rule into a fresh in-memory store,
// and DiagnoseStore runs every loaded cause on it. So an example proves the
// whole path, from raw lines to a ranked finding after suppression by the
// other causes, and a rule change that breaks a cause shows up here.
//
// This lives in the analyzer, not in rules/self_test.h, because it needs
// the pipeline, the store and the diagnoser; the pack loader only parses
// the examples.
//
// Thread safety: pure function over an immutable Matcher; each example
// opens its own store.

#ifndef ETIOLOG_ANALYZER_DIAGNOSIS_CAUSE_EXAMPLES_H_
#define ETIOLOG_ANALYZER_DIAGNOSIS_CAUSE_EXAMPLES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/diagnosis/diagnoser.h"
#include "ingest/status.h"
#include "rules/matcher.h"
#include "rules/pack.h"

namespace etiolog::analyzer {

struct CauseExampleFailure {
  std::string cause;    // The cause whose example failed.
  std::string where;    // "<file>:<line>:<column>" of the example.
  std::string message;  // What was expected and what the diagnosis gave.
};

// The outcome for one cause (or risk).
struct CauseTestResult {
  std::string cause;
  std::string where;  // Of the cause.
  bool risk = false;
  int examples = 0;          // Examples run.
  int counter_examples = 0;  // Counter-examples run.
  std::vector<CauseExampleFailure> failures;
};

struct CauseTestSummary {
  int logs = 0;                               // Examples and counter-examples run.
  std::vector<CauseTestResult> causes;        // One per cause tested, in pack order.
  std::vector<CauseExampleFailure> failures;  // All, in cause order.
};

// Runs the examples of every cause in causes defined in one of files
// (Location::file; empty: every cause), each against matcher (the loaded
// rules) and all of causes. A diagnosis that fails (a cause's SQL) fails
// the example with its message. Returns a store error (the in-memory store
// cannot be opened or written), which ends the run.
Result<CauseTestSummary> RunCauseExamples(const rules::Matcher& matcher,
                                          const std::vector<rules::Cause>& causes,
                                          const std::vector<std::string>& files = {});

// The step limit of each cause query run on an example's store: example
// logs are a few hundred lines at most, on which the built-in causes' queries
// need a few thousand steps, so a runaway query fails the example in about
// 0.1 s instead of the store default's 10 s.
inline constexpr uint64_t kExampleStepLimit = 10'000'000;

// Diagnoses files ((name, text) pairs, each a source named name) as
// analyze would (matcher's rules, a fresh in-memory store, causes), each
// cause query under kExampleStepLimit.
Result<Verdict> DiagnoseFiles(const rules::Matcher& matcher,
                              const std::vector<rules::Cause>& causes,
                              const rules::KeyValues& files);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_DIAGNOSIS_CAUSE_EXAMPLES_H_
