// SPDX-License-Identifier: Apache-2.0
//
// The record formats of a line's body, each parsed by a function of its own
// after a first-byte dispatch (DecodePeeled). See docs/formats.md.

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include <simdjson.h>

#include "ingest/decoder.h"
#include "ingest/line_format_internal.h"
#include "ingest/path_identity.h"
#include "ingest/text.h"

namespace etiolog::ingest {
namespace internal {

namespace {

void SetTime(ParsedTime t, const TimeZone* zone, LogRecord* out) {
  if (!t.has_zone && zone != nullptr) t.utc_us = zone->LocalToUtc(t.utc_us);
  out->time_us = t.utc_us;
  out->time_quality = t.has_zone ? TimeQuality::kExact : TimeQuality::kAssumedZone;
}

// Parses " k=v k2='quoted v' ..." into fields. Values may be quoted with ' or
// ". Tokens without '=' end the parse (they are not fields).
void ParseFields(std::string_view s, LogRecord* out) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t k = i;
    while (k < s.size() && IsWordChar(s[k]) && s[k] != '=') ++k;
    if (k == i || k >= s.size() || s[k] != '=') return;
    std::string key(s.substr(i, k - i));
    size_t v = k + 1;
    std::string value;
    if (v < s.size() && (s[v] == '\'' || s[v] == '"')) {
      char q = s[v];
      size_t e = s.find(q, v + 1);
      if (e == std::string_view::npos) e = s.size();
      value.assign(s.substr(v + 1, e - v - 1));
      i = e + 1;
    } else {
      size_t e = s.find(' ', v);
      if (e == std::string_view::npos) e = s.size();
      value.assign(s.substr(v, e - v));
      i = e;
    }
    out->fields.emplace_back(std::move(key), std::move(value));
  }
}

// The trailing " [dotted.logger]" (followed by end or " key=...") of a
// structlog console line; npos if none.
size_t FindStructlogLogger(std::string_view rest, size_t* logger_end) {
  size_t logger_pos = std::string_view::npos;
  for (size_t p = rest.find(" ["); p != std::string_view::npos; p = rest.find(" [", p + 1)) {
    size_t q = p + 2;
    while (q < rest.size() && IsWordChar(rest[q])) ++q;
    if (q == p + 2 || q >= rest.size() || rest[q] != ']') continue;
    if (q + 1 != rest.size() && rest[q + 1] != ' ') continue;
    if (q + 1 < rest.size()) {
      size_t k = q + 2;
      while (k < rest.size() && IsWordChar(rest[k])) ++k;
      if (k >= rest.size() || rest[k] != '=') continue;
    }
    logger_pos = p;
    *logger_end = q;
  }
  return logger_pos;
}

}  // namespace

// The same for a line that may begin with the logger ("=====... [logger] k=v"
// ends a multi-line event).
bool TrailingLogger(std::string_view line, LogRecord* out) {
  std::string padded = " " + std::string(line);
  size_t end = 0;
  size_t pos = FindStructlogLogger(padded, &end);
  if (pos == std::string_view::npos) return false;
  out->logger.assign(padded.substr(pos + 2, end - pos - 2));
  ParseFields(std::string_view(padded).substr(end + 1), out);
  return true;
}

