// SPDX-License-Identifier: Apache-2.0
//
// FramingReader pulls chunks from a LineReader. In plain mode it returns
// them as they are. Otherwise it rewrites each line into out_ and records
// the line's origin; a partial piece (CRI "P", a Docker "log" without a
// trailing newline) is held in partial_ until the piece that completes it
// arrives, possibly in a later chunk (for a followed file, possibly in a
// later Next() call: an empty chunk then means "nothing for now"). The Docker shape is parsed by
// hand (the driver always writes log, stream, time in that order); any other JSON, and journald's
// export, goes through simdjson.

#include "ingest/framing.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <simdjson.h>

#include "ingest/timestamp.h"

namespace etiolog::ingest {

namespace {

bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool Hex4(std::string_view s, size_t pos, uint32_t* v) {
  if (pos + 4 > s.size()) return false;
  uint32_t r = 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    char c = s[i];
    r <<= 4;
    if (c >= '0' && c <= '9') {
      r |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      r |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      r |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  *v = r;
  return true;
}

// The value of "key":"..." in a flat JSON object text, unescaped; empty if
// absent. Only for the short trailing keys of a Docker line.
// pattern is the key with its quotes and the value's opening quote:
// "\"stream\":\"".
std::string_view FindStringValue(std::string_view s, std::string_view pat, std::string* scratch) {
  size_t p = s.find(pat);
  if (p == std::string_view::npos) return {};
  scratch->clear();
  if (UnescapeJsonString(s.substr(p + pat.size()), scratch) == 0) return {};
  return *scratch;
}

std::string FormatMicros(int64_t us) {
  char buf[32];
  size_t n = FormatIsoTimestamp(us, buf);
  return std::string(buf, n);
}

class FramingReader final : public ChunkReader {
 public:
  FramingReader(Source* src, const LineReader::Options& options)
      : src_(src), lr_(src, options), cap_(options.chunk_size) {}

  uint64_t capped_lines() const override { return lr_.capped_lines() + capped_joins_; }

  Result<Chunk> Next() override {
    for (;;) {
      Result<Chunk> next = lr_.Next();
      if (!next.ok() || next->data.empty()) {
        // A followed file with nothing more for now keeps its pieces: the
        // rest of the line may still come.
        const bool more = next.ok() && src_->drained() == Drained::kMore;
        if (AnyPartial() && !more) return FlushPartialOnly(next);
        return next;
      }
      const Chunk& in = *next;
      if (!detected_) Detect(in.data);
      if (mode_ == Framing::kPlain) return next;
      if (mode_ == Framing::kCri && !AnyPartial() && !HasCriPartial(in.data)) return next;
      Chunk out = Transform(in);
      if (out.lines > 0) return Settle(out);
      // Every line became a pending piece: the bytes were read all the same
      // and count with the next chunk handed out.
      carried_bytes_ += in.source_bytes;
      carried_lines_ += in.source_lines;
      carried_capped_ = carried_capped_ || in.capped;
    }
  }

 private:
  void Detect(std::string_view data) {
    size_t pos = 0;
    for (int i = 0; i < 16 && pos < data.size(); ++i) {
      size_t e = data.find('\n', pos);
      if (e == std::string_view::npos) e = data.size();
      std::string_view line = data.substr(pos, e - pos);
      pos = e + 1;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      mode_ = DetectFraming(line);
      break;
    }
    detected_ = true;
  }

  // Adds the source bytes and lines of chunks that produced no line (their
  // lines are pieces joined into this one), and whether one was capped.
  Chunk Settle(Chunk c) {
    c.source_bytes += carried_bytes_;
    c.source_lines += carried_lines_;
    c.capped = c.capped || carried_capped_;
    carried_bytes_ = carried_lines_ = 0;
    carried_capped_ = false;
    return c;
  }

  static bool HasCriPartial(std::string_view d) {
    return memmem(d.data(), d.size(), " stdout P ", 10) != nullptr ||
           memmem(d.data(), d.size(), " stderr P ", 10) != nullptr;
  }

  // Emits one output line with its origin.
  // One call, one output line: a newline smuggled in through a field (an
  // escaped "\n" in Docker's "time", journald's _HOSTNAME) becomes a space,
  // so that origins_ always has exactly one entry per line.
  void Emit(std::string_view text, const LineOrigin& origin) {
    const size_t start = out_.size();
    out_.append(text);
    if (std::memchr(text.data(), '\n', text.size()) != nullptr) {
      for (size_t i = start; i < out_.size(); ++i) {
        if (out_[i] == '\n') out_[i] = ' ';
      }
    }
    out_.push_back('\n');
    origins_.push_back(origin);
  }

  // A line being assembled from pieces, one per output stream.
  struct Partial {
    bool active = false;
    std::string text;
    LineOrigin origin;
  };

  static int StreamIndex(std::string_view stream) { return stream == "stderr" ? 1 : 0; }

  bool AnyPartial() const { return partials_[0].active || partials_[1].active; }

  // The earliest source position a pending piece starts at.
  const LineOrigin* EarliestPartial() const {
    const LineOrigin* o = nullptr;
    for (const Partial& p : partials_) {
      if (p.active && (o == nullptr || p.origin.offset < o->offset)) o = &p.origin;
    }
    return o;
  }

  void AppendPartial(Partial& p, std::string_view piece) {
    if (p.text.size() >= cap_) return;
    if (p.text.size() + piece.size() > cap_) {
      p.text.append(piece.substr(0, cap_ - p.text.size()));
      ++capped_joins_;
      return;
    }
    p.text.append(piece);
  }

  void FlushPartial(Partial& p) {
    if (!p.active) return;
    Emit(p.text, p.origin);
    p.text.clear();
    p.active = false;
  }

  void FlushPartials() {
    // Oldest first, so output stays in source order where it can.
    const int first =
        partials_[1].active &&
                (!partials_[0].active || partials_[1].origin.offset < partials_[0].origin.offset)
            ? 1
            : 0;
    FlushPartial(partials_[first]);
    FlushPartial(partials_[1 - first]);
  }

  Result<Chunk> FlushPartialOnly(const Result<Chunk>& next) {
    out_.clear();
    origins_.clear();
    const LineOrigin start = *EarliestPartial();
    const uint64_t end_offset = next.ok() ? next->offset : start.offset;
    const uint64_t end_line = next.ok() ? next->first_line : start.line;
    FlushPartials();
    Chunk c;
    c.data = out_;
    c.offset = origins_[0].offset;
    c.first_line = origins_[0].line;
    c.lines = origins_.size();
    c.origins = origins_.data();
    c.next_offset = end_offset;
    c.next_line = end_line;
    return Settle(c);
  }

  // "<ts> <stream> <P|F>[:tags] <text>": returns false if line is not CRI.
  static bool SplitCri(std::string_view line, std::string_view* head, bool* partial,
                       std::string_view* text) {
    size_t a = line.find(' ');
    if (a == std::string_view::npos || a < 20) return false;
    std::string_view stream = line.substr(a + 1, 7);
    if (stream != "stdout " && stream != "stderr ") return false;
    size_t t = a + 8;
    if (t >= line.size() || (line[t] != 'P' && line[t] != 'F')) return false;
    size_t sp = line.find(' ', t);
    if (sp == std::string_view::npos) sp = line.size();
    *partial = line[t] == 'P';
    *head = line.substr(0, sp < line.size() ? sp + 1 : sp);
    *text = sp < line.size() ? line.substr(sp + 1) : std::string_view();
    return true;
  }

  void CriLine(std::string_view line, const LineOrigin& origin) {
    std::string_view head, text;
    bool partial = false;
    if (!SplitCri(line, &head, &partial, &text)) {
      FlushPartials();
      Emit(line, origin);
      return;
    }
    Partial& p = partials_[StreamIndex(head.substr(head.find(' ') + 1, 6))];
    if (!p.active) {
      if (!partial) {
        Emit(line, origin);
        return;
      }
      p.active = true;
      p.origin = origin;
      p.text.assign(head);
      // The joined line reads as complete: "P" becomes "F".
      const size_t tag = head.find(" P");
      if (tag != std::string::npos) p.text[tag + 1] = 'F';
    }
    AppendPartial(p, text);
    if (!partial) FlushPartial(p);
  }

  // Docker json-file, by hand for the usual shape; false if it is not.
  bool DockerFast(std::string_view line, std::string* log, std::string_view* stream,
                  std::string_view* time) {
    constexpr std::string_view kHead = "{\"log\":\"";
    if (!StartsWith(line, kHead)) return false;
    log->clear();
    size_t n = UnescapeJsonString(line.substr(kHead.size()), log);
    if (n == 0) return false;
    std::string_view rest = line.substr(kHead.size() + n);
    // The driver writes `,"stream":"stdout","time":"<RFC3339>"}`: take the
    // values in place when they are there, search otherwise.
    constexpr std::string_view kStream = ",\"stream\":\"", kTime = ",\"time\":\"";
    if (StartsWith(rest, kStream)) {
      size_t e = rest.find('"', kStream.size());
      if (e != std::string_view::npos && StartsWith(rest.substr(e + 1), kTime)) {
        size_t t = e + 1 + kTime.size();
        size_t te = rest.find('"', t);
        if (te != std::string_view::npos) {
          *stream = rest.substr(kStream.size(), e - kStream.size());
          *time = rest.substr(t, te - t);
          return !time->empty();
        }
      }
    }
    *stream = FindStringValue(rest, "\"stream\":\"", &stream_buf_);
    *time = FindStringValue(rest, "\"time\":\"", &time_buf_);
    return !time->empty();
  }

  bool JsonObject(std::string_view line, simdjson::ondemand::object* obj) {
    padded_.assign(line);
    padded_.append(simdjson::SIMDJSON_PADDING, ' ');
    simdjson::padded_string_view view(padded_.data(), line.size(), padded_.size());
    if (parser_.iterate(view).get(doc_) != simdjson::SUCCESS) return false;
    return doc_.get_object().get(*obj) == simdjson::SUCCESS;
  }

  bool DockerSlow(std::string_view line, std::string* log, std::string_view* stream,
                  std::string_view* time) {
    simdjson::ondemand::object obj;
    if (!JsonObject(line, &obj)) return false;
    bool have_log = false;
    for (auto field : obj) {
      std::string_view key, value;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
      if (field.value().get_string().get(value) != simdjson::SUCCESS) continue;
      if (key == "log") {
        log->assign(value);
        have_log = true;
      } else if (key == "stream") {
        stream_buf_.assign(value);
      } else if (key == "time") {
        time_buf_.assign(value);
      }
    }
    *stream = stream_buf_;
    *time = time_buf_;
    return have_log && !time->empty();
  }

  void EmitWrapped(std::string_view head, std::string_view text, const LineOrigin& origin) {
    // Text with inner newlines becomes several lines with the same origin.
    if (std::memchr(head.data(), '\n', head.size()) != nullptr) {
      line_buf_.assign(head);
      for (char& c : line_buf_) c = c == '\n' ? ' ' : c;
      head = line_buf_;
    }
    for (;;) {
      size_t nl = text.find('\n');
      out_.append(head);
      out_.append(text.substr(0, nl));
      out_.push_back('\n');
      origins_.push_back(origin);
      if (nl == std::string_view::npos) return;
      text.remove_prefix(nl + 1);
      if (text.empty()) return;
    }
  }

  void DockerLine(std::string_view line, const LineOrigin& origin) {
    std::string_view stream, time;
    if (!DockerFast(line, &log_, &stream, &time) && !DockerSlow(line, &log_, &stream, &time)) {
      FlushPartials();
      Emit(line, origin);
      return;
    }
    const bool complete = !log_.empty() && log_.back() == '\n';
    if (complete) log_.pop_back();
    Partial& p = partials_[StreamIndex(stream)];
    if (!p.active) {
      if (complete) {
        head_buf_.assign(time);
        head_buf_.append(" ");
        head_buf_.append(stream.empty() ? "stdout" : stream);
        head_buf_.append(" F ");
        EmitWrapped(head_buf_, log_, origin);
        return;
      }
      p.active = true;
      p.origin = origin;
      p.text.assign(time);
      p.text.append(" ");
      p.text.append(stream.empty() ? "stdout" : stream);
      p.text.append(" F ");
    }
    AppendPartial(p, log_);
    if (complete) FlushPartial(p);
  }

  void JournalLine(std::string_view line, const LineOrigin& origin) {
    simdjson::ondemand::object obj;
    if (line.empty() || line[0] != '{' || !JsonObject(line, &obj)) {
      Emit(line, origin);
      return;
    }
    std::string message, host, ident, pid, unit;
    int64_t us = 0;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS) break;
      simdjson::ondemand::value v;
      if (field.value().get(v) != simdjson::SUCCESS) break;
      std::string_view s;
      const bool is_string = v.get_string().get(s) == simdjson::SUCCESS;
      if (key == "MESSAGE") {
        if (is_string) {
          message.assign(s);
        } else {
          // Non-UTF-8 messages are exported as an array of byte values.
          simdjson::ondemand::array arr;
          if (v.get_array().get(arr) == simdjson::SUCCESS) {
            for (auto el : arr) {
              uint64_t b = 0;
              if (el.get_uint64().get(b) == simdjson::SUCCESS && b < 256) {
                message.push_back(static_cast<char>(b));
              }
            }
          }
        }
      } else if (!is_string) {
        continue;
      } else if (key == "__REALTIME_TIMESTAMP") {
        // Microseconds since the epoch: 16 digits today. A longer number
        // (damaged or hostile input) would overflow: it counts as no time.
        us = 0;
        for (char c : s) {
          if (c < '0' || c > '9') break;
          if (us > (INT64_MAX - 9) / 10) {
            us = 0;
            break;
          }
          us = us * 10 + (c - '0');
        }
      } else if (key == "_HOSTNAME") {
        host.assign(s);
      } else if (key == "SYSLOG_IDENTIFIER" || (key == "_COMM" && ident.empty())) {
        ident.assign(s);
      } else if (key == "_PID" || (key == "SYSLOG_PID" && pid.empty())) {
        pid.assign(s);
      } else if (key == "_SYSTEMD_UNIT") {
        unit.assign(s);
      }
    }
    if (ident.empty()) ident = unit.empty() ? "journal" : unit;
    head_buf_ = FormatMicros(us);
    head_buf_ += " " + (host.empty() ? std::string("localhost") : host) + " " + ident;
    if (!pid.empty()) head_buf_ += "[" + pid + "]";
    head_buf_ += ": ";
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
      message.pop_back();
    }
    EmitWrapped(head_buf_, message, origin);
  }

