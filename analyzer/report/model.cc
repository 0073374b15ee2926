// SPDX-License-Identifier: Apache-2.0
//
// The shared model of the report formats: what every format starts from.
//
// Every format starts from the same redacted copy of the findings
// (Redacted). Text that is not ours (everything from logs, the store or a
// pack, not the fixed words of the layout) goes through one function per
// output: MdText for Markdown prose, MdFence for Markdown code blocks
// (markdown.cc), CleanText for the terminal and for JSON strings (JSON
// escaping does the rest; ADF text nodes are literal by definition).
// Markdown and ADF share the reading of a remediation into steps
// (ParseFix).

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "analyzer/report/report_internal.h"
#include "rules/matcher.h"

namespace etiolog::analyzer::report_internal {

namespace {

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

}  // namespace

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

// The facts shown: the detect row without those that are fields of their
// own (surface, confidence) or only identify the finding (scope*).
// Facts without a value say nothing to a reader; JSON keeps them (its
// shape is a contract).
std::vector<std::pair<std::string, std::string>> ShownFacts(const Finding& f, bool keep_empty) {
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

}  // namespace etiolog::analyzer::report_internal
