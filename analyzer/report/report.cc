// SPDX-License-Identifier: Apache-2.0
//
// Every format starts from the same redacted copy of the findings
// (Redacted). Text that is not ours (everything from logs, the store or a
// pack, not the fixed words of the layout) goes through one function per
// output: MdText for Markdown prose, MdFence for Markdown code blocks,
// CleanText for the terminal and for JSON strings (JSON escaping does the
// rest; ADF text nodes are literal by definition). Markdown and ADF share
// the reading of a remediation into steps (ParseFix).

#include "analyzer/report/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ingest/timestamp.h"
#include "rules/matcher.h"

namespace etiolog::analyzer {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kNoFinding =
    "No finding: nothing in these logs points to a JWT signing-key problem.";

// Rounds to two decimals so reports are stable across platforms.
double Round2(double v) { return std::round(v * 100.0) / 100.0; }

std::string Confidence(double v) {
  char conf[16];
  std::snprintf(conf, sizeof conf, "%.2f", Round2(v));
  return conf;
}

std::string Process(const EvidenceLine& e) {
  std::string p = e.component.empty() ? "?" : e.component;
  if (!e.host.empty()) p.append("@").append(e.host);
  if (e.pid != 0) p.append("[").append(std::to_string(e.pid)).append("]");
  return p;
}

// Replaces control characters (C0 but tab, and DEL) by U+FFFD so a log line
// cannot move a terminal's cursor, recolour it or hide text; newlines too
// unless keep_newlines, and tabs become spaces unless keep_newlines.
std::string CleanText(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n' && keep_newlines) {
      out.push_back('\n');
    } else if (c == '\t') {
      out.push_back(keep_newlines ? '\t' : ' ');
    } else if (c == '\n' || c == '\r') {
      out.push_back(' ');
    } else if (c < 0x20 || c == 0x7f) {
      out.append("\xEF\xBF\xBD");
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> SplitLines(std::string_view s) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) nl = s.size();
    std::string line(s.substr(start, nl - start));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    lines.push_back(std::move(line));
    start = nl + 1;
  }
  return lines;
}

// ---- Redaction -------------------------------------------------------------

void Redact(const rules::Matcher* m, std::string* s) {
  if (m != nullptr) m->Redact(s);
}

void RedactLines(const rules::Matcher* m, std::vector<EvidenceLine>* lines) {
  for (EvidenceLine& e : *lines) {
    for (std::string* s : {&e.path, &e.text, &e.component, &e.host, &e.kind, &e.role}) {
      Redact(m, s);
    }
  }
}

// An alternative shows a summary with facts and evidence lines from logs.
Alternative Redacted(const Alternative& in, const rules::Matcher* m) {
  Alternative a = in;
  if (m == nullptr) return a;
  for (std::string* s : {&a.cause, &a.title, &a.surface, &a.summary, &a.reason}) Redact(m, s);
  RedactLines(m, &a.evidence);
  RedactLines(m, &a.against);
  return a;
}

// Everything a finding shows that came from logs is redacted: evidence
// lines and their fields, facts, and the summary. The remediation is the
// pack's instructions with facts filled in; the pack's own text is full of
// placeholders that look like secrets (JWT_SECRET=<secret>), so only the
// facts it contains are replaced by their redacted values.
Finding Redacted(const Finding& in, const rules::Matcher* m) {
  Finding f = in;
  if (m == nullptr) return f;
  for (std::string* s :
       {&f.cause, &f.title, &f.surface, &f.summary, &f.deployment, &f.fingerprint}) {
    Redact(m, s);
  }
  for (auto& [name, value] : f.facts) {
    std::string redacted = value;
    Redact(m, &redacted);
    if (redacted != value && !value.empty()) {
      for (size_t at = 0; (at = f.remediation.find(value, at)) != std::string::npos;) {
        f.remediation.replace(at, value.size(), redacted);
        at += redacted.size();
      }
    }
    value = std::move(redacted);
    Redact(m, &name);
  }
  for (auto* lines : {&f.evidence, &f.against}) {
    for (EvidenceLine& e : *lines) {
      for (std::string* s : {&e.path, &e.text, &e.component, &e.host, &e.kind, &e.role}) {
        Redact(m, s);
      }
    }
  }
  for (Alternative& a : f.alternatives) a = Redacted(a, m);
  return f;
}

