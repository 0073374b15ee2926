// SPDX-License-Identifier: Apache-2.0
//
// What ingestion writes to the Store: sources, events with their
// checkpoint (in one transaction, placed by the timeline as they are
// written), source statistics, and the files `tail` follows.

#include <string>
#include <vector>

#include <sqlite3.h>

#include "db/sqlite_internal.h"
#include "db/store.h"
#include "db/timeline_internal.h"

namespace etiolog::db {

using internal::Binds;
using internal::SqlError;
using internal::Stmt;

Result<SourceInfo> Store::AddSource(const std::string& path) {
  Result<SourceInfo> added = [&]() -> Result<SourceInfo> {
    ETIOLOG_RETURN_IF_ERROR(Usable());
    {
      sqlite3_stmt* raw = nullptr;
      if (sqlite3_prepare_v2(db_, "INSERT OR IGNORE INTO sources(path) VALUES(?)", -1, &raw,
                             nullptr) != SQLITE_OK) {
        return SqlError(db_, "add source");
      }
      Stmt s(raw);
      ETIOLOG_RETURN_IF_ERROR(Binds(s.get()).Text(1, path).Done(db_, "add source"));
    }
    Result<Table> t =
        Select("SELECT id, checkpoint_offset, checkpoint_line FROM sources WHERE path = :path",
               {{"path", path}}, "add source");
    if (!t.ok()) return t.status();
    if (t->rows.empty()) return Status::Internal("source vanished after insert: " + path);
    SourceInfo info;
    info.id = std::get<int64_t>(t->rows[0][0]);
    info.path = path;
    info.checkpoint_offset = static_cast<uint64_t>(std::get<int64_t>(t->rows[0][1]));
    info.checkpoint_line = static_cast<uint64_t>(std::get<int64_t>(t->rows[0][2]));
    return info;
  }();
  if (!added.ok()) return Named(added.status());
  return added;
}

Status Store::AppendEvents(int64_t source_id, const std::vector<Event>& events,
                           uint64_t checkpoint_offset, uint64_t checkpoint_line) {
  // Errors name the store (Named).
  return Named([&]() -> Status {
    ETIOLOG_RETURN_IF_ERROR(Begin());
    auto fail = [&](const Status& st) {
      timeline_->Reset();  // Its rows were rolled back too.
      return Abandon(st);
    };
    Stmt ins, cap, cp;
    Status st = internal::Prepare(
        db_,
        "INSERT OR IGNORE INTO events(source_id, offset, line, time_us, time_quality, "
        "kind, rule, surface, severity, level, logger, format, host, component, pid, "
        "message, text, stream_id, instance_id, burst_id, age_us, age_resolution_us) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "prepare event insert", &ins);
    if (st.ok()) {
      st = internal::Prepare(db_,
                             "INSERT OR REPLACE INTO captures(event_id, name, value) VALUES(?,?,?)",
                             "prepare capture insert", &cap);
    }
    if (!st.ok()) return fail(st);
    for (const Event& e : events) {
      const LogRecord& r = e.record;
      internal::EventFacts facts;
      facts.source_id = source_id;
      facts.offset = r.offset;
      facts.host = r.process.host;
      facts.kind = e.kind;
      facts.rule = e.rule;
      facts.surface = e.surface;
      facts.component = r.process.component;
      facts.format = r.format;
      if (r.time_quality != TimeQuality::kNone) facts.time_us = r.time_us;
      facts.time_inherited = r.time_quality == TimeQuality::kInherited;
      facts.pid = r.process.pid;
      Result<internal::Placement> place = timeline_->Place(facts);
      if (!place.ok()) return fail(place.status());
      // A state-dump fact known only by its age is dated by BuildTimeline().
      const bool relative = r.time_quality == TimeQuality::kNone && e.age_us.has_value();
      st = Binds(ins.get())
               .Int(1, source_id)
               .Int(2, static_cast<int64_t>(r.offset))
               .Int(3, static_cast<int64_t>(r.line))
               .Optional(4, facts.time_us)
               .Text(5, relative ? std::string_view("relative") : TimeQualityName(r.time_quality))
               .Text(6, e.kind)
               .Text(7, e.rule)
               .Text(8, e.surface)
               .Text(9, e.severity)
               .Text(10, LevelName(r.level))
               .Text(11, r.logger)
               .Text(12, r.format)
               .Text(13, r.process.host)
               .Text(14, r.process.component)
               .NonZero(15, r.process.pid)
               .Text(16, r.message)
               .Text(17, r.text)
               .Int(18, place->stream_id)
               .NonZero(19, place->instance_id)
               .NonZero(20, place->burst_id)
               .Optional(21, e.age_us)
               .Optional(22, e.age_us ? std::optional<int64_t>(e.age_resolution_us) : std::nullopt)
               .Done(db_, "insert event");
      if (!st.ok()) return fail(st);
      const bool inserted = sqlite3_changes(db_) > 0;
      const int64_t id = inserted ? sqlite3_last_insert_rowid(db_) : 0;
      timeline_->Record(facts, *place, id, inserted);
      if (!inserted) continue;  // Already stored.
      for (const auto& [name, value] : e.captures) {
        st = Binds(cap.get()).Int(1, id).Text(2, name).Text(3, value).Done(db_, "insert capture");
        if (!st.ok()) return fail(st);
      }
    }
    st = timeline_->Flush();
    if (st.ok()) {
      st = internal::Prepare(db_,
                             "UPDATE sources SET checkpoint_offset = ?, checkpoint_line = ? "
                             "WHERE id = ?",
                             "prepare checkpoint", &cp);
    }
    if (st.ok()) {
      st = Binds(cp.get())
               .Int(1, static_cast<int64_t>(checkpoint_offset))
               .Int(2, static_cast<int64_t>(checkpoint_line))
               .Int(3, source_id)
               .Done(db_, "update checkpoint");
    }
    if (st.ok()) st = Exec("COMMIT");
    if (!st.ok()) return fail(st);
    return Status::OK();
  }());
}

Status Store::UpdateSourceStats(int64_t source_id, int64_t first_time_us, int64_t last_time_us,
                                uint64_t capped_lines, uint64_t bad_records, int64_t modified_us) {
  // Errors name the store (Named).
  return Named([&]() -> Status {
    ETIOLOG_RETURN_IF_ERROR(Usable());
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_,
                           "UPDATE sources SET "
                           "first_time_us = CASE WHEN ?1 = 0 THEN first_time_us "
                           "  ELSE min(coalesce(first_time_us, ?1), ?1) END, "
                           "last_time_us = CASE WHEN ?2 = 0 THEN last_time_us "
                           "  ELSE max(coalesce(last_time_us, ?2), ?2) END, "
                           "capped_lines = capped_lines + ?3, bad_records = bad_records + ?4, "
                           "modified_us = CASE WHEN ?6 = 0 THEN modified_us "
                           "  ELSE max(coalesce(modified_us, ?6), ?6) END "
                           "WHERE id = ?5",
                           -1, &raw, nullptr) != SQLITE_OK) {
      return SqlError(db_, "prepare source stats");
    }
    Stmt s(raw);
    return Binds(s.get())
        .Int(1, first_time_us)
        .Int(2, last_time_us)
        .Int(3, static_cast<int64_t>(capped_lines))
        .Int(4, static_cast<int64_t>(bad_records))
        .Int(5, source_id)
        .Int(6, modified_us)
        .Done(db_, "update source stats");
  }());
}

