// SPDX-License-Identifier: Apache-2.0
//
// Timeline::Finalize: assigns streams to events of a schema-1 store,
// rebuilds the streams holding unplaced events by replaying their events
// through the state machine, places dump facts (dumps.cc), then derives the
// lifetime and correlation tables with SQL over instance and event rows.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "db/dumps_internal.h"
#include "db/timeline_internal.h"
#include "db/timeline_state_internal.h"

namespace etiolog::db::internal {

namespace {

// The lifetime and correlation tables, derived from the instance and event
// rows. Every statement is idempotent; docs/store-schema.md explains each.
constexpr char kDeriveSql[] = R"sql(
UPDATE instances SET
    seq = CASE WHEN instances.dump_only = 0 THEN r.seq ELSE instances.seq END,
    name = CASE
      WHEN dump_name IS NOT NULL THEN dump_name
      WHEN host <> '' THEN host
      WHEN slot LIKE 'k8s:%' THEN substr(slot, 5)
      ELSE r.file END,
    first_us = CASE
      WHEN dump_first_us IS NOT NULL
        THEN min(dump_first_us, coalesce(first_event_us, dump_first_us))
      WHEN instances.dump_only = 0 AND r.seq = 0 AND start_event_id IS NULL
        THEN coalesce(r.source_first_us, first_event_us)
      ELSE first_event_us END
  FROM (SELECT i.id,
               row_number() OVER (PARTITION BY i.stream_id, i.dump_only ORDER BY i.id) - 1 AS seq,
               substr(s.path, length(rtrim(s.path, replace(s.path, '/', ''))) + 1) AS file,
               s.first_time_us AS source_first_us
        FROM instances i JOIN streams st ON st.id = i.stream_id
        JOIN sources s ON s.id = st.source_id ORDER BY i.id) r
  WHERE r.id = instances.id;
UPDATE instances SET
    last_us = CASE WHEN n.base IS NULL THEN NULL
                   ELSE max(n.base, coalesce(last_event_us, n.base),
                            coalesce(dump_last_us, n.base)) END,
    prev_id = coalesce(n.prev_in_stream,
      CASE WHEN start_event_id IS NOT NULL THEN
        (SELECT p.id FROM instances p
          WHERE p.slot = instances.slot AND p.stream_id <> instances.stream_id
            AND p.first_us < instances.first_us
          ORDER BY p.first_us DESC, p.id DESC LIMIT 1) END),
    rollout_id = NULL
  FROM (SELECT i.id, lag(i.id) OVER w AS prev_in_stream,
               coalesce((SELECT e.time_us FROM events e WHERE e.id = i.stop_event_id),
                        lead(i.first_us) OVER w, s.last_time_us, i.last_event_us) AS base
        FROM instances i JOIN streams st ON st.id = i.stream_id
        JOIN sources s ON s.id = st.source_id
        WINDOW w AS (PARTITION BY i.stream_id ORDER BY i.seq) ORDER BY i.id) n
  WHERE n.id = instances.id;

DELETE FROM rollouts;
DROP TABLE IF EXISTS temp.rollout_starts;
CREATE TEMP TABLE rollout_starts AS
  WITH starts AS (
    SELECT id, first_us, prev_id, NULL AS revision FROM instances
    WHERE start_event_id IS NOT NULL AND first_us IS NOT NULL
    UNION ALL
    SELECT NULL, time_us, NULL, id FROM events
    WHERE kind = 'dump.revision' AND time_us IS NOT NULL),
  s AS (
    SELECT *,
           CASE WHEN first_us - lag(first_us) OVER (ORDER BY first_us, id, revision)
                       <= :rollout_gap
                THEN 0 ELSE 1 END AS brk
    FROM starts)
  SELECT *, sum(brk) OVER (ORDER BY first_us, id, revision) AS rid FROM s;
INSERT INTO rollouts(id, first_us, last_us, started, restarted, revision_event_id)
  SELECT rid, min(first_us), max(first_us), count(id), count(prev_id), min(revision)
  FROM temp.rollout_starts GROUP BY rid;
UPDATE instances SET rollout_id = g.rid FROM temp.rollout_starts g WHERE g.id = instances.id;
DROP TABLE temp.rollout_starts;

DELETE FROM key_epochs;
INSERT INTO key_epochs(instance_id, section, option, state, event_id, events, from_us, to_us)
  SELECT e.instance_id, lower(coalesce(cs.value, '')), lower(coalesce(co.value, '')),
         CASE e.kind WHEN 'key.generated' THEN 'generated'
                     WHEN 'key.configured' THEN 'configured'
                     WHEN 'key.required_missing' THEN 'missing'
                     ELSE 'misplaced' END,
         min(e.id), count(*), i.first_us, i.last_us
  FROM events e JOIN instances i ON i.id = e.instance_id
  LEFT JOIN captures cs ON cs.event_id = e.id AND cs.name = 'section'
  LEFT JOIN captures co ON co.event_id = e.id AND co.name = 'option'
  WHERE e.kind IN ('key.generated', 'key.configured', 'key.required_missing',
                   'config.misplaced_key')
  GROUP BY 1, 2, 3, 4;

DELETE FROM auth_manager_epochs;
INSERT INTO auth_manager_epochs(id, manager, first_us, last_us, first_event_id, last_event_id,
                                first_instance_id, markers)
  WITH m AS (
    SELECT id, instance_id, time_us, substr(kind, 14) AS manager FROM events
    WHERE kind >= 'auth_manager.' AND kind < 'auth_manager/' AND time_us IS NOT NULL),
  g AS (SELECT *, CASE WHEN manager = lag(manager) OVER (ORDER BY time_us, id)
                       THEN 0 ELSE 1 END AS brk FROM m),
  e AS (SELECT *, sum(brk) OVER (ORDER BY time_us, id) AS epoch FROM g),
  f AS (SELECT *, first_value(id) OVER w AS fid, first_value(instance_id) OVER w AS finst,
               last_value(id) OVER w AS lid
        FROM e WINDOW w AS (PARTITION BY epoch ORDER BY time_us, id
                            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
  SELECT epoch, manager, min(time_us), max(time_us), min(fid), min(lid), min(finst), count(*)
  FROM f GROUP BY epoch;
UPDATE auth_manager_epochs SET until_us =
  (SELECT n.first_us FROM auth_manager_epochs n WHERE n.id = auth_manager_epochs.id + 1);
)sql";

}  // namespace

Status Timeline::RebuildStream(int64_t stream_id) {
  Stmt q;
  ETIOLOG_RETURN_IF_ERROR(
      Prepare(db_, "SELECT source_id, host FROM streams WHERE id = ?", "rebuild stream", &q));
  std::optional<int64_t> source_id_found;
  std::string host;
  ETIOLOG_RETURN_IF_ERROR(
      Binds(q.get()).Int(1, stream_id).Rows(db_, "rebuild stream", [&](sqlite3_stmt* r) {
        source_id_found = sqlite3_column_int64(r, 0);
        host = ColumnText(r, 1);
      }));
  if (!source_id_found) {
    return Status::Internal("rebuild stream: no stream " + std::to_string(stream_id));
  }
  const int64_t source_id = *source_id_found;
  q.reset();
  Stmt del;
  for (const char* sql : {"DELETE FROM burst_kinds WHERE burst_id IN (SELECT b.id FROM "
                          "failure_bursts b JOIN instances i ON i.id = b.instance_id "
                          "WHERE i.stream_id = ?)",
                          "DELETE FROM failure_bursts WHERE instance_id IN "
                          "(SELECT id FROM instances WHERE stream_id = ?)",
                          "DELETE FROM instances WHERE stream_id = ?"}) {
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_, sql, "rebuild stream", &del));
    ETIOLOG_RETURN_IF_ERROR(Binds(del.get()).Int(1, stream_id).Done(db_, "rebuild stream"));
  }
  Result<Stream*> got = GetStream(source_id, host, "");
  if (!got.ok()) return got.status();
  Stream* s = *got;
  s->inst = Instance();
  s->bursts.clear();
  s->any = false;
  s->rules_at_last.clear();
  s->live = true;

