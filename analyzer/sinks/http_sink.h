// SPDX-License-Identifier: Apache-2.0
//
// The HTTP sink: one POST per ticket to a URL (a tracker's create-issue
// API, a webhook, an incident tool), with libcurl.
//
// Each request carries the ticket body as `Content-Type: application/json`,
// `Idempotency-Key: <fingerprint>` (a receiver can drop a repeat: a retried
// POST may have been received before its answer was lost), a User-Agent,
// and the caller's headers (tokens; they are never printed, and a caller's
// header of the same name replaces ours). Redirects are not followed and
// only http and https are spoken.
//
// A 2xx answer is success. A 5xx answer, 429 (too many requests) or a
// connection failure (refused, reset, timed out, name not resolved) is
// retried up to `retries` times, waiting retry_delay_s, then twice as long
// each time (at most 30 s), or what a Retry-After header asks (at most
// 60 s). Any other answer (4xx, 3xx) fails at once: the same request would
// fail again. A failed ticket is reported on err with the URL (without
// credentials or query) and the status, and the next ticket is posted.
//
// Thread safety: PostTickets may run concurrently (libcurl is initialised
// once, thread-safely).

#ifndef ETIOLOG_ANALYZER_SINKS_HTTP_SINK_H_
#define ETIOLOG_ANALYZER_SINKS_HTTP_SINK_H_

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/report/report.h"
#include "ingest/status.h"

namespace etiolog::analyzer {

struct HttpSinkOptions {
  std::string url;  // http:// or https://. REQUIRED.
  // Extra request headers, "Name: value" each. Default: none.
  std::vector<std::string> headers;
  // Seconds to establish the connection, per attempt. Default: 10.
  double connect_timeout_s = 10;
  // Seconds for a whole attempt (connect, send, answer). Default: 30.
  double timeout_s = 30;
  // Further attempts after a retryable failure. Default: 3.
  int retries = 3;
  // Seconds before the first retry; doubles for each further one, up to
  // 30 s. Default: 1.
  double retry_delay_s = 1;
};

struct HttpSinkResult {
  int posted = 0;  // Tickets the endpoint accepted (2xx).
  int failed = 0;  // Tickets that failed after their attempts.
};

// Returns InvalidArgument if options cannot work: a URL that is not
// http(s)://host..., a header that is not "Name: value" (a token name, no
// CR or LF; the message gives the header's position and name, never its
// value), a negative or absurd timeout or retry count.
Status CheckHttpSinkOptions(const HttpSinkOptions& options);

// Expands header arguments: "Name: value" is kept; "@FILE" is replaced by
// the lines of FILE (blank lines and lines starting with '#' skipped), so
// a token need not appear on a command line. Returns NotFound/IoError
// naming FILE if it cannot be read.
Result<std::vector<std::string>> ExpandHeaderArgs(const std::vector<std::string>& args);

// Posts each ticket's body (REQUIRES: a JSON body) in order. Prints one
// line per ticket on out ("posted <fingerprint> HTTP <status>") and one
// error per failed ticket on err ("etiolog: post <fingerprint> to <url>:
// <reason>").
// REQUIRES: CheckHttpSinkOptions(options).ok().
HttpSinkResult PostTickets(const std::vector<Ticket>& tickets, const HttpSinkOptions& options,
                           std::ostream& out, std::ostream& err);

// url for messages: no user:password@ and no query string (either may
// carry a credential); "?..." marks a removed query.
std::string UrlForMessages(std::string_view url);

}  // namespace etiolog::analyzer

#endif  // ETIOLOG_ANALYZER_SINKS_HTTP_SINK_H_
