// SPDX-License-Identifier: Apache-2.0
//
// YAML is read with yaml-cpp, whose errors are exceptions: they are caught
// here and become Status values carrying file:line:column, so no exception
// leaves the rules module. Keys are checked strictly: an unknown key is an
// error, because a misspelt key silently ignored is a rule that never fires.

#include "rules/pack.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "rules/builtin_packs.h"

namespace etiolog::rules {

std::string Location::ToString() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {

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
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return Error(it->first,
                     "unknown key '" + key + "' in " + context + " (allowed: " + list + ")");
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

  Status StringMap(const YAML::Node& n, const char* key, KeyValues* out) const {
    if (!n) return Status::OK();
    if (!n.IsMap()) return Error(n, std::string("'") + key + "' must be a map of strings");
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar() || !it->second.IsScalar()) {
        return Error(it->first, std::string("'") + key + "' must map strings to strings");
      }
      out->emplace_back(it->first.Scalar(), it->second.Scalar());
    }
    return Status::OK();
  }

  Status ParseExamples(const YAML::Node& n, const char* key, std::vector<Example>* out) const {
    if (!n) return Status::OK();
    if (!n.IsSequence()) return Error(n, std::string("'") + key + "' must be a list");
    for (const auto& item : n) {
      Example ex;
      ex.where = At(item);
      if (item.IsScalar()) {
        ex.line = item.Scalar();
      } else if (item.IsMap()) {
        ETIOLOG_RETURN_IF_ERROR(CheckKeys(item, {"line", "captures"}, key));
        ETIOLOG_RETURN_IF_ERROR(Scalar(item, "line", &ex.line, true));
        ETIOLOG_RETURN_IF_ERROR(StringMap(item["captures"], "captures", &ex.captures));
      } else {
        return Error(item,
                     std::string("items of '") + key + "' must be a line or {line, captures}");
      }
      out->push_back(std::move(ex));
    }
    return Status::OK();
  }

  Status ParseRule(const YAML::Node& n, Rule* r) const {
    if (!n.IsMap()) return Error(n, "a rule must be a map");
    r->where = At(n);
    ETIOLOG_RETURN_IF_ERROR(
        CheckKeys(n,
                  {"id", "title", "kind", "surface", "severity", "pattern", "patterns", "match",
                   "where", "sets", "examples", "counter_examples"},
                  "rule"));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "id", &r->id, true));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "title", &r->title, false));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "kind", &r->kind, true));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "surface", &r->surface, false));
    r->severity = "info";
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "severity", &r->severity, false));
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
      ETIOLOG_RETURN_IF_ERROR(CheckKeys(w, {"logger", "level", "component"}, "where"));
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
    ETIOLOG_RETURN_IF_ERROR(StringMap(n["sets"], "sets", &r->sets));
    ETIOLOG_RETURN_IF_ERROR(ParseExamples(n["examples"], "examples", &r->examples));
    ETIOLOG_RETURN_IF_ERROR(
        ParseExamples(n["counter_examples"], "counter_examples", &r->counter_examples));
    return Status::OK();
  }

  Status ParseCause(const YAML::Node& n, Cause* c) const {
    if (!n.IsMap()) return Error(n, "a cause must be a map");
    c->where = At(n);
    ETIOLOG_RETURN_IF_ERROR(CheckKeys(
        n, {"id", "title", "detect", "evidence", "summary", "remediation", "suppressed_by"},
        "cause"));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "id", &c->id, true));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "title", &c->title, true));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "detect", &c->detect, true));
    ETIOLOG_RETURN_IF_ERROR(Scalar(n, "summary", &c->summary, true));
    ETIOLOG_RETURN_IF_ERROR(ScalarList(n, "suppressed_by", &c->suppressed_by, nullptr));
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
        }
        c->evidence.push_back(std::move(q));
      }
    }
    return Status::OK();
  }

  Result<Pack> Parse(std::string_view text) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
      return Status::InvalidArgument(file_ + ":" + std::to_string(e.mark.line + 1) + ":" +
                                     std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    try {
      Pack pack;
      pack.file = file_;
      if (!root.IsMap()) return Error(root, "a pack must be a map with 'rules' and/or 'causes'");
      ETIOLOG_RETURN_IF_ERROR(
          CheckKeys(root, {"pack", "description", "rules", "causes", "redact"}, "pack"));
      ETIOLOG_RETURN_IF_ERROR(Scalar(root, "pack", &pack.name, true));
      if (YAML::Node rules = root["rules"]) {
        if (!rules.IsSequence()) return Error(rules, "'rules' must be a list");
        for (const auto& n : rules) {
          Rule r;
          ETIOLOG_RETURN_IF_ERROR(ParseRule(n, &r));
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

Result<Pack> LoadPackFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open rule pack");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError(path + ": read failed");
  return ParsePack(ss.str(), path);
}

Result<std::vector<Pack>> BuiltinPacks() {
  std::vector<Pack> packs;
  for (const BuiltinPackText& b : BuiltinPackTexts()) {
    Result<Pack> p = ParsePack(b.yaml, "builtin:" + std::string(b.name));
    if (!p.ok()) return p.status();
    packs.push_back(std::move(p).value());
  }
  return packs;
}

Result<PackSet> LoadPacks(bool builtin, const std::vector<std::string>& extra) {
  std::vector<Pack> packs;
  if (builtin) {
    Result<std::vector<Pack>> b = BuiltinPacks();
    if (!b.ok()) return b.status();
    packs = std::move(b).value();
  }
  for (const std::string& path : extra) {
    Result<Pack> p = LoadPackFile(path);
    if (!p.ok()) return p.status();
    packs.push_back(std::move(p).value());
  }
  PackSet set;
  std::map<std::string, Location> cause_ids;
  for (Pack& p : packs) {
    set.files.push_back(p.file);
    for (Rule& r : p.rules) set.rules.push_back(std::move(r));
    for (Cause& c : p.causes) {
      auto [it, inserted] = cause_ids.emplace(c.id, c.where);
      if (!inserted) {
        return Status::InvalidArgument(c.where.ToString() + ": duplicate cause id '" + c.id +
                                       "' (first defined at " + it->second.ToString() + ")");
      }
      set.causes.push_back(std::move(c));
    }
    for (Redaction& r : p.redactions) set.redactions.push_back(std::move(r));
  }
  return set;
}

}  // namespace etiolog::rules
