// SPDX-License-Identifier: Apache-2.0
//
// Pipeline: moves log bytes from sources into the store as events.
//
//   Source -> LineReader (chunks) -> Matcher::Scan (literal prefilter)
//          -> Decoder (candidate lines only) -> Matcher::MatchRecord
//          -> redaction -> Store::AppendEvents (with the checkpoint)
//
// A source that fails mid-way keeps the events committed before the failure;
// the failure is recorded in IngestStats and the next source goes on.
//
// Thread safety: one Pipeline per thread; the Matcher may be shared.

#ifndef ETIOLOG_ANALYZER_PIPELINE_H_
#define ETIOLOG_ANALYZER_PIPELINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "db/store.h"
#include "ingest/decoder.h"
#include "ingest/line_reader.h"
#include "ingest/source.h"
#include "ingest/status.h"
#include "rules/matcher.h"

namespace etiolog::analyzer {

struct IngestOptions {
  ingest::DecoderOptions decoder;      // Time zone for local times, etc.
  ingest::LineReader::Options reader;  // Chunk size (= line length cap).
};

// Counters for the run summary. Sums over all sources ingested.
struct IngestStats {
  uint64_t sources = 0;             // Sources read to the end.
  uint64_t bytes = 0;               // Bytes read.
  uint64_t lines = 0;               // Lines read.
  uint64_t candidates = 0;          // Lines that passed the literal prefilter.
  uint64_t events = 0;              // Events produced (before de-duplication).
  uint64_t capped_lines = 0;        // Lines longer than the cap, cut.
  std::vector<std::string> errors;  // One message per failed source.
};

class Pipeline {
 public:
  // *matcher and *store must outlive the pipeline.
  Pipeline(const rules::Matcher* matcher, db::Store* store, const IngestOptions& options);

  // Ingests src to its end. Read failures of the source are added to
  // stats->errors (naming the source) and are not returned; the returned
  // Status is non-OK only if the store fails, which ends the run.
  Status Ingest(ingest::Source* src, IngestStats* stats);

  // Opens path as a file and ingests it. A file that cannot be opened is
  // recorded in stats->errors.
  Status IngestPath(const std::string& path, IngestStats* stats);

 private:
  const rules::Matcher* matcher_;
  db::Store* store_;
  IngestOptions options_;
  rules::Matcher::ScratchPtr scratch_;
};

// Builds the stored event for a rule match on record: the rule's kind,
// surface and severity; its `sets` fields and the captures named
// component, host and pid override the record's process identity.
db::Event MakeEvent(const rules::Rule& rule, const rules::Match& match, const LogRecord& record);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_PIPELINE_H_
