// SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the cause SQL path a pack from anyone reaches: cause lint
// (LintCauseSql: prepare on the query connection, run on an empty store)
// and the Diagnoser running the cause on a store holding events. The input
// is a cause's detect SQL, optionally followed by "\n====\n" and one
// evidence query. Invariants:
//  - no crash, hang or sanitizer report on any input (queries are stopped
//    by the step limit; a detect returning too many rows is skipped);
//  - the store itself never fails: a bad query is the cause's error,
//    located at the cause;
//  - nothing is written: the store's tables, schema version and rows are
//    what they were, and no file appears beside it or in the working
//    directory, where a relative ATTACH would create one (ATTACH is
//    refused).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <system_error>

#include <sqlite3.h>

#include "analyzer/diagnosis/cause_lint.h"
#include "analyzer/diagnosis/diagnoser.h"
#include "db/store.h"
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using etiolog::analyzer::DiagnoseOptions;
using etiolog::analyzer::Diagnoser;
using etiolog::db::Event;
using etiolog::db::Store;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "cause_sql_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

// What the store holds, read on a connection of its own: every table and
// index with its row count, the schema version.
std::string Snapshot(const std::string& path) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    Fail("cannot open the store", path);
  }
  auto each = [&](const std::string& sql, auto&& row) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      Fail("snapshot", sqlite3_errmsg(db));
    }
    while (sqlite3_step(s) == SQLITE_ROW) row(s);
    sqlite3_finalize(s);
  };
  std::set<std::string> tables;
  each("SELECT type, name FROM sqlite_schema ORDER BY name", [&](sqlite3_stmt* s) {
    const std::string type = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
    out += type + " " + name + "\n";
    if (type == "table") tables.insert(name);
  });
  for (const std::string& t : tables) {
    each("SELECT count(*) FROM \"" + t + "\"", [&](sqlite3_stmt* s) {
      out += t + " " + std::to_string(sqlite3_column_int64(s, 0)) + "\n";
    });
  }
  each("PRAGMA user_version",
       [&](sqlite3_stmt* s) { out += "v" + std::to_string(sqlite3_column_int64(s, 0)); });
  sqlite3_close_v2(db);
  return out;
}

std::set<std::string> Files(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

struct Fixture {
  std::string dir;
  std::string path;
  std::unique_ptr<Store> store;
  std::string snapshot;
  std::set<std::string> files;      // Beside the store.
  std::set<std::string> cwd_files;  // In the working directory.
};

Event MakeEvent(uint64_t offset, const std::string& kind, const std::string& surface,
                int64_t time_s, const std::string& host) {
  Event e;
  e.record.offset = offset;
  e.record.line = offset / 100 + 1;
  e.record.time_us = time_s * 1'000'000;
  e.record.time_quality = etiolog::TimeQuality::kExact;
  e.record.process.host = host;
  e.record.process.component = "api-server";
  e.record.process.pid = 7;
  e.record.text = kind + " on " + host;
  e.kind = kind;
  e.rule = "fuzz." + kind;
  e.surface = surface;
  e.captures = {{"option", "jwt_secret"}, {"section", "api_auth"}};
  return e;
}

Fixture& Setup() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    char tmpl[] = "/tmp/etiolog-cause-sql-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) Fail("mkdtemp", "");
    fx->dir = tmpl;
    // libFuzzer and the replay driver end with exit(): the store goes too.
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(Setup().dir, ec);
    });
    fx->path = fx->dir + "/store.db";
    Store::Options options;
    options.query_step_limit = 200'000;  // Each input stays fast.
    auto opened = Store::Open(fx->path, options);
    if (!opened.ok()) Fail("open store", opened.status().message());
    fx->store = std::move(opened).value();
    auto src = fx->store->AddSource("api.log");
    if (!src.ok()) Fail("add source", src.status().message());
    std::vector<Event> events;
    int64_t t = 1'700'000'000;
    for (int i = 0; i < 3; ++i) {
      const std::string host = "api-" + std::to_string(i);
      events.push_back(MakeEvent(events.size() * 100, "process.start", "", t++, host));
      events.push_back(MakeEvent(events.size() * 100, "key.generated", "", t++, host));
      events.push_back(MakeEvent(events.size() * 100, "auth.signature_failed", "ui", t++, host));
      events.push_back(
          MakeEvent(events.size() * 100, "auth.signature_failed", "execution_api", t++, host));
    }
    const uint64_t end = events.size() * 100;
    if (auto st = fx->store->AppendEvents(src->id, events, end, end / 100); !st.ok()) {
      Fail("append", st.message());
    }
    if (auto st = fx->store->UpdateSourceStats(src->id, 1'700'000'000'000'000, t * 1'000'000, 0, 0);
        !st.ok()) {
      Fail("stats", st.message());
    }
    if (auto st = fx->store->BuildTimeline(); !st.ok()) Fail("timeline", st.message());
    fx->snapshot = Snapshot(fx->path);
    fx->files = Files(fx->dir);
    fx->cwd_files = Files(".");
    return fx;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fx = Setup();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  etiolog::rules::Cause cause;
  cause.id = "fuzz_cause";
  cause.title = "Fuzz";
  cause.where = {"fuzz.yaml", 1, 1};
  cause.summary = "{surface} {confidence} {scope}";
  cause.remediation = {{"default", "fix {surface}"}};
  const size_t split = text.find("\n====\n");
  cause.detect = std::string(text.substr(0, split));
  cause.detect_where = {"fuzz.yaml", 2, 11};
  if (split != std::string_view::npos) {
    etiolog::rules::EvidenceQuery q;
    q.role = "symptom";
    q.sql = std::string(text.substr(split + 6));
    q.where = {"fuzz.yaml", 4, 11};
    cause.evidence.push_back(std::move(q));
  }

  auto lint = etiolog::analyzer::LintCauseSql({cause});
  if (!lint.ok()) Fail("cause lint failed as a whole", lint.status().message());
  for (const auto& issue : *lint) {
    if (issue.where.rfind("fuzz.yaml:", 0) != 0) Fail("unlocated lint issue", issue.where);
  }

  DiagnoseOptions options;
  options.explain = true;
  options.max_detect_rows = 1000;
  Diagnoser diagnoser({cause}, options);
  auto verdict = diagnoser.Run(*fx.store);
  if (!verdict.ok()) Fail("the store failed", verdict.status().message());
  for (const auto& e : verdict->cause_errors) {
    if (e.message.rfind("fuzz.yaml:", 0) != 0) Fail("unlocated cause error", e.message);
  }

  if (Snapshot(fx.path) != fx.snapshot) Fail("the store changed", std::string(text));
  if (Files(fx.dir) != fx.files) Fail("a file appeared beside the store", std::string(text));
  if (Files(".") != fx.cwd_files)
    Fail("a file appeared in the working directory", std::string(text));
  return 0;
}
