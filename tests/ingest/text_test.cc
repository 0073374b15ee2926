// SPDX-License-Identifier: Apache-2.0
#include "ingest/text.h"

#include <gtest/gtest.h>

namespace etiolog::ingest {
namespace {

TEST(CheckChunk, CleanTextCostsNothingToReport) {
  BadBytes b = CheckChunk("hello\nw\xc3\xb6rld \xe2\x94\x82 box\n");
  EXPECT_EQ(b.lines(), 0u);
  EXPECT_EQ(b.first_what, nullptr);
}

TEST(CheckChunk, FindsFirstBadLineAndCountsAll) {
  std::string d = "ok\nbad \xff here\nok\n";
  d += std::string("nul ") + '\0' + "x\n";
  BadBytes b = CheckChunk(d);
  EXPECT_EQ(b.utf8_lines, 1u);
  EXPECT_EQ(b.nul_lines, 1u);
  EXPECT_EQ(b.first_line_index, 1u);
  EXPECT_EQ(b.first_pos, d.find('\xff'));
  EXPECT_STREQ(b.first_what, "invalid UTF-8");
}

TEST(CheckChunk, TruncatedMultibyteAtLineEnd) {
  BadBytes b = CheckChunk("caf\xc3\n");
  EXPECT_EQ(b.utf8_lines, 1u);
}

TEST(SanitizeText, ReplacesAndRemoves) {
  EXPECT_EQ(SanitizeText(std::string("a\0b", 3)), "ab");
  EXPECT_EQ(SanitizeText("a\xff"
                         "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(SanitizeText("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // Surrogate.
  EXPECT_EQ(SanitizeText("ok \xe2\x94\x82"), "ok \xe2\x94\x82");
  EXPECT_TRUE(IsCleanText(SanitizeText("\xc0\xaf\x80\xf5 x")));
}

}  // namespace
}  // namespace etiolog::ingest
