// SPDX-License-Identifier: Apache-2.0
//
// The Airflow vocabulary is data: the built-in pack declares its kinds and
// surfaces, and docs/pack-format.md ("The built-in Airflow vocabulary")
// shows them. They are one contract: this test fails when they drift apart.

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "rules/pack.h"
#include "tests/test_util.h"

namespace etiolog::rules {
namespace {

struct Documented {
  std::vector<std::pair<std::string, std::vector<std::string>>> kinds;  // Name, captures.
  std::vector<std::string> surfaces;
};

// The backquoted words of a table cell, in order.
std::vector<std::string> Quoted(const std::string& cell) {
  std::vector<std::string> out;
  for (size_t p = cell.find('`'); p != std::string::npos; p = cell.find('`', p + 1)) {
    const size_t q = cell.find('`', p + 1);
    if (q == std::string::npos) break;
    out.push_back(cell.substr(p + 1, q - p - 1));
    p = q;
  }
  return out;
}

// Reads the rows "| `surface` | meaning |" after "Surfaces:" and
// "| `kind` | meaning | `cap`, `cap` |" after "Kinds:" in the section.
Documented ReadDocs() {
  std::ifstream in(std::string(ETIOLOG_SAMPLES_DIR) + "/../docs/pack-format.md");
  EXPECT_TRUE(in.good());
  Documented doc;
  std::string line, table;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind('#', 0) == 0) in_section = line == "### The built-in Airflow vocabulary";
    if (!in_section) continue;
    if (line == "Surfaces:" || line == "Kinds:") table = line;
    if (line.rfind("| `", 0) != 0) continue;
    const std::string name = Quoted(line)[0];
    if (table == "Surfaces:") {
      doc.surfaces.push_back(name);
    } else if (table == "Kinds:") {
      doc.kinds.emplace_back(name, Quoted(line.substr(line.rfind('|', line.size() - 2))));
    }
  }
  return doc;
}

TEST(BuiltinVocabulary, MatchesTheDocumentedTables) {
  Documented doc = ReadDocs();
  ASSERT_FALSE(doc.kinds.empty());
  ASSERT_FALSE(doc.surfaces.empty());
  Result<PackSet> set = LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  ASSERT_OK(set);
  std::vector<std::pair<std::string, std::vector<std::string>>> declared;
  for (const KindInfo& k : set->kinds) declared.emplace_back(k.name, k.captures);
  EXPECT_EQ(declared, doc.kinds);
  std::vector<std::string> surfaces;
  for (const SurfaceInfo& s : set->surfaces) surfaces.push_back(s.name);
  EXPECT_EQ(surfaces, doc.surfaces);
}

TEST(BuiltinVocabulary, EveryDeclaredSurfaceHasRules) {
  // Merging rejects a rule whose surface is not declared; this checks the
  // other way round.
  Result<PackSet> set = LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  ASSERT_OK(set);
  for (const SurfaceInfo& s : set->surfaces) {
    bool used = false;
    for (const Rule& r : set->rules) used = used || r.surface == s.name;
    EXPECT_TRUE(used) << s.name;
  }
}

}  // namespace
}  // namespace etiolog::rules