  // Replay the stream's events in file order, a page at a time, with the
  // same state machine that places new events.
  Stmt page, upd;
  ETIOLOG_RETURN_IF_ERROR(
      Prepare(db_,
              "SELECT id, offset, kind, rule, surface, component, time_us, pid, "
              "time_quality = 'inherited' FROM events "
              "WHERE source_id = ?1 AND host = ?2 AND (offset > ?3 OR (offset = ?3 AND rule > ?4)) "
              "AND NOT (kind >= 'dump.' AND kind < 'dump/') "
              "ORDER BY offset, rule LIMIT 4096",
              "rebuild stream", &page));
  ETIOLOG_RETURN_IF_ERROR(
      Prepare(db_, "UPDATE events SET stream_id = ?, instance_id = ?, burst_id = ? WHERE id = ?",
              "rebuild stream", &upd));
  struct Row {
    int64_t id;
    uint64_t offset;
    std::string kind, rule, surface, component;
    std::optional<int64_t> time_us;
    int64_t pid;
    bool time_inherited;
  };
  std::vector<Row> rows;
  int64_t after_offset = -1;
  std::string after_rule;
  for (;;) {
    rows.clear();
    ETIOLOG_RETURN_IF_ERROR(
        Binds(page.get())
            .Int(1, source_id)
            .Text(2, host)
            .Int(3, after_offset)
            .Text(4, after_rule)
            .Rows(db_, "rebuild stream", [&](sqlite3_stmt* pg) {
              rows.push_back(Row{
                  sqlite3_column_int64(pg, 0), static_cast<uint64_t>(sqlite3_column_int64(pg, 1)),
                  ColumnText(pg, 2), ColumnText(pg, 3), ColumnText(pg, 4), ColumnText(pg, 5),
                  ColumnOptional(pg, 6), ColumnOptional(pg, 7).value_or(0),
                  sqlite3_column_int(pg, 8) != 0});
            }));
    if (rows.empty()) break;
    for (const Row& r : rows) {
      EventFacts f;
      f.source_id = source_id;
      f.offset = r.offset;
      f.host = host;
      f.kind = r.kind;
      f.rule = r.rule;
      f.surface = r.surface;
      f.component = r.component;
      f.time_us = r.time_us;
      f.time_inherited = r.time_inherited;
      f.pid = r.pid;
      Result<Placement> p = Place(f);
      if (!p.ok()) return p.status();
      ETIOLOG_RETURN_IF_ERROR(Binds(upd.get())
                                  .Int(1, stream_id)
                                  .NonZero(2, p->instance_id)
                                  .NonZero(3, p->burst_id)
                                  .Int(4, r.id)
                                  .Done(db_, "rebuild stream"));
      Record(f, *p, r.id, true);
    }
    after_offset = static_cast<int64_t>(rows.back().offset);
    after_rule = rows.back().rule;
  }
  return Flush();
}

