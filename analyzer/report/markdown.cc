// SPDX-License-Identifier: Apache-2.0
//
// The Markdown incident note (format markdown), also the body of a GitHub
// issue (github.cc).

#include <algorithm>
#include <sstream>

#include "analyzer/report/report_internal.h"

namespace etiolog::analyzer::report_internal {

namespace {

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Markdown for untrusted text, on one line, shown as written: every
// character with a Markdown or HTML meaning is backslash-escaped (no
// emphasis, link, image, raw HTML, entity, table cell break, strikethrough
// or math can start), a leading list, heading or quote marker is escaped,
// and @mentions and #123 / GH-123 references go into code spans, where
// GitHub neither notifies nor links. With code_spans, a pair of backticks
// (a pack's way to mark a command in prose) stays a code span: nothing in
// a code span is interpreted, so this opens no door either.
std::string MdText(std::string_view raw, bool code_spans = false) {
  const std::string s = Trim(CleanText(raw, false));
  std::string out;
  out.reserve(s.size() + 16);
  size_t i = 0;
  // A leading "-", "+", "=" or "1." would start a list or underline a
  // heading when the text begins a line.
  if (!s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == '=')) {
    out.push_back('\\');
  } else {
    size_t d = 0;
    while (d < s.size() && std::isdigit(static_cast<unsigned char>(s[d]))) ++d;
    if (d > 0 && d < s.size() && (s[d] == '.' || s[d] == ')')) {
      out.append(s, 0, d).append("\\");
      i = d;
    }
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    const bool word_before = i > 0 && IsWordChar(s[i - 1]);
    size_t ref_end = i;
    if (c == '@' && !word_before && i + 1 < s.size() && IsWordChar(s[i + 1])) {
      ref_end = i + 1;
      while (ref_end < s.size() &&
             (IsWordChar(s[ref_end]) || s[ref_end] == '-' || s[ref_end] == '/')) {
        ++ref_end;
      }
    } else if (c == '#' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      ref_end = i + 1;
      while (ref_end < s.size() && std::isdigit(static_cast<unsigned char>(s[ref_end]))) ++ref_end;
    } else if ((c == 'G' || c == 'g') && !word_before && i + 3 < s.size() &&
               (s[i + 1] == 'H' || s[i + 1] == 'h') && s[i + 2] == '-' &&
               std::isdigit(static_cast<unsigned char>(s[i + 3]))) {
      ref_end = i + 3;
      while (ref_end < s.size() && std::isdigit(static_cast<unsigned char>(s[ref_end]))) ++ref_end;
    }
    if (ref_end > i) {
      out.append("`").append(s, i, ref_end - i).append("`");
      i = ref_end - 1;
      continue;
    }
    if (c == '`' && code_spans) {
      const size_t close = s.find('`', i + 1);
      if (close != std::string::npos && close > i + 1) {
        out.append(s, i, close + 1 - i);
        i = close;
        continue;
      }
    }
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '|':
      case '~':
      case '&':
      case '#':
      case '$':
      case '!':
        out.push_back('\\');
        break;
      default:
        break;
    }
    out.push_back(c);
  }
  return out;
}

// A fenced code block of lines, each line prefixed by indent (to sit in a
// list item). The fence is longer than any run of backticks in the lines,
// so no line can close it; nothing inside a code block is interpreted.
void MdFence(std::ostringstream& out, const std::vector<std::string>& lines,
             std::string_view indent) {
  size_t longest = 0;
  for (const std::string& l : lines) {
    size_t run = 0;
    for (char c : l) {
      run = c == '`' ? run + 1 : 0;
      longest = std::max(longest, run);
    }
  }
  const std::string fence(std::max<size_t>(3, longest + 1), '`');
  out << indent << fence << "text\n";
  for (const std::string& l : lines) out << indent << CleanText(l, false) << "\n";
  out << indent << fence << "\n";
}

// The fingerprint in an HTML comment, for scripts that search issue bodies:
// only [0-9A-Za-z-], never "--".
std::string FingerprintComment(const std::string& fp) {
  std::string safe;
  for (char c : fp) {
    if (std::isalnum(static_cast<unsigned char>(c)) ||
        (c == '-' && !safe.empty() && safe.back() != '-')) {
      safe.push_back(c);
    }
  }
  return "<!-- etiolog-fingerprint: " + safe + " -->";
}