  Chunk Transform(const Chunk& in) {
    out_.clear();
    origins_.clear();
    ForEachLine(in.data, [&](uint64_t k, size_t pos, size_t e) {
      std::string_view line = in.data.substr(pos, e - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const LineOrigin origin{in.offset + pos, in.first_line + k};
      switch (mode_) {
        case Framing::kCri:
          CriLine(line, origin);
          break;
        case Framing::kDockerJson:
          DockerLine(line, origin);
          break;
        case Framing::kJournalJson:
          JournalLine(line, origin);
          break;
        case Framing::kPlain:
          Emit(line, origin);
          break;
      }
    });
    Chunk c;
    c.data = out_;
    c.lines = origins_.size();
    c.origins = origins_.data();
    c.offset = c.lines > 0 ? origins_[0].offset : in.offset;
    c.first_line = c.lines > 0 ? origins_[0].line : in.first_line;
    const LineOrigin* pending = EarliestPartial();
    c.next_offset = pending != nullptr ? pending->offset : in.next_offset;
    c.next_line = pending != nullptr ? pending->line : in.next_line;
    c.capped = in.capped;
    c.source_bytes = in.source_bytes;
    c.source_lines = in.source_lines;
    return c;
  }

  Source* src_;
  LineReader lr_;
  size_t cap_;
  bool detected_ = false;
  Framing mode_ = Framing::kPlain;
  std::string out_;
  std::vector<LineOrigin> origins_;
  Partial partials_[2];          // stdout, stderr.
  uint64_t carried_bytes_ = 0;   // Source bytes and lines read into pieces
  uint64_t carried_lines_ = 0;   // not handed out yet,
  bool carried_capped_ = false;  // and whether one was capped.
  uint64_t capped_joins_ = 0;
  // Scratch, reused across lines.
  std::string log_, stream_buf_, time_buf_, head_buf_, line_buf_, padded_;
  simdjson::ondemand::parser parser_;
  simdjson::ondemand::document doc_;
};

}  // namespace

