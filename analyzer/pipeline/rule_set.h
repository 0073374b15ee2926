// SPDX-License-Identifier: Apache-2.0
//
// The rule packs a run loads, compiled into the Matcher the Pipeline scans
// with: what every command that matches lines (analyze, events, tail, rules)
// starts from.
//
// Thread safety: each call is independent.

#ifndef ETIOLOG_ANALYZER_PIPELINE_RULE_SET_H_
#define ETIOLOG_ANALYZER_PIPELINE_RULE_SET_H_

#include <memory>
#include <ostream>

#include "ingest/status.h"
#include "rules/matcher.h"
#include "rules/pack.h"

namespace etiolog::analyzer {

// The rule packs a command loads, compiled.
struct LoadedRules {
  rules::PackSet packs;  // Rules moved into matcher; causes, kinds, warnings kept.
  std::unique_ptr<rules::Matcher> matcher;
};

// Loads the packs options name (rules::LoadPacks) and compiles their rules.
// Returns the load or compile error, whose message starts with
// "<file>:<line>:<column>: ".
Result<LoadedRules> LoadRuleSet(const rules::LoadOptions& options);

// LoadRuleSet for a command that goes on to read logs: prints the error
// ("etiolog: <message>") or the pack warnings ("etiolog: warning: ...") to
// err. Returns false on error; *out is then unspecified.
bool LoadRulesOrReport(const rules::LoadOptions& options, std::ostream& err, LoadedRules* out);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_PIPELINE_RULE_SET_H_