void MdEvidence(std::ostringstream& out, const std::vector<EvidenceLine>& lines) {
  out << "| # | Role | Where | Time (UTC) | Process |\n|--:|---|---|---|---|\n";
  std::vector<std::string> text;
  int n = 0;
  for (const EvidenceLine& e : lines) {
    ++n;
    std::string time = FormatTime(e);
    if (e.has_time && !e.time_quality.empty() && e.time_quality != "exact") {
      time += " (" + e.time_quality + ")";
    }
    out << "| " << n << " | " << MdText(e.role) << " | "
        << MdText(e.path + ":" + std::to_string(e.line)) << " | " << MdText(time) << " | "
        << MdText(Process(e)) << " |\n";
    text.push_back("[" + std::to_string(n) + "] " + e.text);
  }
  out << "\n";
  MdFence(out, text, "");
}

// The confidence of an alternative: "0.45", or "-" if it found nothing.
std::string AltConfidence(const Alternative& a) { return a.found ? Confidence(a.confidence) : "-"; }

// What was considered besides a finding (or, for a report without one, at
// all): a table, then what would settle the ones not reported.
void MdAlternatives(std::ostringstream& out, const std::vector<Alternative>& alternatives) {
  if (alternatives.empty()) {
    out << "No other cause was considered.\n\n";
    return;
  }
  out << "| Cause | Surface | Confidence | Status | Why |\n|---|---|---|---|---|\n";
  for (const Alternative& a : alternatives) {
    out << "| " << MdText(a.cause) << " | " << (a.surface.empty() ? "-" : MdText(a.surface))
        << " | " << AltConfidence(a) << " | " << MdText(a.status) << " | " << MdText(a.reason)
        << " |\n";
  }
  out << "\n";
  bool any = false;
  for (const Alternative& a : alternatives) {
    if (a.status == "reported" || a.collect.empty()) continue;
    if (!any) out << "What would change the verdict:\n\n";
    any = true;
    out << "- " << MdText(a.cause) << ": " << MdText(a.collect, true) << "\n";
  }
  if (any) out << "\n";
}

// The risks of a report, as a section of its own after the findings.
void MdRisks(std::ostringstream& out, const std::vector<Finding>& risks) {
  if (risks.empty()) return;
  const std::string so_far = out.str();
  // One blank line before the heading, whatever the section before ended with.
  if (so_far.size() < 2 || so_far.compare(so_far.size() - 2, 2, "\n\n") != 0) out << "\n";
  out << "## Risks\n\n"
      << "Nothing has failed because of these yet, but the logs show a state that breaks "
         "later:\n\n";
  int n = 0;
  for (const Finding& r : risks) {
    out << ++n << ". " << MdText(r.cause) << ": " << MdText(r.title) << "\n";
  }
  n = 0;
  for (const Finding& r : risks) {
    out << "\n### R" << ++n << ". " << MdText(r.cause) << ": " << MdText(r.title) << "\n\n";
    MdNote(out, r, "####", true);
  }
}

}  // namespace

std::string Likelihood(double confidence) {
  return confidence >= 0.5 ? "likely" : "not certain: the logs do not show enough to be sure";
}