namespace {

// "<ts> [<level>] <event> [<logger>] k=v ..."
bool ParseStructlogConsole(std::string_view s, const ParsedTime& t, const TimeZone* zone,
                           LogRecord* out) {
  std::string_view rest = s.substr(t.length);
  if (rest.size() < 3 || rest[0] != ' ' || rest[1] != '[') return false;
  size_t close = rest.find(']');
  if (close == std::string_view::npos || close > 14) return false;
  Level level = ParseLevel(Trim(rest.substr(2, close - 2)));
  if (level == Level::kUnknown) return false;
  rest = rest.substr(close + 1);
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  size_t logger_end = 0;
  size_t logger_pos = FindStructlogLogger(rest, &logger_end);
  SetTime(t, zone, out);
  out->level = level;
  out->format = "structlog";
  if (logger_pos != std::string_view::npos) {
    out->message.assign(Trim(rest.substr(0, logger_pos)));
    out->logger.assign(rest.substr(logger_pos + 2, logger_end - logger_pos - 2));
    ParseFields(rest.substr(logger_end + 1), out);
  } else {
    out->message.assign(Trim(rest));
  }
  return true;
}

// After "{file.py:123} ": "LEVEL - msg". where is "file.py:123".
bool ParseClassicTail(std::string_view where, std::string_view rest, LogRecord* out) {
  size_t dash = rest.find(" - ");
  if (dash == std::string_view::npos || dash > 12) return false;
  Level level = ParseLevel(rest.substr(0, dash));
  if (level == Level::kUnknown) return false;
  out->level = level;
  out->logger.assign(where.substr(0, where.find(':')));
  out->message.assign(Trim(rest.substr(dash + 3)));
  return true;
}

// "{file:line} LEVEL - msg", optionally after "[SOURCE:DAG_PROCESSOR] ".
bool ParseBraced(std::string_view rest, LogRecord* out) {
  if (StartsWith(rest, "[SOURCE:")) {
    size_t close = rest.find("] ");
    if (close == std::string_view::npos) return false;
    rest.remove_prefix(close + 2);
  }
  if (rest.empty() || rest[0] != '{') return false;
  size_t close = rest.find('}');
  if (close == std::string_view::npos || close + 2 > rest.size()) return false;
  std::string_view where = rest.substr(1, close - 1);
  return ParseClassicTail(where, Trim(rest.substr(close + 1)), out);
}

// Timestamp-first bodies other than structlog console:
//   "<ts> {file:line} LEVEL - msg"                     (3.0 supervisor)
//   "<ts> logLevel=WARNING logger=name - msg k=v"      (custom log_format)
//   "<ts> LEVEL - msg", "<ts> - name - LEVEL - msg", "<ts> LEVEL msg"
bool ParseTimestampFirst(std::string_view s, const ParsedTime& t, const TimeZone* zone,
                         LogRecord* out) {
  std::string_view rest = s.substr(t.length);
  if (rest.empty() || rest[0] != ' ') return false;
  rest.remove_prefix(1);
  if (!rest.empty() && rest[0] == '{') {
    if (!ParseBraced(rest, out)) return false;
    out->format = "classic";
    SetTime(t, zone, out);
    return true;
  }
  // key=value header fields up to " - ".
  if (rest.size() > 4 && IsWordChar(rest[0])) {
    size_t eq = rest.find('=');
    size_t sp = rest.find(' ');
    if (eq != std::string_view::npos && eq < sp) {
      size_t dash = rest.find(" - ");
      if (dash != std::string_view::npos) {
        LogRecord head;
        ParseFields(rest.substr(0, dash), &head);
        Level level = Level::kUnknown;
        std::string logger;
        for (const auto& [k, v] : head.fields) {
          if (k == "logLevel" || k == "level" || k == "levelname" || k == "loglevel") {
            level = ParseLevel(v);
          } else if (k == "logger" || k == "name") {
            logger = v;
          }
        }
        if (level != Level::kUnknown) {
          SetTime(t, zone, out);
          out->level = level;
          out->logger = std::move(logger);
          out->format = "classic";
          std::string_view msg = rest.substr(dash + 3);
          // Trailing k=v pairs (structlog's extra keys) are fields.
          size_t kv = std::string_view::npos;
          for (size_t p = msg.find(' '); p != std::string_view::npos; p = msg.find(' ', p + 1)) {
            size_t k = p + 1;
            while (k < msg.size() && IsWordChar(msg[k])) ++k;
            if (k < msg.size() && msg[k] == '=' && k > p + 1) {
              LogRecord probe;
              ParseFields(msg.substr(p), &probe);
              // Accept only if the whole tail parses as fields.
              std::string_view tail = msg.substr(p);
              size_t consumed_eq = 0;
              for (char ch : tail) consumed_eq += ch == '=';
              if (probe.fields.size() == consumed_eq) {
                kv = p;
                out->fields = std::move(probe.fields);
                break;
              }
            }
          }
          out->message.assign(Trim(msg.substr(0, kv)));
          return true;
        }
      }
    }
  }
  // "- name - LEVEL - msg"
  if (StartsWith(rest, "- ")) {
    size_t d1 = rest.find(" - ", 2);
    if (d1 == std::string_view::npos) return false;
    std::string_view after = rest.substr(d1 + 3);
    size_t d2 = after.find(" - ");
    if (d2 == std::string_view::npos) return false;
    Level level = ParseLevel(after.substr(0, d2));
    if (level == Level::kUnknown) return false;
    SetTime(t, zone, out);
    out->level = level;
    out->logger.assign(rest.substr(2, d1 - 2));
    out->message.assign(Trim(after.substr(d2 + 3)));
    out->format = "classic";
    return true;
  }
  // "LEVEL - msg" / "LEVEL msg" / "[LEVEL] msg"
  size_t w = 0;
  bool bracket = !rest.empty() && rest[0] == '[';
  if (bracket) ++w;
  size_t we = w;
  while (we < rest.size() && std::isalpha(static_cast<unsigned char>(rest[we]))) ++we;
  Level level = ParseLevel(rest.substr(w, we - w));
  if (level == Level::kUnknown) return false;
  std::string_view word = rest.substr(w, we - w);
  if (!bracket &&
      !std::all_of(word.begin(), word.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return false;
  }
  if (bracket) {
    if (we >= rest.size() || rest[we] != ']') return false;
    ++we;
  }
  std::string_view msg = rest.substr(we);
  if (StartsWith(msg, " - ")) msg.remove_prefix(3);
  SetTime(t, zone, out);
  out->level = level;
  out->message.assign(Trim(msg));
  out->format = "classic";
  return true;
}

// "[<ts>] {file.py:123} LEVEL - msg", "[<ts>] [pid] [LEVEL] msg" (gunicorn),
// "[<ts>: LEVEL/Process] msg" (celery), "[<ts>] LEVEL - msg".
bool ParseBracketed(std::string_view s, const TimeZone* zone, LogRecord* out) {
  if (s.size() < 2 || s[0] != '[') return false;
  ParsedTime t = ParseIsoTimestamp(s.substr(1));
  if (t.length == 0) return false;
  std::string_view rest = s.substr(1 + t.length);
  if (rest.empty()) return false;
  if (rest[0] == ':') {  // Celery
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view inner = Trim(rest.substr(1, close - 1));
    size_t slash = inner.find('/');
    Level level = ParseLevel(inner.substr(0, slash));
    if (level == Level::kUnknown) return false;
    SetTime(t, zone, out);
    out->level = level;
    out->format = "celery";
    // The part after '/' is Celery's process name, not a logger.
    if (slash != std::string_view::npos)
      out->fields.emplace_back("process", inner.substr(slash + 1));
    out->message.assign(Trim(rest.substr(close + 1)));
    return true;
  }
  if (rest[0] != ']') return false;
  rest = rest.substr(1);
  if (rest.size() > 1 && rest[0] == ' ' && (rest[1] == '{' || StartsWith(rest, " [SOURCE:"))) {
    if (!ParseBraced(rest.substr(1), out)) return false;
    SetTime(t, zone, out);
    out->format = "classic";
    return true;
  }
  if (rest.size() > 1 && rest[0] == ' ' && rest[1] == '[') {
    // gunicorn: " [pid] [LEVEL] msg"
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view pid = rest.substr(2, close - 2);
    if (pid.empty() || pid.size() > 12 ||
        !std::all_of(pid.begin(), pid.end(), [](char c) { return IsDigit(c); })) {
      return false;
    }
    rest = rest.substr(close + 1);
    if (rest.size() < 3 || rest[0] != ' ' || rest[1] != '[') return false;
    size_t lclose = rest.find(']');
    if (lclose == std::string_view::npos) return false;
    Level level = ParseLevel(rest.substr(2, lclose - 2));
    if (level == Level::kUnknown) return false;
    SetTime(t, zone, out);
    out->level = level;
    out->format = "gunicorn";
    out->process.pid = std::stoll(std::string(pid));
    out->message.assign(Trim(rest.substr(lclose + 1)));
    return true;
  }
  // "[ts] LEVEL - msg"
  std::string_view tail = Trim(rest);
  size_t dash = tail.find(" - ");
  if (dash != std::string_view::npos && dash <= 9 &&
      ParseLevel(tail.substr(0, dash)) != Level::kUnknown) {
    SetTime(t, zone, out);
    out->level = ParseLevel(tail.substr(0, dash));
    out->format = "classic";
    out->message.assign(Trim(tail.substr(dash + 3)));
    return true;
  }
  return false;
}

// "INFO:     msg" (uvicorn's default formatter pads "LEVEL:" to 9 columns).
bool ParseUvicorn(std::string_view s, LogRecord* out) {
  if (!IsUvicornHeader(s)) return false;
  size_t colon = s.find(':');
  out->level = ParseLevel(s.substr(0, colon));
  out->format = "uvicorn";
  out->message.assign(Trim(s.substr(colon + 1)));
  // "Started server process [51990]" names the process that prints it.
  for (std::string_view marker : {"Started server process [", "Started parent process [",
                                  "Finished server process [", "Stopping parent process ["}) {
    if (StartsWith(out->message, marker)) {
      int64_t pid = 0;
      size_t i = marker.size();
      while (i < out->message.size() && IsDigit(out->message[i]) && pid < (int64_t{1} << 40)) {
        pid = pid * 10 + (out->message[i++] - '0');
      }
      if (i < out->message.size() && out->message[i] == ']') out->process.pid = pid;
    }
  }
  return true;
}

bool ParseJson(std::string_view s, const TimeZone* zone, LogRecord* out) {
  simdjson::padded_string padded(s);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return false;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return false;
  std::string event, level, timestamp, logger, log, time, stream;
  std::vector<std::pair<std::string, std::string>> fields;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
    simdjson::ondemand::value value;
    if (field.value().get(value) != simdjson::SUCCESS) return false;
    std::string_view text;
    simdjson::ondemand::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return false;
    if (type == simdjson::ondemand::json_type::string) {
      if (value.get_string().get(text) != simdjson::SUCCESS) return false;
    } else {
      text = Trim(value.raw_json_token());
    }
    if (key == "event" || key == "message" || key == "msg") {
      if (event.empty()) event.assign(text);
    } else if (key == "level" || key == "levelname" || key == "severity") {
      level.assign(text);
    } else if (key == "timestamp" || key == "asctime" || key == "@timestamp") {
      timestamp.assign(text);
    } else if (key == "logger" || key == "name" || key == "logger_name") {
      logger.assign(text);
    } else if (key == "log") {
      log.assign(text);
    } else if (key == "time") {
      time.assign(text);
    } else if (key == "stream") {
      stream.assign(text);
    } else {
      fields.emplace_back(std::string(key), std::string(text));
    }
  }
  if (!log.empty() && event.empty()) {
    // Docker json-file read without framing (a single pasted line).
    while (!log.empty() && (log.back() == '\n' || log.back() == '\r')) log.pop_back();
    DecodeLine(log, DecoderOptions{}, out);
    if (out->time_quality == TimeQuality::kNone && !time.empty()) {
      ParsedTime t = ParseIsoTimestamp(time);
      if (t.length > 0) SetTime(t, zone, out);
    }
    out->text.assign(s);
    return true;
  }
  if (event.empty() && timestamp.empty()) return false;
  out->format = "json";
  out->message = std::move(event);
  out->level = ParseLevel(level);
  out->logger = std::move(logger);
  out->fields = std::move(fields);
  if (timestamp.empty()) timestamp = time;
  ParsedTime t = ParseIsoTimestamp(timestamp);
  if (t.length > 0) SetTime(t, zone, out);
  return true;
}

}  // namespace

