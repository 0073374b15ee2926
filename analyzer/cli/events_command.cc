// SPDX-License-Identifier: Apache-2.0
//
// `etiolog events PATH...`: what etiolog saw. The inputs go through the same
// Pipeline and Store as `analyze` (so the events shown are exactly those a
// diagnosis works on, redacted), and are then read back from the store in
// pages, in input order.

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "db/store.h"
#include "ingest/timestamp.h"

namespace etiolog::analyzer {

namespace {

// Events read back per query: bounds memory whatever the input size.
constexpr int64_t kPageSize = 4096;

constexpr char kEventsSql[] = R"sql(
SELECT e.id, s.path, e.line, e.offset, e.time_us, e.time_quality, e.kind, e.rule,
       e.surface, e.severity, e.level, e.logger, e.format, e.host, e.component, e.pid,
       e.message, e.text,
       (SELECT json_group_object(c.name, c.value) FROM captures c WHERE c.event_id = e.id)
FROM events e JOIN sources s ON s.id = e.source_id
WHERE e.id > :after
ORDER BY e.id
LIMIT :limit
)sql";

enum Column {
  kId,
  kPath,
  kLine,
  kOffset,
  kTimeUs,
  kTimeQuality,
  kKind,
  kRule,
  kSurface,
  kSeverity,
  kLevel,
  kLogger,
  kFormat,
  kHost,
  kComponent,
  kPid,
  kMessage,
  kText,
  kCaptures,
};

std::string Text(const db::Value& v) { return db::ValueToString(v); }

bool IsNull(const db::Value& v) { return std::holds_alternative<std::monostate>(v); }

int64_t Int(const db::Value& v) {
  return std::holds_alternative<int64_t>(v) ? std::get<int64_t>(v) : 0;
}

std::string Time(const std::vector<db::Value>& row) {
  if (IsNull(row[kTimeUs]) || Text(row[kTimeQuality]) == "none") return "";
  char buf[40];
  size_t n = FormatIsoTimestamp(Int(row[kTimeUs]), buf);
  return std::string(buf, n);
}

// "host/component[pid]", leaving out what is unknown; "-" if all is.
std::string Process(const std::vector<db::Value>& row) {
  std::string host = Text(row[kHost]), component = Text(row[kComponent]);
  std::string p = host;
  if (!component.empty() && component != host) p += (p.empty() ? "" : "/") + component;
  if (!IsNull(row[kPid])) p += "[" + Text(row[kPid]) + "]";
  return p.empty() ? "-" : p;
}

void PrintText(const std::vector<db::Value>& row, std::ostream& out) {
  std::string time = Time(row);
  out << (time.empty() ? "-" : time) << ' ' << Process(row) << ' ' << Text(row[kKind]) << ' '
      << Text(row[kRule]) << ' ' << Text(row[kPath]) << ':' << Text(row[kLine]) << ' '
      << Text(row[kText]) << '\n';
}

void PrintJson(const std::vector<db::Value>& row, std::ostream& out) {
  using nlohmann::json;
  auto text_or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json j;
  j["kind"] = Text(row[kKind]);
  j["rule"] = Text(row[kRule]);
  j["time"] = text_or_null(Time(row));
  j["time_quality"] = Text(row[kTimeQuality]);
  j["path"] = Text(row[kPath]);
  j["line"] = Int(row[kLine]);
  j["offset"] = Int(row[kOffset]);
  j["surface"] = text_or_null(Text(row[kSurface]));
  j["severity"] = Text(row[kSeverity]);
  j["level"] = text_or_null(Text(row[kLevel]) == "unknown" ? "" : Text(row[kLevel]));
  j["logger"] = text_or_null(Text(row[kLogger]));
  j["format"] = Text(row[kFormat]);
  j["host"] = text_or_null(Text(row[kHost]));
  j["component"] = text_or_null(Text(row[kComponent]));
  j["pid"] = IsNull(row[kPid]) ? json(nullptr) : json(Int(row[kPid]));
  j["message"] = Text(row[kMessage]);
  j["text"] = Text(row[kText]);
  json captures = json::parse(Text(row[kCaptures]), nullptr, /*allow_exceptions=*/false);
  j["captures"] = captures.is_object() ? captures : json::object();
  // Log lines need not be UTF-8; replace what is not instead of throwing.
  out << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
}

}  // namespace

int RunEvents(const EventsOptions& options, std::ostream& out, std::ostream& err) {
  LoadedRules loaded;
  if (!LoadRulesOrReport({options.builtin_rules, options.default_rules, options.rule_files}, err,
                         &loaded)) {
    return kExitUsage;
  }
  Result<std::unique_ptr<db::Store>> store = db::Store::Open("");
  if (!store.ok()) {
    err << "etiolog: " << store.status().message() << "\n";
    return kExitFatal;
  }
  IngestStats stats;
  Pipeline pipeline(loaded.matcher.get(), store->get(), options.ingest);
  if (int rc =
          IngestInputs(options.paths, options.labels, options.enumerate, &pipeline, &stats, err);
      rc != kExitOk) {
    return rc;
  }
  // State-dump facts printed as ages ("12m") get their time from the
  // timeline (docs/store-schema.md, "State dumps").
  if (Status st = (*store)->BuildTimeline(); !st.ok()) {
    err << "etiolog: " << st.message() << "\n";
    return kExitFatal;
  }
  int64_t after = 0;
  for (;;) {
    Result<db::Table> page =
        (*store)->Query(kEventsSql, {{"after", after}, {"limit", kPageSize}}, "events");
    if (!page.ok()) {
      err << "etiolog: " << page.status().message() << "\n";
      return kExitFatal;
    }
    for (const auto& row : page->rows) {
      if (options.format == "jsonl") {
        PrintJson(row, out);
      } else {
        PrintText(row, out);
      }
      after = Int(row[kId]);
    }
    if (static_cast<int64_t>(page->rows.size()) < kPageSize) break;
  }
  return stats.errors.empty() ? kExitOk : kExitPartial;
}

}  // namespace etiolog::analyzer
