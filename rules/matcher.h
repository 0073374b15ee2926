// SPDX-License-Identifier: Apache-2.0
//
// Matcher: all patterns of all loaded rules, compiled into one engine.
//
// Matching is two-phase, and the first phase decides etiolog's speed:
//  1. Scan(): a multi-literal scan (vectorscan) over a whole chunk of lines
//     looks for the required literals ("atoms") that RE2's FilteredRE2
//     extracts from every pattern. Only lines containing one are reported,
//     with all the atoms they contain. Most lines contain none and cost
//     nothing beyond the scan.
//  2. MatchRecord(): for one decoded candidate record, FilteredRE2 picks
//     the patterns whose atom formula the line satisfies; only those run,
//     with captures, and the rule's conditions (logger, level, component)
//     are checked.
// Every pattern must have a required literal (at least kMinAtomLength
// bytes); a pattern without one would have to run on every line and is
// rejected when the matcher is built.
//
// Not every atom is scanned for: when a pattern needs several literals
// (`" 403` and ` - ` in an access line), scanning for one of them finds
// every line that can match. The matcher keeps, per pattern, a minimal set
// of atoms that every match contains one of, preferring long and rare ones
// (see LiteralWeakness), and scans only for those; candidate lines are then
// rescanned for all atoms.
//
// Memory: every RE2 (pattern, logger condition, redaction) is limited to
// kPatternMaxMem bytes; a pattern that needs more is rejected with RE2's
// "pattern too large" error at its location.
//
// Thread safety: a built Matcher is immutable and may be shared by threads;
// each thread needs its own Matcher::Scratch.

#ifndef ETIOLOG_RULES_MATCHER_H_
#define ETIOLOG_RULES_MATCHER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/record.h"
#include "ingest/status.h"
#include "rules/pack.h"

namespace re2 {
class RE2;
class FilteredRE2;
}  // namespace re2

namespace etiolog::rules {

// A rule that matched a record.
struct Match {
  int rule = -1;       // Index into Matcher::rules().
  KeyValues captures;  // Named captures of the matching pattern, in pattern
                       // order, then those taken from fields (Rule::fields);
                       // unmatched optional groups are omitted.
};

class Matcher {
 public:
  static constexpr int kMinAtomLength = 3;
  // Memory budget of each compiled RE2 (program and DFA caches): 4 MiB.
  static constexpr int64_t kPatternMaxMem = int64_t{4} << 20;

  // One pattern as compiled: the literals any match contains (FilteredRE2
  // atoms, lower-case) and the subset the scan looks for.
  struct PatternInfo {
    int rule = -1;                        // Index into rules().
    int index = 0;                        // Index into the rule's patterns.
    std::vector<std::string> atoms;       // All required literals.
    std::vector<std::string> scan_atoms;  // Those scanned for.
  };

  // Per-thread scanning state (vectorscan scratch space and hit buffers).
  // Opaque; destroyed through ScratchDeleter so it may stay incomplete here.
  class Scratch;
  struct ScratchDeleter {
    void operator()(Scratch* s) const;
  };
  using ScratchPtr = std::unique_ptr<Scratch, ScratchDeleter>;

  // Compiles rules. Returns InvalidArgument naming "<file>:<line>:<column>"
  // and the rule id for: a pattern RE2 rejects (with RE2's message, e.g.
  // "pattern too large - compile failed" past kPatternMaxMem), a pattern
  // without a required literal, a bad `where.logger` pattern, an example
  // expecting a capture that no pattern of its rule (nor Rule::fields)
  // defines, and a duplicate rule id.
  // Redaction patterns are compiled too; a bad one or one without a capture
  // group is InvalidArgument at its location.
  static Result<std::unique_ptr<Matcher>> Create(std::vector<Rule> rules,
                                                 const std::vector<Redaction>& redactions = {});

  // Holds compiled engines; copying would mean recompiling.
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;
  ~Matcher();

  const std::vector<Rule>& rules() const { return rules_; }
  // The distinct lower-cased literals of all patterns.
  const std::vector<std::string>& atoms() const { return atoms_; }
  // Every pattern of every rule, in rule order.
  const std::vector<PatternInfo>& patterns() const { return patterns_; }

  // Why a scanned literal would make many lines candidates: "" if it looks
  // distinctive, else a short reason ("shorter than 4 characters", "occurs
  // in most Airflow log lines (part of '...')"). atom is lower-case.
  static std::string LiteralWeakness(std::string_view atom);

  // Creates scanning state for one thread. Never null.
  ScratchPtr NewScratch() const;

  // Called once per candidate line of Scan: the line is text[begin, end)
  // (end excludes '\n'); atoms holds the sorted ids of all atoms it contains.
  using CandidateFn = std::function<void(size_t begin, size_t end, const std::vector<int>& atoms)>;

  // Scans text (whole lines) and calls fn for each candidate line, in
  // increasing order of position. Returns Internal if the scan engine fails.
  Status Scan(std::string_view text, Scratch* scratch, const CandidateFn& fn) const;

  // Appends to out every rule that matches record, given the atoms found in
  // its line. Cheap when atoms is empty. A fallback rule is appended only if
  // no other rule matched record.
  void MatchRecord(const LogRecord& record, const std::vector<int>& atoms,
                   std::vector<Match>* out) const;

  // Convenience for tests and `rules test`: finds the atoms in record.text
  // directly, then MatchRecord.
  void MatchRecordSlow(const LogRecord& record, std::vector<Match>* out) const;

  // Replaces the first capture group of every redaction pattern in *text
  // with "***". Returns true if anything was replaced.
  bool Redact(std::string* text) const;

 private:
  Matcher();

  std::vector<Rule> rules_;
  std::vector<std::string> atoms_;
  std::vector<PatternInfo> patterns_;
  std::unique_ptr<re2::FilteredRE2> filter_;
  std::vector<int> regexp_rule_;                            // FilteredRE2 regexp id -> rule index.
  std::vector<std::unique_ptr<const re2::RE2>> logger_re_;  // Per rule; may be null.
  std::vector<std::unique_ptr<const re2::RE2>> redact_re_;
  struct Engine;  // The compiled vectorscan databases.
  std::unique_ptr<Engine> engine_;
};

}  // namespace etiolog::rules

#endif  // ETIOLOG_RULES_MATCHER_H_