// Decodes a cleaned line (no ANSI, valid UTF-8) with its peel. The
// wrapper's time is the caller's to resolve (ResolveWall): out's time is the
// body's own, if any.
void DecodePeeled(std::string_view line, const Peeled& p, const TimeZone* zone, LogRecord* out) {
  out->text.assign(line);
  std::string_view s = p.body;
  bool parsed = false;
  if (!s.empty()) {
    char c = s[0];
    if (c == '{') {
      parsed = ParseJson(s, zone, out);
    } else if (c == '[') {
      parsed = ParseBracketed(s, zone, out);
    } else if (IsDigit(c)) {
      ParsedTime t = ParseIsoTimestamp(s);
      if (t.length > 0) {
        parsed = ParseStructlogConsole(s, t, zone, out) || ParseTimestampFirst(s, t, zone, out);
        if (!parsed) {
          // A timestamp and text we do not know: keep the time at least.
          SetTime(t, zone, out);
          out->message.assign(Trim(s.substr(t.length)));
          out->format = "bare";
          parsed = true;
        }
      }
    } else if (c >= 'A' && c <= 'Z') {
      parsed = ParseUvicorn(s, out);
    }
  }
  if (!parsed) {
    out->format = "bare";
    out->message.assign(Trim(s));
  }
  // JSON escapes can produce NUL or stray bytes the raw line did not have.
  auto clean = [](std::string* v) {
    if (!IsCleanText(*v)) *v = SanitizeText(*v);
  };
  clean(&out->message);
  clean(&out->logger);
  for (auto& [k, v] : out->fields) {
    clean(&k);
    clean(&v);
  }
  if (!p.host.empty() && out->process.host.empty()) {
    // Nested prefixes name the process together: "airflow-1/scheduler".
    out->process.host.assign(p.host);
    if (!p.inner.empty()) out->process.host.append("/").append(p.inner);
  }
  if (p.pid != 0 && out->process.pid == 0) out->process.pid = p.pid;
  // The innermost prefix that names a component names it.
  std::string_view component;
  for (int i = p.num_names - 1; i >= 0 && component.empty(); --i) {
    component = InferComponent(p.names[i]);
  }
  if (component.empty() && !p.container.empty()) component = InferComponent(p.container);
  if (!component.empty()) {
    out->process.component.assign(component);
  } else if (!p.ident.empty()) {
    out->process.component.assign(InferComponent(p.ident));
  }
  if (out->process.component.empty() && !p.host.empty()) {
    out->process.component.assign(InferComponent(p.host));
  }
  if (out->process.component.empty() && !out->logger.empty()) {
    out->process.component.assign(InferComponent(out->logger));
  }
}

