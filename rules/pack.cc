// SPDX-License-Identifier: Apache-2.0
//
// YAML is read with yaml-cpp, whose errors are exceptions: they are caught
// here and become Status values carrying file:line:column, so no exception
// leaves the rules module. Keys are checked strictly: an unknown key is an
// error, because a misspelt key silently ignored is a rule that never fires.
// Values with a closed set of choices (severity, sets keys) are checked
// here too, at the location of the value. Kinds and surfaces are open sets:
// packs declare them, so whether a rule's are declared is known only when
// packs are merged in load order (MergePacks), where the rule keeps the
// location of each value for the error.
//
// This file reads one pack (ParsePack); loading files, directories and the
// built-in packs is in pack_load.cc, merging in pack_merge.cc, writing a
// pack back as YAML in pack_format.cc.

#include "rules/pack.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include <yaml-cpp/yaml.h>

namespace etiolog::rules {

std::string Location::ToString() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const std::vector<std::string>& IdentityCaptures() {
  static const std::vector<std::string> kIdentity = {"component", "host", "pid"};
  return kIdentity;
}

namespace {

// An RE2 capture name: letters, digits and '_', not starting with a digit.
bool IsCaptureName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// Severities a rule may name, least severe first.
const std::vector<std::string>& Severities() {
  static const std::vector<std::string> kSeverities = {"info", "warning", "error", "critical"};
  return kSeverities;
}

// YAML 1.2 c-printable: TAB, LF, CR, and the printable code points.
bool IsYamlPrintable(unsigned cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0x7E) || cp == 0x85 ||
         (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Checks that text is UTF-8 made of characters YAML allows in a stream.
// Returns "" or "<line>:<column>: <what is wrong>" (1-based).
std::string CheckCharacters(std::string_view text) {
  int line = 1, column = 1;
  size_t i = 0;
  auto at = [&]() { return std::to_string(line) + ":" + std::to_string(column) + ": "; };
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = 0;
    unsigned min = 0;
    if (c < 0x80) {
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      n = 2;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4;
      min = 0x10000;
    } else {
      return at() + "not valid UTF-8";
    }
    if (i + n > text.size()) return at() + "not valid UTF-8";
    unsigned cp = n == 1 ? c : (c & (0xFFu >> (n + 1)));
    for (size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return at() + "not valid UTF-8";
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if (n > 1 && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) {
      return at() + "not valid UTF-8";
    }
    // A BOM is allowed at the very start.
    if (!IsYamlPrintable(cp) && !(cp == 0xFEFF && i == 0)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", cp);
      return at() + "character " + hex +
             " is not allowed in YAML; write it as an escape (\\x..) in a double-quoted string";
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += n;
  }
  return "";
}

bool IsKindName(const std::string& s) {
  // word(.word)+ with lower-case letters, digits and '_'.
  bool dot = false;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
      dot = true;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
    prev = c;
  }
  return dot && prev != '.';
}

bool IsSurfaceName(const std::string& s) {
  // One word of lower-case letters, digits and '_', starting with a letter.
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class PackParser {
 public:
  explicit PackParser(std::string file) : file_(std::move(file)) {}

  Location At(const YAML::Node& node) const {
    YAML::Mark m = node.Mark();
    return Location{file_, m.line + 1, m.column + 1};
  }

  Status Error(const YAML::Node& node, const std::string& what) const {
    return Status::InvalidArgument(At(node).ToString() + ": " + what);
  }

  // Rejects keys of map not in allowed.
  Status CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed,
                   const std::string& context) const {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) return Error(it->first, "keys must be plain words");
      const std::string key = it->first.Scalar();
      if (allowed.count(key) == 0) {
        return Error(it->first, "unknown key '" + key + "' in " + context +
                                    " (allowed: " + Join({allowed.begin(), allowed.end()}) + ")");
      }
    }
    return Status::OK();
  }

  Status Scalar(const YAML::Node& map, const char* key, std::string* out, bool required) const {
    YAML::Node n = map[key];
    if (!n) {
      if (required) return Error(map, std::string("missing required key '") + key + "'");
      return Status::OK();
    }
    if (!n.IsScalar()) return Error(n, std::string("'") + key + "' must be a string");
    *out = n.Scalar();
    if (required && out->empty()) return Error(n, std::string("'") + key + "' must not be empty");
    return Status::OK();
  }

