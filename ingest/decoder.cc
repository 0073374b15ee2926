// SPDX-License-Identifier: Apache-2.0
//
// Format detection is by first byte after prefixes are peeled:
//   '{'   JSON (structlog task log, or a Docker json-file wrapper)
//   '['   classic Python logging, gunicorn
//   digit structlog console (ISO or "YYYY-MM-DD HH:MM:SS" time)
//   A-Z   uvicorn "LEVEL:     msg"
// and anything not recognised is a bare line. Each parser either fills the
// record completely or leaves it untouched and returns false.

#include "ingest/decoder.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include <simdjson.h>

namespace etiolog {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kUnknown:
      return "unknown";
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
    case Level::kCritical:
      return "critical";
  }
  return "unknown";
}

Level ParseLevel(std::string_view word) {
  std::string w;
  w.reserve(word.size());
  for (char c : word) {
    w.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (w == "info" || w == "information" || w == "notice") return Level::kInfo;
  if (w == "warning" || w == "warn") return Level::kWarning;
  if (w == "error" || w == "err" || w == "exception") return Level::kError;
  if (w == "debug") return Level::kDebug;
  if (w == "trace") return Level::kTrace;
  if (w == "critical" || w == "fatal" || w == "crit" || w == "alert" || w == "emerg" ||
      w == "emergency") {
    return Level::kCritical;
  }
  return Level::kUnknown;
}

std::string_view TimeQualityName(TimeQuality quality) {
  switch (quality) {
    case TimeQuality::kNone:
      return "none";
    case TimeQuality::kExact:
      return "exact";
    case TimeQuality::kAssumedZone:
      return "assumed_zone";
    case TimeQuality::kInherited:
      return "inherited";
  }
  return "none";
}

namespace ingest {

namespace {

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Peels one "name  | " prefix (docker compose, airflow standalone, honcho).
// The name has no spaces; at least one space precedes the bar.
bool PeelPrefix(std::string_view* line, std::string_view* name) {
  std::string_view s = *line;
  size_t i = 0;
  while (i < s.size() && IsWordChar(s[i])) ++i;
  if (i == 0 || i > 80) return false;
  size_t j = i;
  while (j < s.size() && s[j] == ' ') ++j;
  if (j == i || j >= s.size() || s[j] != '|') return false;
  if (j + 1 < s.size() && s[j + 1] != ' ') return false;
  *name = s.substr(0, i);
  line->remove_prefix(std::min(s.size(), j + 2));
  return true;
}

void SetTime(const ParsedTime& t, LogRecord* out) {
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
    while (k < s.size() && (IsWordChar(s[k])) && s[k] != '=') ++k;
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

// "<ts> [<level>] <event> [<logger>] k=v ..."
bool ParseStructlogConsole(std::string_view s, const DecoderOptions& opt, LogRecord* out) {
  ParsedTime t = ParseIsoTimestamp(s, opt.local_offset_minutes);
  if (t.length == 0) return false;
  std::string_view rest = s.substr(t.length);
  if (rest.size() < 3 || rest[0] != ' ' || rest[1] != '[') return false;
  size_t close = rest.find(']');
  if (close == std::string_view::npos || close > 14) return false;
  Level level = ParseLevel(Trim(rest.substr(2, close - 2)));
  if (level == Level::kUnknown) return false;
  rest = rest.substr(close + 1);
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  // The logger is the last " [dotted.name]" followed by end or " key=".
  size_t logger_pos = std::string_view::npos, logger_end = 0;
  for (size_t p = rest.find(" ["); p != std::string_view::npos; p = rest.find(" [", p + 1)) {
    size_t q = p + 2;
    while (q < rest.size() && IsWordChar(rest[q])) ++q;
    if (q == p + 2 || q >= rest.size() || rest[q] != ']') continue;
    if (q + 1 != rest.size() && rest[q + 1] != ' ') continue;
    if (q + 1 < rest.size()) {
      // Must be followed by key=value pairs.
      size_t k = q + 2;
      while (k < rest.size() && IsWordChar(rest[k])) ++k;
      if (k >= rest.size() || rest[k] != '=') continue;
    }
    logger_pos = p;
    logger_end = q;
  }
  SetTime(t, out);
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

// "[<ts>] {file.py:123} LEVEL - msg", "[<ts>] [pid] [LEVEL] msg" (gunicorn),
// "[<ts>: LEVEL/Process] msg" (celery).
bool ParseBracketed(std::string_view s, const DecoderOptions& opt, LogRecord* out) {
  if (s.size() < 2 || s[0] != '[') return false;
  ParsedTime t = ParseIsoTimestamp(s.substr(1), opt.local_offset_minutes);
  if (t.length == 0) return false;
  std::string_view rest = s.substr(1 + t.length);
  if (rest.empty()) return false;
  if (rest[0] == ':') {  // Celery: "[2025-05-25 18:05:00,485: INFO/ForkPoolWorker-15] msg"
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view inner = Trim(rest.substr(1, close - 1));
    size_t slash = inner.find('/');
    Level level = ParseLevel(inner.substr(0, slash));
    if (level == Level::kUnknown) return false;
    SetTime(t, out);
    out->level = level;
    out->format = "celery";
    if (slash != std::string_view::npos) out->logger.assign(inner.substr(slash + 1));
    out->message.assign(Trim(rest.substr(close + 1)));
    return true;
  }
  if (rest[0] != ']') return false;
  rest = rest.substr(1);
  if (rest.size() > 1 && rest[0] == ' ' && rest[1] == '{') {
    size_t close = rest.find('}');
    if (close == std::string_view::npos) return false;
    std::string_view where = rest.substr(2, close - 2);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    size_t dash = rest.find(" - ");
    if (dash == std::string_view::npos) return false;
    Level level = ParseLevel(rest.substr(0, dash));
    if (level == Level::kUnknown) return false;
    SetTime(t, out);
    out->level = level;
    out->format = "classic";
    out->logger.assign(where.substr(0, where.find(':')));
    out->message.assign(Trim(rest.substr(dash + 3)));
    return true;
  }
  if (rest.size() > 1 && rest[0] == ' ' && rest[1] == '[') {
    // gunicorn: " [pid] [LEVEL] msg"
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view pid = rest.substr(2, close - 2);
    if (pid.empty() ||
        !std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    rest = rest.substr(close + 1);
    if (rest.size() < 3 || rest[0] != ' ' || rest[1] != '[') return false;
    size_t lclose = rest.find(']');
    if (lclose == std::string_view::npos) return false;
    Level level = ParseLevel(rest.substr(2, lclose - 2));
    if (level == Level::kUnknown) return false;
    SetTime(t, out);
    out->level = level;
    out->format = "gunicorn";
    out->process.pid = std::stoll(std::string(pid.substr(0, 18)));
    out->message.assign(Trim(rest.substr(lclose + 1)));
    return true;
  }
  return false;
}

// "INFO:     msg" (uvicorn's default formatter pads "LEVEL:" to 9 columns).
bool ParseUvicorn(std::string_view s, LogRecord* out) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon < 4 || colon > 8) return false;
  for (size_t i = 0; i < colon; ++i) {
    if (s[i] < 'A' || s[i] > 'Z') return false;
  }
  if (colon + 1 >= s.size() || s[colon + 1] != ' ') return false;
  Level level = ParseLevel(s.substr(0, colon));
  if (level == Level::kUnknown) return false;
  out->level = level;
  out->format = "uvicorn";
  out->message.assign(Trim(s.substr(colon + 1)));
  return true;
}

bool ParseJson(std::string_view s, const DecoderOptions& opt, LogRecord* out, int depth);

bool ParseJson(std::string_view s, const DecoderOptions& opt, LogRecord* out, int depth) {
  simdjson::padded_string padded(s);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return false;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return false;
  std::string event, level, timestamp, logger, log, time;
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
      event.assign(text);
    } else if (key == "level" || key == "levelname") {
      level.assign(text);
    } else if (key == "timestamp" || key == "asctime") {
      timestamp.assign(text);
    } else if (key == "logger" || key == "name") {
      logger.assign(text);
    } else if (key == "log") {
      log.assign(text);
    } else if (key == "time") {
      time.assign(text);
    } else {
      fields.emplace_back(std::string(key), std::string(text));
    }
  }
  if (!log.empty() && depth == 0 && event.empty()) {
    // Docker json-file: {"log":"<line>\n","stream":"stderr","time":"..."}.
    while (!log.empty() && (log.back() == '\n' || log.back() == '\r')) log.pop_back();
    DecodeLine(log, opt, out);
    if (out->time_quality == TimeQuality::kNone && !time.empty()) {
      ParsedTime t = ParseIsoTimestamp(time, opt.local_offset_minutes);
      if (t.length > 0) SetTime(t, out);
    }
    return true;
  }
  if (event.empty() && timestamp.empty()) return false;
  out->format = "json";
  out->message = std::move(event);
  out->level = ParseLevel(level);
  out->logger = std::move(logger);
  out->fields = std::move(fields);
  if (timestamp.empty()) timestamp = time;
  ParsedTime t = ParseIsoTimestamp(timestamp, opt.local_offset_minutes);
  if (t.length > 0) SetTime(t, out);
  return true;
}

}  // namespace

std::string StripAnsi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\x1b') {
      out.push_back(text[i]);
      continue;
    }
    // CSI: ESC [ params final-byte(0x40-0x7e). Other escapes: drop ESC + 1.
    if (i + 1 < text.size() && text[i + 1] == '[') {
      size_t j = i + 2;
      while (j < text.size() && !(text[j] >= 0x40 && text[j] <= 0x7e)) ++j;
      i = j;
    } else {
      ++i;
    }
  }
  return out;
}