// Cleans a raw line into *buf if needed (ANSI, NUL, invalid UTF-8) and
// returns the view to read. known_clean: raw is known to be valid UTF-8
// without NUL (Chunk::clean), so only ANSI is looked for.
std::string_view Clean(std::string_view raw, bool known_clean, std::string* buf) {
  while (!raw.empty() && (raw.back() == '\r' || raw.back() == '\n')) raw.remove_suffix(1);
  const bool ansi = std::memchr(raw.data(), '\x1b', raw.size()) != nullptr;
  const bool dirty = !known_clean && !IsCleanText(raw);
  if (!ansi && !dirty) return raw;
  // Strip first: an escape sequence may swallow a byte the sanitiser would
  // have expanded into U+FFFD, leaving half of it behind.
  std::string tmp = ansi ? StripAnsi(raw) : std::string(raw);
  *buf = dirty || !IsCleanText(tmp) ? SanitizeText(tmp) : std::move(tmp);
  return *buf;
}

}  // namespace internal

std::string StripAnsi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\x1b') {
      out.push_back(text[i]);
      continue;
    }
    // CSI: ESC [ params final-byte(0x40-0x7e). OSC: ESC ] ... BEL or ESC \.
    // Other escapes: drop ESC + 1.
    if (i + 1 < text.size() && text[i + 1] == '[') {
      size_t j = i + 2;
      while (j < text.size() && !(text[j] >= 0x40 && text[j] <= 0x7e)) ++j;
      i = j;
    } else if (i + 1 < text.size() && text[i + 1] == ']') {
      size_t j = i + 2;
      while (j < text.size() && text[j] != '\x07' &&
             !(text[j] == '\x1b' && j + 1 < text.size() && text[j + 1] == '\\')) {
        ++j;
      }
      i = j < text.size() && text[j] == '\x1b' ? j + 1 : j;
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace etiolog::ingest
