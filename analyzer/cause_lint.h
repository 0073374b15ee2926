// SPDX-License-Identifier: Apache-2.0
//
// Cause lint against the store: what rules/lint.h cannot check because the
// rules module knows no SQL. Every cause's SQL is prepared (not run) on an
// empty in-memory store of the current schema, so a table, column or
// function that does not exist, a syntax error, a second statement or a
// write is reported with the pack location before the pack is ever used.
// From the prepared statements it also checks what the Diagnoser relies
// on: detect returns `surface` and (unless the cause is a risk)
// `confidence`; every parameter an evidence query binds is a column of
// detect (or `cause`), since a missing one is silently NULL; and the
// {name} placeholders of summary and remediation are facts detect returns
// (an unknown one is shown as written).
//
// Thread safety: pure function; it opens its own store.

#ifndef ETIOLOG_ANALYZER_CAUSE_LINT_H_
#define ETIOLOG_ANALYZER_CAUSE_LINT_H_

#include <vector>

#include "ingest/status.h"
#include "rules/lint.h"
#include "rules/pack.h"

namespace etiolog::analyzer {

// Checks the SQL of causes as above. Errors: SQL that does not prepare
// (SQLite's message, with the SQL line), a detect without `surface` or
// `confidence`, an evidence parameter detect does not provide. Warnings:
// placeholders no fact fills. Returns the store's error if the in-memory
// store cannot be opened.
Result<std::vector<rules::CauseLintIssue>> LintCauseSql(const std::vector<rules::Cause>& causes);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_CAUSE_LINT_H_
