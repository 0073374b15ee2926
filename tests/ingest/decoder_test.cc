// SPDX-License-Identifier: Apache-2.0
#include "ingest/decoder.h"

#include <gtest/gtest.h>

#include "ingest/path_identity.h"
#include "ingest/timestamp.h"

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

TEST(InferComponent, Names) {
  EXPECT_EQ(InferComponent("airflow-apiserver-1"), "api-server");
  EXPECT_EQ(InferComponent("airflow.jobs.scheduler_job_runner"), "scheduler");
  EXPECT_EQ(InferComponent("/logs/dag_processor/x.log"), "dag-processor");
  EXPECT_EQ(InferComponent("airflow-worker-2"), "worker");
  EXPECT_EQ(InferComponent("postgres-1"), "");
}

}  // namespace
}  // namespace etiolog::ingest
