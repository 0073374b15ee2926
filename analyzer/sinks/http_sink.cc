// SPDX-License-Identifier: Apache-2.0
//
// One libcurl easy handle serves every ticket (connections are reused);
// each attempt resets the per-request state. The retry loop decides from
// the curl code and the HTTP status alone (Retryable), so the policy is
// the same whatever the endpoint.

#include "analyzer/sinks/http_sink.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include <curl/curl.h>

namespace etiolog::analyzer {

namespace {

constexpr double kMaxBackoffS = 30;
constexpr double kMaxRetryAfterS = 60;
constexpr size_t kMaxResponseBytes = size_t{64} * 1024;
constexpr size_t kShownResponseBytes = 300;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// RFC 9110 token characters.
bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// The name of a "Name: value" header, or "" if it is not one.
std::string HeaderName(std::string_view h) {
  const size_t colon = h.find(':');
  if (colon == std::string_view::npos || colon == 0) return "";
  for (size_t i = 0; i < colon; ++i) {
    if (!IsTokenChar(h[i])) return "";
  }
  if (h.find_first_of("\r\n") != std::string_view::npos) return "";
  return std::string(h.substr(0, colon));
}

// Up to n bytes of an answer, on one line, for an error message.
std::string Excerpt(const std::string& body, size_t n) {
  std::string out;
  for (char c : body.substr(0, n)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  if (body.size() > n) out += "...";
  return Trim(out);
}

// body without the values of the headers we sent, nor their words of 8
// bytes or more ("Bearer <token>"): an echoing endpoint must not make us
// print a token.
std::string HideSentValues(std::string body, const std::vector<std::string>& headers) {
  std::vector<std::string> secrets;
  for (const std::string& h : headers) {
    const std::string value = Trim(h.substr(h.find(':') + 1));
    if (value.size() >= 4) secrets.push_back(value);
    size_t start = 0;
    while (start < value.size()) {
      size_t end = value.find(' ', start);
      if (end == std::string::npos) end = value.size();
      if (end - start >= 8) secrets.push_back(value.substr(start, end - start));
      start = end + 1;
    }
  }
  for (const std::string& secret : secrets) {
    for (size_t at; (at = body.find(secret)) != std::string::npos;)
      body.replace(at, secret.size(), "***");
  }
  return body;
}

struct Answer {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  double retry_after_s = -1;  // From a Retry-After header, if any.
  std::string error;          // curl's message for a transport failure.
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* a = static_cast<Answer*>(user);
  const size_t bytes = size * n;
  if (a->body.size() < kMaxResponseBytes) {
    a->body.append(data, std::min(bytes, kMaxResponseBytes - a->body.size()));
  }
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* a = static_cast<Answer*>(user);
  const size_t bytes = size * n;
  std::string_view line(data, bytes);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos && Lower(line.substr(0, colon)) == "retry-after") {
    // Only the delta-seconds form; an HTTP date falls back to the backoff.
    const std::string v = Trim(line.substr(colon + 1));
    if (!v.empty() && v.size() <= 6 && std::all_of(v.begin(), v.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      a->retry_after_s = std::min(kMaxRetryAfterS, std::stod(v));
    }
  }
  return bytes;
}

// Whether an attempt that failed this way may succeed if repeated.
bool Retryable(const Answer& a) {
  switch (a.code) {
    case CURLE_OK:
      return a.status >= 500 || a.status == 429;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::string UrlForMessages(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  const size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t path = out.find_first_of("/?#", host);
  const size_t at = out.rfind('@', path == std::string::npos ? out.size() : path);
  if (at != std::string::npos && at >= host) out.erase(host, at + 1 - host);
  const size_t query = out.find_first_of("?#");
  if (query != std::string::npos) out = out.substr(0, query) + (out[query] == '?' ? "?..." : "");
  return out;
}

Status CheckHttpSinkOptions(const HttpSinkOptions& options) {
  const std::string lower = Lower(options.url);
  const bool http = lower.rfind("http://", 0) == 0, https = lower.rfind("https://", 0) == 0;
  if (!(http || https) || options.url.size() <= (https ? 8u : 7u) ||
      options.url.find_first_of(" \r\n\t") != std::string::npos) {
    return Status::InvalidArgument("--post: '" + UrlForMessages(options.url) +
                                   "' is not an http:// or https:// URL");
  }
  for (size_t i = 0; i < options.headers.size(); ++i) {
    if (HeaderName(options.headers[i]).empty()) {
      const std::string& h = options.headers[i];
      const size_t colon = h.find(':');
      return Status::InvalidArgument(
          "--header #" + std::to_string(i + 1) + " (" +
          (colon == std::string::npos ? std::string("no ':'") : "'" + h.substr(0, colon) + "'") +
          ") is not 'Name: value' with a token name and no line break");
    }
  }
  if (!(options.connect_timeout_s > 0 && options.connect_timeout_s <= 3600) ||
      !(options.timeout_s > 0 && options.timeout_s <= 3600)) {
    return Status::InvalidArgument("--connect-timeout and --timeout must be in (0, 3600] seconds");
  }
  if (options.retries < 0 || options.retries > 10) {
    return Status::InvalidArgument("--retries must be between 0 and 10");
  }
  if (!(options.retry_delay_s >= 0 && options.retry_delay_s <= kMaxBackoffS)) {
    return Status::InvalidArgument("the retry delay must be between 0 and 30 seconds");
  }
  return Status::OK();
}

Result<std::vector<std::string>> ExpandHeaderArgs(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& a : args) {
    if (a.empty() || a[0] != '@') {
      out.push_back(a);
      continue;
    }
    const std::string path = a.substr(1);
    std::ifstream in(path);
    if (!in) return Status::NotFound("--header @" + path + ": cannot read the file");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::string t = Trim(line);
      if (t.empty() || t[0] == '#') continue;
      out.push_back(t);
    }
    if (in.bad()) return Status::IoError("--header @" + path + ": read error");
  }
  return out;
}

HttpSinkResult PostTickets(const std::vector<Ticket>& tickets, const HttpSinkOptions& options,
                           std::ostream& out, std::ostream& err) {
  InitCurlOnce();
  HttpSinkResult result;
  const std::string shown_url = UrlForMessages(options.url);
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) {
    err << "etiolog: post to " << shown_url << ": cannot initialise libcurl\n";
    result.failed = static_cast<int>(tickets.size());
    return result;
  }
  std::vector<std::string> user_names;
  for (const std::string& h : options.headers) user_names.push_back(Lower(HeaderName(h)));
  auto user_has = [&](std::string_view name) {
    return std::find(user_names.begin(), user_names.end(), name) != user_names.end();
  };
  for (const Ticket& t : tickets) {
    // Headers: ours unless the caller set the same name, then the caller's.
    curl_slist* raw = nullptr;
    auto add = [&raw](const std::string& h) { raw = curl_slist_append(raw, h.c_str()); };
    if (!user_has("content-type")) add("Content-Type: application/json");
    if (!user_has("accept")) add("Accept: application/json");
    if (!user_has("idempotency-key")) add("Idempotency-Key: " + t.fingerprint);
    add("Expect:");  // No 100-continue round trip.
    for (const std::string& h : options.headers) add(h);
    std::unique_ptr<curl_slist, SlistDeleter> headers(raw);

    Answer answer;
    char error[CURL_ERROR_SIZE];
    int attempt = 0;
    double delay = options.retry_delay_s;
    for (;; ++attempt) {
      answer = Answer();
      error[0] = '\0';
      CURL* c = curl.get();
      curl_easy_reset(c);
      curl_easy_setopt(c, CURLOPT_URL, options.url.c_str());
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, t.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
      curl_easy_setopt(c, CURLOPT_USERAGENT, "etiolog/" ETIOLOG_VERSION);
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                       static_cast<long>(options.connect_timeout_s * 1000));
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_s * 1000));
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
      curl_easy_setopt(c, CURLOPT_HEADERDATA, &answer);
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
      answer.code = curl_easy_perform(c);
      if (answer.code == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
      } else {
        answer.error = error[0] != '\0' ? error : curl_easy_strerror(answer.code);
      }
      if (answer.code == CURLE_OK && answer.status >= 200 && answer.status < 300) break;
      if (!Retryable(answer) || attempt >= options.retries) break;
      const double wait = std::max(delay, answer.retry_after_s);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      delay = std::min(kMaxBackoffS, delay * 2);
    }
    const int attempts = attempt + 1;
    const std::string tries =
        attempts > 1 ? " (after " + std::to_string(attempts) + " attempts)" : "";
    if (answer.code == CURLE_OK && answer.status >= 200 && answer.status < 300) {
      ++result.posted;
      out << "posted " << t.fingerprint << " HTTP " << answer.status << tries << "  " << t.title
          << "\n";
      continue;
    }
    ++result.failed;
    err << "etiolog: post " << t.fingerprint << " to " << shown_url << " failed" << tries << ": ";
    if (answer.code != CURLE_OK) {
      err << answer.error;
    } else {
      err << "HTTP " << answer.status;
      if (answer.status >= 300 && answer.status < 400) err << " (redirects are not followed)";
      const std::string excerpt =
          Excerpt(HideSentValues(answer.body, options.headers), kShownResponseBytes);
      if (!excerpt.empty()) err << ": " << excerpt;
    }
    err << "\n";
  }
  return result;
}

}  // namespace etiolog::analyzer