size_t UnescapeJsonString(std::string_view s, std::string* out) {
  size_t i = 0;
  while (i < s.size()) {
    // Copy the run up to the next quote or backslash in one go (two
    // vectorised searches: backslashes are rare).
    const void* q = std::memchr(s.data() + i, '"', s.size() - i);
    const size_t quote =
        q == nullptr ? s.size() : static_cast<size_t>(static_cast<const char*>(q) - s.data());
    const void* b = std::memchr(s.data() + i, '\\', quote - i);
    const size_t j =
        b == nullptr ? quote : static_cast<size_t>(static_cast<const char*>(b) - s.data());
    out->append(s.substr(i, j - i));
    if (j >= s.size()) return 0;
    if (s[j] == '"') return j + 1;
    if (j + 1 >= s.size()) return 0;
    char c = s[j + 1];
    i = j + 2;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out->push_back(c);
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        uint32_t cp = 0;
        if (!Hex4(s, i, &cp)) return 0;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo = 0;
          if (i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u' && Hex4(s, i + 2, &lo) &&
              lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;
        }
        AppendUtf8(cp, out);
        break;
      }
      default:
        return 0;
    }
  }
  return 0;
}

Framing DetectFraming(std::string_view line) {
  if (StartsWith(line, "{\"log\":")) return Framing::kDockerJson;
  if (!line.empty() && line[0] == '{') {
    if (line.find("\"__REALTIME_TIMESTAMP\"") != std::string_view::npos ||
        line.find("\"__CURSOR\"") != std::string_view::npos) {
      return Framing::kJournalJson;
    }
    if (line.find("\"log\":") != std::string_view::npos &&
        line.find("\"stream\":") != std::string_view::npos &&
        line.find("\"time\":") != std::string_view::npos) {
      return Framing::kDockerJson;
    }
    return Framing::kPlain;
  }
  ParsedTime t = ParseIsoTimestamp(line);
  if (t.length == 0 || !t.has_zone || t.length + 10 > line.size()) return Framing::kPlain;
  std::string_view rest = line.substr(t.length);
  if ((StartsWith(rest, " stdout ") || StartsWith(rest, " stderr ")) &&
      (rest[8] == 'P' || rest[8] == 'F') &&
      (rest.size() == 9 || rest[9] == ' ' || rest[9] == ':')) {
    return Framing::kCri;
  }
  return Framing::kPlain;
}

std::unique_ptr<ChunkReader> NewFramingReader(Source* src, const LineReader::Options& options) {
  return std::make_unique<FramingReader>(src, options);
}

}  // namespace etiolog::ingest
