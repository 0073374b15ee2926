// SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the rule loader: ParsePack, FormatPack, Matcher::Create, the
// self-test and lint (rules and causes). Invariants:
//  - no crash, hang or sanitizer report on any input;
//  - a rejected pack's error starts with "<file>:<line>:<column>: ";
//  - an accepted pack, re-serialised by FormatPack, parses again to an equal
//    pack, and compiles (or fails to) the same way;
//  - an accepted pack's rules compile or fail with a located error.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rules/lint.h"
#include "rules/matcher.h"
#include "rules/pack.h"
#include "rules/self_test.h"
#include "tests/rules/pack_equal.h"

namespace {

using etiolog::rules::Pack;
using etiolog::rules::Rule;
using etiolog::rules::testing::SamePack;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "rule_loader_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

// "<file>:<digits>:<digits>: " at the start of message.
bool Located(const std::string& message, const std::string& file) {
  if (message.rfind(file + ":", 0) != 0) return false;
  size_t i = file.size() + 1;
  for (int part = 0; part < 2; ++part) {
    size_t start = i;
    while (i < message.size() && message[i] >= '0' && message[i] <= '9') ++i;
    if (i == start || i >= message.size() || message[i] != ':') return false;
    ++i;
  }
  return i < message.size() && message[i] == ' ';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = "fuzz.yaml";
  std::string_view text(reinterpret_cast<const char*>(data), size);
  etiolog::Result<Pack> pack = etiolog::rules::ParsePack(text, file);
  if (!pack.ok()) {
    if (!Located(pack.status().message(), file))
      Fail("unlocated parse error", pack.status().message());
    return 0;
  }
  const std::string again_text = etiolog::rules::FormatPack(*pack);
  etiolog::Result<Pack> again = etiolog::rules::ParsePack(again_text, "again.yaml");
  if (!again.ok())
    Fail("FormatPack output does not parse", again.status().message() + "\n" + again_text);
  if (!SamePack(*pack, *again)) Fail("FormatPack output parses to a different pack", again_text);

  auto matcher = etiolog::rules::Matcher::Create(pack->rules, pack->redactions);
  auto matcher_again = etiolog::rules::Matcher::Create(again->rules, again->redactions);
  if (matcher.ok() != matcher_again.ok()) Fail("re-parsed pack compiles differently", again_text);
  if (!matcher.ok()) {
    if (!Located(matcher.status().message(), file)) {
      Fail("unlocated compile error", matcher.status().message());
    }
    return 0;
  }
  etiolog::rules::SelfTestResult tested = etiolog::rules::RunExamples(**matcher);
  etiolog::rules::SelfTestResult tested_again = etiolog::rules::RunExamples(**matcher_again);
  if (tested.failures.size() != tested_again.failures.size()) {
    Fail("re-parsed pack self-tests differently", again_text);
  }
  for (const auto& f : tested.failures) {
    if (!Located(f.where + ": ", file)) Fail("unlocated self-test failure", f.where);
  }
  (void)etiolog::rules::LintRules(**matcher, pack->kinds);
  for (const auto& issue : etiolog::rules::LintCauses(pack->causes, {})) {
    if (!Located(issue.where + ": ", file)) Fail("unlocated cause lint issue", issue.where);
  }
  // Loading the pack twice: every rule id collides, with both places named.
  etiolog::Result<etiolog::rules::PackSet> twice = etiolog::rules::MergePacks({*pack, *pack});
  // (Unless every rule may override, or is disabled by the second copy.)
  bool must_collide = false;
  for (const Rule& r : pack->rules) {
    bool disabled = false;
    for (const std::string& d : pack->disable) disabled = disabled || d == r.id;
    must_collide = must_collide || (!r.override && !disabled);
  }
  if (must_collide) {
    if (twice.ok()) Fail("duplicate ids accepted", again_text);
    if (!Located(twice.status().message(), file))
      Fail("unlocated merge error", twice.status().message());
  }
  return 0;
}