  Status Bool(const YAML::Node& map, const char* key, bool* out) const {
    YAML::Node n = map[key];
    if (!n) return Status::OK();
    if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false")) {
      return Error(n, std::string("'") + key + "' must be true or false");
    }
    *out = n.Scalar() == "true";
    return Status::OK();
  }

  Status ScalarList(const YAML::Node& map, const char* key, std::vector<std::string>* out,
                    std::vector<Location>* where) const {
    YAML::Node n = map[key];
    if (!n) return Status::OK();
    if (n.IsScalar()) {
      out->push_back(n.Scalar());
      if (where) where->push_back(At(n));
      return Status::OK();
    }
    if (!n.IsSequence()) return Error(n, std::string("'") + key + "' must be a list of strings");
    for (const auto& item : n) {
      if (!item.IsScalar())
        return Error(item, std::string("items of '") + key + "' must be strings");
      out->push_back(item.Scalar());
      if (where) where->push_back(At(item));
    }
    return Status::OK();
  }

  Status StringMap(const YAML::Node& n, const char* key, KeyValues* out,
                   std::vector<Location>* where = nullptr) const {
    if (!n) return Status::OK();
    if (!n.IsMap()) return Error(n, std::string("'") + key + "' must be a map of strings");
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar() || !it->second.IsScalar()) {
        return Error(it->first, std::string("'") + key + "' must map strings to strings");
      }
      out->emplace_back(it->first.Scalar(), it->second.Scalar());
      if (where) where->push_back(At(it->first));
    }
    return Status::OK();
  }

  Status ParseExamples(const YAML::Node& n, const char* key, std::vector<Example>* out) const {
    if (!n) return Status::OK();
    if (!n.IsSequence()) return Error(n, std::string("'") + key + "' must be a list");
    const bool counter = std::string_view(key) == "counter_examples";
    for (const auto& item : n) {
      Example ex;
      ex.where = At(item);
      if (item.IsScalar()) {
        ex.line = item.Scalar();
      } else if (item.IsMap() && !counter) {
        ETIOLOG_RETURN_IF_ERROR(CheckKeys(item, {"line", "captures"}, "example"));
        ETIOLOG_RETURN_IF_ERROR(Scalar(item, "line", &ex.line, true));
        ETIOLOG_RETURN_IF_ERROR(
            StringMap(item["captures"], "captures", &ex.captures, &ex.capture_where));
      } else if (counter) {
        return Error(item, "items of 'counter_examples' must be lines");
      } else {
        return Error(item, "items of 'examples' must be a line or {line, captures}");
      }
      out->push_back(std::move(ex));
    }
    return Status::OK();
  }

  Status CheckChoice(const YAML::Node& map, const char* key, const std::string& value,
                     const std::vector<std::string>& choices) const {
    if (std::find(choices.begin(), choices.end(), value) != choices.end()) return Status::OK();
    return Error(map[key], std::string("unknown ") + key + " '" + value +
                               "' (one of: " + Join(choices) + ")");
  }

  Status ParseRule(const YAML::Node& n, Rule* r) const {
    if (!n.IsMap()) return Error(n, "a rule must be a map");
    r->where = At(n);
    ETIOLOG_RETURN_IF_ERROR(
        CheckKeys(n,
                  {"id", "title", "kind", "surface", "severity", "pattern", "patterns", "match",
                   "where", "sets", "fields", "sets_context", "uses_context", "fallback",
                   "override", "examples", "counter_examples"},
                  "rule"));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "id", &r->id, true));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "title", &r->title, false));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "kind", &r->kind, true));
    r->kind_where = At(n["kind"]);
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "surface", &r->surface, false));
    if (n["surface"]) r->surface_where = At(n["surface"]);
    r->severity = "info";
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "severity", &r->severity, false));
    ETIOLOG_RETURN_IF_ERROR(CheckChoice(n, "severity", r->severity, Severities()));
    ETIOLOG_RETURN_IF_ERROR(ScalarList(n, "pattern", &r->patterns, &r->pattern_where));
    ETIOLOG_RETURN_IF_ERROR(ScalarList(n, "patterns", &r->patterns, &r->pattern_where));
    if (r->patterns.empty()) return Error(n, "rule '" + r->id + "' has no 'patterns'");
    std::string match = "message";
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "match", &match, false));
    if (match != "message" && match != "line") {
      return Error(n["match"], "'match' must be 'message' or 'line'");
    }
    r->match_line = match == "line";
    if (YAML::Node w = n["where"]) {
      if (!w.IsMap()) return Error(w, "'where' must be a map");
      ETIOLOG_RETURN_IF_ERROR(CheckKeys(w, {"logger", "level", "component", "strict"}, "where"));
      ETIOLOG_RETURN_IF_ERROR(Bool(w, "strict", &r->where_strict));
      ETIOLOG_RETURN_IF_ERROR(Scalar(w, "logger", &r->logger, false));
      ETIOLOG_RETURN_IF_ERROR(Scalar(w, "component", &r->component, false));
      std::string level;
      ETIOLOG_RETURN_IF_ERROR(Scalar(w, "level", &level, false));
      if (!level.empty()) {
        r->min_level = ParseLevel(level);
        if (r->min_level == Level::kUnknown) {
          return Error(w["level"], "unknown level '" + level + "'");
        }
      }
    }
    std::vector<Location> keys_where;
    YAML::Node sets = n["sets"];
    ETIOLOG_RETURN_IF_ERROR(StringMap(sets, "sets", &r->sets, &keys_where));
    for (size_t i = 0; i < r->sets.size(); ++i) {
      const std::string& key = r->sets[i].first;
      static const std::vector<std::string> kSettable = {"component", "host", "pid", "surface"};
      if (std::find(kSettable.begin(), kSettable.end(), key) == kSettable.end()) {
        return Status::InvalidArgument(keys_where[i].ToString() + ": unknown field '" + key +
                                       "' in sets (one of: " + Join(kSettable) + ")");
      }
      r->sets_where.push_back(At(sets[key]));
    }
    ETIOLOG_RETURN_IF_ERROR(StringMap(n["fields"], "fields", &r->fields));
    for (const char* key : {"sets_context", "uses_context"}) {
      std::vector<std::string>* names =
          std::string_view(key) == "sets_context" ? &r->sets_context : &r->uses_context;
      std::vector<Location> where;
      ETIOLOG_RETURN_IF_ERROR(ScalarList(n, key, names, &where));
      for (size_t i = 0; i < names->size(); ++i) {
        if (!IsCaptureName((*names)[i])) {
          return Status::InvalidArgument(where[i].ToString() + ": '" + (*names)[i] + "' in " + key +
                                         " is not a capture name (letters, digits, '_')");
        }
      }
    }
    ETIOLOG_RETURN_IF_ERROR(Bool(n, "fallback", &r->fallback));
    ETIOLOG_RETURN_IF_ERROR(Bool(n, "override", &r->override));
    ETIOLOG_RETURN_IF_ERROR(ParseExamples(n["examples"], "examples", &r->examples));
    ETIOLOG_RETURN_IF_ERROR(
        ParseExamples(n["counter_examples"], "counter_examples", &r->counter_examples));
    return Status::OK();
  }

  // A cause's examples: maps with `log` (one file, "example.log") and/or
  // `files` (file name -> text), and optionally `name`, `cause`, `surface`
  // and `min_confidence`.
  Status ParseCauseExamples(const YAML::Node& n, const char* key,
                            std::vector<CauseExample>* out) const {
    if (!n) return Status::OK();
    if (!n.IsSequence()) return Error(n, std::string("'") + key + "' must be a list");
    for (const auto& item : n) {
      if (!item.IsMap()) {
        return Error(item, std::string("items of '") + key +
                               "' must be maps with 'log' or 'files' (and optionally 'name', "
                               "'cause', 'surface', 'min_confidence')");
      }
      ETIOLOG_RETURN_IF_ERROR(CheckKeys(
          item, {"name", "log", "files", "cause", "surface", "min_confidence"}, "cause example"));
      CauseExample ex;
      ex.where = At(item);
      ETIOLOG_RETURN_IF_ERROR(Scalar(item, "name", &ex.name, false));
      ETIOLOG_RETURN_IF_ERROR(Scalar(item, "cause", &ex.cause, false));
      ETIOLOG_RETURN_IF_ERROR(Scalar(item, "surface", &ex.surface, false));
      if (YAML::Node log = item["log"]) {
        if (!log.IsScalar()) return Error(log, "'log' must be a string (the lines of a log)");
        ex.files.emplace_back("example.log", log.Scalar());
      }
      ETIOLOG_RETURN_IF_ERROR(StringMap(item["files"], "files", &ex.files));
      if (ex.files.empty()) return Error(item, "a cause example needs 'log' or 'files'");
      for (size_t i = 0; i < ex.files.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (ex.files[i].first == ex.files[j].first) {
            return Error(item, "two files of this example are named '" + ex.files[i].first + "'");
          }
        }
        if (ex.files[i].first.empty()) return Error(item, "a file name must not be empty");
      }
      if (YAML::Node mc = item["min_confidence"]) {
        try {
          ex.min_confidence = mc.as<double>();
        } catch (const YAML::Exception&) {
          return Error(mc, "'min_confidence' must be a number from 0 to 1");
        }
        if (!(ex.min_confidence >= 0 && ex.min_confidence <= 1)) {
          return Error(mc, "'min_confidence' must be a number from 0 to 1");
        }
      }
      out->push_back(std::move(ex));
    }
    return Status::OK();
  }

  Status ParseCause(const YAML::Node& n, Cause* c) const {
    if (!n.IsMap()) return Error(n, "a cause must be a map");
    c->where = At(n);
    ETIOLOG_RETURN_IF_ERROR(CheckKeys(
        n,
        {"id", "title", "risk", "detect", "evidence", "summary", "remediation", "suppressed_by",
         "meaning", "looks_for", "collect", "examples", "counter_examples"},
        "cause"));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "id", &c->id, true));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "title", &c->title, true));
    ETIOLOG_RETURN_IF_ERROR(Bool(n, "risk", &c->risk));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "detect", &c->detect, true));
    c->detect_where = At(n["detect"]);
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "summary", &c->summary, true));
    ETIOLOG_RETURN_IF_ERROR(
        ScalarList(n, "suppressed_by", &c->suppressed_by, &c->suppressed_by_where));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "meaning", &c->meaning, false));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "looks_for", &c->looks_for, false));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "collect", &c->collect, false));
    ETIOLOG_RETURN_IF_ERROR(ParseCauseExamples(n["examples"], "examples", &c->examples));
    ETIOLOG_RETURN_IF_ERROR(
        ParseCauseExamples(n["counter_examples"], "counter_examples", &c->counter_examples));
    YAML::Node rem = n["remediation"];
    if (!rem) return Error(n, "cause '" + c->id + "' has no 'remediation'");
    if (rem.IsScalar()) {
      c->remediation.emplace_back("default", rem.Scalar());
    } else {
      ETIOLOG_RETURN_IF_ERROR(StringMap(rem, "remediation", &c->remediation));
    }
    if (YAML::Node ev = n["evidence"]) {
      if (!ev.IsSequence()) return Error(ev, "'evidence' must be a list");
      for (const auto& item : ev) {
        if (!item.IsMap()) return Error(item, "evidence items must be maps");
        ETIOLOG_RETURN_IF_ERROR(CheckKeys(item, {"role", "sql", "limit"}, "evidence"));
        EvidenceQuery q;
        q.where = At(item);
        ETIOLOG_RETURN_IF_ERROR(Scalar(item, "role", &q.role, true));
        ETIOLOG_RETURN_IF_ERROR(Scalar(item, "sql", &q.sql, true));
        if (q.role != "cause" && q.role != "trigger" && q.role != "symptom" &&
            q.role != "against") {
          return Error(item["role"], "role must be cause, trigger, symptom or against");
        }
        if (YAML::Node lim = item["limit"]) {
          try {
            q.limit = lim.as<int>();
          } catch (const YAML::Exception&) {
            return Error(lim, "'limit' must be a whole number");
          }
          if (q.limit < 0) return Error(lim, "'limit' must not be negative");
        }
        c->evidence.push_back(std::move(q));
      }
    }
    return Status::OK();
  }

  Status ParseKinds(const YAML::Node& n, Pack* pack) const {
    if (!n) return Status::OK();
    if (!n.IsSequence()) return Error(n, "'kinds' must be a list");
    std::set<std::string> names;
    for (const auto& item : n) {
      if (!item.IsMap()) return Error(item, "items of 'kinds' must be maps");
      ETIOLOG_RETURN_IF_ERROR(CheckKeys(item, {"name", "meaning", "captures"}, "kind"));
      KindInfo k;
      k.where = At(item["name"] ? item["name"] : item);
      ETIOLOG_RETURN_IF_ERROR(Scalar(item, "name", &k.name, true));
      ETIOLOG_RETURN_IF_ERROR(Scalar(item, "meaning", &k.meaning, true));
      ETIOLOG_RETURN_IF_ERROR(ScalarList(item, "captures", &k.captures, nullptr));
      if (!IsKindName(k.name)) {
        return Error(item["name"],
                     "kind '" + k.name + "' must be dotted lower-case words, like 'myapp.failure'");
      }
      if (!names.insert(k.name).second) {
        return Error(item["name"], "kind '" + k.name + "' declared twice");
      }
      pack->kinds.push_back(std::move(k));
    }
    return Status::OK();
  }

  Status ParseSurfaces(const YAML::Node& n, Pack* pack) const {
    if (!n) return Status::OK();
    if (!n.IsSequence()) return Error(n, "'surfaces' must be a list");
    std::set<std::string> names;
    for (const auto& item : n) {
      if (!item.IsMap()) return Error(item, "items of 'surfaces' must be maps");
      ETIOLOG_RETURN_IF_ERROR(CheckKeys(item, {"name", "meaning"}, "surface"));
      SurfaceInfo s;
      s.where = At(item["name"] ? item["name"] : item);
      ETIOLOG_RETURN_IF_ERROR(Scalar(item, "name", &s.name, true));
      ETIOLOG_RETURN_IF_ERROR(Scalar(item, "meaning", &s.meaning, true));
      if (!IsSurfaceName(s.name)) {
        return Error(item["name"],
                     "surface '" + s.name + "' must be one lower-case word, like 'web_ui'");
      }
      if (!names.insert(s.name).second) {
        return Error(item["name"], "surface '" + s.name + "' declared twice");
      }
      pack->surfaces.push_back(std::move(s));
    }
    return Status::OK();
  }

  Result<Pack> Parse(std::string_view text) {
    if (std::string bad = CheckCharacters(text); !bad.empty()) {
      return Status::InvalidArgument(file_ + ":" + bad);
    }
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument(file_ + ":" + std::to_string(e.mark.line + 1) + ":" +
                                     std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    try {
      Pack pack;
      pack.file = file_;
      if (!root.IsMap()) return Error(root, "a pack must be a map with 'rules' and/or 'causes'");
      ETIOLOG_RETURN_IF_ERROR(CheckKeys(
          root,
          {"pack", "description", "rules", "causes", "redact", "kinds", "surfaces", "disable"},
          "pack"));
      ETIOLOG_RETURN_IF_ERROR(Scalar(root, "pack", &pack.name, true));
      ETIOLOG_RETURN_IF_ERROR(Scalar(root, "description", &pack.description, false));
      ETIOLOG_RETURN_IF_ERROR(ParseKinds(root["kinds"], &pack));
      ETIOLOG_RETURN_IF_ERROR(ParseSurfaces(root["surfaces"], &pack));
      ETIOLOG_RETURN_IF_ERROR(ScalarList(root, "disable", &pack.disable, &pack.disable_where));
      if (YAML::Node rules = root["rules"]) {
        if (!rules.IsSequence()) return Error(rules, "'rules' must be a list");
        std::map<std::string, Location> ids;
        for (const auto& n : rules) {
          Rule r;
          ETIOLOG_RETURN_IF_ERROR(ParseRule(n, &r));
          auto [it, inserted] = ids.emplace(r.id, r.where);
          if (!inserted) {
            return Status::InvalidArgument(r.where.ToString() + ": duplicate rule id '" + r.id +
                                           "' (first defined at " + it->second.ToString() + ")");
          }
          pack.rules.push_back(std::move(r));
        }
      }
      if (YAML::Node redact = root["redact"]) {
        if (!redact.IsSequence()) return Error(redact, "'redact' must be a list of patterns");
        for (const auto& n : redact) {
          if (!n.IsScalar()) return Error(n, "'redact' items must be RE2 patterns");
          pack.redactions.push_back(Redaction{n.Scalar(), At(n)});
        }
      }
      if (YAML::Node causes = root["causes"]) {
        if (!causes.IsSequence()) return Error(causes, "'causes' must be a list");
        for (const auto& n : causes) {
          Cause c;
          ETIOLOG_RETURN_IF_ERROR(ParseCause(n, &c));
          pack.causes.push_back(std::move(c));
        }
      }
      return pack;
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument(file_ + ":" + std::to_string(e.mark.line + 1) + ":" +
                                     std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
  }

 private:
  std::string file_;
};

}  // namespace

Result<Pack> ParsePack(std::string_view yaml_text, const std::string& file) {
  return PackParser(file).Parse(yaml_text);
}

}  // namespace etiolog::rules
