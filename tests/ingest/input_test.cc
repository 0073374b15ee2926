// SPDX-License-Identifier: Apache-2.0
//
// One test per source kind: plain file, memory, gzip, zstd, bzip2, xz,
// tar.gz with a nested gzip member, zip, and the damaged cases.

#include "ingest/input.h"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/ingest/ingest_test_util.h"
#include "tests/test_util.h"

namespace etiolog::ingest {
namespace {

const std::string kDir = ETIOLOG_SAMPLES_DIR "/formats/";

// Reads every stream of path: (name, content) pairs, and the first error.
struct Streams {
  std::vector<std::pair<std::string, std::string>> streams;
  std::string error;
};

Streams ReadAll(const std::string& path) {
  Streams out;
  Result<std::unique_ptr<Input>> in = Input::Open(path);
  if (!in.ok()) {
    out.error = in.status().message();
    return out;
  }
  for (;;) {
    Result<std::unique_ptr<Source>> src = (*in)->Next();
    if (!src.ok()) {
      out.error = src.status().message();
      return out;
    }
    if (*src == nullptr) return out;
    std::string data;
    char buf[1000];  // Small reads: exercise the peek replay boundary.
    for (;;) {
      Result<size_t> r = (*src)->Read(buf, sizeof buf);
      if (!r.ok()) {
        out.error = r.status().message();
        break;
      }
      if (*r == 0) break;
      data.append(buf, *r);
    }
    out.streams.emplace_back((*src)->name(), std::move(data));
    if (!out.error.empty()) return out;
  }
}

std::string Slurp(const std::string& path) {
  Streams s = ReadAll(path);
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(s.streams.size(), 1u);
  return s.streams.empty() ? "" : s.streams[0].second;
}

TEST(SniffContainer, Magic) {
  EXPECT_EQ(SniffContainer("\x1f\x8b\x08"), Container::kCompressed);
  EXPECT_EQ(SniffContainer("\x28\xb5\x2f\xfd"), Container::kCompressed);
  EXPECT_EQ(SniffContainer("BZh9"), Container::kCompressed);
  EXPECT_EQ(SniffContainer(std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6)),
            Container::kCompressed);
  EXPECT_EQ(SniffContainer("PK\x03\x04"), Container::kArchive);
  std::string tar(512, '\0');
  tar.replace(257, 5, "ustar");
  EXPECT_EQ(SniffContainer(tar), Container::kArchive);
  EXPECT_EQ(SniffContainer("2025-12-07T15:56:23.562782Z [error    ] x"), Container::kPlain);
  EXPECT_EQ(SniffContainer(""), Container::kPlain);
}

TEST(Input, PlainFileIsOneStreamNamedByItsPath) {
  Streams s = ReadAll(kDir + "classic/scheduler-2.x.log");
  ASSERT_EQ(s.streams.size(), 1u);
  EXPECT_EQ(s.streams[0].first, kDir + "classic/scheduler-2.x.log");
  EXPECT_EQ(s.streams[0].second.rfind("[2020-07-23 14:09:26,916]", 0), 0u);
}

TEST(Input, CompressedFilesAreDetectedByContent) {
  const std::string plain = Slurp(kDir + "structlog/api-server-3.1.log");
  ASSERT_FALSE(plain.empty());
  for (const char* f : {"archives/api-server.log.zst", "archives/api-server.log.bz2",
                        "archives/api-server.log.xz"}) {
    EXPECT_EQ(Slurp(kDir + f), plain) << f;
  }
  EXPECT_EQ(Slurp(kDir + "archives/scheduler.log.gz"), Slurp(kDir + "classic/scheduler-2.x.log"));
}

TEST(Input, CompressedStdinLikeSourceWithoutName) {
  // A gzip arriving on a stream (as on stdin): detection needs no name.
  std::string gz;
  {
    std::ifstream in(kDir + "archives/scheduler.log.gz", std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::unique_ptr<Input> in = Input::FromSource(NewMemorySource("-", gz));
  Result<std::unique_ptr<Source>> src = in->Next();
  ASSERT_OK(src);
  ASSERT_NE(*src, nullptr);
  EXPECT_EQ((*src)->name(), "-");
  char buf[64];
  Result<size_t> r = (*src)->Read(buf, sizeof buf);
  ASSERT_OK(r);
  EXPECT_EQ(std::string(buf, *r).rfind("[2020-07-23", 0), 0u);
}

TEST(Input, TarMembersAreNamedInsideTheArchiveAndNestedGzipIsOpened) {
  Streams s = ReadAll(kDir + "archives/support-bundle.tar.gz");
  EXPECT_EQ(s.error, "");
  ASSERT_EQ(s.streams.size(), 2u);
  EXPECT_EQ(s.streams[0].first,
            kDir +
                "archives/support-bundle.tar.gz:var/log/pods/"
                "airflow_airflow-scheduler-0_1a2b3c4d-0000-4000-8000-000000000001/scheduler/0.log");
  EXPECT_EQ(s.streams[0].second, Slurp(kDir + "uvicorn/scheduler-serve-logs.log"));
  EXPECT_EQ(s.streams[1].first,
            kDir + "archives/support-bundle.tar.gz:logs/scheduler/latest.log.1.gz");
  EXPECT_EQ(s.streams[1].second, Slurp(kDir + "classic/scheduler-2.x.log"));
}

TEST(Input, ZipMembers) {
  Streams s = ReadAll(kDir + "archives/logs.zip");
  EXPECT_EQ(s.error, "");
  ASSERT_EQ(s.streams.size(), 2u);
  EXPECT_EQ(s.streams[0].first, kDir + "archives/logs.zip:airflow/scheduler.log");
  EXPECT_EQ(s.streams[1].first, kDir + "archives/logs.zip:airflow/api-server.log");
  EXPECT_EQ(s.streams[1].second, Slurp(kDir + "structlog/api-server-3.1.log"));
}

TEST(Input, TruncatedGzipDeliversTheGoodPartThenNamesTheDamage) {
  Streams s = ReadAll(kDir + "archives/truncated.log.gz");
  ASSERT_EQ(s.streams.size(), 1u);
  EXPECT_GT(s.streams[0].second.size(), 60000u);
  EXPECT_NE(s.error.find("truncated.log.gz"), std::string::npos) << s.error;
  EXPECT_NE(s.error.find("truncated"), std::string::npos) << s.error;
}

TEST(Input, DamagedTarHeaderIsAnError) {
  std::string tar(1024, 'x');
  tar.replace(257, 5, "ustar");
  std::unique_ptr<Input> in = Input::FromSource(NewMemorySource("bad.tar", tar));
  Result<std::unique_ptr<Source>> src = in->Next();
  ASSERT_FALSE(src.ok());
  EXPECT_NE(src.status().message().find("bad.tar"), std::string::npos);
  Result<std::unique_ptr<Source>> after = in->Next();
  ASSERT_OK(after);
  EXPECT_EQ(*after, nullptr);
}

TEST(Input, StaleMemberFailsCleanly) {
  Result<std::unique_ptr<Input>> in = Input::Open(kDir + "archives/logs.zip");
  ASSERT_OK(in);
  Result<std::unique_ptr<Source>> first = (*in)->Next();
  ASSERT_OK(first);
  Result<std::unique_ptr<Source>> second = (*in)->Next();
  ASSERT_OK(second);
  // The first member's peeked head may still be served; past it, reading
  // a member that is no longer current is an error, never another
  // member's bytes.
  char buf[4096];
  Status st;
  for (int i = 0; i < 100 && st.ok(); ++i) {
    Result<size_t> r = (*first)->Read(buf, sizeof buf);
    if (!r.ok()) st = r.status();
    if (r.ok() && *r == 0) break;
  }
  EXPECT_FALSE(st.ok());
  EXPECT_OK((*second)->Read(buf, sizeof buf));
}

TEST(Input, MissingFileIsNotFound) {
  Result<std::unique_ptr<Input>> in = Input::Open("/nonexistent/etiolog/x.log");
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), Status::Code::kNotFound);
  EXPECT_NE(in.status().message().find("/nonexistent/etiolog/x.log"), std::string::npos);
}

TEST(Input, DirectoryIsAnError) {
  Result<std::unique_ptr<Input>> in = Input::Open(kDir);
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.status().message().find("is a directory"), std::string::npos);
}

}  // namespace
}  // namespace etiolog::ingest
