// SPDX-License-Identifier: Apache-2.0
#include "analyzer/diagnosis/cause_lint.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <string>

#include "db/store.h"

namespace etiolog::analyzer {

namespace {

// The {name} placeholders of a template that look like fact names
// (lower-case identifiers): "${JWT_SECRET}" in a compose file is not one.
std::set<std::string> Placeholders(const std::string& text) {
  std::set<std::string> out;
  for (size_t open = text.find('{'); open != std::string::npos; open = text.find('{', open + 1)) {
    const size_t close = text.find('}', open + 1);
    if (close == std::string::npos) break;
    const std::string name = text.substr(open + 1, close - open - 1);
    const bool identifier = !name.empty() &&
                            (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                            std::all_of(name.begin(), name.end(), [](char c) {
                              return std::islower(static_cast<unsigned char>(c)) ||
                                     std::isdigit(static_cast<unsigned char>(c)) || c == '_';
                            });
    if (identifier) out.insert(name);
  }
  return out;
}

}  // namespace

Result<std::vector<rules::CauseLintIssue>> LintCauseSql(const std::vector<rules::Cause>& causes) {
  Result<std::unique_ptr<db::Store>> store = db::Store::Open(":memory:");
  if (!store.ok()) return store.status();
  std::vector<rules::CauseLintIssue> out;
  for (const rules::Cause& c : causes) {
    auto issue = [&](const rules::Location& at, std::string message, bool error) {
      out.push_back({at.ToString(), c.id, std::move(message), error});
    };
    // Runs sql once on the empty store (see the header), as what.
    auto run = [&](const rules::Location& at, const std::string& sql, const std::string& what) {
      Result<db::Table> t = (*store)->Query(sql, {{"cause", c.id}}, what, 0, kLintStepLimit);
      if (t.ok()) return;
      std::string message(t.status().message());
      if (message.find(": query stopped after ") != std::string::npos) {
        message += ", on an empty store";
      } else {
        message += " (run on an empty store, parameters other than :cause NULL)";
      }
      issue(at, std::move(message), true);
    };
    Result<db::QueryShape> detect = (*store)->Describe(c.detect, "detect");
    if (!detect.ok()) {
      issue(c.detect_where, std::string(detect.status().message()), true);
      continue;  // Without its columns, the rest cannot be checked.
    }
    run(c.detect_where, c.detect, "detect");
    const std::vector<std::string>& columns = detect->columns;
    auto has = [&](const std::string& name) {
      return std::find(columns.begin(), columns.end(), name) != columns.end();
    };
    if (!has("surface")) {
      issue(c.detect_where, "detect returns no 'surface' column (use '' AS surface for none)",
            true);
    }
    if (!c.risk && !has("confidence")) {
      issue(c.detect_where,
            "detect returns no 'confidence' column: every row would be dropped (a cause needs "
            "one; a risk, marked 'risk: true', does not)",
            true);
    }
    for (const std::string& p : detect->parameters) {
      if (p != "cause") {
        issue(c.detect_where,
              "detect uses :" + p + ", which is never bound (detect gets :cause only)", true);
      }
    }
    for (size_t i = 0; i < c.evidence.size(); ++i) {
      const rules::EvidenceQuery& q = c.evidence[i];
      Result<db::QueryShape> ev =
          (*store)->Describe(q.sql, "evidence query " + std::to_string(i + 1));
      if (!ev.ok()) {
        issue(q.where, std::string(ev.status().message()), true);
        continue;
      }
      run(q.where, q.sql, "evidence query " + std::to_string(i + 1));
      if (ev->columns.empty()) {
        issue(q.where, "evidence query " + std::to_string(i + 1) + " returns no column", true);
      }
      for (const std::string& p : ev->parameters) {
        if (p != "cause" && !has(p)) {
          issue(q.where,
                "evidence query " + std::to_string(i + 1) + " uses :" + p +
                    ", which detect does not return: it would always be NULL",
                true);
        }
      }
    }
    std::set<std::string> facts;
    for (const std::string& col : columns) {
      if (col.rfind('_', 0) != 0) facts.insert(col);
    }
    auto check_template = [&](const std::string& what, const std::string& text) {
      for (const std::string& name : Placeholders(text)) {
        if (facts.count(name) > 0) continue;
        issue(c.where,
              what + " uses {" + name + "}, which is not a fact detect returns" +
                  (name[0] == '_' ? " (hidden columns are parameters, not facts)" : "") +
                  ": it is shown as written",
              false);
      }
    };
    check_template("summary", c.summary);
    for (const auto& [deployment, text] : c.remediation) {
      check_template("remediation (" + deployment + ")", text);
    }
  }
  return out;
}

}  // namespace etiolog::analyzer