Status Timeline::Finalize() {
  ETIOLOG_RETURN_IF_ERROR(Flush());
  // Events without a stream come from a store of schema 1.
  {
    Stmt q;
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_,
                                    "SELECT source_id, host, min(format) FROM events "
                                    "WHERE instance_id IS NULL AND stream_id IS NULL "
                                    "GROUP BY source_id, host",
                                    "assign streams", &q));
    struct Missing {
      int64_t source_id;
      std::string host, format;
    };
    std::vector<Missing> missing;
    ETIOLOG_RETURN_IF_ERROR(Binds(q.get()).Rows(db_, "assign streams", [&](sqlite3_stmt* r) {
      missing.push_back(Missing{sqlite3_column_int64(r, 0), ColumnText(r, 1), ColumnText(r, 2)});
    }));
    Stmt upd;
    ETIOLOG_RETURN_IF_ERROR(Prepare(db_,
                                    "UPDATE events SET stream_id = ? WHERE source_id = ? AND "
                                    "host = ? AND instance_id IS NULL AND stream_id IS NULL",
                                    "assign streams", &upd));
    for (const auto& [source_id, host, format] : missing) {
      Result<Stream*> s = GetStream(source_id, host, format);
      if (!s.ok()) return s.status();
      ETIOLOG_RETURN_IF_ERROR(Binds(upd.get())
                                  .Int(1, (*s)->id)
                                  .Int(2, source_id)
                                  .Text(3, host)
                                  .Done(db_, "assign streams"));
    }
  }
  {
    Stmt q;
    ETIOLOG_RETURN_IF_ERROR(
        Prepare(db_,
                "SELECT DISTINCT stream_id FROM events WHERE instance_id IS NULL "
                "AND NOT (kind >= 'dump.' AND kind < 'dump/')",
                "find unplaced events", &q));
    ETIOLOG_RETURN_IF_ERROR(Binds(q.get()).Rows(db_, "find unplaced events", [&](sqlite3_stmt* r) {
      dirty_streams_.insert(sqlite3_column_int64(r, 0));
    }));
  }
  for (int64_t id : std::set<int64_t>(dirty_streams_)) {
    ETIOLOG_RETURN_IF_ERROR(RebuildStream(id).Annotate("rebuilding stream " + std::to_string(id)));
  }
  dirty_streams_.clear();
  ETIOLOG_RETURN_IF_ERROR(Flush());
  ETIOLOG_RETURN_IF_ERROR(PlaceDumpFacts(db_));
  // The derivation script, statement by statement, binding its parameters.
  std::string_view rest = kDeriveSql;
  while (!rest.empty()) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &raw, &tail) !=
        SQLITE_OK) {
      return SqlError(db_, "derive timeline");
    }
    rest.remove_prefix(static_cast<size_t>(tail - rest.data()));
    if (raw == nullptr) break;  // Only whitespace left.
    Stmt s(raw);
    Binds binds(raw);
    const int gap = sqlite3_bind_parameter_index(raw, ":rollout_gap");
    if (gap > 0) binds.Int(gap, kRolloutGapUs);
    ETIOLOG_RETURN_IF_ERROR(binds.Done(db_, "derive timeline"));
  }
  ETIOLOG_RETURN_IF_ERROR(DeriveWorkloads(db_));
  return DeriveBurstAlive(db_);
}

}  // namespace etiolog::db::internal
