// SPDX-License-Identifier: Apache-2.0
//
// The findings read API: what ReplaceFindings() keeps, LoadFindings() gives
// back unchanged (order of findings, facts and evidence; the run text);
// opening without creating; a store of schema 2 keeps its findings.

#include <filesystem>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "db/store.h"
#include "tests/test_util.h"
#include <unistd.h>

namespace etiolog::db {
namespace {

namespace fs = std::filesystem;

class StoreFindingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open(":memory:");
    ASSERT_OK(s);
    store_ = std::move(s).value();
    auto src = store_->AddSource("api.log");
    ASSERT_OK(src);
    std::vector<Event> events;
    for (int i = 0; i < 3; ++i) {
      Event e;
      e.record.offset = 10 * static_cast<uint64_t>(i + 1);
      e.record.line = i + 1;
      e.record.text = "line " + std::to_string(i);
      e.kind = "auth.signature_failure";
      e.rule = "r";
      e.surface = "ui";
      events.push_back(e);
    }
    ASSERT_OK(store_->AppendEvents(src->id, events, 40, 3));
  }

  static FindingRecord Record(const std::string& fingerprint) {
    FindingRecord f;
    f.fingerprint = fingerprint;
    f.cause = "per_process_key";
    f.surface = "ui";
    f.confidence = 0.75;
    f.title = "Title";
    f.summary = "Summary";
    f.remediation = "1. Fix.\n";
    f.deployment = "docker-compose";
    // Not in name order: the order is the detect row's and must survive.
    f.facts = {{"surface", "ui"}, {"failures", "2"}, {"confidence", "0.75"}, {"b_fact", "x"}};
    f.evidence = {{3, "cause"}, {1, "symptom"}, {2, "against"}};
    return f;
  }

  std::unique_ptr<Store> store_;
};

TEST_F(StoreFindingsTest, NothingSavedIsNotFound) {
  Result<Diagnosis> d = store_->LoadFindings();
  EXPECT_EQ(d.status().code(), Status::Code::kNotFound);
}

TEST_F(StoreFindingsTest, LoadGivesBackWhatWasSavedInOrder) {
  FindingRecord a = Record("aaa");
  FindingRecord b = Record("bbb");
  b.cause = "restart_regenerated_key";
  b.confidence = 0.5;
  ASSERT_OK(store_->ReplaceFindings({b, a}, R"({"sources": 1})"));
  Result<Diagnosis> d = store_->LoadFindings();
  ASSERT_OK(d);
  EXPECT_EQ(d->run, R"({"sources": 1})");
  ASSERT_EQ(d->findings.size(), 2u);
  EXPECT_EQ(d->findings[0].fingerprint, "bbb");
  EXPECT_EQ(d->findings[0].cause, "restart_regenerated_key");
  EXPECT_DOUBLE_EQ(d->findings[0].confidence, 0.5);
  const FindingRecord& r = d->findings[1];
  EXPECT_EQ(r.fingerprint, "aaa");
  EXPECT_EQ(r.title, "Title");
  EXPECT_EQ(r.summary, "Summary");
  EXPECT_EQ(r.remediation, "1. Fix.\n");
  EXPECT_EQ(r.deployment, "docker-compose");
  EXPECT_EQ(r.facts, a.facts);
  EXPECT_EQ(r.evidence, a.evidence);
}

TEST_F(StoreFindingsTest, AnEmptyDiagnosisIsOneAndReplacesTheLast) {
  ASSERT_OK(store_->ReplaceFindings({Record("aaa")}, "first"));
  ASSERT_OK(store_->ReplaceFindings({}, "second"));
  Result<Diagnosis> d = store_->LoadFindings();
  ASSERT_OK(d);
  EXPECT_EQ(d->run, "second");
  EXPECT_TRUE(d->findings.empty());
}

TEST_F(StoreFindingsTest, RisksAreKeptApartFromFindings) {
  FindingRecord risk = Record("rrr");
  risk.cause = "jwt_secret_unset";
  risk.confidence = 0;
  risk.risk = true;
  ASSERT_OK(store_->ReplaceFindings({Record("aaa"), risk}, "run"));
  Result<Diagnosis> d = store_->LoadFindings();
  ASSERT_OK(d);
  ASSERT_EQ(d->findings.size(), 2u);
  EXPECT_FALSE(d->findings[0].risk);
  EXPECT_TRUE(d->findings[1].risk);
  EXPECT_EQ(d->findings[1].cause, "jwt_secret_unset");
  auto kinds = store_->Query("SELECT kind FROM findings ORDER BY rank", {});
  ASSERT_OK(kinds);
  ASSERT_EQ(kinds->rows.size(), 2u);
  EXPECT_EQ(ValueToString(kinds->rows[0][0]), "finding");
  EXPECT_EQ(ValueToString(kinds->rows[1][0]), "risk");
}

