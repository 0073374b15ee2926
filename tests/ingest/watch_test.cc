// SPDX-License-Identifier: Apache-2.0
//
// The Watcher against a real directory (waits are bounded; no duration is
// asserted), and the Follower's side of it: which directories it asks to
// watch, and when it waits for time rather than for a change.

#include "ingest/watch.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/follow.h"
#include <poll.h>
#include <unistd.h>

namespace etiolog::ingest {
namespace {

namespace fs = std::filesystem;

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etiolog-watch-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Result<std::unique_ptr<Watcher>> w = Watcher::Create();
    ASSERT_TRUE(w.ok()) << w.status().message();
    watcher_ = std::move(w).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Waits (at most 10 s) until the watcher has events, then drains them.
  Watcher::Events Next() {
    struct pollfd p {
      watcher_->fd(), POLLIN, 0
    };
    EXPECT_EQ(::poll(&p, 1, 10000), 1) << "no inotify event within 10 s";
    return watcher_->Drain();
  }

  std::string dir_;
  std::unique_ptr<Watcher> watcher_;
};

TEST_F(WatchTest, WakesOnNewFilesAndOnWrites) {
  ASSERT_TRUE(watcher_->Watch(dir_).ok());
  EXPECT_TRUE(watcher_->watches(dir_));
  EXPECT_TRUE(watcher_->Watch(dir_).ok()) << "watching twice is fine";
  EXPECT_EQ(watcher_->size(), 1u);
  EXPECT_FALSE(watcher_->Drain().any) << "nothing happened yet";

  std::ofstream out(dir_ + "/app.log");
  Watcher::Events ev = Next();
  EXPECT_TRUE(ev.any);
  EXPECT_TRUE(ev.appeared) << "a new name: look for new files";

  out << "a line\n" << std::flush;
  ev = Next();
  EXPECT_TRUE(ev.any);
  EXPECT_FALSE(ev.appeared) << "a write is no new name";

  fs::rename(dir_ + "/app.log", dir_ + "/app.log.1");
  ev = Next();
  EXPECT_TRUE(ev.appeared) << "a rotation moves a name in";
}

TEST_F(WatchTest, SaysWhenItsQueueOverflowed) {
  // More events than the kernel queues (fs.inotify.max_queued_events),
  // none drained: events were lost, and the follower must check everything.
  int64_t limit = 16384;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> limit;
  if (limit > 200000) GTEST_SKIP() << "max_queued_events is " << limit;
  ASSERT_TRUE(watcher_->Watch(dir_).ok());
  for (int64_t i = 0; i <= limit; ++i) {
    std::ofstream(dir_ + "/f" + std::to_string(i));  // A create and a close each.
  }
  Watcher::Events ev = Next();
  EXPECT_TRUE(ev.overflow);
  EXPECT_TRUE(ev.any);
  std::ofstream(dir_ + "/after") << "x\n";
  ev = Next();
  EXPECT_FALSE(ev.overflow) << "the queue works again once drained";
  EXPECT_TRUE(ev.appeared);
}

TEST_F(WatchTest, SaysWhenADirectoryIsMissingOrGone) {
  Status st = watcher_->Watch(dir_ + "/missing");
  EXPECT_EQ(st.code(), Status::Code::kNotFound) << st.message();
  std::ofstream(dir_ + "/file") << "x\n";
  EXPECT_EQ(watcher_->Watch(dir_ + "/file").code(), Status::Code::kNotFound)
      << "a file is not a directory";

  const std::string sub = dir_ + "/pod";
  fs::create_directory(sub);
  ASSERT_TRUE(watcher_->Watch(sub).ok());
  fs::remove_all(sub);
  bool lost = false;
  for (int i = 0; i < 5 && !lost; ++i) lost = Next().lost;
  EXPECT_TRUE(lost);
  EXPECT_FALSE(watcher_->watches(sub)) << "its watch is forgotten; it can be watched again";
}

TEST_F(WatchTest, LocalFileSystemsAreNotRemote) {
  std::string kind;
  EXPECT_FALSE(IsRemoteFileSystem(dir_, &kind)) << kind;
  EXPECT_FALSE(IsRemoteFileSystem(dir_ + "/missing", &kind));
}

TEST_F(WatchTest, TheFollowerNamesTheDirectoriesToWatch) {
  // A Kubernetes layout: /var/log/pods/<pod>/<container>/0.log, and
  // /var/log/containers/<name>.log symlinks into it.
  const std::string pods = dir_ + "/pods", links = dir_ + "/containers";
  fs::create_directories(pods + "/airflow_sched-0/scheduler");
  fs::create_directories(pods + "/airflow_api-0/api-server");
  fs::create_directories(links);
  std::ofstream(pods + "/airflow_sched-0/scheduler/0.log") << "x\n";
  fs::create_symlink(pods + "/airflow_sched-0/scheduler/0.log", links + "/sched.log");

  Follower::Options o;
  o.patterns = {{pods + "/*/*/*.log", {}}, {links, {}}};
  Follower f(o);
  (void)f.Poll();
  const std::vector<std::string> want = {
      dir_ + "/containers",
      pods,
      pods + "/airflow_api-0",
      pods + "/airflow_api-0/api-server",  // No file yet: watched for the first one.
      pods + "/airflow_sched-0",
      pods + "/airflow_sched-0/scheduler",  // Also where the symlink leads.
  };
  EXPECT_EQ(f.Directories(), want);
}

TEST_F(WatchTest, AFollowedDirectoryIsWatchedWithEveryDirectoryBelowIt) {
  // Airflow's task logs: a directory per DAG, run and task, made as tasks
  // run; a file appears in a directory that did not exist at start.
  const std::string logs = dir_ + "/logs";
  fs::create_directories(logs + "/dag_id=etl/run_id=r1/task_id=load");
  Follower::Options o;
  o.patterns = {{logs, {}}};
  Follower f(o);
  (void)f.Poll();
  std::vector<std::string> want = {logs, logs + "/dag_id=etl", logs + "/dag_id=etl/run_id=r1",
                                   logs + "/dag_id=etl/run_id=r1/task_id=load"};
  EXPECT_EQ(f.Directories(), want);
  fs::create_directories(logs + "/dag_id=etl/run_id=r2");
  want.push_back(logs + "/dag_id=etl/run_id=r2");
  EXPECT_EQ(f.Directories(), want) << "a directory made later is named too";
}

TEST_F(WatchTest, TheFollowerWaitsForTimeOnlyWhileAFileNeedsIt) {
  int64_t now = 0;
  Follower::Options o;
  o.patterns = {{dir_, {}}};
  o.settle_ms = 1000;
  o.rotate_wait_ms = 1000;
  Follower f(o, [&] { return now; });
  std::ofstream(dir_ + "/app.log") << "complete\n";
  Follower::Changes c = f.Poll();
  ASSERT_EQ(c.found.size(), 1u);
  FollowedFile* file = c.found[0];
  char buf[64];
  while (file->Read(buf, sizeof buf).value() > 0) {
  }
  EXPECT_FALSE(f.waiting()) << "idle and complete: a change will wake the caller";

  std::ofstream(dir_ + "/app.log", std::ios::app) << "partial";
  now += 10;
  (void)f.Poll();
  while (file->Read(buf, sizeof buf).value() > 0) {
  }
  EXPECT_TRUE(f.waiting()) << "a partial line settles with time";
  now += 1000;
  (void)f.Poll();
  (void)file->Read(buf, sizeof buf);
  EXPECT_EQ(file->drained(), Drained::kSettled);
  EXPECT_FALSE(f.waiting());

  fs::rename(dir_ + "/app.log", dir_ + "/../" + fs::path(dir_).filename().string() + ".moved");
  now += 10;
  (void)f.Poll();
  EXPECT_TRUE(f.waiting()) << "a rotated file finishes after rotate_wait";
  fs::remove(dir_ + "/../" + fs::path(dir_).filename().string() + ".moved");
}

}  // namespace
}  // namespace etiolog::ingest
