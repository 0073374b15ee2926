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

void ExpectTimeIs(const LogRecord& r, std::string_view iso, TimeQuality q) {
  EXPECT_EQ(r.time_quality, q) << r.text;
  char got[32];
  FormatIsoTimestamp(r.time_us, got);
  EXPECT_EQ(r.time_us, Utc(iso)) << r.text << " at " << got;
}

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
        "celery/worker.log", "gunicorn/webserver-2.x.log", "uvicorn/scheduler-serve-logs.log",
        // Not kubectl_prefix/all-containers.log: its log-groomer lines have no
        // header, and a header-less line starts a record only in a source's
        // first chunk (see FindStart).
        "kubectl_prefix/prefix-timestamps.log", "kubectl_timestamps/api-server.log",
        "compose/timestamps-colour.log"}) {
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
                                           const std::set<uint64_t>& wanted, bool clean = false,
                                           int64_t mtime = 0) {
  std::map<uint64_t, LogRecord> out;
  auto src = NewMemorySource("sparse.log", text);
  LineReader::Options ro;
  ro.chunk_size = chunk_size;
  LineReader reader(src.get(), ro);
  Decoder d(SourceContext{"sparse.log", {}, mtime}, options);
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

// ---------------------------------------------------------------------------
// Wrappers: kubectl --prefix, runtime timestamps, honcho.

TEST(DecodeLine, KubectlPrefixNamesPodAndContainer) {
  LogRecord r = Decode(
      "[pod/airflow-scheduler-6c9b7f5d48-q7wzt/scheduler] 2026-01-14T10:00:07.300000Z [info     ] "
      "Starting the scheduler         [airflow.jobs.scheduler_job_runner.SchedulerJobRunner]");
  EXPECT_EQ(r.process.host, "airflow-scheduler-6c9b7f5d48-q7wzt");
  EXPECT_EQ(r.process.component, "scheduler");
  EXPECT_EQ(r.format, "structlog");
  EXPECT_EQ(r.message, "Starting the scheduler");
  EXPECT_EQ(r.time_us, Utc("2026-01-14T10:00:07.3Z"));
  // The container names the component, before the pod.
  r = Decode("[pod/airflow-0/worker] INFO:     Started server process [12]");
  EXPECT_EQ(r.process.host, "airflow-0");
  EXPECT_EQ(r.process.component, "worker");
  EXPECT_EQ(r.process.pid, 12);
  EXPECT_EQ(r.format, "uvicorn");
  // Older kubectl: no container.
  r = Decode("[pod/airflow-api-server-7d9f8b6c4-vx8pn] INFO:     Started server process [7]");
  EXPECT_EQ(r.process.host, "airflow-api-server-7d9f8b6c4-vx8pn");
  EXPECT_EQ(r.process.component, "api-server");
  // airflow standalone inside a pod: nested like compose + honcho.
  r = Decode("[pod/airflow-0/airflow] scheduler  | INFO:     Started server process [9]");
  EXPECT_EQ(r.process.host, "airflow-0/scheduler");
  EXPECT_EQ(r.process.component, "scheduler");
}

TEST(DecodeLine, OnlyAPodPrefixIsKubectls) {
  for (const char* line : {"[pod/] INFO:     x", "[pod/a b] INFO:     x", "[pod/a/b]INFO:     x",
                           "[pod/a/] INFO:     x", "[pods/a/b] INFO:     x"}) {
    LogRecord r = Decode(line);
    EXPECT_EQ(r.process.host, "") << line;
    EXPECT_EQ(r.format, "bare") << line;
  }
  // Celery's bracketed header is no prefix either.
  LogRecord r = Decode("[2025-05-25 18:05:00,485: INFO/ForkPoolWorker-15] Task x succeeded");
  EXPECT_EQ(r.format, "celery");
  EXPECT_EQ(r.process.host, "");
}

TEST(DecodeLine, RuntimeTimestampWrapsAnyLine) {
  // kubectl logs --timestamps / docker logs -t: RFC3339 with nine fractional
  // digits and a zone, then the container's line, whatever it is.
  LogRecord r = Decode("2025-12-07T15:50:00.104233000Z INFO:     Started server process [7]");
  EXPECT_EQ(r.format, "uvicorn");
  EXPECT_EQ(r.process.pid, 7);
  EXPECT_EQ(r.time_quality, TimeQuality::kExact);
  EXPECT_EQ(r.time_us, Utc("2025-12-07T15:50:00.104233Z"));
  r = Decode("2025-12-07T15:49:58.220470903Z Apps: all");
  EXPECT_EQ(r.message, "Apps: all");
  EXPECT_EQ(r.time_us, Utc("2025-12-07T15:49:58.22047Z"));
  r = Decode("2025-12-07T16:49:58.220470903+01:00   File \"/x.py\", line 1, in f");
  EXPECT_EQ(r.message, "File \"/x.py\", line 1, in f");
  EXPECT_EQ(r.time_us, Utc("2025-12-07T15:49:58.22047Z"));
  // The line's own time wins.
  r = Decode(
      "2025-12-07T15:49:58.120377020Z 2025-12-07T15:49:58.120000Z [warning  ] x "
      "[airflow.api_fastapi.auth.tokens]");
  EXPECT_EQ(r.format, "structlog");
  EXPECT_EQ(r.logger, "airflow.api_fastapi.auth.tokens");
  EXPECT_EQ(r.time_us, Utc("2025-12-07T15:49:58.12Z"));
  // An empty line, stamped.
  r = Decode("2025-12-07T15:52:25.001270000Z");
  EXPECT_EQ(r.message, "");
  EXPECT_EQ(r.time_quality, TimeQuality::kExact);
}

TEST(DecodeLine, RuntimeTimestampIsNotReadAsJournald) {
  // journald's ISO shape is "<time> host ident[pid]: "; a runtime's line can
  // look like it ("Access Logformat: ..." in gunicorn's banner).
  LogRecord r = Decode("2025-12-07T15:49:58.220470903Z Access Logformat: %(h)s %(l)s");
  EXPECT_EQ(r.process.host, "");
  EXPECT_EQ(r.message, "Access Logformat: %(h)s %(l)s");
  // journald's own ISO shapes still are.
  r = Decode("2025-11-06T10:30:09+0000 airflow-host airflow[1018681]: INFO:     x");
  EXPECT_EQ(r.process.host, "airflow-host");
  EXPECT_EQ(r.process.pid, 1018681);
  EXPECT_EQ(r.format, "uvicorn");
}

TEST(DecodeLine, IsoTimeBeforeALineWithAHeaderIsAWrapper) {
  // Any ISO time is a wrapper's when the rest is a line with a header of its
  // own: Airflow's formats print one time, never two.
  LogRecord r = Decode(
      "2025-12-07T15:49:58.120377Z 2025-12-07T15:49:58.120000Z [warning  ] x "
      "[airflow.api_fastapi.auth.tokens]");
  EXPECT_EQ(r.format, "structlog");
  EXPECT_EQ(r.time_us, Utc("2025-12-07T15:49:58.12Z"));
  r = Decode("2025-12-07T15:50:00.104Z INFO:     Started server process [7]");
  EXPECT_EQ(r.format, "uvicorn");
  EXPECT_EQ(r.time_us, Utc("2025-12-07T15:50:00.104Z"));
  r = Decode("2025-12-07 15:50:00 [2025-12-07T15:50:00.100+0000] {x.py:1} INFO - y");
  EXPECT_EQ(r.format, "classic");
  EXPECT_EQ(r.message, "y");
  r = Decode(R"(2025-12-07T15:50:00Z {"timestamp":"2025-12-07T15:50:00.1Z","event":"e"})");
  EXPECT_EQ(r.format, "json");
  EXPECT_EQ(r.message, "e");
}

TEST(DecodeLine, IsoTimeBeforeTextIsTheLinesOwn) {
  // The other direction: formats whose header is an ISO time and text keep
  // their time, level and message; nothing is peeled.
  struct Case {
    const char* line;
    const char* format;
    const char* message;
  } cases[] = {
      {"2025-12-07T15:56:23.562782Z [error    ] boom [airflow.x]", "structlog", "boom"},
      {"2026-05-28T10:47:22.147535Z logLevel=WARNING logger=airflow.x - Failed to validate JWT",
       "classic", "Failed to validate JWT"},
      {"2025-05-20 15:07:48.653060 [info     ] Connected [celery.worker]", "structlog",
       "Connected"},
      {"2025-05-01 10:00:00,123 INFO - msg", "classic", "msg"},
      {"2025-05-01 10:00:00,123 [WARNING] msg", "structlog", "msg"},
      {"2025-07-23 01:27:58,919 {_client.py:1025} INFO - msg", "classic", "msg"},
      // Six fractional digits and text: a line with a time we do not know.
      {"2025-12-07T15:49:58.220470Z Apps: all", "bare", "Apps: all"},
      // Nine digits but no zone is no runtime's.
      {"2025-12-07T15:49:58.220470903 Apps: all", "bare", "Apps: all"},
  };
  for (const Case& c : cases) {
    LogRecord r = Decode(c.line);
    EXPECT_EQ(r.format, c.format) << c.line;
    EXPECT_EQ(r.message, c.message) << c.line;
    EXPECT_NE(r.time_quality, TimeQuality::kNone) << c.line;
  }
}

TEST(DecodeLine, HonchoTimeOfDayBeforeAPrefix) {
  LogRecord r = Decode("15:50:01 scheduler.1  | INFO:     Started server process [25]");
  EXPECT_EQ(r.process.host, "scheduler.1");
  EXPECT_EQ(r.process.component, "scheduler");
  EXPECT_EQ(r.format, "uvicorn");
  EXPECT_EQ(r.time_quality, TimeQuality::kAssumedZone);  // No context: no date, no zone.
  EXPECT_EQ(r.time_us % (int64_t{86400} * 1000000), int64_t{57001} * 1000000);
  // Inside compose (honcho in a container).
  r = Decode("airflow-1  | 15:50:01 api-server.1 | INFO:     x");
  EXPECT_EQ(r.process.host, "airflow-1/api-server.1");
  EXPECT_EQ(r.process.component, "api-server");
  // A time of day without a prefix after it is text.
  r = Decode("15:50:01 the job ran");
  EXPECT_EQ(r.message, "15:50:01 the job ran");
  EXPECT_EQ(r.time_quality, TimeQuality::kNone);
  r = Decode("25:50:01 scheduler | x");
  EXPECT_EQ(r.time_quality, TimeQuality::kNone);
}

TEST(DecodeLine, ComposeTimestampsAfterTheColouredPrefix) {
  LogRecord r = Decode(
      "\x1b[36mairflow-scheduler-1  |\x1b[0m 2025-12-07T15:50:01.312551028Z INFO:     Started "
      "server process [24]");
  EXPECT_EQ(r.process.host, "airflow-scheduler-1");
  EXPECT_EQ(r.process.component, "scheduler");
  EXPECT_EQ(r.process.pid, 24);
  EXPECT_EQ(r.time_us, Utc("2025-12-07T15:50:01.312551Z"));
  EXPECT_EQ(r.time_quality, TimeQuality::kExact);
}

// ---------------------------------------------------------------------------
// Partial wrapper times: journald's year-less local times, honcho's time of
// day, zoneless ISO wrapper times.

int64_t Seconds(std::string_view iso) { return Utc(iso) / 1000000; }

// Decodes every line of text as one source with the given mtime.
std::map<uint64_t, LogRecord> DecodeText(const std::string& text, int64_t mtime,
                                         const DecoderOptions& options = {},
                                         size_t chunk_size = size_t{4} << 20) {
  std::unique_ptr<Input> in = Input::FromSource(NewMemorySource("paste.log", text, mtime));
  std::vector<DecodedSource> all = DecodeAllOf(in.get(), options, chunk_size);
  EXPECT_EQ(all.size(), 1u);
  return all.empty() ? std::map<uint64_t, LogRecord>() : all[0].lines;
}

const char kJournalLocal[] =
    "Nov 06 08:31:01 host1 airflow[1873]: INFO:     Started server process [1873]\n"
    "Nov 06 08:31:02 host1 airflow[1873]: 2025-11-06T13:31:02.104233Z [warning  ] `api_auth/"
    "jwt_secret` was empty [airflow.api_fastapi.auth.tokens]\n"
    "Nov 06 08:31:05 host1 airflow-scheduler[1901]: INFO:     Started server process [1901]\n";

TEST(Decoder, JournaldYearAndZoneComeFromTheLinesThatPrintBothTimes) {
  // mtime more than a year later: the year still comes from the paste. The
  // line before the one with both times gets the same correction.
  for (int64_t mtime : {Seconds("2027-03-01T00:00:00Z"), Seconds("2025-11-06T14:00:00Z")}) {
    std::map<uint64_t, LogRecord> r = DecodeText(kJournalLocal, mtime);
    ExpectTimeIs(r.at(1), "2025-11-06T13:31:01Z", TimeQuality::kExact);
    ExpectTimeIs(r.at(2), "2025-11-06T13:31:02.104233Z", TimeQuality::kExact);
    // Another unit of the same host: the host's clock.
    ExpectTimeIs(r.at(3), "2025-11-06T13:31:05Z", TimeQuality::kExact);
  }
}

TEST(Decoder, JournaldCandidateBeforeTheLineWithBothTimesLooksAhead) {
  // Only line 1 is a candidate: the look-around finds line 3 in the chunk.
  std::string text =
      "Nov 06 08:31:01 host1 airflow[1873]: INFO:     Started server process [1873]\n";
  for (int i = 0; i < 50; ++i) text += "Nov 06 08:31:01 host1 airflow[1873]: INFO:     x\n";
  text +=
      "Nov 06 08:31:02 host1 airflow[1873]: 2025-11-06T13:31:02.104233Z [info     ] y "
      "[airflow.x]\n";
  std::map<uint64_t, LogRecord> r = DecodeSparse(text, size_t{4} << 20, DecoderOptions(), {1},
                                                 false, Seconds("2027-03-01T00:00:00Z"));
  ExpectTimeIs(r.at(1), "2025-11-06T13:31:01Z", TimeQuality::kExact);
}

TEST(Decoder, JournaldLookAroundStopsAtLookbackBytes) {
  std::string text =
      "Nov 06 08:31:01 host1 airflow[1873]: INFO:     Started server process [1873]\n";
  for (int i = 0; i < 40; ++i) {
    text += "Nov 06 08:31:01 host1 airflow[1873]: INFO:     " + std::string(60, '.') + "\n";
  }
  text +=
      "Nov 06 08:31:02 host1 airflow[1873]: 2025-11-06T13:31:02.104233Z [info     ] y "
      "[airflow.x]\n";
  DecoderOptions o;
  o.lookback_bytes = 1000;  // About ten lines: the line with both times is beyond.
  std::map<uint64_t, LogRecord> r =
      DecodeSparse(text, size_t{4} << 20, o, {1}, false, Seconds("2025-11-07T00:00:00Z"));
  // Nothing learned: the zone option (UTC) and the year of the mtime.
  ExpectTimeIs(r.at(1), "2025-11-06T08:31:01Z", TimeQuality::kAssumedZone);
}

TEST(Decoder, JournaldClockLearnedInOneChunkServesTheNext) {
  std::string text =
      "Nov 06 08:31:02 host1 airflow[1873]: 2025-11-06T13:31:02.104233Z [info     ] y "
      "[airflow.x]\n";
  for (int i = 0; i < 100; ++i) text += "Nov 06 08:32:00 host1 airflow[1873]: INFO:     z\n";
  const uint64_t last = 101;
  std::map<uint64_t, LogRecord> r =
      DecodeSparse(text, 1024, DecoderOptions(), {last}, false, Seconds("2027-03-01T00:00:00Z"));
  ExpectTimeIs(r.at(last), "2025-11-06T13:32:00Z", TimeQuality::kExact);
}

TEST(Decoder, EndChunkCarriesCorrectedWrapperTimes) {
  std::string text =
      "Nov 06 08:31:02 host1 airflow[1873]: 2025-11-06T13:31:02.104233Z [info     ] y "
      "[airflow.x]\n"
      "Nov 06 08:31:07 host1 airflow[1873]: INFO:     z\n";
  Decoder d(SourceContext{"j.log", {}, Seconds("2027-03-01T00:00:00Z")}, DecoderOptions());
  d.EndChunk(Chunk{text, 0, 1, 2});
  EXPECT_EQ(d.last_time_us(), Utc("2025-11-06T13:31:07Z"));
  EXPECT_EQ(d.first_time_us(), Utc("2025-11-06T13:31:02.104233Z"));
  // A bare line of another stream in the next chunk inherits it.
  std::string next = "Invalid auth token: Signature verification failed\n";
  LogRecord r;
  d.Decode(Chunk{next, text.size(), 3, 1}, 0, next.size() - 1, 0, &r);
  ExpectTimeIs(r, "2025-11-06T13:31:07Z", TimeQuality::kInherited);
}

TEST(Decoder, JournaldWithoutAnyClueTakesTheMtimesYearAndTheZoneOption) {
  std::string text = "Nov 06 08:31:01 host1 airflow[1873]: INFO:     Started server process [1]\n";
  DecoderOptions berlin;
  auto zone = TimeZone::Parse("+01:00");
  ASSERT_TRUE(zone.ok());
  berlin.zone = std::make_shared<const TimeZone>(*zone);
  std::map<uint64_t, LogRecord> r = DecodeText(text, Seconds("2026-02-01T00:00:00Z"), berlin);
  // Not after the mtime: the November before it.
  ExpectTimeIs(r.at(1), "2025-11-06T07:31:01Z", TimeQuality::kAssumedZone);
  r = DecodeText(text, Seconds("2025-11-06T00:00:00Z"), berlin);  // Up to two days after.
  ExpectTimeIs(r.at(1), "2025-11-06T07:31:01Z", TimeQuality::kAssumedZone);
}

TEST(Decoder, AHostThatTaughtNothingIsDatedByTheSourcesOtherLines) {
  // host2 never prints a full time: its lines take the year from host1's
  // lines (not from the mtime) and the zone option's zone.
  std::string text =
      "Dec 31 23:59:00 host1 airflow[1]: 2025-12-31T23:59:00.000000Z [info     ] a [airflow.x]\n"
      "Jan 01 00:01:00 host2 airflow[2]: INFO:     b\n";
  std::map<uint64_t, LogRecord> r = DecodeText(text, Seconds("2027-06-01T00:00:00Z"));
  ExpectTimeIs(r.at(2), "2026-01-01T00:01:00Z", TimeQuality::kAssumedZone);
}

TEST(Decoder, JournaldAcrossNewYear) {
  // A host at UTC+1: its "Jan 01 00:15" is 2025-12-31T23:15Z.
  std::string text =
      "Jan 01 00:15:02 host1 airflow[1]: 2025-12-31T23:15:02.000000Z [info     ] a [airflow.x]\n"
      "Jan 01 00:16:00 host1 airflow[1]: INFO:     b\n"
      "Jan 01 01:00:00 host1 airflow[1]: INFO:     c\n";
  std::map<uint64_t, LogRecord> r = DecodeText(text, 0);  // No mtime (stdin).
  ExpectTimeIs(r.at(2), "2025-12-31T23:16:00Z", TimeQuality::kExact);
  ExpectTimeIs(r.at(3), "2026-01-01T00:00:00Z", TimeQuality::kExact);
}

TEST(Decoder, ZoneOffsetsAreRoundedToAQuarterHour) {
  // Nepal (UTC+5:45); journald received the first line 2 min 10 s late
  // (a buffered stdout): still +5:45.
  std::string text =
      "Nov 06 19:17:12 host1 airflow[1]: 2025-11-06T13:30:02.000000Z [info     ] a [airflow.x]\n"
      "Nov 06 19:20:00 host1 airflow[1]: INFO:     b\n";
  std::map<uint64_t, LogRecord> r = DecodeText(text, Seconds("2025-11-07T00:00:00Z"));
  ExpectTimeIs(r.at(2), "2025-11-06T13:35:00Z", TimeQuality::kExact);
}

TEST(Decoder, ADifferenceThatIsNoZoneIsNotLearned) {
  // 20 hours apart: a wrong clock, not a zone. The year is still learned.
  std::string text =
      "Nov 06 08:00:00 host1 airflow[1]: 2025-11-05T12:00:00.000000Z [info     ] a [airflow.x]\n"
      "Nov 06 08:00:05 host1 airflow[1]: INFO:     b\n";
  std::map<uint64_t, LogRecord> r = DecodeText(text, Seconds("2027-03-01T00:00:00Z"));
  ExpectTimeIs(r.at(2), "2025-11-06T08:00:05Z", TimeQuality::kAssumedZone);
}

TEST(Decoder, ZonelessInnerTimesTeachTheYearAndTheClocksDifference) {
  // Airflow 3.0's structlog prints local times without a zone, read in the
  // zone option (UTC here). The process runs with TZ=UTC, journald prints the
  // host's UTC-5: journald-only lines are put on the process's clock, and
  // stay assumed (the zone is still the option's).
  std::string text =
      "Jun 02 04:00:11 host1 airflow[1]: 2025-06-02 09:00:11 [warning  ] a [airflow.x]\n"
      "Jun 02 04:00:12 host1 airflow[1]: INFO:     b\n";
  std::map<uint64_t, LogRecord> r = DecodeText(text, Seconds("2027-03-01T00:00:00Z"));
  ExpectTimeIs(r.at(1), "2025-06-02T09:00:11Z", TimeQuality::kAssumedZone);
  ExpectTimeIs(r.at(2), "2025-06-02T09:00:12Z", TimeQuality::kAssumedZone);
  // A zoned line later makes the offset exact.
  text += "Jun 02 04:00:13 host1 airflow[1]: [2025-06-02T09:00:13.000+0000] {x.py:1} INFO - c\n";
  text += "Jun 02 04:00:14 host1 airflow[1]: INFO:     d\n";
  r = DecodeText(text, Seconds("2027-03-01T00:00:00Z"));
  ExpectTimeIs(r.at(4), "2025-06-02T09:00:14Z", TimeQuality::kExact);
}

TEST(Decoder, ZonelessIsoWrapperTimeLearnsItsOffset) {
  std::string text =
      "2025-12-07 16:50:01 2025-12-07T15:50:01.104000Z [info     ] a [airflow.x]\n"
      "2025-12-07 16:50:02 INFO:     Started server process [7]\n";
  std::map<uint64_t, LogRecord> r = DecodeText(text, 0);
  ExpectTimeIs(r.at(2), "2025-12-07T15:50:02Z", TimeQuality::kExact);
  EXPECT_EQ(r.at(2).format, "uvicorn");
}

TEST(Decoder, HonchoTimeOfDayTakesTheDateAndOffsetFromTheLines) {
  std::string text =
      "23:59:58 api-server.1 | INFO:     Started server process [41]\n"
      "00:00:02 api-server.1 | 2025-12-07T23:00:02.120000Z [warning  ] k [airflow.x]\n"
      "00:00:03 api-server.1 | INFO:     Application startup complete.\n";
  std::map<uint64_t, LogRecord> r = DecodeText(text, Seconds("2027-03-01T00:00:00Z"));
  ExpectTimeIs(r.at(1), "2025-12-07T22:59:58Z", TimeQuality::kExact);
  ExpectTimeIs(r.at(3), "2025-12-07T23:00:03Z", TimeQuality::kExact);
}

TEST(Decoder, DecodeLineAloneKeepsJournaldTimesAssumed) {
  LogRecord r = Decode("Nov 06 08:31:01 host1 airflow[1873]: INFO:     Started server process [1]");
  EXPECT_EQ(r.time_quality, TimeQuality::kAssumedZone);
  EXPECT_EQ(r.process.host, "host1");
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
