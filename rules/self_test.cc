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
    RuleTestResult rr;
    rr.rule = rule.id;
    rr.where = rule.where.ToString();
    auto run = [&](const Example& ex) {
      LogRecord record;
      ingest::DecodeLine(ex.line, ingest::DecoderOptions(), &record);
      matches.clear();
      matcher.MatchRecordSlow(record, &matches);
      return std::find_if(matches.begin(), matches.end(),
                          [&](const Match& m) { return m.rule == static_cast<int>(r); });
    };
    auto fail = [&](const Example& ex, std::string message) {
      rr.failures.push_back({rule.id, ex.where.ToString(), std::move(message)});
    };
    for (const Example& ex : rule.examples) {
      ++rr.examples;
      auto it = run(ex);
      if (it == matches.end()) {
        fail(ex, "example does not match");
        continue;
      }
      for (const auto& expected : ex.captures) {
        const std::string& name = expected.first;  // Named: lambdas cannot capture bindings.
        const std::string& want = expected.second;
        auto got = std::find_if(it->captures.begin(), it->captures.end(),
                                [&](const auto& kv) { return kv.first == name; });
        if (got == it->captures.end()) {
          fail(ex, "capture '" + name + "' missing");
        } else if (got->second != want) {
          fail(ex, "capture '" + name + "' is '" + got->second + "', expected '" + want + "'");
        }
      }
    }
    for (const Example& ex : rule.counter_examples) {
      ++rr.counter_examples;
      auto it = run(ex);  // Not inlined: run() refills matches.
      if (it != matches.end()) fail(ex, "counter-example matches");
    }
    result.examples += rr.examples + rr.counter_examples;
    result.failures.insert(result.failures.end(), rr.failures.begin(), rr.failures.end());
    result.rules.push_back(std::move(rr));
  }
  return result;
}

}  // namespace etiolog::rules