std::vector<Finding> Redacted(const std::vector<Finding>& in, const rules::Matcher* m) {
  std::vector<Finding> out;
  out.reserve(in.size());
  for (const Finding& f : in) out.push_back(Redacted(f, m));
  return out;
}

Verdict Redacted(const Verdict& in, const rules::Matcher* m) {
  Verdict v;
  v.findings = Redacted(in.findings, m);
  v.risks = Redacted(in.risks, m);
  for (const Alternative& a : in.considered) v.considered.push_back(Redacted(a, m));
  return v;
}

RunSummary Redacted(const RunSummary& in, const rules::Matcher* m) {
  RunSummary run = in;
  for (std::string& s : run.stats.errors) Redact(m, &s);
  for (std::string& s : run.stats.warnings) Redact(m, &s);
  for (std::string& s : run.cause_errors) Redact(m, &s);
  for (std::string& s : run.packs) Redact(m, &s);
  Redact(m, &run.deployment);
  return run;
}

// ---- Facts and fixes, shared by the formats ---------------------------------

// The facts shown: the detect row without those that are fields of their
// own (surface, confidence) or only identify the finding (scope*).
// Facts without a value say nothing to a reader; JSON keeps them (its
// shape is a contract).
std::vector<std::pair<std::string, std::string>> ShownFacts(const Finding& f,
                                                            bool keep_empty = false) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : f.facts) {
    if (name == "surface" || name == "confidence" || name.rfind("scope", 0) == 0) continue;
    if (value.empty() && !keep_empty) continue;
    out.emplace_back(name, value);
  }
  return out;
}

bool HasScope(const Finding& f) {
  return std::any_of(f.facts.begin(), f.facts.end(),
                     [](const auto& kv) { return kv.first.rfind("scope", 0) == 0; });
}

// A part of a fix: wrapped prose (joined into one line), or lines to show
// as they are (commands, configuration: the step had deeper-indented lines
// or a shell line continuation).
struct FixPart {
  std::string prose;
  std::vector<std::string> code;
};

// A remediation read as steps: paragraphs before the first "N." line (all
// of it if none), then one part per numbered step.
struct Fix {
  std::vector<FixPart> intro;
  std::vector<FixPart> steps;
};

size_t Indent(const std::string& line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  return i;
}

// lines[0] is the step's first line without its number; the others are as
// written. column is where the first line's text began.
FixPart MakePart(std::vector<std::string> lines, size_t column) {
  while (!lines.empty() && Trim(lines.back()).empty()) lines.pop_back();
  bool code = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].empty() && lines[i].back() == '\\') code = true;
    if (i > 0 && !Trim(lines[i]).empty() && Indent(lines[i]) > column) code = true;
  }
  FixPart part;
  if (code) {
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& l = lines[i];
      part.code.push_back(i == 0 ? l : l.substr(std::min(Indent(l), column)));
    }
  } else {
    for (const std::string& l : lines) {
      std::string t = Trim(l);
      if (t.empty()) continue;
      if (!part.prose.empty()) part.prose.push_back(' ');
      part.prose += t;
    }
  }
  return part;
}

// A numbered step: up to 3 spaces, digits, '.' or ')', a space.
bool StepStart(const std::string& line, size_t* text_column) {
  size_t i = Indent(line);
  if (i > 3) return false;
  const size_t digits = i;
  while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
  if (i == digits || i - digits > 3 || i >= line.size() || (line[i] != '.' && line[i] != ')')) {
    return false;
  }
  ++i;
  if (i >= line.size() || line[i] != ' ') return false;
  while (i < line.size() && line[i] == ' ') ++i;
  *text_column = i;
  return true;
}

