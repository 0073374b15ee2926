// SPDX-License-Identifier: Apache-2.0
//
// Rule packs: the data that teaches etiolog a system. A pack is a YAML file
// with two lists: `rules` (RE2 patterns that turn log lines into typed
// events) and `causes` (SQL over the event store that names a root cause,
// scores it and says how to fix it), and the vocabulary they share: the
// event kinds (with the captures causes may rely on) and the surfaces it
// declares. The engine knows no kind or surface of its own: the built-in
// Airflow pack declares Airflow's. docs/pack-format.md is the reference.
//
// This header is pure data plus the loader; compiling rules is Matcher's job
// and running causes is the analyzer's. Every loaded item remembers the file
// and line it came from, so every later error can point at it.
//
// Packs load in a fixed order: the built-in packs, then the standard
// directories (DefaultRuleDirs()), then the paths given by the user. A later
// pack may replace an earlier rule (`override: true` on a rule with the
// same id) or remove it (`disable: [id, ...]` at the pack's top level). A
// rule may use the kinds and surfaces declared by its own pack or by a
// pack loaded before it; that is checked when packs are merged.
//
// Thread safety: plain data; the loader functions are reentrant.

#ifndef ETIOLOG_RULES_PACK_H_
#define ETIOLOG_RULES_PACK_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ingest/record.h"
#include "ingest/status.h"

namespace etiolog::rules {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Where an item was defined: "<file>:<line>:<column>" (1-based).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string ToString() const;
};

// An event kind a pack declares (`kinds:`): the contract between the rules
// that emit it and the causes that query it.
struct KindInfo {
  std::string name;                   // Dotted lower-case words, e.g. "auth.signature_failure".
  std::string meaning;                // One sentence.
  std::vector<std::string> captures;  // Capture names causes may rely on.
  Location where;
};

// A surface a pack declares (`surfaces:`): what a failure event is a
// failure of. The store groups failures into bursts per process and surface.
struct SurfaceInfo {
  std::string name;     // Lower-case word, e.g. "ui".
  std::string meaning;  // One sentence.
  Location where;
};

// Capture names any kind may carry because they set the event's process
// identity (the pipeline applies them): "component", "host", "pid".
const std::vector<std::string>& IdentityCaptures();

// A line a rule must (example) or must not (counter-example) match.
struct Example {
  std::string line;
  KeyValues captures;                   // Expected captures; only these are checked.
  std::vector<Location> capture_where;  // Location of each expected capture.
  Location where;
};

struct Rule {
  std::string id;                       // Unique across all loaded packs.
  std::string title;                    // One line for humans.
  std::string kind;                     // Event kind produced, e.g. "auth.signature_failure".
  std::string surface;                  // A declared surface, e.g. "ui", or "".
  std::string severity;                 // "info", "warning", "error", "critical".
  std::vector<std::string> patterns;    // RE2; the first one that matches wins.
  std::vector<Location> pattern_where;  // Location of each pattern.
  bool match_line = false;              // Match against the whole line, not the message.
  // Conditions on the decoded record; empty / kUnknown = no condition.
  std::string logger;  // RE2 that must match the record's logger.
  Level min_level = Level::kUnknown;
  std::string component;  // Required component of the record.
  // Strict conditions also reject a record that lacks the field they test
  // (no logger, unknown level, no component); by default only a
  // contradicting field rejects, because real logs lose prefixes. Use it
  // to tell look-alike lines apart by their logger, with a fallback rule
  // for lines that carry none.
  bool where_strict = false;
  // Fields the event gets regardless of the line, e.g. component: scheduler.
  KeyValues sets;
  std::vector<Location> sets_where;  // Location of each value of sets.
  // Captures copied from the record's decoded key=value fields when the
  // line has them: (capture name, field name), e.g. (reason, error).
  KeyValues fields;
  // Context, for block-structured inputs such as `kubectl describe pod` and
  // `systemctl status`, which name a process once in a heading and state
  // facts about it in the lines below. After this rule matches a line, its
  // captures with these names become the context of the later lines of the
  // same source; a name listed here that the match did not capture is
  // cleared. Names are capture names.
  std::vector<std::string> sets_context;
  // This rule's events take the captures with these names from the context
  // when the line did not capture them.
  std::vector<std::string> uses_context;
  // A fallback rule emits only when no other rule matched the same line:
  // a catch-all for lines the specific rules do not recognise.
  bool fallback = false;
  // Replaces the rule with the same id from an earlier-loaded pack.
  bool override = false;
  std::vector<Example> examples;
  std::vector<Example> counter_examples;
  Location where;
  Location kind_where;     // Of the kind value (for "unknown kind").
  Location surface_where;  // Of the surface value, if any.
};

// One evidence query of a cause: returns event ids (column `id`) that play
// the given role in the finding.
struct EvidenceQuery {
  std::string role;  // "cause", "trigger", "symptom" or "against".
  std::string sql;
  int limit = 5;  // Evidence lines shown per query.
  Location where;
};

// Logs a cause's `examples` must produce a finding from (or its
// `counter_examples` must not), run through the whole pipeline: every
// loaded rule, a fresh store, every loaded cause. Running them is the
// analyzer's job (rules knows no store); the loader only parses them.
struct CauseExample {
  std::string name;  // Optional; names the example in test output.
  // The log files, in order: (file name, text). The file name is the
  // source's path, so it can carry what a path says (a Kubernetes pod log
  // name, a component). `log:` is the file "example.log".
  KeyValues files;
  std::string cause;    // The cause expected (or not); "" = the enclosing one.
  std::string surface;  // Only a finding on this surface counts; "" = any.
  // Only a finding at least this likely counts (findings only: a risk has
  // no confidence). An example needs such a finding; a counter-example
  // must produce none. Default: 0, any finding.
  double min_confidence = 0;
  Location where;
};

