// SPDX-License-Identifier: Apache-2.0
//
// The one output path of analyze, report and tail: which findings are shown,
// in which format, and where they go (stdout, a ticket directory through
// dir_sink.h, an HTTP endpoint through http_sink.h).
//
// Thread safety: each call is independent.

#ifndef ETIOLOG_ANALYZER_SINKS_OUTPUT_H_
#define ETIOLOG_ANALYZER_SINKS_OUTPUT_H_

#include <ostream>
#include <string>
#include <vector>

#include "analyzer/diagnosis/diagnoser.h"
#include "analyzer/report/report.h"
#include "analyzer/sinks/http_sink.h"
#include "ingest/status.h"

namespace etiolog::analyzer {

// Which findings a command shows, how and where: shared by analyze and
// report, so both render and deliver through one path (EmitFindings).
struct OutputOptions {
  // Format and ticket fields. The redactor is set by the command (from the
  // packs it loaded).
  ReportOptions report;
  std::string cause;  // Only findings of this cause id. Default: "" (all).
  // A ticket directory (dir_sink.h): one file per finding plus index.json.
  // Default: "" (stdout).
  std::string to_dir;
  bool prune = false;  // With to_dir: delete resolved tickets' files.
  // An HTTP endpoint (http_sink.h): post.url "" means none. Default: none.
  HttpSinkOptions post;
};

// Returns InvalidArgument (a usage error) for options that contradict each
// other: to_dir and post both set; prune without to_dir; post with a format
// that is not JSON (json, github, jira); jira without a project key; post
// options CheckHttpSinkOptions refuses.
Status CheckOutputOptions(const OutputOptions& options);

// Renders verdict (the findings and risks of options.cause, if set) with run
// and delivers it: the whole report to out, or one ticket per finding to
// the ticket directory or the endpoint, with a line per ticket on out saying
// what was done. Risks are never tickets: with a sink, out gets one line
// per risk instead. Returns true if every ticket was delivered, false if
// any was not (each failure explained on err).
// REQUIRES: CheckOutputOptions(options).ok().
bool EmitVerdict(const Verdict& verdict, const RunSummary& run, const OutputOptions& options,
                 std::ostream& out, std::ostream& err);

// EmitVerdict of findings alone.
bool EmitFindings(const std::vector<Finding>& findings, const RunSummary& run,
                  const OutputOptions& options, std::ostream& out, std::ostream& err);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_SINKS_OUTPUT_H_