Status Store::SaveFollowedFile(const FollowedFileRecord& f) {
  // Errors name the store (Named).
  return Named([&]() -> Status {
    ETIOLOG_RETURN_IF_ERROR(Usable());
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(
            db_,
            "INSERT OR REPLACE INTO followed_files(source_id, path, device, inode, "
            "fingerprint_bytes, fingerprint, ended) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            -1, &raw, nullptr) != SQLITE_OK) {
      return SqlError(db_, "prepare followed file");
    }
    Stmt s(raw);
    // Stored as the same 64 bits: SQLite integers are signed.
    return Binds(s.get())
        .Int(1, f.source_id)
        .Text(2, f.path)
        .Int(3, static_cast<int64_t>(f.device))
        .Int(4, static_cast<int64_t>(f.inode))
        .Int(5, static_cast<int64_t>(f.fingerprint_bytes))
        .Int(6, static_cast<int64_t>(f.fingerprint))
        .Int(7, f.ended ? 1 : 0)
        .Done(db_, "save followed file");
  }());
}

Result<std::vector<FollowedFileRecord>> Store::LoadFollowedFiles() const {
  Result<Table> t = Select(
      "SELECT f.source_id, s.path, f.path, f.device, f.inode, f.fingerprint_bytes, "
      "f.fingerprint, f.ended, s.checkpoint_offset, s.checkpoint_line "
      "FROM followed_files f JOIN sources s ON s.id = f.source_id ORDER BY f.source_id",
      {}, "followed files");
  if (!t.ok()) return t.status();
  std::vector<FollowedFileRecord> out;
  for (const std::vector<Value>& row : t->rows) {
    auto u = [&](size_t i) { return static_cast<uint64_t>(std::get<int64_t>(row[i])); };
    FollowedFileRecord f;
    f.source_id = std::get<int64_t>(row[0]);
    f.name = std::get<std::string>(row[1]);
    f.path = std::get<std::string>(row[2]);
    f.device = u(3);
    f.inode = u(4);
    f.fingerprint_bytes = static_cast<uint32_t>(u(5));
    f.fingerprint = u(6);
    f.ended = u(7) != 0;
    f.checkpoint_offset = u(8);
    f.checkpoint_line = u(9);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace etiolog::db
