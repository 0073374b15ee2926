// SPDX-License-Identifier: Apache-2.0
//
// The vocabulary in code and the table in docs/pack-format.md are one
// contract: this test fails when they drift apart.

#include "rules/vocabulary.h"

#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

namespace etiolog::rules {
namespace {

// Parses the rows "| `kind` | meaning | `cap`, `cap` |" of the table under
// "## Event vocabulary".
std::map<std::string, std::vector<std::string>> DocumentedKinds() {
  std::ifstream in(std::string(ETIOLOG_SAMPLES_DIR) + "/../docs/pack-format.md");
  EXPECT_TRUE(in.good());
  std::map<std::string, std::vector<std::string>> kinds;
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## Event vocabulary";
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    size_t end = line.find('`', 3);
    std::string kind = line.substr(3, end - 3);
    std::string last = line.substr(line.rfind('|', line.size() - 2));
    std::vector<std::string> caps;
    for (size_t p = last.find('`'); p != std::string::npos; p = last.find('`', p + 1)) {
      size_t q = last.find('`', p + 1);
      caps.push_back(last.substr(p + 1, q - p - 1));
      p = q;
    }
    kinds[kind] = caps;
  }
  return kinds;
}

TEST(Vocabulary, MatchesTheDocumentedTable) {
  auto doc = DocumentedKinds();
  ASSERT_FALSE(doc.empty());
  EXPECT_EQ(doc.size(), EventKinds().size());
  for (const KindInfo& k : EventKinds()) {
    auto it = doc.find(k.name);
    ASSERT_NE(it, doc.end()) << k.name << " is not documented in docs/pack-format.md";
    EXPECT_EQ(it->second, k.captures) << k.name;
  }
}

TEST(Vocabulary, Lookups) {
  EXPECT_NE(FindKind("auth.signature_failure"), nullptr);
  EXPECT_EQ(FindKind("auth.signature"), nullptr);
  EXPECT_EQ(Surfaces().size(), 3u);
  EXPECT_EQ(Severities().front(), "info");
}

}  // namespace
}  // namespace etiolog::rules
