// SPDX-License-Identifier: Apache-2.0
//
// Rule packs: the data that teaches etiolog a system. A pack is a YAML file
// with two lists: `rules` (RE2 patterns that turn log lines into typed
// events) and `causes` (SQL over the event store that names a root cause,
// scores it and says how to fix it). docs/pack-format.md is the reference.
//
// This header is pure data plus the loader; compiling rules is Matcher's job
// and running causes is the analyzer's. Every loaded item remembers the file
// and line it came from, so every later error can point at it.
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

// A line a rule must (example) or must not (counter-example) match.
struct Example {
  std::string line;
  KeyValues captures;  // Expected captures; only the named ones are checked.
  Location where;
};

struct Rule {
  std::string id;                       // Unique across all loaded packs.
  std::string title;                    // One line for humans.
  std::string kind;                     // Event kind produced, e.g. "auth.signature_failure".
  std::string surface;                  // "ui", "execution_api", "log_server" or "".
  std::string severity;                 // "info", "warning", "error", "critical".
  std::vector<std::string> patterns;    // RE2; any one matching is a match.
  std::vector<Location> pattern_where;  // Location of each pattern.
  bool match_line = false;              // Match against the whole line, not the message.
  // Conditions on the decoded record; empty / kUnknown = no condition.
  std::string logger;  // RE2 that must match the record's logger.
  Level min_level = Level::kUnknown;
  std::string component;  // Required component of the record.
  // Fields the event gets regardless of the line, e.g. component: scheduler.
  KeyValues sets;
  std::vector<Example> examples;
  std::vector<Example> counter_examples;
  Location where;
};

// One evidence query of a cause: returns event ids (column `id`) that play
// the given role in the finding.
struct EvidenceQuery {
  std::string role;  // "cause", "trigger", "symptom" or "against".
  std::string sql;
  int limit = 5;  // Evidence lines shown per query.
  Location where;
};

struct Cause {
  std::string id;  // Stable identifier reported as `cause`.
  std::string title;
  // SQL run against the store; each row is one finding. Columns:
  // `confidence` (0..1) and `surface` are required; every column is a fact
  // available to templates as {name} and to evidence SQL as :name.
  std::string detect;
  std::vector<EvidenceQuery> evidence;
  std::string summary;  // Template with {fact} placeholders.
  // Fix, by deployment ("default", "docker-compose", "kubernetes",
  // "systemd"); templates like summary.
  KeyValues remediation;
  // Causes whose findings on the same surface make this one redundant.
  std::vector<std::string> suppressed_by;
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
  std::string file;  // Path, or "builtin:<name>".
  std::vector<Rule> rules;
  std::vector<Cause> causes;
  std::vector<Redaction> redactions;
};

// Everything the loaded packs declare, merged.
struct PackSet {
  std::vector<Rule> rules;
  std::vector<Cause> causes;
  std::vector<Redaction> redactions;
  std::vector<std::string> files;  // Pack files loaded, in load order.
};

// Parses a pack from YAML text. file names the text in error messages.
// Returns InvalidArgument "<file>:<line>:<column>: <what is wrong>" for bad
// YAML, an unknown or missing key, or a wrongly typed value. Patterns are
// not compiled here (see Matcher).
Result<Pack> ParsePack(std::string_view yaml_text, const std::string& file);

// Reads and parses the pack at path. NotFound / IoError name the path.
Result<Pack> LoadPackFile(const std::string& path);

// The packs compiled into the binary, parsed. Never fails in a released
// build: the built-in packs are tested at build time.
Result<std::vector<Pack>> BuiltinPacks();

// Loads the built-in packs (if builtin) and then each file of extra, and
// merges them. Returns the first load error, or InvalidArgument for a cause
// id defined twice.
Result<PackSet> LoadPacks(bool builtin, const std::vector<std::string>& extra);

}  // namespace etiolog::rules

#endif  // ETIOLOG_RULES_PACK_H_