struct Cause {
  std::string id;  // Stable identifier reported as `cause`.
  std::string title;
  // A risk, not a cause: nothing failed yet, but the logs show a state that
  // breaks later (a setting left to a per-process default). Its rows are
  // reported apart from findings, without a confidence. Default: false.
  bool risk = false;
  // SQL run against the store; each row is one finding. Columns:
  // `confidence` (0..1, not needed for a risk) and `surface` are required;
  // every column is a fact available to templates as {name} and to
  // evidence SQL as :name.
  std::string detect;
  Location detect_where;  // Of the detect value.
  std::vector<EvidenceQuery> evidence;
  std::string summary;  // Template with {fact} placeholders.
  // Fix, by deployment ("default", "docker-compose", "kubernetes",
  // "systemd"); templates like summary.
  KeyValues remediation;
  // Causes whose findings on the same surface make this one redundant. A
  // risk is dropped when any of them is reported on its surface (on any
  // surface if the risk has none).
  std::vector<std::string> suppressed_by;
  std::vector<Location> suppressed_by_where;  // Of each name.
  // For people (`etiolog explain`, `analyze --explain`); plain text, "" if
  // the pack gives none:
  std::string meaning;                 // What it means when this cause is reported.
  std::string looks_for;               // The evidence it looks for, and what argues against it.
  std::string collect;                 // The logs or command output that would settle it.
  std::vector<CauseExample> examples;  // Must produce the finding.
  std::vector<CauseExample> counter_examples;  // Must not.
  Location where;
};

// A secret shape to mask in everything etiolog stores or reports: an RE2
// pattern whose first capture group is replaced by "***".
struct Redaction {
  std::string pattern;
  Location where;
};

struct Pack {
  std::string name;
  std::string description;
  std::string file;  // Path, or "builtin:<name>".
  std::vector<Rule> rules;
  std::vector<Cause> causes;
  std::vector<Redaction> redactions;
  // The event kinds and surfaces this pack declares.
  std::vector<KindInfo> kinds;
  std::vector<SurfaceInfo> surfaces;
  // Ids of rules from earlier-loaded packs to remove.
  std::vector<std::string> disable;
  std::vector<Location> disable_where;
};

// Everything the loaded packs declare, merged.
struct PackSet {
  std::vector<Rule> rules;
  std::vector<Cause> causes;
  std::vector<Redaction> redactions;
  std::vector<KindInfo> kinds;        // Every kind the packs declare, in load order.
  std::vector<SurfaceInfo> surfaces;  // Every surface the packs declare, in load order.
  std::vector<std::string> files;     // Pack files loaded, in load order.
  // Suspicious but legal: a `disable` or `override` naming no earlier rule.
  // Each is "<file>:<line>:<column>: <what>".
  std::vector<std::string> warnings;
};

// Largest pack file accepted: 16 MiB.
inline constexpr size_t kMaxPackBytes = size_t{16} << 20;

// Parses a pack from YAML text. file names the text in error messages.
// Returns InvalidArgument "<file>:<line>:<column>: <what is wrong>" for
// text that is not UTF-8, bad YAML, an unknown or missing key, a wrongly
// typed value, a badly named or twice declared kind or surface, an unknown
// severity or `sets` field, and a rule id used twice in the pack (naming
// both places). Whether a rule's kind and surface are declared depends on
// the packs loaded before, so MergePacks checks that. Patterns are not
// compiled here (see Matcher).
Result<Pack> ParsePack(std::string_view yaml_text, const std::string& file);

// Reads and parses the pack at path. NotFound / IoError name the path;
// InvalidArgument for a file over kMaxPackBytes or a parse error.
Result<Pack> LoadPackFile(const std::string& path);

// Loads path: a pack file, or a directory whose *.yaml and *.yml files (not
// recursive) are loaded in name order. NotFound if path does not exist.
Result<std::vector<Pack>> LoadPackPath(const std::string& path);

// The packs compiled into the binary, parsed. Never fails in a released
// build: the built-in packs are tested at build time.
Result<std::vector<Pack>> BuiltinPacks();

// The standard rule directories, in load order: /etc/etiolog/rules.d, then
// $XDG_CONFIG_HOME/etiolog/rules.d (default ~/.config/etiolog/rules.d).
// A directory that does not exist is skipped by LoadPacks.
std::vector<std::string> DefaultRuleDirs();

struct LoadOptions {
  // Load the built-in packs first. Default: true.
  bool builtin = true;
  // Then the packs in DefaultRuleDirs() that exist. Default: true.
  bool default_dirs = true;
  // Then these pack files or directories (--rules), in order.
  std::vector<std::string> paths;
  // Of the built-in packs, load only the vocabulary (kinds and surfaces),
  // not their rules, causes and redactions: for testing a pack of one's own
  // that uses that vocabulary. Default: false.
  bool builtin_vocabulary_only = false;
};

// Loads packs as options say and merges them (MergePacks). Returns the
// first load or merge error.
Result<PackSet> LoadPacks(const LoadOptions& options);

// Merges packs in order. A rule whose id an earlier pack defined replaces
// it if it says `override: true` and is otherwise an InvalidArgument
// naming both locations; `disable` removes earlier rules. A rule whose kind
// or surface neither its pack nor an earlier one declares, a kind or
// surface declared by two packs, and a cause id defined twice are
// InvalidArgument, located. Overrides and disables that name no earlier
// rule become PackSet::warnings.
Result<PackSet> MergePacks(std::vector<Pack> packs);

// Serialises pack back to YAML that ParsePack reads as an equal pack
// (locations aside).
std::string FormatPack(const Pack& pack);

}  // namespace etiolog::rules

#endif  // ETIOLOG_RULES_PACK_H_
