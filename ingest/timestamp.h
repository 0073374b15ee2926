// SPDX-License-Identifier: Apache-2.0
//
// Timestamp parsing for the formats Airflow and its neighbours print:
//   2025-12-07T15:56:23.562782Z          structlog 3.1+ (UTC)
//   2025-03-01T22:21:42.874+0000         classic TimezoneAware asctime
//   2025-03-29 19:59:21                  structlog default (local time)
//   2020-07-23 14:09:26,916              Airflow 2 / Python logging
//   2019-12-05 11:57:27 +0000            gunicorn
// All results are UTC microseconds since the Unix epoch.
//
// Thread safety: pure functions.

#ifndef ETIOLOG_INGEST_TIMESTAMP_H_
#define ETIOLOG_INGEST_TIMESTAMP_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace etiolog {

struct ParsedTime {
  int64_t utc_us = 0;     // UTC microseconds since the epoch.
  size_t length = 0;      // Bytes of input consumed; 0 if not a timestamp.
  bool has_zone = false;  // True if the text carried Z or a numeric offset.
};

// Parses an ISO-8601-like timestamp at the start of text:
//   YYYY-MM-DD[T ]HH:MM:SS[(.|,)fraction][ ][Z|(+|-)HH[:]MM]
// A time without a zone is taken as UTC plus assumed_offset_minutes east
// (pass the deployment's zone offset for local times) and has_zone=false.
// Returns length 0 if text does not start with such a timestamp or a field
// is out of range (month 13, hour 25, ...).
ParsedTime ParseIsoTimestamp(std::string_view text, int assumed_offset_minutes = 0);

// Days since 1970-01-01 of a proleptic Gregorian date.
// REQUIRES: 1 <= month <= 12, 1 <= day <= 31.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// Formats utc_us as "2025-12-07T15:56:23.562782Z".
// REQUIRES: buf has room for 28 bytes. Returns the length written (27).
size_t FormatIsoTimestamp(int64_t utc_us, char* buf);

}  // namespace etiolog

#endif  // ETIOLOG_INGEST_TIMESTAMP_H_