// The note of one finding (or risk), its sections under headings of level h
// ("##"). explain adds the alternatives considered.
void MdNote(std::ostringstream& out, const Finding& f, const std::string& h, bool risk,
            bool explain) {
  if (risk) {
    out << "| Risk | Surface | Deployment |\n|---|---|---|\n"
        << "| " << MdText(f.cause) << " | " << (f.surface.empty() ? "-" : MdText(f.surface))
        << " | " << MdText(f.deployment) << " |\n\n"
        << "Nothing has failed because of it yet.\n\n";
  } else {
    out << "| Cause | Surface | Confidence | Deployment |\n|---|---|---|---|\n"
        << "| " << MdText(f.cause) << " | " << (f.surface.empty() ? "-" : MdText(f.surface))
        << " | " << Confidence(f.confidence) << ", " << Likelihood(f.confidence) << " | "
        << MdText(f.deployment) << " |\n\n";
  }
  out << h << " Summary\n\n";
  for (const std::string& p : Paragraphs(f.summary)) out << MdText(p, true) << "\n\n";
  out << h << " Evidence\n\n";
  if (f.evidence.empty()) {
    out << "No log line supports this finding directly.\n\n";
  } else {
    MdEvidence(out, f.evidence);
    out << "\n";
  }
  out << h << " Against\n\n";
  if (f.against.empty()) {
    out << "Nothing in these logs argues against it.\n\n";
  } else {
    MdEvidence(out, f.against);
    out << "\n";
  }
  if (!f.remediation.empty()) {
    out << h << " Fix (" << MdText(f.deployment) << ")\n\n";
    Fix fix = ParseFix(f.remediation);
    for (const FixPart& p : fix.intro) {
      if (!p.prose.empty()) out << MdText(p.prose, true) << "\n\n";
      if (!p.code.empty()) {
        MdFence(out, p.code, "");
        out << "\n";
      }
    }
    int n = 0;
    for (const FixPart& p : fix.steps) {
      const std::string marker = std::to_string(++n) + ". ";
      if (!p.prose.empty()) {
        out << marker << MdText(p.prose, true) << "\n";
      } else {
        out << marker << "\n";
        MdFence(out, p.code, std::string(marker.size(), ' '));
      }
    }
    if (!fix.steps.empty()) out << "\n";
  }
  std::vector<std::pair<std::string, std::string>> facts = ShownFacts(f);
  if (!facts.empty()) {
    out << h << " Facts\n\n";
    for (const auto& [name, value] : facts) {
      out << "- " << MdText(name) << ": " << MdText(value) << "\n";
    }
    out << "\n";
  }
  if (explain && !risk) {
    out << h << " Alternatives considered\n\n";
    MdAlternatives(out, f.alternatives);
  }
  if (risk) return;  // Not a ticket: no fingerprint for scripts to file.
  out << "---\n\nReported by etiolog. Fingerprint " << MdText(f.fingerprint)
      << ": the same finding keeps it across runs.\n"
      << FingerprintComment(f.fingerprint) << "\n";
}

std::string MdTicket(const Finding& f, bool explain) {
  std::ostringstream out;
  out << "# " << MdText(TicketTitle(f)) << "\n\n";
  MdNote(out, f, "##", false, explain);
  return out.str();
}

std::string RenderMarkdownReport(const Verdict& verdict, const RunSummary& run, bool explain) {
  const std::vector<Finding>& findings = verdict.findings;
  std::ostringstream out;
  out << "# etiolog diagnosis\n\n"
      << "Read " << run.stats.sources << " source(s), " << run.stats.lines << " lines; "
      << run.stats.events << " events";
  if (run.stats.capped_lines) out << "; " << run.stats.capped_lines << " over-long lines cut";
  if (run.stats.bad_records) out << "; " << run.stats.bad_records << " lines with bad bytes";
  out << ".";
  if (!run.deployment.empty()) out << " Deployment: " << MdText(run.deployment) << ".";
  if (!run.packs.empty()) {
    out << " Packs:";
    for (size_t i = 0; i < run.packs.size(); ++i) {
      out << (i ? ", " : " ") << MdText(run.packs[i]);
    }
    out << ".";
  }
  out << "\n\n";
  if (!run.stats.errors.empty()) {
    out << "Some inputs could not be read (the rest was analysed):\n\n";
    for (const std::string& e : run.stats.errors) out << "- " << MdText(e) << "\n";
    out << "\n";
  }
  if (!run.cause_errors.empty()) {
    out << "Some causes were skipped because their SQL failed (the others ran):\n\n";
    for (const std::string& e : run.cause_errors) out << "- " << MdText(e) << "\n";
    out << "\n";
  }
  if (findings.empty()) {
    out << kNoFinding << "\n";
    if (explain) {
      out << "\n## Causes considered\n\n";
      MdAlternatives(out, verdict.considered);
    }
    MdRisks(out, verdict.risks);
    return out.str();
  }
  out << findings.size() << " finding(s), most likely first:\n\n";
  int n = 0;
  for (const Finding& f : findings) {
    out << ++n << ". " << MdText(TicketTitle(f)) << " (confidence " << Confidence(f.confidence)
        << ")\n";
  }
  n = 0;
  for (const Finding& f : findings) {
    out << "\n## " << ++n << ". " << MdText(TicketTitle(f)) << "\n\n";
    MdNote(out, f, "###", false, explain);
  }
  MdRisks(out, verdict.risks);
  return out.str();
}

}  // namespace etiolog::analyzer::report_internal
