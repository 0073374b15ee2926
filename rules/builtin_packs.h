// SPDX-License-Identifier: Apache-2.0
//
// The rule packs compiled into etiolog: the YAML files of rules/packs/,
// embedded at build time by cmake/EmbedPacks.cmake. Internal to rules.
//
// Thread safety: immutable static data.

#ifndef ETIOLOG_RULES_BUILTIN_PACKS_H_
#define ETIOLOG_RULES_BUILTIN_PACKS_H_

#include <string_view>
#include <vector>

namespace etiolog::rules {

struct BuiltinPackText {
  std::string_view name;  // File name, e.g. "airflow_auth.yaml".
  std::string_view yaml;  // The file's bytes.
};

// All built-in packs, in file-name order. The views point to static data.
const std::vector<BuiltinPackText>& BuiltinPackTexts();

}  // namespace etiolog::rules

#endif  // ETIOLOG_RULES_BUILTIN_PACKS_H_
