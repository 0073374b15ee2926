// SPDX-License-Identifier: Apache-2.0
//
// One test per supported format, on the real-shaped lines of
// samples/formats/: each checks what matters downstream (time and its
// quality, level, logger, component, host, pid, record framing), not just
// that a line parsed.

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "ingest/timestamp.h"
#include "tests/ingest/ingest_test_util.h"
#include "tests/test_util.h"

namespace etiolog::ingest {
namespace {

const std::string kFormats = ETIOLOG_SAMPLES_DIR "/formats/";

int64_t Utc(std::string_view iso) { return ParseIsoTimestamp(iso).utc_us; }

// Decodes the one stream of a sample file.
DecodedSource One(const std::string& rel, const DecoderOptions& options = {}) {
  std::vector<DecodedSource> all = DecodeAllOfPath(kFormats + rel, options);
  EXPECT_EQ(all.size(), 1u) << rel;
  if (all.empty()) return {};
  EXPECT_TRUE(all[0].errors.empty()) << all[0].errors[0];
  return all[0];
}

void ExpectTime(const LogRecord& r, std::string_view iso, TimeQuality q) {
  EXPECT_EQ(r.time_quality, q) << r.text;
  EXPECT_EQ(r.time_us, Utc(iso)) << r.text;
}

TEST(Formats, Structlog31Console) {
  DecodedSource s = One("structlog/api-server-3.1.log");
  const LogRecord& key = s.lines.at(6);
  EXPECT_EQ(key.format, "structlog");
  EXPECT_EQ(key.level, Level::kWarning);
  EXPECT_EQ(key.logger, "airflow.api_fastapi.auth.tokens");
  EXPECT_EQ(key.process.component, "api-server");
  ExpectTime(key, "2026-05-15T05:39:48.612233Z", TimeQuality::kExact);
  EXPECT_EQ(key.message,
            "`api_auth/jwt_secret` was empty, using a generated one for now. Please set this in "
            "your config");

  const LogRecord& fail = s.lines.at(19);
  EXPECT_EQ(fail.level, Level::kError);
  EXPECT_EQ(fail.logger, "airflow.api_fastapi.auth.managers.base_auth_manager");
  ASSERT_EQ(fail.fields.size(), 1u);
  EXPECT_EQ(fail.fields[0].second, "base_auth_manager.py:107");
}

TEST(Formats, StructlogMultiLineEventTakesLoggerFromItsLastLine) {
  DecodedSource s = One("structlog/api-server-3.1.log");
  const LogRecord& head = s.lines.at(7);  // "Running the uvicorn with:"
  EXPECT_FALSE(head.continuation);
  EXPECT_EQ(head.logger, "airflow.cli.commands.api_server_command");
  for (uint64_t n = 8; n <= 13; ++n) {
    const LogRecord& r = s.lines.at(n);
    EXPECT_TRUE(r.continuation) << r.text;
    EXPECT_EQ(r.record_line, 7u) << r.text;
    EXPECT_EQ(r.level, Level::kInfo) << r.text;
    EXPECT_EQ(r.logger, "airflow.cli.commands.api_server_command") << r.text;
    ExpectTime(r, "2026-05-15T05:39:48.719647Z", TimeQuality::kInherited);
  }
}

TEST(Formats, AirflowAsciiBannerIsOneRecord) {
  DecodedSource s = One("structlog/api-server-3.1.log");
  EXPECT_FALSE(s.lines.at(1).continuation);
  for (uint64_t n = 2; n <= 5; ++n) EXPECT_EQ(s.lines.at(n).record_line, 1u);
  EXPECT_FALSE(s.lines.at(6).continuation);
}

TEST(Formats, UvicornLinesInheritTimeAndExceptionGroupIsOneRecord) {
  DecodedSource s = One("structlog/api-server-3.1.log");
  const LogRecord& started = s.lines.at(14);
  EXPECT_EQ(started.format, "uvicorn");
  EXPECT_EQ(started.level, Level::kInfo);
  EXPECT_EQ(started.message, "Started server process [51990]");
  EXPECT_EQ(started.process.pid, 51990);
  ExpectTime(started, "2026-05-15T05:39:48.719647Z", TimeQuality::kInherited);

  const LogRecord& asgi = s.lines.at(21);  // ERROR:    Exception in ASGI application
  EXPECT_EQ(asgi.level, Level::kError);
  for (uint64_t n = 22; n <= 31; ++n) {
    const LogRecord& r = s.lines.at(n);
    EXPECT_TRUE(r.continuation) << r.text;
    EXPECT_EQ(r.record_line, 21u) << r.text;
    EXPECT_EQ(r.level, Level::kError) << r.text;
  }
  EXPECT_EQ(s.lines.at(30).message,
            "| jwt.exceptions.InvalidSignatureError: Signature verification failed");
}

TEST(Formats, PlainTracebackBelongsToTheStructlogLineBeforeIt) {
  DecodedSource s = One("structlog/api-server-3.1.log");
  const LogRecord& exc = s.lines.at(36);
  EXPECT_TRUE(exc.continuation);
  EXPECT_EQ(exc.record_line, 32u);
  EXPECT_EQ(exc.level, Level::kWarning);
  EXPECT_EQ(exc.logger, "airflow.api_fastapi.execution_api.app");
  ExpectTime(exc, "2026-07-24T23:37:03.964536Z", TimeQuality::kInherited);
  EXPECT_FALSE(s.lines.at(37).continuation);
}

TEST(Formats, PrintedLineStartsItsOwnRecord) {
  DecodedSource s = One("structlog/api-server-3.1.log");
  const LogRecord& pw = s.lines.at(18);  // Simple auth manager | Password ...
  EXPECT_FALSE(pw.continuation);
  EXPECT_EQ(pw.format, "bare");
  EXPECT_EQ(pw.level, Level::kUnknown);
  EXPECT_EQ(pw.time_quality, TimeQuality::kInherited);
}

TEST(Formats, Structlog30LocalTimeAndRichTraceback) {
  DecoderOptions berlin;
  auto zone = TimeZone::Parse("Europe/Berlin");
  ASSERT_OK(zone);
  berlin.zone = std::make_shared<const TimeZone>(*zone);
  DecodedSource s = One("structlog/api-server-3.0.log", berlin);
  // The classic line carries +0100: never shifted by the zone option.
  ExpectTime(s.lines.at(1), "2025-03-29T18:59:20.104Z", TimeQuality::kExact);
  const LogRecord& warn = s.lines.at(2);
  EXPECT_EQ(warn.format, "structlog");
  EXPECT_EQ(warn.level, Level::kWarning);
  EXPECT_EQ(warn.logger, "airflow.api_fastapi.execution_api.deps");
  // 19:59:21 in Berlin on 29 March 2025 (CET, before the change) is 18:59:21Z.
  ExpectTime(warn, "2025-03-29T18:59:21Z", TimeQuality::kAssumedZone);
  for (uint64_t n = 3; n <= 7; ++n) {
    EXPECT_TRUE(s.lines.at(n).continuation) << n;
    EXPECT_EQ(s.lines.at(n).record_line, 2u) << n;
    EXPECT_EQ(s.lines.at(n).logger, "airflow.api_fastapi.execution_api.deps") << n;
  }
  EXPECT_EQ(s.lines.at(7).message, "InvalidSignatureError: Signature verification failed");
  const LogRecord& celery = s.lines.at(9);
  EXPECT_EQ(celery.logger, "celery.worker.consumer.connection");
  EXPECT_EQ(celery.process.component, "worker");                                 // From the logger.
  ExpectTime(celery, "2025-05-20T13:07:48.653060Z", TimeQuality::kAssumedZone);  // CEST
}

TEST(Formats, Classic2xAndTracebacks) {
  DecodedSource s = One("classic/scheduler-2.x.log");
  const LogRecord& start = s.lines.at(1);
  EXPECT_EQ(start.format, "classic");
  EXPECT_EQ(start.level, Level::kInfo);
  EXPECT_EQ(start.logger, "scheduler_job.py");
  EXPECT_EQ(start.process.component, "scheduler");  // From the file name.
  EXPECT_EQ(start.message, "Starting the scheduler");
  ExpectTime(start, "2020-07-23T14:09:26.916Z", TimeQuality::kAssumedZone);
  ExpectTime(s.lines.at(2), "2023-06-07T11:09:51.777Z", TimeQuality::kExact);  // +0200
  ExpectTime(s.lines.at(3), "2024-04-07T08:43:28.831Z", TimeQuality::kExact);  // +0900
  const LogRecord& exc = s.lines.at(10);
  EXPECT_TRUE(exc.continuation);
  EXPECT_EQ(exc.record_line, 4u);
  EXPECT_EQ(exc.level, Level::kWarning);
  EXPECT_EQ(exc.logger, "serve_logs.py");
  EXPECT_EQ(exc.message, "jwt.exceptions.InvalidSignatureError: Signature verification failed");
}

TEST(Formats, LogFormatVariants) {
  DecodedSource s = One("classic/log-format-3.x.log");
  const LogRecord& exited = s.lines.at(3);
  EXPECT_EQ(exited.format, "classic");
  EXPECT_EQ(exited.logger, "supervisor.py");
  EXPECT_EQ(exited.process.component, "worker");
  EXPECT_EQ(exited.message, "Process exited pid=123088 exit_code=-9 signal_sent=SIGKILL");
  ExpectTime(exited, "2026-02-19T12:10:34.448869Z", TimeQuality::kExact);

  const LogRecord& custom = s.lines.at(4);  // logLevel=WARNING logger=... - msg k=v
  EXPECT_EQ(custom.format, "classic");
  EXPECT_EQ(custom.level, Level::kWarning);
  EXPECT_EQ(custom.logger, "airflow.api_fastapi.execution_api.security");
  EXPECT_EQ(custom.process.component, "api-server");
  EXPECT_EQ(custom.message, "Failed to validate JWT");
  ASSERT_EQ(custom.fields.size(), 2u);
  EXPECT_EQ(custom.fields[0].first, "token");
  EXPECT_EQ(custom.fields[1].first, "correlation_id");
  ExpectTime(custom, "2026-05-28T10:47:22.147535Z", TimeQuality::kExact);

  const LogRecord& access = s.lines.at(5);
  EXPECT_EQ(access.logger, "http.access");
  EXPECT_EQ(access.message, "request finished");

  const LogRecord& client = s.lines.at(6);  // "<ts>,ms {file:line} LEVEL - msg"
  EXPECT_EQ(client.format, "classic");
  EXPECT_EQ(client.logger, "_client.py");
  ExpectTime(client, "2025-07-23T01:27:58.919Z", TimeQuality::kAssumedZone);
  EXPECT_EQ(s.lines.at(8).level, Level::kError);

  const LogRecord& dagp = s.lines.at(9);  // [SOURCE:DAG_PROCESSOR]
  EXPECT_EQ(dagp.format, "classic");
  EXPECT_EQ(dagp.logger, "manager.py");
  EXPECT_EQ(dagp.message, "Starting the Dag Processor Job");
}

TEST(Formats, JsonTaskLogAnyKeyOrderAndPathIdentity) {
  DecodedSource s =
      One("json/dag_id=etl_daily/run_id=scheduled__2026-04-07T06:00:00+00:00/task_id=load/"
          "attempt=1.log");
  const LogRecord& first = s.lines.at(1);
  EXPECT_EQ(first.format, "json");
  EXPECT_EQ(first.level, Level::kInfo);
  EXPECT_EQ(first.logger, "airflow.sdk.execution_time.supervisor");
  EXPECT_EQ(first.process.component, "worker");
  ExpectTime(first, "2026-04-07T06:27:23.411801Z", TimeQuality::kExact);
  const LogRecord& failed = s.lines.at(3);  // "level" before "timestamp"
  EXPECT_EQ(failed.level, Level::kError);
  EXPECT_EQ(failed.message, "Task failed with exception");
  EXPECT_EQ(failed.logger, "task");
  ExpectTime(failed, "2026-04-07T06:27:38.072406Z", TimeQuality::kExact);
  // 3.0-dev task logs print no zone.
  EXPECT_EQ(s.lines.at(4).time_quality, TimeQuality::kAssumedZone);
}

TEST(Formats, GunicornBannerAndPids) {
  DecodedSource s = One("gunicorn/webserver-2.x.log");
  EXPECT_FALSE(s.lines.at(6).continuation);  // Running the Gunicorn Server with:
  for (uint64_t n = 7; n <= 12; ++n) EXPECT_EQ(s.lines.at(n).record_line, 6u) << n;
  const LogRecord& boot = s.lines.at(16);
  EXPECT_EQ(boot.format, "gunicorn");
  EXPECT_EQ(boot.level, Level::kInfo);
  EXPECT_EQ(boot.process.pid, 8);
  EXPECT_EQ(boot.process.component, "api-server");  // "webserver" in the path.
  ExpectTime(boot, "2019-12-05T11:57:27Z", TimeQuality::kExact);
  EXPECT_EQ(s.lines.at(17).level, Level::kCritical);
}

TEST(Formats, CeleryWorker) {
  DecodedSource s = One("celery/worker.log");
  for (uint64_t n = 2; n <= 7; ++n) EXPECT_EQ(s.lines.at(n).record_line, 1u) << n;
  const LogRecord& lost = s.lines.at(9);
  EXPECT_EQ(lost.format, "celery");
  EXPECT_EQ(lost.level, Level::kWarning);
  EXPECT_EQ(lost.process.component, "worker");
  ExpectTime(lost, "2025-05-25T18:05:01.012Z", TimeQuality::kAssumedZone);
  const LogRecord& exc = s.lines.at(14);
  EXPECT_TRUE(exc.continuation);
  EXPECT_EQ(exc.record_line, 10u);
  EXPECT_EQ(exc.level, Level::kError);
  EXPECT_EQ(exc.message,
            "airflow.sdk.api.client.ServerResponseError: Invalid auth token: Signature "
            "verification failed");
}

TEST(Formats, UvicornWithoutAnyTime) {
  DecodedSource s = One("uvicorn/scheduler-serve-logs.log");
  EXPECT_EQ(s.lines.at(1).level, Level::kWarning);
  EXPECT_EQ(s.lines.at(1).process.component, "scheduler");
  EXPECT_EQ(s.lines.at(2).time_quality, TimeQuality::kNone);
  EXPECT_EQ(s.lines.at(7).record_line, 4u);
  EXPECT_EQ(s.lines.at(7).level, Level::kError);
  EXPECT_FALSE(s.lines.at(8).continuation);
}

TEST(Formats, AirflowStandalonePrefixes) {
  DecodedSource s = One("standalone/standalone.log");
  EXPECT_EQ(s.lines.at(1).message, "Starting Airflow Standalone");
  EXPECT_EQ(s.lines.at(3).process.component, "scheduler");
  EXPECT_EQ(s.lines.at(3).logger, "airflow.jobs.scheduler_job_runner.SchedulerJobRunner");
  const LogRecord& uv = s.lines.at(5);
  EXPECT_EQ(uv.process.component, "api-server");
  EXPECT_EQ(uv.format, "uvicorn");
  // Inherits from its own process (line 4), not from the scheduler.
  ExpectTime(uv, "2026-05-15T05:43:51.104233Z", TimeQuality::kInherited);
  EXPECT_EQ(s.lines.at(6).process.component, "triggerer");
  EXPECT_EQ(s.lines.at(7).process.component, "dag-processor");
}

TEST(Formats, ComposeInterleavedStreamsAndDoubledPrefixes) {
  DecodedSource s = One("compose/docker-compose.log");
  const LogRecord& uv = s.lines.at(3);
  EXPECT_EQ(uv.process.host, "airflow-apiserver-1");
  EXPECT_EQ(uv.process.component, "api-server");
  // Interleaved output is in arrival order: the nearest timed line of any
  // stream (the scheduler's, later than the api-server's own last time) is
  // the closer estimate.
  ExpectTime(uv, "2025-12-07T15:49:58.211511Z", TimeQuality::kInherited);
  // The scheduler's traceback, interleaved with api-server lines, belongs
  // to the scheduler's record.
  const LogRecord& exc = s.lines.at(7);
  EXPECT_TRUE(exc.continuation);
  EXPECT_EQ(exc.record_line, 2u);
  EXPECT_EQ(exc.process.host, "airflow-scheduler-1");
  EXPECT_EQ(exc.process.component, "scheduler");
  EXPECT_FALSE(s.lines.at(5).continuation);
  // compose + honcho: both prefixes name the process.
  const LogRecord& fail = s.lines.at(9);
  EXPECT_EQ(fail.process.host, "airflow-1/api-server");
  EXPECT_EQ(fail.process.component, "api-server");
  EXPECT_EQ(fail.level, Level::kError);
  EXPECT_EQ(s.lines.at(8).process.component, "scheduler");
  ExpectTime(s.lines.at(10), "2025-12-07T15:50:11.5Z", TimeQuality::kInherited);
}

TEST(Formats, InheritedTimeNeverPrecedesTheStreamsOwnLastTime) {
  // Output grouped per container (`docker compose logs` of stopped
  // containers): the scheduler's block is older than the api-server's, so
  // its times must not be inherited by api-server lines.
  std::string text =
      "airflow-apiserver-1  | 2025-12-07T16:00:00.000000Z [info     ] a [x]\n"
      "airflow-scheduler-1  | 2025-12-07T15:00:00.000000Z [info     ] b [y]\n"
      "airflow-apiserver-1  | INFO:     Started server process [7]\n";
  auto src = NewMemorySource("grouped.log", text);
  LineReader reader(src.get());
  Result<Chunk> c = reader.Next();
  ASSERT_TRUE(c.ok());
  Decoder d("grouped.log", DecoderOptions());
  LogRecord r;
  size_t begin = text.rfind("airflow-apiserver-1");
  d.Decode(*c, begin, text.size() - 1, 2, &r);
  ExpectTime(r, "2025-12-07T16:00:00Z", TimeQuality::kInherited);
}

TEST(Formats, AnsiColourAndCrlf) {
  DecodedSource s = One("compose/ansi-crlf.log");
  const LogRecord& fail = s.lines.at(1);
  EXPECT_EQ(fail.format, "structlog");
  EXPECT_EQ(fail.process.host, "airflow-apiserver-1");
  EXPECT_EQ(fail.message, "JWT token is not valid: Signature verification failed");
  EXPECT_EQ(fail.logger, "airflow.api_fastapi.auth.managers.base_auth_manager");
  EXPECT_EQ(fail.text.find('\x1b'), std::string::npos);
  EXPECT_EQ(fail.text.find('\r'), std::string::npos);
  EXPECT_EQ(s.lines.at(2).message, "172.18.0.1:34366 - \"GET / HTTP/1.1\" 403 Forbidden");
}

TEST(Formats, DockerJsonFileIsUnwrapped) {
  DecodedSource s = One("docker_json/4f1c2d3e5a6b-json.log");
  const LogRecord& uv = s.lines.at(2);
  EXPECT_EQ(uv.format, "uvicorn");
  // The runtime's receive time, for a line that prints none.
  ExpectTime(uv, "2025-12-07T15:49:59.000001Z", TimeQuality::kExact);
  EXPECT_EQ(s.lines.at(3).message, "172.18.0.1:34366 - \"GET /ui/config HTTP/1.1\" 403 Forbidden");
  // A partial line ("log" without a newline) is joined with the next one.
  const LogRecord& fail = s.lines.at(4);
  EXPECT_EQ(s.lines.count(5), 0u);
  EXPECT_EQ(fail.logger, "airflow.api_fastapi.auth.managers.base_auth_manager");
  ExpectTime(fail, "2025-12-07T15:51:01Z", TimeQuality::kExact);  // Its own time wins.
  ASSERT_GE(fail.fields.size(), 2u);
  EXPECT_EQ(fail.fields[1].second, "</ui/config>");  // \u003c unescaped.
  EXPECT_NE(fail.text.find("user=admin"), std::string::npos);
  EXPECT_EQ(s.lines.at(6).message, "Application startup complete.");  // ANSI from \u001b.
}

TEST(Formats, KubernetesCriPartialLinesJoinedAndPodIdentity) {
  DecodedSource s =
      One("cri/var/log/pods/"
          "airflow_airflow-api-server-6d5f8b9c7-x2x9q_0b6f3c1e-9f7a-4d2c-8a1e-5b2f0c9d1e3f/"
          "api-server/0.log");
  const LogRecord& fail = s.lines.at(3);
  EXPECT_EQ(s.lines.count(4), 0u);  // The F piece joined into line 3.
  EXPECT_EQ(fail.message, "JWT token is not valid: Signature verification failed");
  EXPECT_EQ(fail.logger, "airflow.api_fastapi.auth.managers.base_auth_manager");
  EXPECT_EQ(fail.process.host, "airflow-api-server-6d5f8b9c7-x2x9q");
  EXPECT_EQ(fail.process.component, "api-server");
  const LogRecord& uv = s.lines.at(2);
  ExpectTime(uv, "2025-12-07T15:49:59.000001Z", TimeQuality::kExact);
  EXPECT_EQ(uv.process.component, "api-server");  // From the pod path.
  EXPECT_EQ(s.lines.at(8).record_line, 6u);
  EXPECT_EQ(s.lines.at(8).level, Level::kError);
}

TEST(Formats, JournaldShort) {
  // journald short lines have no year: it comes from the file's date.
  std::string text;
  {
    std::ifstream in(kFormats + "journald/short.log", std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const int64_t mtime = Utc("2025-11-07T00:00:00Z") / 1000000;
  std::unique_ptr<Input> in = Input::FromSource(NewMemorySource("journal.log", text, mtime));
  std::vector<DecodedSource> all = DecodeAllOf(in.get());
  ASSERT_EQ(all.size(), 1u);
  const DecodedSource& s = all[0];
  const LogRecord& key = s.lines.at(1);
  EXPECT_EQ(key.process.host, "airflow-host");
  EXPECT_EQ(key.process.pid, 1018681);
  EXPECT_EQ(key.logger, "airflow.api_fastapi.auth.tokens");
  ExpectTime(key, "2025-11-06T10:30:09.104233Z", TimeQuality::kExact);  // Inner time wins.
  const LogRecord& uv = s.lines.at(2);
  EXPECT_EQ(uv.format, "uvicorn");
  // Line 1 printed both times: the host's clock is UTC, so this line's
  // journald time is exact, not assumed.
  ExpectTime(uv, "2025-11-06T10:30:10Z", TimeQuality::kExact);
  const LogRecord& exc = s.lines.at(5);
  EXPECT_TRUE(exc.continuation);
  EXPECT_EQ(exc.record_line, 3u);
  EXPECT_EQ(exc.process.pid, 1018700);
  EXPECT_EQ(exc.process.component, "scheduler");  // airflow-scheduler[...]
  EXPECT_EQ(s.lines.at(6).process.pid, 1);
  EXPECT_FALSE(s.lines.at(6).continuation);
}

TEST(Formats, JournaldExportJson) {
  DecodedSource s = One("journald/export.json");
  const LogRecord& key = s.lines.at(1);
  EXPECT_EQ(key.level, Level::kWarning);
  EXPECT_EQ(key.logger, "airflow.api_fastapi.auth.tokens");
  EXPECT_EQ(key.process.host, "airflow-host");
  EXPECT_EQ(key.process.pid, 1018681);
  EXPECT_EQ(key.process.component, "api-server");
  const LogRecord& uv = s.lines.at(2);
  ExpectTime(uv, "2025-11-06T10:30:10.000001Z", TimeQuality::kExact);  // __REALTIME_TIMESTAMP
  EXPECT_EQ(uv.message, "172.18.0.1:34366 - \"GET /ui/config HTTP/1.1\" 403 Forbidden");
  // A MESSAGE exported as a byte array, with a byte that is not UTF-8.
  EXPECT_NE(s.lines.at(3).text.find("JWT token is not valid: \xEF\xBF\xBD"), std::string::npos);
}

// Wrappers that move time (docs/formats.md, "Wrapper times"): identity and
// times must come out as they would without the wrapper.

TEST(Formats, KubectlPrefixAllContainers) {
  DecodedSource s = One("kubectl_prefix/all-containers.log");
  const LogRecord& start = s.lines.at(6);  // Running the uvicorn with:
  EXPECT_EQ(start.process.host, "airflow-api-server-84d6f7c9b5-mk2lp");
  EXPECT_EQ(start.process.component, "api-server");
  EXPECT_EQ(start.format, "structlog");
  EXPECT_EQ(start.logger, "airflow.cli.commands.api_server_command");  // From line 8.
  ExpectTime(start, "2026-01-14T10:00:15.12Z", TimeQuality::kExact);
  EXPECT_EQ(s.lines.at(10).process.pid, 1);
  // The traceback belongs to the pod's "Failed to validate JWT" record.
  const LogRecord& exc = s.lines.at(16);
  EXPECT_TRUE(exc.continuation);
  EXPECT_EQ(exc.record_line, 12u);
  EXPECT_EQ(exc.level, Level::kWarning);
  EXPECT_EQ(exc.message, "jwt.exceptions.InvalidSignatureError: Signature verification failed");
  ExpectTime(exc, "2026-01-14T11:15:25.05Z", TimeQuality::kInherited);
  // The next pod's banner comes after the api-server's block: it takes no
  // time from it (kubectl prints pods one after another).
  const LogRecord& banner = s.lines.at(18);
  EXPECT_EQ(banner.process.host, "airflow-scheduler-6c9b7f5d48-q7wzt");
  EXPECT_EQ(banner.process.component, "scheduler");
  EXPECT_EQ(banner.time_quality, TimeQuality::kNone);
  ExpectTime(s.lines.at(22), "2026-01-14T10:00:07.3Z", TimeQuality::kInherited);  // uvicorn
  EXPECT_EQ(s.lines.at(22).process.pid, 18);
  // A sidecar container of the pod: same host, its own stream.
  const LogRecord& groomer = s.lines.at(25);
  EXPECT_EQ(groomer.process.host, "airflow-scheduler-6c9b7f5d48-q7wzt");
  EXPECT_EQ(groomer.process.component, "scheduler");
  EXPECT_FALSE(groomer.continuation);  // Not the scheduler's TaskInstance record.
  EXPECT_EQ(groomer.message, "Trimming airflow logs to 15 days.");
  const LogRecord& worker = s.lines.at(28);
  EXPECT_EQ(worker.process.host, "airflow-worker-0");
  EXPECT_EQ(worker.process.component, "worker");
  EXPECT_EQ(worker.logger, "celery.app.trace");
}

TEST(Formats, KubectlPrefixWithoutContainer) {
  DecodedSource s = One("kubectl_prefix/old-kubectl-no-container.log");
  const LogRecord& err = s.lines.at(1);
  EXPECT_EQ(err.format, "classic");
  EXPECT_EQ(err.level, Level::kError);
  EXPECT_EQ(err.process.host, "airflow-webserver-5c9d8f7b6d-h2x4p");
  EXPECT_EQ(err.process.component, "api-server");
  const LogRecord& exc = s.lines.at(4);
  EXPECT_TRUE(exc.continuation);
  EXPECT_EQ(exc.record_line, 1u);
  EXPECT_EQ(exc.process.host, "airflow-webserver-5c9d8f7b6d-h2x4p");
  EXPECT_EQ(s.lines.at(5).process.host, "airflow-scheduler-0");
  EXPECT_EQ(s.lines.at(5).process.component, "scheduler");
}

TEST(Formats, KubectlPrefixAndTimestamps) {
  DecodedSource s = One("kubectl_prefix/prefix-timestamps.log");
  // A line without a time of its own takes the runtime's.
  const LogRecord& banner = s.lines.at(1);
  EXPECT_EQ(banner.process.host, "airflow-api-server-5f8d9c7b66-x2x9k");
  ExpectTime(banner, "2026-01-16T12:00:26.981203Z", TimeQuality::kExact);
  // The line's own time wins over the runtime's.
  const LogRecord& start = s.lines.at(3);
  EXPECT_EQ(start.format, "structlog");
  EXPECT_EQ(start.message, "Running the uvicorn with:");
  EXPECT_EQ(start.logger, "airflow.cli.commands.api_server_command");
  ExpectTime(start, "2026-01-16T12:00:27.12Z", TimeQuality::kExact);
  EXPECT_EQ(s.lines.at(5).record_line, 3u);  // The banner's last line.
  const LogRecord& uv = s.lines.at(6);
  EXPECT_EQ(uv.format, "uvicorn");
  EXPECT_EQ(uv.process.pid, 1);
  ExpectTime(uv, "2026-01-16T12:00:28.40211756Z", TimeQuality::kExact);
  const LogRecord& exc = s.lines.at(8);
  EXPECT_TRUE(exc.continuation);
  EXPECT_EQ(exc.record_line, 7u);
  ExpectTime(exc, "2026-01-16T12:03:09.051876Z", TimeQuality::kExact);
  EXPECT_EQ(s.lines.at(11).process.component, "scheduler");
}

TEST(Formats, KubectlTimestamps) {
  DecodedSource s = One("kubectl_timestamps/api-server.log");
  EXPECT_EQ(s.lines.at(1).process.component, "api-server");  // From the file name.
  ExpectTime(s.lines.at(1), "2025-12-07T15:49:57.913582Z", TimeQuality::kExact);
  EXPECT_EQ(s.lines.at(2).record_line, 1u);  // The banner is one record.
  const LogRecord& key = s.lines.at(3);
  EXPECT_EQ(key.format, "structlog");
  EXPECT_EQ(key.logger, "airflow.api_fastapi.auth.tokens");
  ExpectTime(key, "2025-12-07T15:49:58.12Z", TimeQuality::kExact);
  EXPECT_EQ(s.lines.at(6).record_line, 4u);
  EXPECT_EQ(s.lines.at(6).logger, "airflow.cli.commands.api_server_command");
  const LogRecord& uv = s.lines.at(7);
  EXPECT_EQ(uv.message, "Started server process [7]");
  ExpectTime(uv, "2025-12-07T15:50:00.104233Z", TimeQuality::kExact);
  EXPECT_EQ(s.lines.at(9).message, "JWT token is not valid: Signature verification failed");
  // An empty line kubectl stamped.
  EXPECT_EQ(s.lines.at(11).message, "");
  ExpectTime(s.lines.at(11), "2025-12-07T15:52:25.00127Z", TimeQuality::kExact);
}

TEST(Formats, ComposeTimestampsWithColour) {
  DecodedSource s = One("compose/timestamps-colour.log");
  const LogRecord& banner = s.lines.at(1);
  EXPECT_EQ(banner.process.host, "airflow-apiserver-1");
  ExpectTime(banner, "2025-12-07T15:49:57.913582Z", TimeQuality::kExact);
  const LogRecord& key = s.lines.at(3);
  EXPECT_EQ(key.process.host, "airflow-scheduler-1");
  EXPECT_EQ(key.process.component, "scheduler");
  EXPECT_EQ(key.format, "structlog");
  ExpectTime(key, "2025-12-07T15:50:01.308Z", TimeQuality::kExact);
  EXPECT_EQ(key.text.find('\x1b'), std::string::npos);
  const LogRecord& uv = s.lines.at(5);
  EXPECT_EQ(uv.process.host, "airflow-scheduler-1");
  EXPECT_EQ(uv.process.pid, 24);
  ExpectTime(uv, "2025-12-07T15:50:01.312551Z", TimeQuality::kExact);
  EXPECT_EQ(s.lines.at(6).logger, "airflow.api_fastapi.auth.managers.base_auth_manager");
}

TEST(Formats, JournaldShortInALocalZoneWithoutAYear) {
  // The file's mtime is when it was checked out: the year and the zone
  // (UTC-5) come from the lines that print both times, and apply to the
  // lines before them, other units of the host included.
  DecodedSource s = One("journald/short-local.log");
  const LogRecord& systemd = s.lines.at(1);
  EXPECT_EQ(systemd.process.host, "airflow-host");
  EXPECT_EQ(systemd.process.pid, 1);
  ExpectTime(systemd, "2025-11-06T13:30:05Z", TimeQuality::kExact);
  ExpectTime(s.lines.at(2), "2025-11-06T13:30:07Z", TimeQuality::kExact);  // Banner.
  const LogRecord& uv = s.lines.at(4);
  EXPECT_EQ(uv.format, "uvicorn");
  EXPECT_EQ(uv.process.pid, 1873);
  ExpectTime(uv, "2025-11-06T13:30:09Z", TimeQuality::kExact);
  const LogRecord& key = s.lines.at(6);
  EXPECT_EQ(key.logger, "airflow.api_fastapi.auth.tokens");
  ExpectTime(key, "2025-11-06T13:30:09.104233Z", TimeQuality::kExact);
  const LogRecord& sched = s.lines.at(8);
  EXPECT_EQ(sched.process.component, "scheduler");
  EXPECT_EQ(sched.process.pid, 1901);
  ExpectTime(sched, "2025-11-06T13:30:12Z", TimeQuality::kExact);
  const LogRecord& exc = s.lines.at(11);
  EXPECT_TRUE(exc.continuation);
  EXPECT_EQ(exc.record_line, 10u);
  ExpectTime(exc, "2025-11-06T13:31:02Z", TimeQuality::kExact);
  ExpectTime(s.lines.at(12), "2025-11-06T13:31:02Z", TimeQuality::kExact);
}

TEST(Formats, HonchoTimeOfDayAcrossMidnight) {
  // honcho prints the local time of day only (UTC+2 here); the lines'
  // structlog times give the offset and the date, before midnight included.
  DecodedSource s = One("honcho/honcho.log");
  const LogRecord& system = s.lines.at(1);
  EXPECT_EQ(system.process.host, "system");
  ExpectTime(system, "2025-12-07T21:59:58Z", TimeQuality::kExact);
  const LogRecord& uv = s.lines.at(3);
  EXPECT_EQ(uv.process.host, "api-server.1");
  EXPECT_EQ(uv.process.component, "api-server");
  EXPECT_EQ(uv.process.pid, 41);
  ExpectTime(uv, "2025-12-07T21:59:59Z", TimeQuality::kExact);
  const LogRecord& sched = s.lines.at(4);
  EXPECT_EQ(sched.process.component, "scheduler");
  ExpectTime(sched, "2025-12-07T22:00:01.3Z", TimeQuality::kExact);
  ExpectTime(s.lines.at(6), "2025-12-07T22:00:02Z", TimeQuality::kExact);
  const LogRecord& exc = s.lines.at(8);
  EXPECT_TRUE(exc.continuation);
  EXPECT_EQ(exc.record_line, 7u);
  EXPECT_EQ(exc.level, Level::kWarning);
}

TEST(Formats, BareLines) {
  DecodedSource s = One("bare/pasted.log");
  const LogRecord& r = s.lines.at(1);
  EXPECT_EQ(r.format, "bare");
  EXPECT_EQ(r.time_quality, TimeQuality::kNone);
  EXPECT_EQ(r.level, Level::kUnknown);
  EXPECT_EQ(r.message, "All tasks failing with Invalid auth token: Signature verification failed");
}

}  // namespace
}  // namespace etiolog::ingest
