// SPDX-License-Identifier: Apache-2.0
#include "rules/self_test.h"

#include <algorithm>

#include "ingest/decoder.h"

namespace etiolog::rules {

SelfTestResult RunExamples(const Matcher& matcher) {
  SelfTestResult result;
  const std::vector<Rule>& rules = matcher.rules();
  std::vector<Match> matches;
  for (size_t r = 0; r < rules.size(); ++r) {
    const Rule& rule = rules[r];
    auto run = [&](const Example& ex) {
      ++result.examples;
      LogRecord record;
      ingest::DecodeLine(ex.line, ingest::DecoderOptions(), &record);
      matches.clear();
      matcher.MatchRecordSlow(record, &matches);
      return std::find_if(matches.begin(), matches.end(),
                          [&](const Match& m) { return m.rule == static_cast<int>(r); });
    };
    for (const Example& ex : rule.examples) {
      auto it = run(ex);
      if (it == matches.end()) {
        result.failures.push_back({rule.id, ex.where.ToString(), "example does not match"});
        continue;
      }
      for (const auto& [name, want] : ex.captures) {
        auto got = std::find_if(it->captures.begin(), it->captures.end(),
                                [&](const auto& kv) { return kv.first == name; });
        if (got == it->captures.end()) {
          result.failures.push_back(
              {rule.id, ex.where.ToString(), "capture '" + name + "' missing"});
        } else if (got->second != want) {
          result.failures.push_back(
              {rule.id, ex.where.ToString(),
               "capture '" + name + "' is '" + got->second + "', expected '" + want + "'"});
        }
      }
    }
    for (const Example& ex : rule.counter_examples) {
      auto it = run(ex);
      if (it != matches.end()) {
        result.failures.push_back({rule.id, ex.where.ToString(), "counter-example matches"});
      }
    }
  }
  return result;
}

}  // namespace etiolog::rules
