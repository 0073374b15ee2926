// SPDX-License-Identifier: Apache-2.0
//
// Pack equality ignoring source locations, for round-trip checks
// (FormatPack then ParsePack) in pack_test and the rule-loader fuzzer.

#ifndef ETIOLOG_TESTS_RULES_PACK_EQUAL_H_
#define ETIOLOG_TESTS_RULES_PACK_EQUAL_H_

#include <vector>

#include "rules/pack.h"

namespace etiolog::rules::testing {

inline bool SameExamples(const std::vector<Example>& a, const std::vector<Example>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].line != b[i].line || a[i].captures != b[i].captures) return false;
  }
  return true;
}

inline bool SameRule(const Rule& a, const Rule& b) {
  return a.id == b.id && a.title == b.title && a.kind == b.kind && a.surface == b.surface &&
         a.severity == b.severity && a.patterns == b.patterns && a.match_line == b.match_line &&
         a.logger == b.logger && a.where_strict == b.where_strict && a.min_level == b.min_level &&
         a.component == b.component && a.sets == b.sets && a.fields == b.fields &&
         a.sets_context == b.sets_context && a.uses_context == b.uses_context &&
         a.fallback == b.fallback && a.override == b.override &&
         SameExamples(a.examples, b.examples) &&
         SameExamples(a.counter_examples, b.counter_examples);
}

inline bool SameCauseExamples(const std::vector<CauseExample>& a,
                              const std::vector<CauseExample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].files != b[i].files || a[i].cause != b[i].cause ||
        a[i].surface != b[i].surface || a[i].min_confidence != b[i].min_confidence) {
      return false;
    }
  }
  return true;
}

inline bool SameCause(const Cause& x, const Cause& y) {
  if (x.id != y.id || x.title != y.title || x.risk != y.risk || x.detect != y.detect ||
      x.summary != y.summary || x.remediation != y.remediation ||
      x.suppressed_by != y.suppressed_by || x.meaning != y.meaning || x.looks_for != y.looks_for ||
      x.collect != y.collect || !SameCauseExamples(x.examples, y.examples) ||
      !SameCauseExamples(x.counter_examples, y.counter_examples) ||
      x.evidence.size() != y.evidence.size()) {
    return false;
  }
  for (size_t j = 0; j < x.evidence.size(); ++j) {
    if (x.evidence[j].role != y.evidence[j].role || x.evidence[j].sql != y.evidence[j].sql ||
        x.evidence[j].limit != y.evidence[j].limit) {
      return false;
    }
  }
  return true;
}

inline bool SamePack(const Pack& a, const Pack& b) {
  if (a.name != b.name || a.description != b.description || a.disable != b.disable ||
      a.rules.size() != b.rules.size() || a.causes.size() != b.causes.size() ||
      a.redactions.size() != b.redactions.size() || a.kinds.size() != b.kinds.size() ||
      a.surfaces.size() != b.surfaces.size()) {
    return false;
  }
  for (size_t i = 0; i < a.rules.size(); ++i) {
    if (!SameRule(a.rules[i], b.rules[i])) return false;
  }
  for (size_t i = 0; i < a.causes.size(); ++i) {
    if (!SameCause(a.causes[i], b.causes[i])) return false;
  }
  for (size_t i = 0; i < a.redactions.size(); ++i) {
    if (a.redactions[i].pattern != b.redactions[i].pattern) return false;
  }
  for (size_t i = 0; i < a.kinds.size(); ++i) {
    if (a.kinds[i].name != b.kinds[i].name || a.kinds[i].meaning != b.kinds[i].meaning ||
        a.kinds[i].captures != b.kinds[i].captures) {
      return false;
    }
  }
  for (size_t i = 0; i < a.surfaces.size(); ++i) {
    if (a.surfaces[i].name != b.surfaces[i].name ||
        a.surfaces[i].meaning != b.surfaces[i].meaning) {
      return false;
    }
  }
  return true;
}

}  // namespace etiolog::rules::testing

#endif  // ETIOLOG_TESTS_RULES_PACK_EQUAL_H_
