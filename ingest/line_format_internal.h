// SPDX-License-Identifier: Apache-2.0
//
// Full decoding of a line's body: the record formats of docs/formats.md
// (structlog console and JSON, classic, gunicorn, Celery, uvicorn, bare),
// parsed into a LogRecord. Used on candidate lines and on the record starts
// they belong to. Implementation of the Decoder.

#ifndef ETIOLOG_INGEST_LINE_FORMAT_INTERNAL_H_
#define ETIOLOG_INGEST_LINE_FORMAT_INTERNAL_H_

#include <string>
#include <string_view>

#include "ingest/peel_internal.h"
#include "ingest/record.h"
#include "ingest/time_zone.h"

namespace etiolog::ingest::internal {

// The same for a line that may begin with the logger ("=====... [logger] k=v"
// ends a multi-line event).
bool TrailingLogger(std::string_view line, LogRecord* out);

// Decodes a cleaned line (no ANSI, valid UTF-8) with its peel. The
// wrapper's time is the caller's to resolve (ResolveWall): out's time is the
// body's own, if any.
void DecodePeeled(std::string_view line, const Peeled& p, const TimeZone* zone, LogRecord* out);

// Cleans a raw line into *buf if needed (ANSI, NUL, invalid UTF-8) and
// returns the view to read. known_clean: raw is known to be valid UTF-8
// without NUL (Chunk::clean), so only ANSI is looked for.
std::string_view Clean(std::string_view raw, bool known_clean, std::string* buf);

}  // namespace etiolog::ingest::internal

#endif  // ETIOLOG_INGEST_LINE_FORMAT_INTERNAL_H_
