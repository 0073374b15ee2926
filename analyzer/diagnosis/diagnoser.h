// SPDX-License-Identifier: Apache-2.0
//
// Diagnoser: runs the causes declared in rule packs against the store and
// produces ranked findings.
//
// A cause's `detect` SQL (run with :cause bound to the cause id, so causes
// can share one query) returns one row per finding, with its confidence and
// surface and any facts; its evidence queries, run with those facts as
// parameters, return the events that support it (roles cause, trigger,
// symptom) or argue against it (role against). Columns whose name starts
// with '_' are parameters only (not shown as facts); columns whose name
// starts with "scope" identify the finding in its fingerprint. Findings are
// ranked by confidence; a cause listing another in `suppressed_by` is
// dropped when the other was found on the same surface with at least the
// same confidence. The diagnoser holds no Airflow knowledge: all of it is in
// the packs.
//
// A cause marked `risk: true` is a risk, not a cause: its rows describe a
// state that breaks later (nothing failed yet), are reported apart from the
// findings (Verdict::risks) and carry no confidence.
//
// With DiagnoseOptions::explain the diagnoser also says what every other
// cause came to (Alternative): found and reported too, suppressed, below
// the threshold, or nothing found (with what to collect to settle it).
//
// A cause whose SQL fails (refused by the store's query connection, stopped
// by the step limit, an error while running, too many detect rows) is a
// bug in its pack, not in the logs: it is skipped, its error kept in
// Verdict::cause_errors, and the other causes still run. Only a failing
// store ends the diagnosis.
//
// Thread safety: Diagnose() is const and may run concurrently on distinct
// stores.

#ifndef ETIOLOG_ANALYZER_DIAGNOSIS_DIAGNOSER_H_
#define ETIOLOG_ANALYZER_DIAGNOSIS_DIAGNOSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/store.h"
#include "ingest/status.h"
#include "rules/pack.h"

namespace etiolog::analyzer {

// One log line cited by a finding.
struct EvidenceLine {
  int64_t event_id = 0;  // Row id in the store's events table.
  std::string role;      // "cause", "trigger", "symptom" or "against".
  std::string path;      // Source display name.
  int64_t line = 0;      // 1-based line number.
  int64_t time_us = 0;   // UTC µs; meaningful only if has_time.
  bool has_time = false;
  std::string time_quality;  // "exact", "assumed_zone", "inherited".
  std::string kind;          // Event kind.
  std::string component;
  std::string host;
  int64_t pid = 0;
  std::string text;  // The line, redacted.
};

// Another cause the diagnosis considered: what its detect query found and
// why it is not (or is also) the answer. Seen from one finding
// (Finding::alternatives) or from the whole run (Verdict::considered).
struct Alternative {
  std::string cause;
  std::string title;
  std::string surface;    // Of the row found; "" if it found nothing.
  bool found = false;     // Its detect query returned this row.
  double confidence = 0;  // 0..1; meaningful only if found.
  // "reported" (a finding of the report too), "suppressed" (by a cause it
  // lists in suppressed_by, as likely on the same surface),
  // "below_threshold" (under DiagnoseOptions::min_confidence),
  // "zero_confidence" (found, but scored 0), "not_found" (no row),
  // "error" (its SQL failed and it was skipped; reason says why).
  std::string status;
  std::string reason;                  // Why, in one sentence, relative to the finding it is
                                       // an alternative to (Verdict::considered: to the run).
  std::string summary;                 // Its summary with its facts; "" if not found.
  std::vector<EvidenceLine> evidence;  // As a finding's; empty if not found.
  std::vector<EvidenceLine> against;
  std::string collect;  // The cause's `collect`: what would settle it.
};

struct Finding {
  std::string cause;  // Stable cause id.
  std::string title;
  std::string surface;    // "ui", "execution_api", "log_server" or "".
  double confidence = 0;  // 0..1.
  std::string summary;
  std::vector<EvidenceLine> evidence;  // Roles cause, trigger, symptom.
  std::vector<EvidenceLine> against;   // Role against.
  std::string remediation;
  std::string deployment;   // Which remediation variant was chosen.
  std::string fingerprint;  // Stable across reruns on the same logs.
  // The detect row's columns, except hidden ('_') ones, in column order.
  std::vector<std::pair<std::string, std::string>> facts;
  // With DiagnoseOptions::explain: every other cause (not risk) and what it
  // came to, in Verdict::considered order. Empty otherwise, and never
  // stored.
  std::vector<Alternative> alternatives;
};

// A cause the diagnosis skipped because its SQL failed.
struct CauseError {
  std::string cause;  // Its id.
  // "<pack file>:<line>:<column>: cause '<id>' <query>: <why>", e.g.
  // "my.yaml:4:5: cause 'x' detect: query stopped after 1000000000 steps
  // (a recursive query without a bound?)".
  std::string message;
};

// Everything a diagnosis says.
struct Verdict {
  std::vector<Finding> findings;  // Ranked, most likely first.
  // Risks (causes with `risk: true`), in pack order; confidence 0, no
  // alternatives. Kept apart: a risk is not a finding.
  std::vector<Finding> risks;
  // With DiagnoseOptions::explain: what every cause (not risk) came to:
  // the findings in rank order, then the other rows found, most likely
  // first, then the causes that found nothing, then those whose SQL
  // failed, in pack order. Empty otherwise.
  std::vector<Alternative> considered;
  // The causes and risks skipped because their SQL failed, in pack order;
  // the rest of the verdict is what the other causes found.
  std::vector<CauseError> cause_errors;
};

struct DiagnoseOptions {
  // Findings below this confidence are not reported. Risks have none and
  // are always reported. Default: 0.
  double min_confidence = 0;
  // Fill Finding::alternatives and Verdict::considered (costs the evidence
  // queries of every row found, reported or not). Default: false.
  bool explain = false;
  // The step limit of each query of a cause (db::Store::Query's max_steps);
  // a query past it fails and its cause is skipped. 0: the store's
  // (db::Store::Options::query_step_limit). Default: 0.
  uint64_t query_step_limit = 0;
  // The most rows a detect query may return (one per finding); a cause
  // whose detect returns more is skipped, so a query that generates rows
  // without end is stopped long before it could exhaust memory. 0: no
  // limit. Default: 10,000.
  size_t max_detect_rows = 10'000;
};

class Diagnoser {
 public:
  explicit Diagnoser(std::vector<rules::Cause> causes, const DiagnoseOptions& options = {});

