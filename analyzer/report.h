// SPDX-License-Identifier: Apache-2.0
//
// Reporters: render a diagnosis for people (text) and for scripts (JSON).
//
// The JSON shape is a stable contract (docs/json-report.md):
//   {"etiolog": {"version", "report_schema"}, "run": {...},
//    "findings": [{"cause", "title", "surface", "confidence", "summary",
//                  "evidence": [{"role", "path", "line", "time", "time_quality",
//                                "kind", "component", "host", "pid", "text"}],
//                  "against": [...], "remediation", "deployment", "fingerprint",
//                  "facts": {...}}]}
// Findings appear most likely first. Fields are only ever added.
//
// Thread safety: pure functions.

#ifndef ETIOLOG_ANALYZER_REPORT_H_
#define ETIOLOG_ANALYZER_REPORT_H_

#include <string>
#include <vector>

#include "analyzer/diagnoser.h"
#include "analyzer/pipeline.h"

namespace etiolog::analyzer {

// Facts about the run shown beside the findings.
struct RunSummary {
  IngestStats stats;
  std::string deployment;
  std::vector<std::string> packs;
};

// The version of the JSON report layout; bumped only for incompatible
// changes (never so far).
inline constexpr int kReportSchema = 1;

std::string RenderText(const std::vector<Finding>& findings, const RunSummary& run);
std::string RenderJson(const std::vector<Finding>& findings, const RunSummary& run);

// "2025-12-07T15:56:23.562782Z", or "-" when the line had no time.
std::string FormatTime(const EvidenceLine& line);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_REPORT_H_
