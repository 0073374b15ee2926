// SPDX-License-Identifier: Apache-2.0
#include "analyzer/pipeline.h"

#include <charconv>

namespace etiolog::analyzer {

namespace {

void ApplyField(const std::string& key, const std::string& value, db::Event* ev) {
  ProcessIdentity& p = ev->record.process;
  if (key == "component") {
    p.component = value;
  } else if (key == "host") {
    p.host = value;
  } else if (key == "pid") {
    int64_t pid = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), pid);
    if (ec == std::errc() && ptr == value.data() + value.size()) p.pid = pid;
  } else if (key == "surface") {
    ev->surface = value;
  }
}

}  // namespace

db::Event MakeEvent(const rules::Rule& rule, const rules::Match& match, const LogRecord& record) {
  db::Event ev;
  ev.record = record;
  ev.kind = rule.kind;
  ev.rule = rule.id;
  ev.surface = rule.surface;
  ev.severity = rule.severity;
  ev.captures = match.captures;
  for (const auto& [k, v] : rule.sets) ApplyField(k, v, &ev);
  for (const auto& [k, v] : match.captures) ApplyField(k, v, &ev);
  return ev;
}

Pipeline::Pipeline(const rules::Matcher* matcher, db::Store* store, const IngestOptions& options)
    : matcher_(matcher), store_(store), options_(options), scratch_(matcher->NewScratch()) {}

Status Pipeline::IngestPath(const std::string& path, IngestStats* stats) {
  Result<std::unique_ptr<ingest::Source>> src = ingest::OpenFileSource(path);
  if (!src.ok()) {
    stats->errors.push_back(src.status().message());
    return Status::OK();
  }
  return Ingest(src->get(), stats);
}

Status Pipeline::Ingest(ingest::Source* src, IngestStats* stats) {
  Result<db::SourceInfo> info = store_->AddSource(src->name());
  if (!info.ok()) return info.status();
  ingest::LineReader reader(src, options_.reader);
  ingest::Decoder decoder(src->name(), options_.decoder);
  std::vector<db::Event> events;
  std::vector<rules::Match> matches;
  LogRecord record;
  for (;;) {
    Result<ingest::Chunk> next = reader.Next();
    if (!next.ok()) {
      stats->errors.push_back(next.status().message());
      break;
    }
    const ingest::Chunk& chunk = *next;
    if (chunk.data.empty()) {
      ++stats->sources;
      break;
    }
    events.clear();
    // Line numbers of candidates: count newlines from the last candidate.
    size_t counted_to = 0;
    uint64_t line_no = chunk.first_line;
    Status scan = matcher_->Scan(
        chunk.data, scratch_.get(), [&](size_t begin, size_t end, const std::vector<int>& atoms) {
          ++stats->candidates;
          line_no += ingest::CountNewlines(chunk.data.substr(counted_to, begin - counted_to));
          counted_to = begin;
          decoder.Decode(chunk, begin, end, line_no, &record);
          matches.clear();
          matcher_->MatchRecord(record, atoms, &matches);
          if (matches.empty()) return;
          matcher_->Redact(&record.text);
          matcher_->Redact(&record.message);
          for (const rules::Match& m : matches) {
            db::Event ev = MakeEvent(matcher_->rules()[m.rule], m, record);
            for (auto& kv : ev.captures) matcher_->Redact(&kv.second);
            events.push_back(std::move(ev));
          }
        });
    if (!scan.ok()) return scan.Annotate(src->name());
    decoder.EndChunk(chunk);
    stats->bytes += chunk.data.size();
    stats->lines += chunk.lines;
    stats->events += events.size();
    Status st = store_->AppendEvents(info->id, events, chunk.offset + chunk.data.size(),
                                     chunk.first_line - 1 + chunk.lines);
    if (!st.ok()) return st.Annotate(src->name());
  }
  stats->capped_lines += reader.capped_lines();
  return store_->UpdateSourceStats(info->id, decoder.first_time_us(), decoder.last_time_us(),
                                   reader.capped_lines(), 0);
}

}  // namespace etiolog::analyzer
