// SPDX-License-Identifier: Apache-2.0
//
// The body of GitHub's create-issue API (format github): {title, body,
// labels}, body being the Markdown note.

#include <sstream>

#include "analyzer/report/report_internal.h"

namespace etiolog::analyzer::report_internal {

Json GithubIssue(const Finding& f, const ReportOptions& options) {
  std::ostringstream body;
  MdNote(body, f, "##", false, options.explain);
  Json j;
  j["title"] = TicketTitle(f);
  j["body"] = body.str();
  j["labels"] = Labels(f, options, false);
  return j;
}

}  // namespace etiolog::analyzer::report_internal