TEST_F(StoreFindingsTest, DescribeGivesColumnsAndParametersWithoutRunning) {
  Result<QueryShape> q = store_->Describe(
      "SELECT id AS a, kind, :x AS b FROM events WHERE line > :y AND :x IS NOT NULL");
  ASSERT_OK(q);
  EXPECT_EQ(q->columns, (std::vector<std::string>{"a", "kind", "b"}));
  EXPECT_EQ(q->parameters, (std::vector<std::string>{"x", "y"}));
}

TEST_F(StoreFindingsTest, DescribeRefusesWhatQueryRefusesAndSaysWhere) {
  Result<QueryShape> bad = store_->Describe("SELECT id\nFROM events\nWHERE nope = 1", "detect");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("detect: no such column: nope"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("SQL line 3"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(store_->Describe("DELETE FROM events").ok());
  EXPECT_FALSE(store_->Describe("SELECT 1; SELECT 2").ok());
  EXPECT_FALSE(store_->Describe("   ").ok());
}

TEST(StoreFindingsOpen, MissingFileIsNotFoundWithoutCreate) {
  fs::path dir = fs::temp_directory_path() / ("etiolog_findings_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "none.db").string();
  Store::Options options;
  options.create_if_missing = false;
  auto s = Store::Open(path, options);
  EXPECT_EQ(s.status().code(), Status::Code::kNotFound);
  EXPECT_NE(s.status().message().find("none.db"), std::string::npos);
  EXPECT_FALSE(fs::exists(path));
  fs::remove_all(dir);
}

TEST(StoreFindingsOpen, ASchemaTwoStoreKeepsItsFindings) {
  fs::path dir = fs::temp_directory_path() / ("etiolog_findings2_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "v2.db").string();
  {
    auto s = Store::Open(path);
    ASSERT_OK(s);
    auto src = (*s)->AddSource("api.log");
    ASSERT_OK(src);
    Event e;
    e.record.offset = 1;
    e.record.line = 1;
    e.kind = "auth.signature_failure";
    e.rule = "r";
    ASSERT_OK((*s)->AppendEvents(src->id, {e}, 10, 1));
    FindingRecord f;
    f.fingerprint = "abc";
    f.cause = "c";
    f.facts = {{"x", "1"}};
    f.evidence = {{1, "symptom"}};
    ASSERT_OK((*s)->ReplaceFindings({f}, "run"));
  }
  {
    // Back to schema 2 as released: finding_facts without seq, no diagnosis.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v2 = R"sql(
CREATE TABLE ff(finding_id INTEGER NOT NULL REFERENCES findings(id), name TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY(finding_id, name)) WITHOUT ROWID;
INSERT INTO ff SELECT finding_id, name, value FROM finding_facts;
DROP TABLE finding_facts;
ALTER TABLE ff RENAME TO finding_facts;
DROP TABLE diagnosis;
DROP TABLE followed_files;
ALTER TABLE events DROP COLUMN age_us;
ALTER TABLE events DROP COLUMN age_resolution_us;
ALTER TABLE sources DROP COLUMN modified_us;
ALTER TABLE sources DROP COLUMN reference_us;
ALTER TABLE sources DROP COLUMN reference;
ALTER TABLE instances DROP COLUMN dump_only;
ALTER TABLE instances DROP COLUMN dated_by;
ALTER TABLE instances DROP COLUMN dump_first_us;
ALTER TABLE instances DROP COLUMN dump_last_us;
ALTER TABLE instances DROP COLUMN dump_name;
ALTER TABLE instances DROP COLUMN workload;
ALTER TABLE instances DROP COLUMN template_hash;
ALTER TABLE rollouts DROP COLUMN revision_event_id;
ALTER TABLE findings DROP COLUMN kind;
DROP TABLE burst_alive;
ALTER TABLE failure_bursts DROP COLUMN rollout_id;
PRAGMA user_version = 2;
)sql";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v2, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  auto s = Store::Open(path);
  ASSERT_OK(s);
  Result<Diagnosis> d = (*s)->LoadFindings();
  ASSERT_OK(d);
  EXPECT_EQ(d->run, "");
  ASSERT_EQ(d->findings.size(), 1u);
  EXPECT_EQ(d->findings[0].fingerprint, "abc");
  EXPECT_EQ(d->findings[0].facts.size(), 1u);
  EXPECT_FALSE(d->findings[0].risk);  // Findings saved before risks existed.
  s->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace etiolog::db
