// SPDX-License-Identifier: Apache-2.0
//
// Cause lint against the store: what rules/lint.h cannot check because the
// rules module knows no SQL. Every cause's SQL is prepared on an empty
// in-memory store of the current schema, on the store's query connection
// (the one the Diagnoser runs it on), so a table, column or function that
// does not exist, a syntax error, a second statement, a write, or anything
// the connection refuses (ATTACH, PRAGMA, BEGIN, load_extension(), reading
// sqlite_schema) is reported with the pack location before the pack is
// ever used. Each query is then run once on that empty store, under a
// small step limit (kLintStepLimit), with :cause bound and its other
// parameters NULL, so a query that never ends (a recursive CTE without a
// bound) or fails when run is reported too.
// From the prepared statements it also checks what the Diagnoser relies
// on: detect returns `surface` and (unless the cause is a risk)
// `confidence`; every parameter an evidence query binds is a column of
// detect (or `cause`), since a missing one is silently NULL; and the
// {name} placeholders of summary and remediation are facts detect returns
// (an unknown one is shown as written).
//
// Thread safety: pure function; it opens its own store.

#ifndef ETIOLOG_ANALYZER_DIAGNOSIS_CAUSE_LINT_H_
#define ETIOLOG_ANALYZER_DIAGNOSIS_CAUSE_LINT_H_

#include <cstdint>
#include <vector>

#include "ingest/status.h"
#include "rules/lint.h"
#include "rules/pack.h"

namespace etiolog::analyzer {

// The step limit of each query run on the empty store: every built-in
// query runs in under 5,000 steps there, and a runaway one is stopped
// within about 10 ms.
inline constexpr uint64_t kLintStepLimit = 1'000'000;

// Checks the SQL of causes as above. Errors: SQL that does not prepare
// (SQLite's message, with the SQL line, or why the query connection
// refuses it), a query stopped by kLintStepLimit or failing when run on the
// empty store, a detect without `surface` or
// `confidence`, an evidence parameter detect does not provide. Warnings:
// placeholders no fact fills. Returns the store's error if the in-memory
// store cannot be opened.
Result<std::vector<rules::CauseLintIssue>> LintCauseSql(const std::vector<rules::Cause>& causes);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_DIAGNOSIS_CAUSE_LINT_H_