  // Runs every cause against store: the findings, ranked, the risks,
  // (explain) what was considered, and the causes skipped because their
  // SQL failed (Verdict::cause_errors, each naming the cause's pack
  // location). Returns the store's error (IoError, Corruption) if the store
  // itself fails.
  // REQUIRES: store->BuildTimeline() ran after the last event was appended.
  Result<Verdict> Run(const db::Store& store) const;

  // Run(store).findings: the findings alone (no risks). A cause whose SQL
  // fails is skipped silently here: use Run() to see cause errors.
  Result<std::vector<Finding>> Diagnose(const db::Store& store) const;

  // Detects how the logs' deployment runs ("docker-compose", "kubernetes",
  // "systemd", or "default") from source paths, line formats and process
  // names: Kubernetes pod log paths or pod names (<name>-<hash>-<5 chars>),
  // journald lines, docker-compose container names (<service>-<n>).
  static Result<std::string> DetectDeployment(const db::Store& store);

 private:
  std::vector<rules::Cause> causes_;
  DiagnoseOptions options_;
};

// The diagnosis steps of analyze, for what runs the causes' examples:
// completes the store's timeline and runs causes on it. Returns the store's
// error; a cause whose SQL fails is in Verdict::cause_errors.
Result<Verdict> DiagnoseStore(db::Store* store, std::vector<rules::Cause> causes,
                              const DiagnoseOptions& options);

// Replaces each {name} in tmpl by facts[name]; unknown names stay as is.
std::string ExpandTemplate(const std::string& tmpl,
                           const std::vector<std::pair<std::string, std::string>>& facts);

// Keeps findings (in rank order) in the store's findings tables, replacing
// the previous diagnosis, with run (the JSON of the run summary; see
// RunSummaryJson in analyzer/report/report.h). Returns the store's error, if any.
Status SaveFindings(const std::vector<Finding>& findings, std::string_view run, db::Store* store);

// SaveFindings for a verdict: its findings, then its risks (kept as risks).
// Alternatives are not kept.
Status SaveVerdict(const Verdict& verdict, std::string_view run, db::Store* store);

// Reads back the findings the last SaveFindings() kept, in the same order,
// with their evidence lines read from the events they cite (as Diagnose()
// produced them), and sets *run (if not null) to the run saved with them.
// Returns NotFound if the store holds no diagnosis, or the store's error.
// Risks the store holds are not returned (LoadVerdict returns them).
Result<std::vector<Finding>> LoadFindings(const db::Store& store, std::string* run);

// LoadFindings with the risks: the verdict SaveVerdict() kept (without
// alternatives). Errors as LoadFindings.
Result<Verdict> LoadVerdict(const db::Store& store, std::string* run);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_DIAGNOSIS_DIAGNOSER_H_