// Prose split at blank lines, each paragraph's lines joined.
std::vector<std::string> Paragraphs(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (const std::string& line : SplitLines(text)) {
    std::string t = Trim(line);
    if (t.empty()) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if (!cur.empty()) cur.push_back(' ');
    cur += t;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Fix ParseFix(const std::string& remediation) {
  Fix fix;
  std::vector<std::string> lines = SplitLines(remediation);
  std::vector<std::string> cur;
  size_t column = 0;
  bool in_step = false;
  auto flush = [&] {
    if (cur.empty()) return;
    FixPart part = MakePart(cur, column);
    if (!part.prose.empty() || !part.code.empty()) {
      (in_step ? fix.steps : fix.intro).push_back(std::move(part));
    }
    cur.clear();
  };
  for (const std::string& line : lines) {
    size_t text_column = 0;
    if (StepStart(line, &text_column)) {
      flush();
      in_step = true;
      column = text_column;
      cur.push_back(line.substr(text_column));
    } else if (!in_step && Trim(line).empty()) {
      flush();  // A blank line ends an intro paragraph.
    } else {
      if (!in_step && cur.empty()) column = Indent(line);
      cur.push_back(cur.empty() && !in_step ? line.substr(column) : line);
    }
  }
  flush();
  return fix;
}

// ---- Markdown ------------------------------------------------------------

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

std::string Likelihood(double confidence) {
  return confidence >= 0.5 ? "likely" : "not certain: the logs do not show enough to be sure";
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

// The note of one finding (or risk), its sections under headings of level h
// ("##"). explain adds the alternatives considered.
void MdNote(std::ostringstream& out, const Finding& f, const std::string& h, bool risk = false,
            bool explain = false) {
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

// ---- JSON ------------------------------------------------------------------

Json EvidenceJson(const EvidenceLine& e) {
  Json j;
  j["role"] = e.role;
  j["path"] = e.path;
  j["line"] = e.line;
  j["time"] = e.has_time ? Json(FormatTime(e)) : Json(nullptr);
  j["time_quality"] = e.time_quality;
  j["kind"] = e.kind;
  j["component"] = e.component;
  j["host"] = e.host;
  j["pid"] = e.pid != 0 ? Json(e.pid) : Json(nullptr);
  j["text"] = e.text;
  return j;
}

// A fact as JSON: a number when the text is a plain decimal number
// (-?(0|[1-9][0-9]*)(.[0-9]+)?), else a string.
Json FactValue(const std::string& v) {
  size_t i = v.size() > 0 && v[0] == '-' ? 1 : 0;
  const size_t int_start = i;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
  const size_t int_digits = i - int_start;
  bool number = int_digits > 0 && int_digits <= 15 && !(int_digits > 1 && v[int_start] == '0');
  bool fraction = false;
  if (number && i < v.size() && v[i] == '.') {
    const size_t frac_start = ++i;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
    fraction = i > frac_start;
    number = fraction;
  }
  if (!number || i != v.size()) return v;
  if (fraction) return std::strtod(v.c_str(), nullptr);
  return std::strtoll(v.c_str(), nullptr, 10);
}

Json RunJson(const RunSummary& run) {
  Json r;
  r["sources"] = run.stats.sources;
  r["bytes"] = run.stats.bytes;
  r["lines"] = run.stats.lines;
  r["events"] = run.stats.events;
  r["capped_lines"] = run.stats.capped_lines;
  r["bad_records"] = run.stats.bad_records;
  r["errors"] = run.stats.errors;
  r["warnings"] = run.stats.warnings;
  r["deployment"] = run.deployment;
  r["packs"] = run.packs;
  // Only when a cause failed, so reports without one are what they were.
  if (!run.cause_errors.empty()) r["cause_errors"] = run.cause_errors;
  return r;
}

// Invalid UTF-8 is replaced rather than fatal: log lines are not always UTF-8.
std::string Dump(const Json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

Json LinesJson(const std::vector<EvidenceLine>& lines) {
  Json list = Json::array();
  for (const auto& e : lines) list.push_back(EvidenceJson(e));
  return list;
}

Json AlternativeJson(const Alternative& a) {
  Json j;
  j["cause"] = a.cause;
  j["title"] = a.title;
  j["surface"] = a.surface;
  j["confidence"] = a.found ? Json(Round2(a.confidence)) : Json(nullptr);
  j["status"] = a.status;
  j["reason"] = a.reason;
  j["summary"] = a.summary;
  j["evidence"] = LinesJson(a.evidence);
  j["against"] = LinesJson(a.against);
  j["collect"] = a.collect;
  return j;
}

// A finding, or (risk) a risk: the same without confidence.
Json FindingJson(const Finding& f, bool risk, bool explain) {
  Json j;
  j["cause"] = f.cause;
  j["title"] = f.title;
  j["surface"] = f.surface;
  if (!risk) j["confidence"] = Round2(f.confidence);
  j["summary"] = f.summary;
  j["evidence"] = LinesJson(f.evidence);
  j["against"] = LinesJson(f.against);
  j["remediation"] = f.remediation;
  j["deployment"] = f.deployment;
  j["fingerprint"] = f.fingerprint;
  Json facts = Json::object();
  for (const auto& [name, value] : ShownFacts(f, true)) facts[name] = FactValue(value);
  j["facts"] = std::move(facts);
  if (explain && !risk) {
    j["alternatives"] = Json::array();
    for (const Alternative& a : f.alternatives) j["alternatives"].push_back(AlternativeJson(a));
  }
  return j;
}

// "risks" appears only when there are some, and "considered" only with
// explain, so a report without either is what it was before they existed.
// A ticket (one finding) has its alternatives but no "considered": that is
// the run's.
std::string RenderJson(const Verdict& verdict, const RunSummary& run, bool explain,
                       bool ticket = false) {
  Json root;
  root["etiolog"] = {{"version", ETIOLOG_VERSION}, {"report_schema", kReportSchema}};
  root["run"] = RunJson(run);
  Json list = Json::array();
  for (const Finding& f : verdict.findings) list.push_back(FindingJson(f, false, explain));
  root["findings"] = std::move(list);
  if (!verdict.risks.empty()) {
    Json risks = Json::array();
    for (const Finding& r : verdict.risks) risks.push_back(FindingJson(r, true, false));
    root["risks"] = std::move(risks);
  }
  if (explain && !ticket) {
    Json considered = Json::array();
    for (const Alternative& a : verdict.considered) considered.push_back(AlternativeJson(a));
    root["considered"] = std::move(considered);
  }
  return Dump(root, 2) + "\n";
}

// Labels of an issue: "etiolog", the cause, then the user's, each once.
std::vector<std::string> Labels(const Finding& f, const ReportOptions& options, bool no_spaces) {
  std::vector<std::string> labels = {"etiolog"};
  if (!f.cause.empty()) labels.push_back(f.cause);
  for (const std::string& l : options.labels) labels.push_back(l);
  std::vector<std::string> out;
  for (std::string l : labels) {
    l = Trim(CleanText(l, false));
    if (no_spaces) std::replace(l.begin(), l.end(), ' ', '-');
    if (!l.empty() && std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
  }
  return out;
}

Json GithubIssue(const Finding& f, const ReportOptions& options) {
  std::ostringstream body;
  MdNote(body, f, "##", false, options.explain);
  Json j;
  j["title"] = TicketTitle(f);
  j["body"] = body.str();
  j["labels"] = Labels(f, options, false);
  return j;
}

// ---- Jira (Atlassian Document Format) -------------------------------------

Json AdfText(std::string_view text, std::string_view mark = {}) {
  Json t = {{"type", "text"}, {"text", CleanText(text, false)}};
  if (!mark.empty()) t["marks"] = Json::array({{{"type", std::string(mark)}}});
  return t;
}

// A paragraph of text nodes; empty nodes (invalid in ADF) are left out.
Json AdfParagraph(std::vector<Json> nodes) {
  Json content = Json::array();
  for (Json& n : nodes) {
    if (!n["text"].get<std::string>().empty()) content.push_back(std::move(n));
  }
  return {{"type", "paragraph"}, {"content", std::move(content)}};
}

Json AdfHeading(int level, std::string_view text) {
  return {{"type", "heading"},
          {"attrs", {{"level", level}}},
          {"content", Json::array({AdfText(text)})}};
}

Json AdfCode(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) {
    if (!text.empty()) text.push_back('\n');
    text += CleanText(l, false);
  }
  Json block = {{"type", "codeBlock"}, {"attrs", Json::object()}};
  block["content"] = Json::array();
  if (!text.empty()) block["content"].push_back({{"type", "text"}, {"text", text}});
  return block;
}

Json AdfList(std::string_view type, std::vector<Json> items) {
  Json list = {{"type", std::string(type)}, {"content", Json::array()}};
  for (Json& content : items) {
    list["content"].push_back({{"type", "listItem"}, {"content", std::move(content)}});
  }
  return list;
}

Json AdfPart(const FixPart& p) {
  return p.code.empty() ? AdfParagraph({AdfText(p.prose)}) : AdfCode(p.code);
}

Json AdfEvidence(const std::vector<EvidenceLine>& lines) {
  std::vector<Json> items;
  for (const EvidenceLine& e : lines) {
    std::string where = e.path + ":" + std::to_string(e.line) + "  " + FormatTime(e);
    if (e.has_time && !e.time_quality.empty() && e.time_quality != "exact") {
      where += " (" + e.time_quality + ")";
    }
    where += "  " + Process(e);
    items.push_back(Json::array(
        {AdfParagraph({AdfText(e.role, "strong"), AdfText("  " + where)}), AdfCode({e.text})}));
  }
  return AdfList("bulletList", std::move(items));
}

Json JiraDescription(const Finding& f, bool explain) {
  Json doc = {{"type", "doc"}, {"version", 1}, {"content", Json::array()}};
  Json& c = doc["content"];
  c.push_back(AdfParagraph(
      {AdfText("Cause: ", "strong"), AdfText(f.cause), AdfText("   Surface: ", "strong"),
       AdfText(f.surface.empty() ? "-" : f.surface), AdfText("   Confidence: ", "strong"),
       AdfText(Confidence(f.confidence) + ", " + Likelihood(f.confidence)),
       AdfText("   Deployment: ", "strong"), AdfText(f.deployment)}));
  c.push_back(AdfHeading(3, "Summary"));
  for (const std::string& p : Paragraphs(f.summary)) c.push_back(AdfParagraph({AdfText(p)}));
  c.push_back(AdfHeading(3, "Evidence"));
  c.push_back(f.evidence.empty()
                  ? AdfParagraph({AdfText("No log line supports this finding directly.")})
                  : AdfEvidence(f.evidence));
  c.push_back(AdfHeading(3, "Against"));
  c.push_back(f.against.empty()
                  ? AdfParagraph({AdfText("Nothing in these logs argues against it.")})
                  : AdfEvidence(f.against));
  if (!f.remediation.empty()) {
    c.push_back(AdfHeading(3, "Fix (" + f.deployment + ")"));
    Fix fix = ParseFix(f.remediation);
    for (const FixPart& p : fix.intro) c.push_back(AdfPart(p));
    std::vector<Json> steps;
    for (const FixPart& p : fix.steps) steps.push_back(Json::array({AdfPart(p)}));
    if (!steps.empty()) c.push_back(AdfList("orderedList", std::move(steps)));
  }
  std::vector<std::pair<std::string, std::string>> facts = ShownFacts(f);
  if (!facts.empty()) {
    c.push_back(AdfHeading(3, "Facts"));
    std::vector<Json> items;
    items.reserve(facts.size());
    for (const auto& [name, value] : facts) {
      items.push_back(
          Json::array({AdfParagraph({AdfText(name + ": ", "strong"), AdfText(value)})}));
    }
    c.push_back(AdfList("bulletList", std::move(items)));
  }
  if (explain) {
    c.push_back(AdfHeading(3, "Alternatives considered"));
    std::vector<Json> items;
    for (const Alternative& a : f.alternatives) {
      std::vector<Json> item = {
          AdfParagraph({AdfText(a.cause, "strong"),
                        AdfText(" (" + (a.surface.empty() ? std::string("-") : a.surface) + ", " +
                                (a.found ? Confidence(a.confidence) : std::string("not found")) +
                                ", " + a.status + "): " + a.reason)})};
      if (a.status != "reported" && !a.collect.empty()) {
        item.push_back(
            AdfParagraph({AdfText("What would change the verdict: "), AdfText(a.collect)}));
      }
      items.push_back(Json(std::move(item)));
    }
    c.push_back(items.empty() ? AdfParagraph({AdfText("No other cause was considered.")})
                              : AdfList("bulletList", std::move(items)));
  }
  c.push_back({{"type", "rule"}});
  c.push_back(
      AdfParagraph({AdfText("Reported by etiolog. Fingerprint "), AdfText(f.fingerprint, "code"),
                    AdfText(": the same finding keeps it across runs.")}));
  return doc;
}

Json JiraIssue(const Finding& f, const ReportOptions& options) {
  std::vector<std::string> labels = Labels(f, options, true);
  // JQL can find the issue of a finding: labels = etiolog-<fingerprint>.
  labels.push_back("etiolog-" + f.fingerprint);
  Json fields;
  fields["project"] = {{"key", options.jira_project}};
  fields["summary"] = TicketTitle(f);
  fields["issuetype"] = {{"name", options.jira_issue_type}};
  fields["labels"] = labels;
  fields["description"] = JiraDescription(f, options.explain);
  return {{"fields", std::move(fields)}};
}

// ---- Text ------------------------------------------------------------------

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

}  // namespace

Result<ReportFormat> ParseReportFormat(std::string_view name) {
  for (ReportFormat f : {ReportFormat::kText, ReportFormat::kJson, ReportFormat::kMarkdown,
                         ReportFormat::kGithub, ReportFormat::kJira}) {
    if (name == ReportFormatName(f)) return f;
  }
  return Status::InvalidArgument("--format must be text, json, markdown, github or jira, not '" +
                                 std::string(name) + "'");
}

std::string_view ReportFormatName(ReportFormat format) {
  switch (format) {
    case ReportFormat::kText:
      return "text";
    case ReportFormat::kJson:
      return "json";
    case ReportFormat::kMarkdown:
      return "markdown";
    case ReportFormat::kGithub:
      return "github";
    case ReportFormat::kJira:
      return "jira";
  }
  return "text";
}

std::string_view TicketExtension(ReportFormat format) {
  switch (format) {
    case ReportFormat::kText:
      return "txt";
    case ReportFormat::kJson:
      return "json";
    case ReportFormat::kMarkdown:
      return "md";
    case ReportFormat::kGithub:
      return "github.json";
    case ReportFormat::kJira:
      return "jira.json";
  }
  return "txt";
}

bool IsJsonFormat(ReportFormat format) {
  return format == ReportFormat::kJson || format == ReportFormat::kGithub ||
         format == ReportFormat::kJira;
}

std::string TicketTitle(const Finding& f) {
  std::string title = "[etiolog] " + f.cause;
  if (!f.surface.empty()) title += " on " + f.surface;
  if (HasScope(f)) title += " (" + f.fingerprint.substr(0, 8) + ")";
  title += ": " + f.title;
  title = Trim(CleanText(title, false));
  if (title.size() > kMaxTitleBytes) {
    size_t cut = kMaxTitleBytes - 3;  // Room for "…".
    while (cut > 0 && (static_cast<unsigned char>(title[cut]) & 0xC0) == 0x80) --cut;
    title = title.substr(0, cut) + "\xE2\x80\xA6";
  }
  return title;
}

std::string RenderReport(const std::vector<Finding>& findings, const RunSummary& run,
                         const ReportOptions& options) {
  return RenderReport(Verdict{findings, {}, {}, {}}, run, options);
}

std::string RenderReport(const Verdict& in, const RunSummary& in_run,
                         const ReportOptions& options) {
  const Verdict verdict = Redacted(in, options.redactor);
  const RunSummary run = Redacted(in_run, options.redactor);
  switch (options.format) {
    case ReportFormat::kText:
      return RenderText(verdict, run, options.explain);
    case ReportFormat::kJson:
      return RenderJson(verdict, run, options.explain);
    case ReportFormat::kMarkdown:
      return RenderMarkdownReport(verdict, run, options.explain);
    case ReportFormat::kGithub:
    case ReportFormat::kJira: {
      // Issue payloads are for findings: a risk is not an incident.
      std::string out;
      for (const Finding& f : verdict.findings) {
        out += Dump(options.format == ReportFormat::kGithub ? GithubIssue(f, options)
                                                            : JiraIssue(f, options),
                    -1) +
               "\n";
      }
      return out;
    }
  }
  return "";
}

std::vector<Ticket> RenderTickets(const std::vector<Finding>& in, const RunSummary& in_run,
                                  const ReportOptions& options) {
  const RunSummary run = Redacted(in_run, options.redactor);
  std::vector<Ticket> tickets;
  for (const Finding& original : in) {
    const Finding f = Redacted(original, options.redactor);
    Ticket t;
    t.fingerprint = f.fingerprint;
    t.cause = f.cause;
    t.surface = f.surface;
    t.confidence = f.confidence;
    t.title = TicketTitle(f);
    switch (options.format) {
      case ReportFormat::kText:
        t.body = RenderText(Verdict{{f}, {}, {}, {}}, run, options.explain);
        break;
      case ReportFormat::kJson:
        t.body = RenderJson(Verdict{{f}, {}, {}, {}}, run, options.explain, /*ticket=*/true);
        break;
      case ReportFormat::kMarkdown:
        t.body = MdTicket(f, options.explain);
        break;
      case ReportFormat::kGithub:
        t.body = Dump(GithubIssue(f, options), 2) + "\n";
        break;
      case ReportFormat::kJira:
        t.body = Dump(JiraIssue(f, options), 2) + "\n";
        break;
    }
    tickets.push_back(std::move(t));
  }
  return tickets;
}

std::string RunSummaryJson(const RunSummary& run) { return Dump(RunJson(run), -1); }

Result<RunSummary> ParseRunSummaryJson(std::string_view text) {
  RunSummary run;
  if (text.empty()) return run;
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("the stored run summary is not a JSON object");
  auto count = [&](const char* key) -> uint64_t {
    auto it = j.find(key);
    return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
  };
  auto strings = [&](const char* key) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return out;
    for (const Json& v : *it) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
    return out;
  };
  run.stats.sources = count("sources");
  run.stats.bytes = count("bytes");
  run.stats.lines = count("lines");
  run.stats.events = count("events");
  run.stats.capped_lines = count("capped_lines");
  run.stats.bad_records = count("bad_records");
  run.stats.errors = strings("errors");
  run.stats.warnings = strings("warnings");
  run.packs = strings("packs");
  run.cause_errors = strings("cause_errors");
  auto dep = j.find("deployment");
  if (dep != j.end() && dep->is_string()) run.deployment = dep->get<std::string>();
  return run;
}

std::string FormatTime(const EvidenceLine& line) {
  if (!line.has_time) return "-";
  char buf[32];
  size_t n = FormatIsoTimestamp(line.time_us, buf);
  return std::string(buf, n);
}

}  // namespace etiolog::analyzer
