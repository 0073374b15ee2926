// SPDX-License-Identifier: Apache-2.0
//
// Findings in the Store: a diagnosis replaces the previous one in one
// transaction (ReplaceFindings), and `report` reads it back (LoadFindings).

#include <set>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "db/sqlite_internal.h"
#include "db/store.h"

namespace etiolog::db {

using internal::Binds;

using internal::Stmt;

Status Store::ReplaceFindings(const std::vector<FindingRecord>& findings, std::string_view run) {
  // Errors name the store (Named).
  return Named([&]() -> Status {
    ETIOLOG_RETURN_IF_ERROR(Begin());
    auto fail = [&](const Status& st) { return Abandon(st); };
    Status st =
        Exec("DELETE FROM finding_evidence; DELETE FROM finding_facts; DELETE FROM findings;");
    Stmt f, fact, ev, diag;
    if (st.ok()) {
      st = internal::Prepare(db_,
                             "INSERT INTO findings(rank, fingerprint, cause, surface, confidence, "
                             "title, summary, remediation, deployment, kind) "
                             "VALUES(?,?,?,?,?,?,?,?,?,?)",
                             "prepare finding insert", &f);
    }
    if (st.ok()) {
      st = internal::Prepare(db_,
                             "INSERT OR REPLACE INTO finding_facts(finding_id, name, value, seq) "
                             "VALUES(?,?,?,?)",
                             "prepare finding facts", &fact);
    }
    if (st.ok()) {
      st = internal::Prepare(db_,
                             "INSERT INTO finding_evidence(finding_id, seq, role, event_id) "
                             "VALUES(?,?,?,?)",
                             "prepare finding evidence", &ev);
    }
    if (st.ok()) {
      st = internal::Prepare(db_, "INSERT OR REPLACE INTO diagnosis(id, run) VALUES(1, ?)",
                             "prepare diagnosis", &diag);
    }
    if (st.ok()) {
      st = Binds(diag.get()).Text(1, run).Done(db_, "save diagnosis");
    }
    if (!st.ok()) return fail(st);
    std::set<std::string> fingerprints;
    int64_t rank = 0;
    for (const FindingRecord& r : findings) {
      if (!fingerprints.insert(r.fingerprint).second) {
        return fail(Status::InvalidArgument("two findings share the fingerprint " + r.fingerprint));
      }
      st = Binds(f.get())
               .Int(1, ++rank)
               .Text(2, r.fingerprint)
               .Text(3, r.cause)
               .Text(4, r.surface)
               .Double(5, r.confidence)
               .Text(6, r.title)
               .Text(7, r.summary)
               .Text(8, r.remediation)
               .Text(9, r.deployment)
               .Text(10, r.risk ? "risk" : "finding")
               .Done(db_, "insert finding");
      if (!st.ok()) return fail(st);
      const int64_t id = sqlite3_last_insert_rowid(db_);
      int64_t fact_seq = 0;
      for (const auto& [name, value] : r.facts) {
        st = Binds(fact.get())
                 .Int(1, id)
                 .Text(2, name)
                 .Text(3, value)
                 .Int(4, ++fact_seq)
                 .Done(db_, "insert finding fact");
        if (!st.ok()) return fail(st);
      }
      int64_t seq = 0;
      for (const auto& [event_id, role] : r.evidence) {
        st = Binds(ev.get())
                 .Int(1, id)
                 .Int(2, ++seq)
                 .Text(3, role)
                 .Int(4, event_id)
                 .Done(db_, "insert finding evidence");
        if (!st.ok()) {
          return fail(Status::InvalidArgument("finding " + r.fingerprint + " cites event " +
                                              std::to_string(event_id) + ": " + st.message()));
        }
      }
    }
    st = Exec("COMMIT");
    if (!st.ok()) return fail(st);
    return Status::OK();
  }());
}

Result<Diagnosis> Store::LoadFindings() const {
  Result<Table> d = Select("SELECT run FROM diagnosis WHERE id = 1", {}, "load diagnosis");
  if (!d.ok()) return d.status();
  if (d->rows.empty()) return Status::NotFound("the store holds no diagnosis");
  Diagnosis out;
  out.run = ValueToString(d->rows[0][0]);
  Result<Table> f = Select(
      "SELECT id, fingerprint, cause, surface, confidence, title, summary, remediation, "
      "deployment, kind FROM findings ORDER BY rank",
      {}, "load findings");
  if (!f.ok()) return f.status();
  for (const auto& row : f->rows) {
    FindingRecord r;
    const Value id = row[0];
    r.fingerprint = ValueToString(row[1]);
    r.cause = ValueToString(row[2]);
    r.surface = ValueToString(row[3]);
    if (std::holds_alternative<double>(row[4])) r.confidence = std::get<double>(row[4]);
    if (std::holds_alternative<int64_t>(row[4])) {
      r.confidence = static_cast<double>(std::get<int64_t>(row[4]));
    }
    r.title = ValueToString(row[5]);
    r.summary = ValueToString(row[6]);
    r.remediation = ValueToString(row[7]);
    r.deployment = ValueToString(row[8]);
    r.risk = ValueToString(row[9]) == "risk";
    Result<Table> facts =
        Select("SELECT name, value FROM finding_facts WHERE finding_id = :id ORDER BY seq, name",
               {{"id", id}}, "load finding facts");
    if (!facts.ok()) return facts.status();
    for (const auto& fr : facts->rows)
      r.facts.emplace_back(ValueToString(fr[0]), ValueToString(fr[1]));
    Result<Table> ev =
        Select("SELECT event_id, role FROM finding_evidence WHERE finding_id = :id ORDER BY seq",
               {{"id", id}}, "load finding evidence");
    if (!ev.ok()) return ev.status();
    for (const auto& er : ev->rows) {
      r.evidence.emplace_back(std::holds_alternative<int64_t>(er[0]) ? std::get<int64_t>(er[0]) : 0,
                              ValueToString(er[1]));
    }
    out.findings.push_back(std::move(r));
  }
  return out;
}

}  // namespace etiolog::db
