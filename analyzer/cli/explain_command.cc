// SPDX-License-Identifier: Apache-2.0
//
// `etiolog explain [CAUSE]`: a cause as its pack describes it (meaning,
// what it looks for, what to collect, suppression, fix). Everything shown
// is pack text, so a site pack's causes explain themselves the same way.
// An unknown id is answered with the known ids closest to it
// (rules::ClosestNames), most likely typos first.

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "rules/lint.h"

namespace etiolog::analyzer {

namespace {

// Prose wrapped to width, indented; blank lines separate paragraphs and
// deeper-indented lines (commands) are kept as they are.
void Paragraph(std::ostringstream& out, const std::string& text, const std::string& indent) {
  std::istringstream in(text);
  std::string line, para;
  auto flush = [&] {
    if (para.empty()) return;
    std::string rest = para;
    const size_t width = 92;
    while (rest.size() > width) {
      size_t cut = rest.rfind(' ', width);
      if (cut == std::string::npos || cut == 0) cut = rest.find(' ', width);
      if (cut == std::string::npos) break;
      out << indent << rest.substr(0, cut) << "\n";
      rest.erase(0, cut + 1);
    }
    out << indent << rest << "\n";
    para.clear();
  };
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos) {
      flush();
      out << "\n";
      continue;
    }
    if (start > 0) {  // Written indented: a command or a list; keep it.
      flush();
      out << indent << line << "\n";
      continue;
    }
    if (!para.empty()) para += ' ';
    para += line;
  }
  flush();
}

void Section(std::ostringstream& out, const char* heading, const std::string& text) {
  out << "\n" << heading << "\n";
  if (text.empty()) {
    out << "  (the pack says nothing about this)\n";
    return;
  }
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  Paragraph(out, t, "  ");
}

std::string Describe(const rules::Cause& c, const std::string& deployment) {
  std::ostringstream out;
  out << c.id << (c.risk ? " (risk)" : " (cause)") << ": " << c.title << "\n";
  out << "  defined at " << c.where.ToString() << "\n";
  Section(out, c.risk ? "What it means (nothing failed yet):" : "What it means:", c.meaning);
  Section(out, "What it looks for:", c.looks_for);
  if (!c.suppressed_by.empty()) {
    std::string names;
    for (const std::string& s : c.suppressed_by) names += (names.empty() ? "" : ", ") + s;
    out << "\nGives way to:\n";
    Paragraph(out,
              c.risk ? names + " (when one of them is reported: the failure it foretold is here)"
                     : names +
                           " (when one of them is found on the same surface and is at least "
                           "as likely)",
              "  ");
  }
  Section(out, "What would settle it (collect):", c.collect);
  const std::string* fix = nullptr;
  std::string others;
  for (const auto& [dep, text] : c.remediation) {
    if (dep == deployment) fix = &text;
  }
  for (const auto& [dep, text] : c.remediation) {
    if (fix == nullptr && dep == "default") fix = &text;
    if (dep != deployment) others += (others.empty() ? "" : ", ") + dep;
  }
  if (fix != nullptr) {
    out << "\nFix (" << deployment << "; {name} is filled in from the logs):\n";
    std::istringstream in(*fix);
    std::string line;
    while (std::getline(in, line)) out << "  " << line << "\n";
    if (!others.empty()) out << "  (also for: " << others << "; --deployment NAME)\n";
  }
  out << "\nExamples: " << c.examples.size() << " log(s) that must produce it, "
      << c.counter_examples.size() << " that must not (etiolog rules test).\n";
  return out.str();
}

}  // namespace

int RunExplain(const ExplainOptions& options, std::ostream& out, std::ostream& err) {
  Result<rules::PackSet> packs =
      rules::LoadPacks({options.builtin_rules, options.default_rules, options.rule_files});
  if (!packs.ok()) {
    err << "etiolog: " << packs.status().message() << "\n";
    return kExitUsage;
  }
  const std::vector<rules::Cause>& causes = packs->causes;
  if (options.cause.empty()) {
    size_t width = 0;
    for (const rules::Cause& c : causes) width = std::max(width, c.id.size());
    for (const rules::Cause& c : causes) {
      out << c.id << std::string(width - c.id.size(), ' ') << "  " << (c.risk ? "risk " : "cause")
          << "  " << c.title << "\n";
    }
    out << causes.size() << " cause(s) and risk(s); etiolog explain CAUSE for one\n";
    return kExitOk;
  }
  for (const rules::Cause& c : causes) {
    if (c.id != options.cause) continue;
    bool known_deployment = options.deployment == "default";
    for (const auto& [dep, text] : c.remediation) known_deployment |= dep == options.deployment;
    if (!known_deployment) {
      std::string names;
      for (const auto& [dep, text] : c.remediation) names += (names.empty() ? "" : ", ") + dep;
      err << "etiolog explain: cause '" << c.id << "' has no fix for deployment '"
          << options.deployment << "' (it has: " << names << ")\n";
      return kExitUsage;
    }
    out << Describe(c, options.deployment);
    return kExitOk;
  }
  err << "etiolog explain: unknown cause '" << options.cause << "'";
  std::vector<std::string> ids;
  ids.reserve(causes.size());
  for (const rules::Cause& c : causes) ids.push_back(c.id);
  std::vector<std::string> close = rules::ClosestNames(options.cause, ids);
  if (!close.empty()) {
    err << "; did you mean ";
    for (size_t i = 0; i < close.size(); ++i) {
      err << (i == 0 ? "" : i + 1 == close.size() ? " or " : ", ") << close[i];
    }
    err << "?";
  }
  err << "\n";
  if (close.empty()) {
    err << "Known causes:";
    for (const rules::Cause& c : causes) err << " " << c.id;
    err << "\n";
  }
  return kExitUsage;
}

}  // namespace etiolog::analyzer
