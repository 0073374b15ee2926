// SPDX-License-Identifier: Apache-2.0
//
// The exit codes of every etiolog command (a contract for scripts;
// docs/cli.md). Only the command line (analyzer/cli/) knows them: the
// libraries below it return what happened, and cli maps that to a code.
//
//   0  the run completed (findings or not)
//   1  --fail-on-finding was given and a finding was reported (risks do
//      not count); rules test or lint found a failure, warning or error;
//      status: the tail run stopped or is stale
//   2  usage error (bad option, bad rule pack)
//   3  partial: some inputs could not be read, or some causes were skipped
//      because their SQL failed; the rest were analysed and reported
//   4  fatal: nothing could be analysed (store failure, no readable input;
//      report: no store or no diagnosis in it)
//   5  findings could not all be delivered (a ticket file not written, a
//      POST that failed after its retries); the others were. Takes
//      precedence over 3 and 1: a missing ticket is what needs attention.

#ifndef ETIOLOG_ANALYZER_CLI_EXIT_CODES_H_
#define ETIOLOG_ANALYZER_CLI_EXIT_CODES_H_

namespace etiolog::analyzer {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFinding = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitPartial = 3;
inline constexpr int kExitFatal = 4;
inline constexpr int kExitDelivery = 5;

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_CLI_EXIT_CODES_H_
