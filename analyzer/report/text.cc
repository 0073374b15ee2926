// SPDX-License-Identifier: Apache-2.0
//
// The report for a terminal (format text).

#include <sstream>

#include "analyzer/report/report_internal.h"

namespace etiolog::analyzer::report_internal {

namespace {

void IndentBlock(std::ostringstream& out, const std::string& text, const char* indent) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out << indent << line << "\n";
}

// Like IndentBlock, and wraps lines longer than width at spaces.
void WrapBlock(std::ostringstream& out, const std::string& text, const char* indent, size_t width) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (line.size() > width) {
      size_t cut = line.rfind(' ', width);
      if (cut == std::string::npos || cut == 0) cut = line.find(' ', width);
      if (cut == std::string::npos) break;
      out << indent << line.substr(0, cut) << "\n";
      line.erase(0, cut + 1);
    }
    out << indent << line << "\n";
  }
}

// One evidence line of a text report, under a "role" column.
void TextLine(std::ostringstream& out, const EvidenceLine& e, bool with_role) {
  auto clean = [](std::string_view s) { return CleanText(s, false); };
  out << "      ";
  if (with_role) out << clean(e.role) << "  ";
  out << clean(e.path) << ":" << e.line << "  " << FormatTime(e) << "  " << clean(Process(e))
      << "\n        " << clean(e.text) << "\n";
}

// The body of a finding or risk: title, summary, evidence, against, fix.
void TextBody(std::ostringstream& out, const Finding& f) {
  if (!f.evidence.empty()) {
    out << "\n    Evidence:\n";
    for (const auto& e : f.evidence) TextLine(out, e, true);
  }
  if (!f.against.empty()) {
    out << "\n    Against:\n";
    for (const auto& e : f.against) TextLine(out, e, false);
  }
  if (!f.remediation.empty()) {
    out << "\n    Fix (" << CleanText(f.deployment, false) << "):\n";
    IndentBlock(out, CleanText(f.remediation, true), "      ");
  }
}

// Alternatives, one paragraph each: what it found, why it lost, one line
// for and one against, and for those not reported what would settle them.
void TextAlternatives(std::ostringstream& out, const std::vector<Alternative>& alternatives) {
  auto clean = [](std::string_view s) { return CleanText(s, false); };
  if (alternatives.empty()) {
    out << "      No other cause was considered.\n";
    return;
  }
  for (const Alternative& a : alternatives) {
    out << "      - " << clean(a.cause);
    if (a.found) {
      out << " (confidence " << Confidence(a.confidence);
      if (!a.surface.empty()) out << ", surface " << clean(a.surface);
      out << ")";
    }
    out << ": " << clean(a.status) << "\n";
    WrapBlock(out, clean(a.reason), "          ", 92);
    auto first = [&](const char* label, const std::vector<EvidenceLine>& lines) {
      if (lines.empty()) return;
      const EvidenceLine& e = lines.front();
      out << "          " << label << clean(e.path) << ":" << e.line;
      if (lines.size() > 1) out << " (and " << lines.size() - 1 << " more)";
      out << "\n            " << clean(e.text) << "\n";
    };
    first("for:     ", a.evidence);
    first("against: ", a.against);
    if (a.status != "reported" && !a.collect.empty()) {
      out << "          would change the verdict:\n";
      WrapBlock(out, clean(a.collect), "            ", 90);
    }
  }
}

void TextRisks(std::ostringstream& out, const std::vector<Finding>& risks) {
  if (risks.empty()) return;
  auto clean = [](std::string_view s) { return CleanText(s, false); };
  out << "\nRisks: nothing has failed because of these yet, but the logs show a state that breaks "
         "later.\n\n";
  int n = 0;
  for (const Finding& r : risks) {
    out << "[R" << ++n << "] " << clean(r.cause);
    if (!r.surface.empty()) out << "  (surface " << clean(r.surface) << ")";
    out << "\n    " << clean(r.title) << "\n\n";
    WrapBlock(out, CleanText(r.summary, true), "    ", 96);
    TextBody(out, r);
    out << "\n";
  }
}

}  // namespace

std::string RenderText(const Verdict& verdict, const RunSummary& run, bool explain) {
  auto clean = [](std::string_view s) { return CleanText(s, false); };
  std::ostringstream out;
  for (const std::string& e : run.stats.errors) out << "error: " << clean(e) << "\n";
  for (const std::string& e : run.cause_errors) {
    out << "error: " << clean(e) << " (cause skipped)\n";
  }
  out << "etiolog: read " << run.stats.sources << " source(s), " << run.stats.lines << " lines; "
      << run.stats.events << " events";
  if (run.stats.capped_lines) out << "; " << run.stats.capped_lines << " over-long lines cut";
  if (run.stats.bad_records) out << "; " << run.stats.bad_records << " lines with bad bytes";
  out << "\n\n";
  if (verdict.findings.empty()) {
    out << kNoFinding << "\n";
    if (explain) {
      out << "\n    Causes considered:\n";
      TextAlternatives(out, verdict.considered);
    }
    TextRisks(out, verdict.risks);
    return out.str();
  }
  int n = 0;
  for (const Finding& f : verdict.findings) {
    out << "[" << ++n << "] " << clean(f.cause) << "  (confidence " << Confidence(f.confidence);
    if (!f.surface.empty()) out << ", surface " << clean(f.surface);
    out << ")\n";
    out << "    " << clean(f.title) << "\n";
    if (f.confidence < 0.5) {
      out << "    (not certain: the logs do not show enough to be sure)\n";
    }
    out << "\n";
    WrapBlock(out, CleanText(f.summary, true), "    ", 96);
    TextBody(out, f);
    if (explain) {
      out << "\n    Alternatives considered:\n";
      TextAlternatives(out, f.alternatives);
    }
    out << "\n";
  }
  TextRisks(out, verdict.risks);
  return out.str();
}

}  // namespace etiolog::analyzer::report_internal