std::string_view InferComponent(std::string_view name) {
  std::string lower;
  lower.reserve(name.size());
  for (char c : name) {
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  auto has = [&](std::string_view needle) { return lower.find(needle) != std::string::npos; };
  // Most specific first: "dag-processor" before "processor", "api-server"
  // before "server".
  if (has("dag-processor") || has("dag_processor") || has("dagprocessor") ||
      has("dag_processing")) {
    return "dag-processor";
  }
  if (has("api-server") || has("apiserver") || has("api_server") || has("api_fastapi") ||
      has("webserver") || has("providers.fab.www")) {
    return "api-server";
  }
  if (has("scheduler")) return "scheduler";
  if (has("triggerer")) return "triggerer";
  if (has("worker") || has("celery") || has("airflow.sdk") || has("supervisor")) {
    return "worker";
  }
  return "";
}

void DecodeLine(std::string_view raw, const DecoderOptions& options, LogRecord* out) {
  while (!raw.empty() && (raw.back() == '\r' || raw.back() == '\n')) raw.remove_suffix(1);
  std::string clean;
  if (raw.find('\x1b') != std::string_view::npos) {
    clean = StripAnsi(raw);
    raw = clean;
  }
  out->text.assign(raw);
  std::string_view s = raw;
  std::string_view prefix;
  for (int i = 0; i < 3 && PeelPrefix(&s, &prefix); ++i) {
    // The outermost prefix names the container; an inner one (standalone,
    // honcho) names the component.
    if (out->process.host.empty()) out->process.host.assign(prefix);
    std::string_view c = InferComponent(prefix);
    if (!c.empty()) out->process.component.assign(c);
  }
  bool parsed = false;
  if (!s.empty()) {
    char c = s[0];
    if (c == '{') {
      parsed = ParseJson(s, options, out, 0);
    } else if (c == '[') {
      parsed = ParseBracketed(s, options, out);
    } else if (c >= '0' && c <= '9') {
      parsed = ParseStructlogConsole(s, options, out);
    } else if (c >= 'A' && c <= 'Z') {
      parsed = ParseUvicorn(s, out);
    }
  }
  if (!parsed) {
    out->format = "bare";
    out->message.assign(Trim(s));
    if (!s.empty() && (s[0] == ' ' || s[0] == '\t')) out->continuation = true;
  }
  if (out->process.component.empty() && !out->logger.empty()) {
    out->process.component.assign(InferComponent(out->logger));
  }
}

ParsedTime LineTime(std::string_view line, int local_offset_minutes) {
  std::string_view s = line;
  std::string_view prefix;
  for (int i = 0; i < 3 && PeelPrefix(&s, &prefix); ++i) {
  }
  if (!s.empty() && s[0] == '[') s.remove_prefix(1);
  return ParseIsoTimestamp(s, local_offset_minutes);
}

Decoder::Decoder(std::string source_name, const DecoderOptions& options)
    : source_name_(std::move(source_name)), options_(options) {
  path_component_ = InferComponent(source_name_);
}

void Decoder::Decode(const Chunk& chunk, size_t begin, size_t end, uint64_t line_no,
                     LogRecord* out) {
  *out = LogRecord();
  std::string_view line = chunk.data.substr(begin, end - begin);
  DecodeLine(line, options_, out);
  out->offset = chunk.offset + begin;
  out->line = line_no;
  if (out->process.component.empty()) out->process.component.assign(path_component_);
  if (out->time_quality == TimeQuality::kNone) {
    // Search earlier lines of this chunk, nearest first.
    size_t line_begin = begin;
    for (int n = 0; n < options_.inherit_search_lines && line_begin > 0; ++n) {
      size_t prev_end = line_begin - 1;  // The '\n' ending the previous line.
      size_t nl = prev_end == 0 ? std::string_view::npos : chunk.data.rfind('\n', prev_end - 1);
      size_t prev_begin = nl == std::string_view::npos ? 0 : nl + 1;
      ParsedTime t = LineTime(chunk.data.substr(prev_begin, prev_end - prev_begin),
                              options_.local_offset_minutes);
      if (t.length > 0) {
        out->time_us = t.utc_us;
        out->time_quality = TimeQuality::kInherited;
        break;
      }
      line_begin = prev_begin;
    }
    if (out->time_quality == TimeQuality::kNone && have_carry_) {
      out->time_us = carry_time_us_;
      out->time_quality = TimeQuality::kInherited;
    }
  }
  if (out->time_quality != TimeQuality::kNone) {
    if (first_time_us_ == 0 || out->time_us < first_time_us_) first_time_us_ = out->time_us;
    if (out->time_us > last_time_us_) last_time_us_ = out->time_us;
  }
}

void Decoder::EndChunk(const Chunk& chunk) {
  std::string_view d = chunk.data;
  // First timestamped line (for first_time_us), searching a bounded prefix.
  if (first_time_us_ == 0) {
    size_t pos = 0;
    for (int n = 0; n < options_.inherit_search_lines && pos < d.size(); ++n) {
      size_t e = d.find('\n', pos);
      if (e == std::string_view::npos) e = d.size();
      ParsedTime t = LineTime(d.substr(pos, e - pos), options_.local_offset_minutes);
      if (t.length > 0) {
        first_time_us_ = t.utc_us;
        break;
      }
      pos = e + 1;
    }
  }
  // Last timestamped line, searching backwards.
  size_t end = d.size();
  if (end > 0 && d[end - 1] == '\n') --end;
  for (int n = 0; n < options_.inherit_search_lines; ++n) {
    size_t b = end == 0 ? std::string_view::npos : d.rfind('\n', end - 1);
    size_t begin = b == std::string_view::npos ? 0 : b + 1;
    ParsedTime t = LineTime(d.substr(begin, end - begin), options_.local_offset_minutes);
    if (t.length > 0) {
      carry_time_us_ = t.utc_us;
      have_carry_ = true;
      if (t.utc_us > last_time_us_) last_time_us_ = t.utc_us;
      if (first_time_us_ == 0 || t.utc_us < first_time_us_) first_time_us_ = t.utc_us;
      break;
    }
    if (begin == 0) break;
    end = begin - 1;
  }
}

}  // namespace ingest
}  // namespace etiolog
