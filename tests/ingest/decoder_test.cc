// SPDX-License-Identifier: Apache-2.0
#include "ingest/decoder.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "ingest/path_identity.h"
#include "ingest/timestamp.h"
#include "tests/ingest/ingest_test_util.h"

namespace etiolog::ingest {
namespace {

LogRecord Decode(std::string_view line) {
  LogRecord r;
  DecodeLine(line, DecoderOptions(), &r);
  return r;
}

int64_t Utc(std::string_view iso) { return ParseIsoTimestamp(iso).utc_us; }

TEST(DecodeLine, Structlog31ConsoleLine) {
  LogRecord r = Decode(
      "2025-12-07T15:56:23.562782Z [error    ] JWT token is not valid: Signature "
      "verification failed [airflow.api_fastapi.auth.managers.base_auth_manager] "
      "loc=base_auth_manager.py:107");
  EXPECT_EQ(r.format, "structlog");
  EXPECT_EQ(r.level, Level::kError);
  EXPECT_EQ(r.time_quality, TimeQuality::kExact);
  EXPECT_EQ(r.time_us, Utc("2025-12-07T15:56:23.562782Z"));
  EXPECT_EQ(r.message, "JWT token is not valid: Signature verification failed");
  EXPECT_EQ(r.logger, "airflow.api_fastapi.auth.managers.base_auth_manager");
  EXPECT_EQ(r.process.component, "api-server");
  ASSERT_EQ(r.fields.size(), 1u);
  EXPECT_EQ(r.fields[0].first, "loc");
  EXPECT_EQ(r.fields[0].second, "base_auth_manager.py:107");
}

TEST(DecodeLine, StructlogEventContainingBrackets) {
  LogRecord r = Decode(
      "2025-11-06T15:30:10.281007Z [error    ] Exception on /login/ [GET]     "
      "[airflow.providers.fab.www.app] loc=app.py:1744");
  EXPECT_EQ(r.message, "Exception on /login/ [GET]");
  EXPECT_EQ(r.logger, "airflow.providers.fab.www.app");
}

TEST(DecodeLine, Structlog30LocalTimeWithQuotedField) {
  LogRecord r = Decode(
      "2025-07-23 01:27:58 [info     ] Task finished                  [supervisor] "
      "duration=1076.4 exit_code=0 final_state='success'");
  EXPECT_EQ(r.time_quality, TimeQuality::kAssumedZone);
  EXPECT_EQ(r.message, "Task finished");
  EXPECT_EQ(r.logger, "supervisor");
  ASSERT_EQ(r.fields.size(), 3u);
  EXPECT_EQ(r.fields[2].second, "success");
}

TEST(DecodeLine, StructlogBannerFirstLineHasNoLogger) {
  LogRecord r = Decode("2026-05-15T05:39:48.719647Z [info     ] Running the uvicorn with:");
  EXPECT_EQ(r.format, "structlog");
  EXPECT_EQ(r.message, "Running the uvicorn with:");
  EXPECT_EQ(r.logger, "");
}

TEST(DecodeLine, ClassicFormat) {
  LogRecord r = Decode(
      "[2025-03-01T22:21:42.874+0000] {triggerer_job_runner.py:338} INFO - Starting the "
      "triggerer");
  EXPECT_EQ(r.format, "classic");
  EXPECT_EQ(r.level, Level::kInfo);
  EXPECT_EQ(r.time_us, Utc("2025-03-01T22:21:42.874Z"));
  EXPECT_EQ(r.message, "Starting the triggerer");
  EXPECT_EQ(r.logger, "triggerer_job_runner.py");
}

TEST(DecodeLine, Uvicorn) {
  LogRecord r = Decode("INFO:     Started server process [51990]");
  EXPECT_EQ(r.format, "uvicorn");
  EXPECT_EQ(r.level, Level::kInfo);
  EXPECT_EQ(r.message, "Started server process [51990]");
  EXPECT_EQ(r.time_quality, TimeQuality::kNone);
}

TEST(DecodeLine, Gunicorn) {
  LogRecord r = Decode("[2019-12-05 11:57:27 +0000] [8] [INFO] Booting worker with pid: 8");
  EXPECT_EQ(r.format, "gunicorn");
  EXPECT_EQ(r.process.pid, 8);
  EXPECT_EQ(r.message, "Booting worker with pid: 8");
}

TEST(DecodeLine, JsonTaskLog) {
  LogRecord r = Decode(
      R"({"timestamp":"2025-03-31T18:03:17.088302","level":"info","event":"Done. Returned value was: None","logger":"airflow.task.operators.PythonOperator"})");
  EXPECT_EQ(r.format, "json");
  EXPECT_EQ(r.level, Level::kInfo);
  EXPECT_EQ(r.message, "Done. Returned value was: None");
  EXPECT_EQ(r.time_quality, TimeQuality::kAssumedZone);
}

TEST(DecodeLine, ComposePrefixNamesHostAndComponent) {
  LogRecord r = Decode(
      "airflow-apiserver-1  | INFO:     172.18.0.1:34366 - \"GET / HTTP/1.1\" 500 "
      "Internal Server Error");
  EXPECT_EQ(r.process.host, "airflow-apiserver-1");
  EXPECT_EQ(r.process.component, "api-server");
  EXPECT_EQ(r.format, "uvicorn");
}

TEST(DecodeLine, SimpleAuthManagerLineIsNotAPrefix) {
  LogRecord r = Decode("Simple auth manager | Password for user 'admin': xZZFA8CZBNu9zmWs");
  EXPECT_EQ(r.process.host, "");
  EXPECT_EQ(r.format, "bare");
}

TEST(DecodeLine, AnsiColourIsStripped) {
  LogRecord r = Decode(
      "\x1b[2m2025-12-07T15:56:23.562782Z\x1b[0m [\x1b[31m\x1b[1merror    \x1b[0m] "
      "\x1b[1mJWT token is not valid: Signature verification failed\x1b[0m");
  EXPECT_EQ(r.format, "structlog");
  EXPECT_EQ(r.message, "JWT token is not valid: Signature verification failed");
  EXPECT_EQ(r.text.find('\x1b'), std::string::npos);
}

TEST(DecodeLine, BareLineIsWholeMessage) {
  LogRecord r = Decode("Invalid auth token: Signature verification failed");
  EXPECT_EQ(r.format, "bare");
  EXPECT_EQ(r.message, "Invalid auth token: Signature verification failed");
}

TEST(Decoder, InheritsTimeFromEarlierLine) {
  std::string data =
      "2025-12-07T15:56:23.562782Z [info     ] hello [x]\n"
      "INFO:     Started server process [7]\n";
  Chunk chunk{data, 100, 1, 2};
  Decoder d("api-server.log", DecoderOptions());
  LogRecord r;
  size_t begin = data.find("INFO:");
  d.Decode(chunk, begin, data.size() - 1, 1, &r);
  EXPECT_EQ(r.time_quality, TimeQuality::kInherited);
  EXPECT_EQ(r.time_us, Utc("2025-12-07T15:56:23.562782Z"));
  EXPECT_EQ(r.offset, 100 + begin);
  EXPECT_EQ(r.line, 2u);
  EXPECT_EQ(r.process.component, "api-server");  // From the file name.
}

TEST(Decoder, InheritsTimeAcrossChunks) {
  std::string first = "[2025-03-01T22:21:42.874+0000] {x.py:1} INFO - a\n";
  std::string second = "INFO:     Started server process [7]\n";
  Decoder d("x.log", DecoderOptions());
  d.EndChunk(Chunk{first, 0, 1, 1});
  LogRecord r;
  d.Decode(Chunk{second, first.size(), 2, 1}, 0, second.size() - 1, 0, &r);
  EXPECT_EQ(r.time_quality, TimeQuality::kInherited);
  EXPECT_EQ(r.time_us, Utc("2025-03-01T22:21:42.874Z"));
}

// Regression (issue 12, found by libFuzzer): EndChunk peeled the last line
// of a stream into a scratch buffer, KindOf peeled the line before it (the
// banner is art, so its predecessor decides) into the same buffer, freeing
// the text the first view still pointed to, and OwnTime read it. Colour codes
// make both lines need cleaning. Under ASan this was a heap-use-after-free.
TEST(Decoder, EndChunkOnColouredBannerLinesKeepsTheirTime) {
  std::string data =
      "\x1b[36mairflow-scheduler-1  |\x1b[0m   ____________       _____________\n"
      "\x1b[36mairflow-scheduler-1  |\x1b[0m  ____    |__( )_________  __/__  /________      __\n"
      "\x1b[36mairflow-scheduler-1  |\x1b[0m 2025-12-07T15:56:23.562782Z [info     ] up [x]\n"
      "\x1b[36mairflow-scheduler-1  |\x1b[0m   ____________       _____________\n"
      "\x1b[36mairflow-scheduler-1  |\x1b[0m  ____    |__( )_________  __/__  /________      __\n";
  Decoder d("compose.log", DecoderOptions());
  d.EndChunk(Chunk{data, 0, 1, 5});
  EXPECT_EQ(d.last_time_us(), Utc("2025-12-07T15:56:23.562782Z"));
  // The next chunk's banner line continues the carried banner record.
  std::string next = "\x1b[36mairflow-scheduler-1  |\x1b[0m ____  /| |_  /__  ___/_  /_ __  /_\n";
  LogRecord r;
  d.Decode(Chunk{next, data.size(), 6, 1}, 0, next.size() - 1, 0, &r);
  EXPECT_EQ(r.time_quality, TimeQuality::kInherited);
  EXPECT_EQ(r.time_us, Utc("2025-12-07T15:56:23.562782Z"));
  EXPECT_EQ(r.process.host, "airflow-scheduler-1");
}

TEST(InferComponent, Names) {
  EXPECT_EQ(InferComponent("airflow-apiserver-1"), "api-server");
  EXPECT_EQ(InferComponent("airflow.jobs.scheduler_job_runner"), "scheduler");
  EXPECT_EQ(InferComponent("/logs/dag_processor/x.log"), "dag-processor");
  EXPECT_EQ(InferComponent("airflow-worker-2"), "worker");
  EXPECT_EQ(InferComponent("postgres-1"), "");
}

// Record framing and time inheritance must not depend on where chunks end:
// what a chunk leaves open is carried to the next.
TEST(Decoder, SmallChunksDecodeLikeOneChunk) {
  for (const char* rel :
       {"structlog/api-server-3.1.log", "structlog/api-server-3.0.log", "classic/scheduler-2.x.log",
        "celery/worker.log", "gunicorn/webserver-2.x.log", "uvicorn/scheduler-serve-logs.log"}) {
    const std::string path = std::string(ETIOLOG_SAMPLES_DIR "/formats/") + rel;
    std::vector<DecodedSource> big = DecodeAllOfPath(path);
    std::vector<DecodedSource> small = DecodeAllOfPath(path, {}, 512);
    ASSERT_EQ(big.size(), 1u);
    ASSERT_EQ(small.size(), 1u);
    ASSERT_EQ(big[0].lines.size(), small[0].lines.size()) << rel;
    for (const auto& [n, r] : big[0].lines) {
      const LogRecord& s = small[0].lines.at(n);
      EXPECT_EQ(s.record_line, r.record_line) << rel << ":" << n;
      EXPECT_EQ(s.time_us, r.time_us) << rel << ":" << n;
      EXPECT_EQ(s.time_quality, r.time_quality) << rel << ":" << n;
      EXPECT_EQ(s.level, r.level) << rel << ":" << n;
      // A multi-line event's logger is on its last line; lines before a
      // chunk boundary cannot see past it (documented in decoder.h).
      if (!(s.logger.empty() && r.format == "structlog")) {
        EXPECT_EQ(s.logger, r.logger) << rel << ":" << n;
      }
      EXPECT_EQ(s.offset, r.offset) << rel << ":" << n;
    }
  }
}

TEST(Decoder, LabelsOverrideWhatTheLineAndPathSay) {
  std::string data =
      "airflow-apiserver-1  | 2025-12-07T15:56:23.562782Z [error    ] x [airflow.api_fastapi.a] "
      "loc=a.py:1\n";
  Chunk chunk{data, 0, 1, 1};
  ProcessIdentity labels;
  labels.component = "scheduler";
  labels.pid = 42;
  Decoder d(SourceContext{"/var/log/pods/ns_web-0_uid/api-server/0.log", labels, 0},
            DecoderOptions());
  LogRecord r;
  d.Decode(chunk, 0, data.size() - 1, 0, &r);
  EXPECT_EQ(r.process.component, "scheduler");
  EXPECT_EQ(r.process.pid, 42);
  EXPECT_EQ(r.process.host, "airflow-apiserver-1");  // Not labelled: the line's.
}

TEST(Decoder, ManyCandidatesWithoutHeadersStayBounded) {
  // 20000 header-less lines: every one is a candidate in the worst case.
  // Memoised searches keep this linear; a quadratic walk would take minutes.
  std::string data;
  for (int i = 0; i < 20000; ++i) data += "  File \"x.py\", line 1, in f\n";
  Chunk chunk{data, 0, 1, 20000};
  Decoder d("x.log", DecoderOptions());
  size_t pos = 0;
  LogRecord r;
  for (uint64_t k = 0; k < 20000; ++k) {
    size_t e = data.find('\n', pos);
    d.Decode(chunk, pos, e, k, &r);
    pos = e + 1;
  }
  EXPECT_EQ(r.line, 20000u);
  EXPECT_EQ(r.time_quality, TimeQuality::kNone);
  EXPECT_EQ(r.record_line, 1u);  // The first line starts the source's first record.
}

// Reads text in chunks of chunk_size bytes as the pipeline does (EndChunk
// after every chunk) and decodes only the lines numbered in wanted, as if
// only they were candidates. clean: mark every chunk Chunk::clean.
std::map<uint64_t, LogRecord> DecodeSparse(const std::string& text, size_t chunk_size,
                                           const DecoderOptions& options,
                                           const std::set<uint64_t>& wanted, bool clean = false) {
  std::map<uint64_t, LogRecord> out;
  auto src = NewMemorySource("sparse.log", text);
  LineReader::Options ro;
  ro.chunk_size = chunk_size;
  LineReader reader(src.get(), ro);
  Decoder d("sparse.log", options);
  for (;;) {
    Result<Chunk> c = reader.Next();
    if (!c.ok() || c->data.empty()) break;
    c->clean = clean;
    ForEachLine(c->data, [&](uint64_t k, size_t begin, size_t end) {
      if (wanted.count(c->LineNumber(k)) == 0) return;
      LogRecord r;
      d.Decode(*c, begin, end, k, &r);
      out[r.line] = r;
    });
    d.EndChunk(*c);
  }
  return out;
}

TEST(Decoder, RecordSearchStopsAtLookbackBytes) {
  std::string text = "2025-12-07T15:56:23.562782Z [error    ] boom [x]\n";
  for (int i = 0; i < 40; ++i)
    text += "  File \"/x.py\", line 1, in f" + std::string(70, '.') + "\n";
  DecoderOptions o;
  o.lookback_bytes = 1000;  // About ten of these lines.
  std::map<uint64_t, LogRecord> r = DecodeSparse(text, size_t{4} << 20, o, {5, 30});
  EXPECT_TRUE(r.at(5).continuation);
  EXPECT_EQ(r.at(5).record_line, 1u);
  EXPECT_EQ(r.at(5).level, Level::kError);
  // The header is 2900 bytes back: beyond the look-back, the line stands
  // alone.
  EXPECT_FALSE(r.at(30).continuation);
  EXPECT_EQ(r.at(30).record_line, 30u);
  // With the default look-back it is found.
  r = DecodeSparse(text, size_t{4} << 20, DecoderOptions(), {30});
  EXPECT_EQ(r.at(30).record_line, 1u);
}

// A compose stream that never prints a header (redis, postgres with a custom
// format) must not cost other streams their open records at chunk ends.
TEST(Decoder, HeaderlessStreamBesideATracebackAcrossChunks) {
  std::string text;
  auto redis = [&](int i) {
    text += "redis-1              | 1:M 07 Dec 2025 12:00:0" + std::to_string(i % 10) +
            ".692 * 10000 changes in 60 seconds. Saving...\n";
  };
  for (int i = 0; i < 30; ++i) redis(i);
  text +=
      "airflow-scheduler-1  | 2025-12-07T12:00:05.000000Z [error    ] Exception when executing "
      "[airflow.jobs.scheduler_job_runner.SchedulerJobRunner]\n";  // Line 31.
  text += "airflow-scheduler-1  | Traceback (most recent call last):\n";
  for (int i = 0; i < 30; ++i) {
    redis(i);
    text += "airflow-scheduler-1  |   File \"/opt/airflow/x.py\", line " + std::to_string(i) +
            ", in run\n";
  }
  text +=
      "airflow-scheduler-1  | jwt.exceptions.InvalidSignatureError: Signature verification "
      "failed\n";
  const uint64_t last = static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
  // Chunks of about 20 lines: the traceback spans several chunk ends.
  for (bool clean : {false, true}) {
    std::map<uint64_t, LogRecord> r =
        DecodeSparse(text, 2048, DecoderOptions(), {5, 41, last}, clean);
    EXPECT_TRUE(r.at(last).continuation) << clean;
    EXPECT_EQ(r.at(last).record_line, 31u) << clean;
    EXPECT_EQ(r.at(last).level, Level::kError) << clean;
    EXPECT_EQ(r.at(last).process.component, "scheduler") << clean;
    EXPECT_EQ(r.at(last).time_us, Utc("2025-12-07T12:00:05Z")) << clean;
    EXPECT_EQ(r.at(last).time_quality, TimeQuality::kInherited) << clean;
    // Redis lines have no header: at the start of the source the first one
    // starts a record.
    EXPECT_EQ(r.at(5).record_line, 1u) << clean;
    EXPECT_EQ(r.at(41).process.host, "redis-1") << clean;
  }
}

TEST(Decoder, ExplicitZonesAreNeverShiftedByTheZoneOption) {
  DecoderOptions o;
  auto zone = TimeZone::Parse("+05:00");
  ASSERT_TRUE(zone.ok());
  o.zone = std::make_shared<const TimeZone>(*zone);
  LogRecord utc, offset, local;
  DecodeLine("2025-12-07T15:56:23.000000Z [info     ] a [x]", o, &utc);
  DecodeLine("[2025-12-07T17:56:23.000+0200] {a.py:1} INFO - b", o, &offset);
  DecodeLine("2025-12-07 20:56:23 [info     ] c [x]", o, &local);
  EXPECT_EQ(utc.time_us, offset.time_us);
  EXPECT_EQ(utc.time_us, local.time_us);
  EXPECT_EQ(local.time_quality, TimeQuality::kAssumedZone);
}

}  // namespace
}  // namespace etiolog::ingest
