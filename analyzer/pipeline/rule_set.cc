// SPDX-License-Identifier: Apache-2.0
#include "analyzer/pipeline/rule_set.h"

#include <string>
#include <utility>

namespace etiolog::analyzer {

Result<LoadedRules> LoadRuleSet(const rules::LoadOptions& options) {
  Result<rules::PackSet> packs = rules::LoadPacks(options);
  if (!packs.ok()) return packs.status();
  LoadedRules loaded;
  loaded.packs = std::move(packs).value();
  Result<std::unique_ptr<rules::Matcher>> m =
      rules::Matcher::Create(std::move(loaded.packs.rules), loaded.packs.redactions);
  if (!m.ok()) return m.status();
  loaded.matcher = std::move(m).value();
  loaded.packs.rules.clear();
  return loaded;
}

bool LoadRulesOrReport(const rules::LoadOptions& options, std::ostream& err, LoadedRules* out) {
  Result<LoadedRules> loaded = LoadRuleSet(options);
  if (!loaded.ok()) {
    err << "etiolog: " << loaded.status().message() << "\n";
    return false;
  }
  for (const std::string& w : loaded->packs.warnings) err << "etiolog: warning: " << w << "\n";
  *out = std::move(loaded).value();
  return true;
}

}  // namespace etiolog::analyzer
