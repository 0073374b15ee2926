// SPDX-License-Identifier: Apache-2.0
//
// FormatPack: a pack written back as YAML that ParsePack reads.

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "rules/pack.h"

namespace etiolog::rules {

namespace {

void EmitString(YAML::Emitter& out, const std::string& s) { out << YAML::DoubleQuoted << s; }

void EmitStringMap(YAML::Emitter& out, const KeyValues& kvs) {
  out << YAML::BeginMap;
  for (const auto& [k, v] : kvs) {
    out << YAML::Key;
    EmitString(out, k);
    out << YAML::Value;
    EmitString(out, v);
  }
  out << YAML::EndMap;
}

void EmitStringList(YAML::Emitter& out, const std::vector<std::string>& items) {
  out << YAML::BeginSeq;
  for (const auto& s : items) EmitString(out, s);
  out << YAML::EndSeq;
}

void EmitExamples(YAML::Emitter& out, const std::vector<Example>& examples) {
  out << YAML::BeginSeq;
  for (const Example& ex : examples) {
    out << YAML::BeginMap << YAML::Key << "line" << YAML::Value;
    EmitString(out, ex.line);
    if (!ex.captures.empty()) {
      out << YAML::Key << "captures" << YAML::Value;
      EmitStringMap(out, ex.captures);
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void EmitRule(YAML::Emitter& out, const Rule& r) {
  out << YAML::BeginMap;
  auto field = [&](const char* key, const std::string& value) {
    out << YAML::Key << key << YAML::Value;
    EmitString(out, value);
  };
  field("id", r.id);
  if (!r.title.empty()) field("title", r.title);
  field("kind", r.kind);
  if (!r.surface.empty()) field("surface", r.surface);
  field("severity", r.severity);
  out << YAML::Key << "patterns" << YAML::Value;
  EmitStringList(out, r.patterns);
  if (r.match_line) field("match", "line");
  if (!r.logger.empty() || r.min_level != Level::kUnknown || !r.component.empty()) {
    out << YAML::Key << "where" << YAML::Value << YAML::BeginMap;
    if (!r.logger.empty()) field("logger", r.logger);
    if (r.min_level != Level::kUnknown) field("level", std::string(LevelName(r.min_level)));
    if (!r.component.empty()) field("component", r.component);
    if (r.where_strict) out << YAML::Key << "strict" << YAML::Value << "true";
    out << YAML::EndMap;
  }
  if (!r.sets.empty()) {
    out << YAML::Key << "sets" << YAML::Value;
    EmitStringMap(out, r.sets);
  }
  if (!r.fields.empty()) {
    out << YAML::Key << "fields" << YAML::Value;
    EmitStringMap(out, r.fields);
  }
  if (!r.sets_context.empty()) {
    out << YAML::Key << "sets_context" << YAML::Value;
    EmitStringList(out, r.sets_context);
  }
  if (!r.uses_context.empty()) {
    out << YAML::Key << "uses_context" << YAML::Value;
    EmitStringList(out, r.uses_context);
  }
  if (r.fallback) out << YAML::Key << "fallback" << YAML::Value << "true";
  if (r.override) out << YAML::Key << "override" << YAML::Value << "true";
  if (!r.examples.empty()) {
    out << YAML::Key << "examples" << YAML::Value;
    EmitExamples(out, r.examples);
  }
  if (!r.counter_examples.empty()) {
    out << YAML::Key << "counter_examples" << YAML::Value << YAML::BeginSeq;
    for (const Example& ex : r.counter_examples) EmitString(out, ex.line);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

void EmitCause(YAML::Emitter& out, const Cause& c) {
  out << YAML::BeginMap;
  auto field = [&](const char* key, const std::string& value) {
    out << YAML::Key << key << YAML::Value;
    EmitString(out, value);
  };
  field("id", c.id);
  field("title", c.title);
  if (c.risk) out << YAML::Key << "risk" << YAML::Value << "true";
  field("detect", c.detect);
  if (!c.evidence.empty()) {
    out << YAML::Key << "evidence" << YAML::Value << YAML::BeginSeq;
    for (const EvidenceQuery& q : c.evidence) {
      out << YAML::BeginMap;
      field("role", q.role);
      field("sql", q.sql);
      out << YAML::Key << "limit" << YAML::Value << q.limit;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  field("summary", c.summary);
  out << YAML::Key << "remediation" << YAML::Value;
  EmitStringMap(out, c.remediation);
  if (!c.suppressed_by.empty()) {
    out << YAML::Key << "suppressed_by" << YAML::Value;
    EmitStringList(out, c.suppressed_by);
  }
  if (!c.meaning.empty()) field("meaning", c.meaning);
  if (!c.looks_for.empty()) field("looks_for", c.looks_for);
  if (!c.collect.empty()) field("collect", c.collect);
  for (const auto* list : {&c.examples, &c.counter_examples}) {
    if (list->empty()) continue;
    out << YAML::Key << (list == &c.examples ? "examples" : "counter_examples") << YAML::Value
        << YAML::BeginSeq;
    for (const CauseExample& ex : *list) {
      out << YAML::BeginMap;
      if (!ex.name.empty()) field("name", ex.name);
      if (!ex.cause.empty()) field("cause", ex.cause);
      if (!ex.surface.empty()) field("surface", ex.surface);
      if (ex.min_confidence != 0) {
        out << YAML::Key << "min_confidence" << YAML::Value << YAML::Precision(17)
            << ex.min_confidence;
      }
      out << YAML::Key << "files" << YAML::Value;
      EmitStringMap(out, ex.files);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

}  // namespace

std::string FormatPack(const Pack& pack) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "pack" << YAML::Value;
  EmitString(out, pack.name);
  if (!pack.description.empty()) {
    out << YAML::Key << "description" << YAML::Value;
    EmitString(out, pack.description);
  }
  if (!pack.kinds.empty()) {
    out << YAML::Key << "kinds" << YAML::Value << YAML::BeginSeq;
    for (const KindInfo& k : pack.kinds) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value;
      EmitString(out, k.name);
      out << YAML::Key << "meaning" << YAML::Value;
      EmitString(out, k.meaning);
      if (!k.captures.empty()) {
        out << YAML::Key << "captures" << YAML::Value;
        EmitStringList(out, k.captures);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!pack.surfaces.empty()) {
    out << YAML::Key << "surfaces" << YAML::Value << YAML::BeginSeq;
    for (const SurfaceInfo& s : pack.surfaces) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value;
      EmitString(out, s.name);
      out << YAML::Key << "meaning" << YAML::Value;
      EmitString(out, s.meaning);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!pack.disable.empty()) {
    out << YAML::Key << "disable" << YAML::Value;
    EmitStringList(out, pack.disable);
  }
  if (!pack.redactions.empty()) {
    out << YAML::Key << "redact" << YAML::Value << YAML::BeginSeq;
    for (const Redaction& r : pack.redactions) EmitString(out, r.pattern);
    out << YAML::EndSeq;
  }
  if (!pack.rules.empty()) {
    out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
    for (const Rule& r : pack.rules) EmitRule(out, r);
    out << YAML::EndSeq;
  }
  if (!pack.causes.empty()) {
    out << YAML::Key << "causes" << YAML::Value << YAML::BeginSeq;
    for (const Cause& c : pack.causes) EmitCause(out, c);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace etiolog::rules