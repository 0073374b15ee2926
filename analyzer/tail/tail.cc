// SPDX-License-Identifier: Apache-2.0
//
// The loop: poll the Follower; read the files it lists, old generations
// first (a rotated file's last lines come before its successor's first);
// attach new generations to the store (resuming a stored checkpoint when
// the file is one the store knows, by identity); print what happened to
// files on err. When events arrived and the logs were then quiet for the
// debounce interval (and the last diagnosis is at least that old), or the
// oldest event not diagnosed yet is max_delay old (events that never
// pause), build the timeline, diagnose, save, and emit the findings whose fingerprint is
// new or whose confidence or evidence changed materially since it was last
// emitted. Sleep for the poll interval unless a file still has bytes past
// its per-poll budget. A signal sets a flag and interrupts the sleep; the
// loop then reads what is left, diagnoses if needed and returns.

#include "analyzer/tail/tail.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "analyzer/diagnosis/diagnoser.h"
#include "analyzer/pipeline/pipeline.h"
#include "analyzer/pipeline/rule_set.h"
#include "analyzer/report/report.h"
#include "analyzer/sinks/output.h"
#include "db/store.h"
#include "ingest/follow.h"
#include "ingest/live_pipe.h"
#include "ingest/watch.h"
#include <malloc.h>
#include <poll.h>
#include <unistd.h>

namespace etiolog::analyzer {

namespace {

using Json = nlohmann::ordered_json;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;

// Bytes standard input may yield per round of the loop (as a followed
// file's per-poll budget), so a fast writer cannot hold off the diagnosis.
constexpr uint64_t kBytesPerPoll = uint64_t{64} << 20;

void OnSignal(int) { g_stop = 1; }
void OnHangup(int) { g_reload = 1; }

// Installs the handlers for the lifetime of the object, then restores the
// previous ones. The signals stay blocked except inside Sleep(), so one
// that arrives between checking the flags and going to sleep is not missed
// (it interrupts the sleep at once instead).
class SignalScope {
 public:
  SignalScope() {
    g_stop = 0;
    g_reload = 0;
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // No SA_RESTART: the sleep returns at once.
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    sa.sa_handler = OnHangup;
    sigaction(SIGHUP, &sa, &old_hup_);
    sigset_t ours;
    sigemptyset(&ours);
    sigaddset(&ours, SIGINT);
    sigaddset(&ours, SIGTERM);
    sigaddset(&ours, SIGHUP);
    sigprocmask(SIG_BLOCK, &ours, &old_mask_);
    awake_mask_ = old_mask_;
    sigdelset(&awake_mask_, SIGINT);
    sigdelset(&awake_mask_, SIGTERM);
    sigdelset(&awake_mask_, SIGHUP);
  }
  ~SignalScope() {
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGHUP, &old_hup_, nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

  // Waits up to timeout_ms for one of fds to be readable, or for one of our
  // signals (delivered only now).
  void Sleep(struct pollfd* fds, nfds_t n, int64_t timeout_ms) const {
    struct timespec ts {};
    ts.tv_sec = static_cast<time_t>(timeout_ms / 1000);
    ts.tv_nsec = static_cast<decltype(ts.tv_nsec)>(timeout_ms % 1000) * 1000000;
    ::ppoll(fds, n, &ts, &awake_mask_);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  struct sigaction old_hup_ {};
  sigset_t old_mask_{};
  sigset_t awake_mask_{};
};

// "2026-12-07T10:02:03Z" for a wall-clock time.
std::string UtcTime(std::time_t t) {
  char text[32];
  struct tm tm {};
  gmtime_r(&t, &tm);
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

size_t EvidenceCount(const Finding& f) { return f.evidence.size() + f.against.size(); }

// The processes a finding's evidence names: "component@host[pid]", or the
// source for a line that names none.
std::set<std::string> Processes(const Finding& f) {
  std::set<std::string> out;
  for (const std::vector<EvidenceLine>* lines : {&f.evidence, &f.against}) {
    for (const EvidenceLine& e : *lines) {
      if (e.component.empty() && e.host.empty() && e.pid == 0) {
        out.insert(e.path);
      } else {
        out.insert(e.component + "@" + e.host + "[" + std::to_string(e.pid) + "]");
      }
    }
  }
  return out;
}

// What was emitted of a finding: its confidence and evidence count the
// last time, and every process it has named since it was first emitted.
struct Emitted {
  double confidence = 0;
  size_t evidence = 0;
  std::set<std::string> processes;

  void Update(const Finding& f) {
    confidence = f.confidence;
    evidence = EvidenceCount(f);
    const std::set<std::string> now = Processes(f);
    processes.insert(now.begin(), now.end());
  }
};

// Whether f differs materially from what was emitted: confidence moved by
// 0.05 or more, the number of cited lines changed by half or more, or it
// names a process it never named (one more process is affected).
bool Changed(const Finding& f, const Emitted& e) {
  if (std::fabs(f.confidence - e.confidence) >= 0.05 - 1e-9) return true;
  const size_t n = EvidenceCount(f);
  const size_t diff = n > e.evidence ? n - e.evidence : e.evidence - n;
  if (diff > 0 && 2 * diff >= std::max<size_t>(e.evidence, 1)) return true;
  const std::set<std::string> now = Processes(f);
  return !std::includes(e.processes.begin(), e.processes.end(), now.begin(), now.end());
}

class Tail {
 public:
  Tail(const TailOptions& options, std::ostream& out, std::ostream& err)
      : options_(options), out_(out), err_(err) {}

  TailEnd Run();

 private:
  // A generation being read into the store.
  struct Tracked {
    int64_t source_id = 0;
    ingest::FileIdentity saved;  // As last saved in the store.
    std::string saved_path;
    std::unique_ptr<Pipeline::Stream> stream;
  };

  bool Attach(ingest::FollowedFile* f, bool startup);
  bool StartStdin(const ProcessIdentity& labels);
  bool PumpStdin();
  // Whether standard input is followed and not read to its end (or failed).
  bool StdinOpen() const { return stdin_stream_ != nullptr && !stdin_stream_->ended(); }
  // Watches the directories the follower cares about now; on a failure,
  // says why and polls from then on. Returns whether it watches a
  // directory it did not watch before.
  bool SyncWatches();
  // Waits up to timeout_ms for a change (a watched directory, standard
  // input) or a signal.
  void Wait(const SignalScope& signals, int64_t timeout_ms);
  // last_path: where the file was last seen, kept for a file found at no
  // followed path (adopted after a rotation while etiolog was stopped).
  bool Start(ingest::FollowedFile* f, const std::string& name, uint64_t offset, uint64_t line,
             const std::string& last_path = "");
  bool Pump(ingest::FollowedFile* f);
  bool End(ingest::FollowedFile* f);
  bool SaveFile(ingest::FollowedFile* f, const Tracked& t, bool ended);
  // Marks a stored generation as ended, so no later run resumes it.
  bool MarkEnded(db::FollowedFileRecord* r) {
    r->ended = true;
    failure_ = store_->SaveFollowedFile(*r);
    return failure_.ok();
  }
  Result<std::string> FreeName(const std::string& path);
  void Report(const IngestStats& stats);
  bool Diagnose();
  // SIGHUP: loads the packs again. On success the followed files go on at
  // their checkpoints with the new rules and the causes are the new ones;
  // on failure the error is printed and the packs loaded before stay.
  bool Reload();
  // Writes the status file (--status-file), at most once a second unless
  // forced; a failure is said once and does not stop the run.
  void WriteStatus(bool force, bool stopped);
  // Returns false if rendering failed; a ticket not delivered sets
  // delivery_failed_ and is not a failure of the run.
  bool Emit(const std::vector<Finding>& all, const std::vector<Finding>& changed,
            const std::vector<std::string>& how);
  TailEnd Fail(const Status& st) {
    err_ << "etiolog: " << st.message() << "\n";
    return TailEnd::kFailed;
  }

  const TailOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  LoadedRules loaded_;
  std::unique_ptr<db::Store> store_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<ingest::Follower> follower_;
  std::unique_ptr<ingest::Watcher> watcher_;  // Null: polling.
  std::unique_ptr<ingest::LivePipe> stdin_;   // "-" among the paths.
  std::unique_ptr<Pipeline::Stream> stdin_stream_;
  std::unique_ptr<Diagnoser> diagnoser_;
  RunSummary run_;
  std::map<ingest::FollowedFile*, Tracked> tracked_;
  std::vector<db::FollowedFileRecord> stored_;  // At start.
  std::map<std::string, Emitted> emitted_;      // By fingerprint.
  std::set<std::string> cause_errors_;          // Already printed.
  uint64_t events_ = 0;                         // Events read in this session.
  uint64_t attached_ = 0;                       // Generations read in this session.
  Status failure_;                              // The store failed.
  bool delivery_failed_ = false;                // A finding was not delivered to a sink.
  bool stdin_failed_ = false;                   // Reading standard input failed.
  bool resync_ = false;                         // Names appeared: watch new directories.
  // Rules and pipelines replaced by a reload that standard input's stream
  // still reads with (a pipe cannot be read again from a checkpoint).
  std::vector<std::pair<LoadedRules, std::unique_ptr<Pipeline>>> retired_;
  // What the status file says.
  std::time_t started_at_ = 0;
  std::time_t last_event_at_ = 0;
  std::time_t last_diagnosis_at_ = 0;
  size_t findings_ = 0;
  bool pending_ = false;
  int64_t status_written_ms_ = -1;
  bool status_failed_ = false;
};

Result<std::string> Tail::FreeName(const std::string& path) {
  // The first generation of a path is named by it; later ones (after a
  // rotation, a truncation or a restart of etiolog) "<path>#2", "#3", ...,
  // so that each is a source of its own with its own offsets.
  for (int n = 1;; ++n) {
    const std::string name = n == 1 ? path : path + "#" + std::to_string(n);
    Result<db::Table> t =
        store_->Query("SELECT 1 FROM sources WHERE path = :p", {{"p", name}}, "source name");
    if (!t.ok()) return t.status();
    if (t->rows.empty()) return name;
  }
}

bool Tail::SaveFile(ingest::FollowedFile* f, const Tracked& t, bool ended) {
  db::FollowedFileRecord r;
  r.source_id = t.source_id;
  r.path = f->path().empty() ? t.saved_path : f->path();
  r.device = t.saved.device;
  r.inode = t.saved.inode;
  r.fingerprint_bytes = t.saved.fingerprint_bytes;
  r.fingerprint = t.saved.fingerprint;
  r.ended = ended;
  failure_ = store_->SaveFollowedFile(r);
  return failure_.ok();
}

bool Tail::Start(ingest::FollowedFile* f, const std::string& name, uint64_t offset, uint64_t line,
                 const std::string& last_path) {
  Result<db::SourceInfo> info = store_->AddSource(name);
  if (!info.ok()) {
    failure_ = info.status();
    return false;
  }
  f->set_name(name);
  f->Start(offset);
  Tracked t;
  t.source_id = info->id;
  t.saved = f->identity();
  t.saved_path = f->path().empty() ? last_path : f->path();
  t.stream = pipeline_->Follow(f, f->labels(), offset, line);
  Tracked& kept = tracked_[f] = std::move(t);
  ++attached_;
  return SaveFile(f, kept, false);
}

bool Tail::Attach(ingest::FollowedFile* f, bool startup) {
  // A generation the store knows: resume at its checkpoint.
  for (db::FollowedFileRecord& r : stored_) {
    if (r.ended || r.source_id == 0) continue;
    ingest::FileIdentity id{r.device, r.inode, r.fingerprint_bytes, r.fingerprint};
    Result<bool> same = f->Matches(id);
    if (!same.ok() || !*same) continue;
    if (f->size() < r.checkpoint_offset) {
      err_ << "etiolog: " << f->path() << ": shorter than when last read (truncated while "
           << "not followed); reading it from its start\n";
      if (!MarkEnded(&r)) return false;
      break;
    }
    const std::string name = r.name;
    const uint64_t offset = r.checkpoint_offset, line = r.checkpoint_line + 1;
    r.source_id = 0;  // Taken.
    if (offset > 0) {
      err_ << "etiolog: " << f->path() << ": resuming at line " << line << " (byte " << offset
           << ")\n";
    }
    return Start(f, name, offset, line);
  }
  Result<std::string> name = FreeName(f->path());
  if (!name.ok()) {
    failure_ = name.status();
    return false;
  }
  // Files present when tail starts for the first time begin at the end of
  // their last complete line unless --from-start; any other file is new
  // content and is read from its start.
  uint64_t offset = 0, line = 1;
  if (startup && stored_.empty() && !options_.from_start) {
    Result<std::pair<uint64_t, uint64_t>> end = f->LastLineEnd();
    if (!end.ok()) {
      err_ << "etiolog: " << end.status().message() << "\n";
    } else {
      offset = end->first;
      line = end->second + 1;
    }
  }
  return Start(f, *name, offset, line);
}

bool Tail::StartStdin(const ProcessIdentity& labels) {
  // Standard input cannot be found again by a later run: it is a source of
  // its own each time ("-", "-#2", ...), read from its first byte.
  if (!options_.db_path.empty()) {
    err_ << "etiolog: standard input cannot be resumed: " << options_.db_path
         << " keeps its events and findings, and a later run reads its input as a new source\n";
  }
  Result<std::string> name = FreeName("-");
  if (!name.ok()) {
    failure_ = name.status();
    return false;
  }
  if (Result<db::SourceInfo> info = store_->AddSource(*name); !info.ok()) {
    failure_ = info.status();
    return false;
  }
  stdin_ = std::make_unique<ingest::LivePipe>(STDIN_FILENO, *name, options_.partial_line_ms,
                                              kBytesPerPoll);
  stdin_stream_ = pipeline_->Follow(stdin_.get(), labels);
  ++attached_;
  return true;
}

bool Tail::PumpStdin() {
  if (!StdinOpen()) return true;
  stdin_->Refill();
  IngestStats stats;
  failure_ = stdin_stream_->Pump(&stats);
  if (failure_.ok() && stdin_stream_->ended()) failure_ = stdin_stream_->Finish(&stats);
  // A read that failed (not the end of input) makes the run partial.
  if (!stats.errors.empty()) stdin_failed_ = true;
  Report(stats);
  return failure_.ok();
}

bool Tail::SyncWatches() {
  if (watcher_ == nullptr) return false;
  bool added = false;
  for (const std::string& dir : follower_->Directories()) {
    if (watcher_->watches(dir)) continue;
    Status st = watcher_->Watch(dir);
    added = added || st.ok();
    if (st.ok() || st.code() == Status::Code::kNotFound) continue;
    err_ << "etiolog: " << st.message() << "; polling every " << options_.poll_interval_ms
         << " ms instead of inotify\n";
    watcher_.reset();
    return false;
  }
  return added;
}

void Tail::Wait(const SignalScope& signals, int64_t timeout_ms) {
  struct pollfd fds[2] = {};
  nfds_t n = 0;
  if (watcher_ != nullptr) fds[n++] = {watcher_->fd(), POLLIN, 0};
  // A pipe that ended stays readable: wait on it only while it is open.
  if (StdinOpen()) fds[n++] = {stdin_->fd(), POLLIN, 0};
  if (g_stop != 0) return;
  signals.Sleep(fds, n, std::max<int64_t>(timeout_ms, 0));
  if (watcher_ == nullptr) return;
  const ingest::Watcher::Events ev = watcher_->Drain();
  if (ev.overflow) err_ << "etiolog: inotify's queue overflowed; checking every file\n";
  if (ev.appeared || ev.overflow || ev.lost) {
    follower_->Rescan();
    resync_ = true;  // A new directory may need a watch.
  }
}

void Tail::Report(const IngestStats& stats) {
  for (const std::string& e : stats.errors) err_ << "etiolog: " << e << "\n";
  for (const std::string& w : stats.warnings) err_ << "etiolog: warning: " << w << "\n";
  IngestStats counts = stats;
  counts.errors.clear();
  counts.warnings.clear();
  run_.stats.bytes += counts.bytes;
  run_.stats.lines += counts.lines;
  run_.stats.candidates += counts.candidates;
  run_.stats.events += counts.events;
  run_.stats.capped_lines += counts.capped_lines;
  run_.stats.bad_records += counts.bad_records;
  events_ += counts.events;
}

bool Tail::Pump(ingest::FollowedFile* f) {
  auto it = tracked_.find(f);
  if (it == tracked_.end()) return true;
  Tracked& t = it->second;
  IngestStats stats;
  failure_ = t.stream->Pump(&stats);
  Report(stats);
  if (!failure_.ok()) return false;
  if (f->identity() != t.saved || (!f->path().empty() && f->path() != t.saved_path)) {
    // The fingerprint grew with the file (keep the longer one), or the file
    // was found under another followed name (renamed by a rotation).
    t.saved = f->identity();
    if (!f->path().empty()) t.saved_path = f->path();
    if (!SaveFile(f, t, false)) return false;
  }
  if (t.stream->ended()) return End(f);
  return true;
}

bool Tail::End(ingest::FollowedFile* f) {
  auto it = tracked_.find(f);
  if (it == tracked_.end()) return true;
  IngestStats stats;
  if (!it->second.stream->ended()) failure_ = it->second.stream->Pump(&stats);
  if (failure_.ok()) failure_ = it->second.stream->Finish(&stats);
  Report(stats);
  if (!failure_.ok()) return false;
  // A generation that ended is never resumed; one whose read failed (the
  // stream ended, the file did not) is, by the next run, at its checkpoint.
  const bool ok = SaveFile(f, it->second, f->ending());
  tracked_.erase(it);
  return ok;
}

bool Tail::Emit(const std::vector<Finding>& all, const std::vector<Finding>& changed,
                const std::vector<std::string>& how) {
  OutputOptions output = options_.output;
  output.report.redactor = loaded_.matcher.get();
  if (!output.to_dir.empty() || !output.post.url.empty()) {
    // A ticket directory holds every current finding (unchanged files are
    // not rewritten); an endpoint is sent the new and changed ones.
    if (!EmitFindings(output.to_dir.empty() ? changed : all, run_, output, out_, err_)) {
      delivery_failed_ = true;
    }
    out_.flush();
    return true;
  }
  if (options_.jsonl) {
    output.report.format = ReportFormat::kJson;
    Json doc = Json::parse(RenderReport(changed, run_, output.report), nullptr, false);
    if (doc.is_discarded() || !doc.contains("findings")) {
      err_ << "etiolog: internal error: the JSON report did not parse\n";
      return false;
    }
    size_t i = 0;
    for (Json& finding : doc["findings"]) {
      finding["change"] = how[i++];
      out_ << finding.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    }
    out_.flush();
    return true;
  }
  RunSummary shown = run_;
  shown.stats.errors.clear();  // Already on stderr.
  shown.stats.warnings.clear();
  shown.cause_errors.clear();
  const std::string now = UtcTime(std::time(nullptr));
  for (size_t i = 0; i < changed.size(); ++i) {
    out_ << "== " << now << " " << how[i] << " finding: " << changed[i].cause << " ("
         << changed[i].fingerprint << ")\n";
  }
  out_ << RenderReport(changed, shown, output.report);
  out_.flush();
  return true;
}

bool Tail::Diagnose() {
  failure_ = store_->BuildTimeline();
  if (!failure_.ok()) return false;
  Result<Verdict> verdict = diagnoser_->Run(*store_);
  if (!verdict.ok()) {
    failure_ = verdict.status();
    return false;
  }
  // A cause whose SQL fails is skipped; say so once, not at every
  // diagnosis.
  run_.cause_errors.clear();
  for (const CauseError& e : verdict->cause_errors) {
    run_.cause_errors.push_back(e.message);
    if (cause_errors_.insert(e.message).second) {
      err_ << "etiolog: " << e.message << " (cause skipped)\n";
    }
  }
  std::vector<Finding>* findings = &verdict->findings;
  last_diagnosis_at_ = std::time(nullptr);
  findings_ = findings->size();
  // The run summary counts the files read so far, ended or not.
  run_.stats.sources = attached_;
  Result<std::string> deployment = Diagnoser::DetectDeployment(*store_);
  run_.deployment = deployment.ok() ? *deployment : "default";
  failure_ = SaveFindings(*findings, RunSummaryJson(run_), store_.get());
  if (!failure_.ok()) return false;
  std::vector<Finding> changed;
  std::vector<std::string> how;
  std::set<std::string> current;
  for (const Finding& f : *findings) {
    if (!options_.output.cause.empty() && f.cause != options_.output.cause) continue;
    current.insert(f.fingerprint);
    auto it = emitted_.find(f.fingerprint);
    if (it != emitted_.end() && !Changed(f, it->second)) continue;
    how.push_back(it == emitted_.end() ? "new" : "changed");
    changed.push_back(f);
    emitted_[f.fingerprint].Update(f);
  }
  // A finding no longer reported is forgotten: if it comes back, it is new.
  for (auto it = emitted_.begin(); it != emitted_.end();) {
    it = current.count(it->first) ? std::next(it) : emitted_.erase(it);
  }
  if (changed.empty()) return true;
  if (!Emit(*findings, changed, how)) {
    failure_ = Status::Internal("report rendering failed");
    return false;
  }
  return true;
}

bool Tail::Reload() {
  err_ << "etiolog: SIGHUP: loading the rule packs again\n";
  LoadedRules fresh;
  if (!LoadRulesOrReport({options_.builtin_rules, options_.default_rules, options_.rule_files},
                         err_, &fresh)) {
    err_ << "etiolog: SIGHUP: the packs did not load; going on with those loaded before\n";
    return true;
  }
  auto pipeline = std::make_unique<Pipeline>(fresh.matcher.get(), store_.get(), options_.ingest);
  // Each followed file goes on at its checkpoint through the new rules:
  // what its old stream read past the checkpoint (a partial line) is read
  // again.
  for (auto& [f, t] : tracked_) {
    IngestStats stats;
    failure_ = t.stream->Finish(&stats);
    Report(stats);
    if (!failure_.ok()) return false;
    const uint64_t offset = t.stream->next_offset(), line = t.stream->next_line();
    f->Start(offset);
    t.stream = pipeline->Follow(f, f->labels(), offset, line);
  }
  if (StdinOpen()) {
    err_ << "etiolog: SIGHUP: standard input goes on with the packs it started with\n";
    retired_.emplace_back(std::move(loaded_), std::move(pipeline_));
  }
  loaded_ = std::move(fresh);
  pipeline_ = std::move(pipeline);
  run_.packs = loaded_.packs.files;
  DiagnoseOptions dopt;
  dopt.min_confidence = options_.min_confidence;
  diagnoser_ = std::make_unique<Diagnoser>(loaded_.packs.causes, dopt);
  cause_errors_.clear();
  err_ << "etiolog: SIGHUP: " << loaded_.packs.files.size() << " pack(s), "
       << loaded_.matcher->rules().size() << " rules, " << loaded_.packs.causes.size()
       << " causes loaded\n";
  return true;
}

void Tail::WriteStatus(bool force, bool stopped) {
  if (options_.status_file.empty()) return;
  const int64_t now = ingest::SteadyMillis();
  if (!force && status_written_ms_ >= 0 && now - status_written_ms_ < 1000) return;
  status_written_ms_ = now;
  const std::time_t wall = std::time(nullptr);
  Json st;
  st["state"] = stopped ? "stopped" : "following";
  st["pid"] = static_cast<int64_t>(::getpid());
  st["started"] = UtcTime(started_at_);
  st["updated"] = UtcTime(wall);
  st["updated_unix"] = static_cast<int64_t>(wall);
  st["wake"] = watcher_ != nullptr ? "inotify" : "poll";
  st["store"] = options_.db_path;
  uint64_t behind = 0;
  Json files = Json::array();
  for (const auto& [f, t] : tracked_) {
    const uint64_t lag = f->size() > f->offset() ? f->size() - f->offset() : 0;
    behind += lag;
    files.push_back({{"name", f->name()},
                     {"path", f->path()},
                     {"offset", f->offset()},
                     {"size", f->size()},
                     {"behind_bytes", lag}});
  }
  st["followed"] = tracked_.size();
  st["behind_bytes"] = behind;
  st["unreadable"] = follower_ != nullptr ? follower_->unreadable() : 0;
  if (stdin_ != nullptr) st["stdin"] = {{"open", StdinOpen()}};
  st["events"] = events_;
  st["last_event"] = last_event_at_ > 0 ? Json(UtcTime(last_event_at_)) : Json();
  st["last_diagnosis"] = last_diagnosis_at_ > 0 ? Json(UtcTime(last_diagnosis_at_)) : Json();
  st["diagnosis_pending"] = pending_;
  st["findings"] = findings_;
  st["files"] = std::move(files);
  // Written beside it and renamed over it: a reader never sees half a file.
  const std::string tmp = options_.status_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << st.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    out.close();
    if (out && std::rename(tmp.c_str(), options_.status_file.c_str()) == 0) {
      status_failed_ = false;
      return;
    }
  }
  if (!status_failed_) {
    err_ << "etiolog: " << options_.status_file
         << ": cannot write the status file: " << std::strerror(errno) << "\n";
  }
  status_failed_ = true;
}

TailEnd Tail::Run() {
  // glibc raises its mmap threshold each time a large block it mapped is
  // freed (a stream's 4 MiB reader buffer), after which such blocks come
  // from the heap, where they reuse pages other buffers touched: with a
  // thousand followed files that made the heap a gigabyte. A fixed
  // threshold (glibc's default) keeps every large buffer mapped on its own:
  // untouched pages cost nothing and freed ones go back to the system.
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  if (!LoadRulesOrReport({options_.builtin_rules, options_.default_rules, options_.rule_files},
                         err_, &loaded_)) {
    return TailEnd::kBadPacks;
  }
  run_.packs = loaded_.packs.files;
  DiagnoseOptions dopt;
  dopt.min_confidence = options_.min_confidence;
  diagnoser_ = std::make_unique<Diagnoser>(loaded_.packs.causes, dopt);
  Result<std::unique_ptr<db::Store>> store = db::Store::Open(options_.db_path);
  if (!store.ok()) return Fail(store.status());
  store_ = std::move(store).value();
  Result<std::vector<db::FollowedFileRecord>> stored = store_->LoadFollowedFiles();
  if (!stored.ok()) return Fail(stored.status());
  stored_ = std::move(stored).value();
  // Findings a previous session emitted are not emitted again.
  if (!stored_.empty()) {
    Result<std::vector<Finding>> before = LoadFindings(*store_, nullptr);
    if (before.ok()) {
      for (const Finding& f : *before) emitted_[f.fingerprint].Update(f);
    }
  }
  pipeline_ = std::make_unique<Pipeline>(loaded_.matcher.get(), store_.get(), options_.ingest);

  ingest::Follower::Options fo;
  for (size_t i = 0; i < options_.paths.size(); ++i) {
    const ProcessIdentity labels =
        i < options_.labels.size() ? options_.labels[i] : ProcessIdentity();
    if (options_.paths[i] != "-") {
      fo.patterns.push_back({options_.paths[i], labels});
    } else if (stdin_ == nullptr && !StartStdin(labels)) {
      return Fail(failure_);
    }
  }
  const bool follows_files = !fo.patterns.empty();
  fo.enumerate = options_.enumerate;
  // With inotify, a new name in a watched directory asks for a rescan; the
  // periodic one is only the safety net.
  fo.rescan_ms = options_.poll ? options_.rescan_ms : 6 * options_.watched_check_ms;
  fo.rotate_wait_ms = options_.rotate_wait_ms;
  fo.settle_ms = options_.partial_line_ms;
  follower_ = std::make_unique<ingest::Follower>(std::move(fo));

  SignalScope signals;
  started_at_ = std::time(nullptr);
  const int64_t started = ingest::SteadyMillis();
  int64_t last_activity = started;  // Bytes read or a diagnosis.
  int64_t last_event = -1;          // When new events last arrived.
  int64_t first_pending = -1;       // When the first event not diagnosed yet arrived.
  int64_t last_diagnosis = -1;
  bool pending = false;  // Events not diagnosed yet.
  bool startup = true;
  bool repoll = false;  // Poll again at once.
  for (;;) {
    const bool stopping = g_stop != 0;
    ingest::Follower::Changes c = follower_->Poll();
    for (const std::string& e : c.errors) err_ << "etiolog: " << e << "\n";
    for (const std::string& n : c.notes) err_ << "etiolog: " << n << "\n";
    const uint64_t events_before = events_;
    const uint64_t bytes_before = run_.stats.bytes;
    bool ok = true;
    for (ingest::FollowedFile* f : c.ended) ok = ok && End(f);
    for (ingest::FollowedFile* f : c.readable) ok = ok && Pump(f);
    for (ingest::FollowedFile* f : c.found) ok = ok && Attach(f, startup) && Pump(f);
    if (startup && ok) {
      // Files the store knows that are no longer at their path (rotated
      // while etiolog was stopped): read their rest.
      for (db::FollowedFileRecord& r : stored_) {
        if (r.ended || r.source_id == 0) continue;
        ingest::FileIdentity id{r.device, r.inode, r.fingerprint_bytes, r.fingerprint};
        ingest::FollowedFile* f = follower_->Adopt(r.path, id);
        if (f == nullptr) {
          // Gone (deleted, or rotated out of its directory): nothing to resume.
          err_ << "etiolog: " << r.name
               << ": not found any more (deleted, compressed, or moved out of " << r.path
               << "'s directory); what followed line " << r.checkpoint_line << " was not read\n";
          ok = ok && MarkEnded(&r);
          continue;
        }
        err_ << "etiolog: " << r.name << ": found again, resuming at line " << r.checkpoint_line + 1
             << "\n";
        const std::string name = r.name;
        const uint64_t offset = r.checkpoint_offset, line = r.checkpoint_line + 1;
        r.source_id = 0;
        ok = ok && Start(f, name, offset, line, r.path) && Pump(f);
      }
    }
    if (!ok) return Fail(failure_);
    if (!PumpStdin()) return Fail(failure_);
    if (startup) {
      if (!options_.poll && follows_files) {
        Result<std::unique_ptr<ingest::Watcher>> w = ingest::Watcher::Create();
        if (w.ok()) {
          watcher_ = std::move(w).value();
        } else {
          err_ << "etiolog: " << w.status().message() << "; polling every "
               << options_.poll_interval_ms << " ms instead\n";
        }
      }
      SyncWatches();
    } else if (!c.found.empty() || !c.ended.empty() || std::exchange(resync_, false)) {
      // A directory watched only now may have gained a file before its
      // watch: look again at once.
      if (SyncWatches()) {
        follower_->Rescan();
        repoll = true;
      }
    }
    if (startup) {
      // Scripts may wait for this line before writing.
      err_ << "etiolog: following ";
      if (follows_files) {
        err_ << tracked_.size() << " file(s)" << (stdin_ != nullptr ? " and standard input" : "");
        if (watcher_ != nullptr) {
          err_ << "; woken by inotify (" << watcher_->size() << " directories), checking every "
               << options_.watched_check_ms << " ms";
        } else {
          err_ << "; checking every " << options_.poll_interval_ms << " ms";
        }
      } else {
        err_ << "standard input until it ends";
      }
      err_ << "\n";
      err_.flush();
      startup = false;
      repoll = true;  // What changed before the watches were set.
    }
    const int64_t now = ingest::SteadyMillis();
    if (run_.stats.bytes != bytes_before) last_activity = now;
    if (events_ != events_before) {
      if (!pending) first_pending = now;
      pending = true;
      last_event = now;
      last_event_at_ = std::time(nullptr);
    }
    const bool more = [&] {
      if (StdinOpen() && stdin_->spent()) return true;
      for (const auto& [f, t] : tracked_) {
        if (f->offset() < f->size()) return true;
      }
      return false;
    }();
    bool exit = stopping;
    // The end of standard input ends the run, after what is left is read.
    if (stdin_ != nullptr && !StdinOpen()) exit = true;
    if (options_.exit_after_ms > 0 && now - started >= options_.exit_after_ms) exit = true;
    if (options_.exit_when_idle_ms > 0 && !more &&
        now - last_activity >= options_.exit_when_idle_ms) {
      exit = true;
    }
    const bool quiet = last_event >= 0 && now - last_event >= options_.debounce_ms;
    const bool due = last_diagnosis < 0 || now - last_diagnosis >= options_.debounce_ms;
    // Events that never pause (a failure storm) must not hold the
    // diagnosis back: it runs once the oldest undiagnosed event is
    // max_delay old, and so at most once per max_delay while they last.
    const bool overdue = options_.max_delay_ms > 0 && first_pending >= 0 &&
                         now - first_pending >= options_.max_delay_ms;
    if (pending && ((quiet && due) || overdue || exit)) {
      if (!Diagnose()) return Fail(failure_);
      pending = false;
      last_diagnosis = ingest::SteadyMillis();
      last_activity = last_diagnosis;
      WriteStatus(true, false);
    }
    pending_ = pending;
    WriteStatus(false, false);
    if (g_reload != 0 && !exit) {
      g_reload = 0;
      if (!Reload()) return Fail(failure_);
      repoll = true;  // Read with the new rules at once.
    }
    if (exit && !more) break;
    if (exit && stopping) break;  // A signal: what is left waits for the next run.
    if (more || std::exchange(repoll, false)) continue;
    // Sleep until a change wakes the loop, or until the first thing that
    // waits for time: a poll (when polling, or while a file waits for its
    // rotate-wait or partial-line timeout), the diagnosis, an exit option.
    const int64_t now2 = ingest::SteadyMillis();
    int64_t timeout = options_.poll_interval_ms;
    if (watcher_ != nullptr) {
      const bool timed = follower_->waiting() || (StdinOpen() && stdin_->unsettled());
      timeout = timed ? options_.poll_interval_ms : options_.watched_check_ms;
      if (pending) {
        int64_t at = std::max(last_event, last_diagnosis) + options_.debounce_ms;
        if (options_.max_delay_ms > 0) at = std::min(at, first_pending + options_.max_delay_ms);
        timeout = std::min(timeout, at - now2);
      }
      if (options_.exit_after_ms > 0) {
        timeout = std::min(timeout, started + options_.exit_after_ms - now2);
      }
      if (options_.exit_when_idle_ms > 0) {
        timeout = std::min(timeout, last_activity + options_.exit_when_idle_ms - now2);
      }
    }
    Wait(signals, timeout);
  }
  // Checkpoints are already in the store (each batch committed with its
  // events); record the facts of the sources still open.
  for (auto& [f, t] : tracked_) {
    IngestStats stats;
    failure_ = t.stream->Finish(&stats);
    Report(stats);
    if (!failure_.ok()) return Fail(failure_);
  }
  tracked_.clear();
  if (stdin_stream_ != nullptr) {
    IngestStats stats;
    failure_ = stdin_stream_->Finish(&stats);
    Report(stats);
    if (!failure_.ok()) return Fail(failure_);
  }
  WriteStatus(true, true);
  if (delivery_failed_) return TailEnd::kNotDelivered;
  return stdin_failed_ ? TailEnd::kInputFailed : TailEnd::kStopped;
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  double value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  const std::string_view unit(ptr, static_cast<size_t>(end - ptr));
  double scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60000;
  } else if (unit == "h") {
    scale = 3600000;
  }
  if (ec != std::errc() || scale == 0 || value < 0 || !std::isfinite(value)) {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a duration (e.g. 250ms, 2s, 1.5m, 1h)");
  }
  return static_cast<int64_t>(std::llround(value * scale));
}

TailHealth RunStatus(const std::string& path, int64_t max_age_ms, std::ostream& out,
                     std::ostream& err) {
  std::ifstream in(path);
  if (!in) {
    err << "etiolog: " << path << ": " << std::strerror(errno) << "\n";
    return TailHealth::kUnreadable;
  }
  const Json st = Json::parse(in, nullptr, false);
  if (st.is_discarded() || !st.is_object() || !st.contains("state") ||
      !st["updated_unix"].is_number_integer()) {
    err << "etiolog: " << path << ": not a status file of 'etiolog tail --status-file'\n";
    return TailHealth::kUnreadable;
  }
  auto text = [&](const char* key) {
    return st.contains(key) && st[key].is_string() ? st[key].get<std::string>() : "never";
  };
  auto count = [&](const char* key) {
    return st.contains(key) && st[key].is_number_unsigned() ? st[key].get<uint64_t>() : 0;
  };
  const int64_t age = static_cast<int64_t>(std::time(nullptr)) - st["updated_unix"].get<int64_t>();
  const std::string state = text("state");
  out << "etiolog tail";
  if (st.contains("pid") && st["pid"].is_number_integer()) out << " (pid " << st["pid"] << ")";
  out << ": " << state << " since " << text("started") << ", updated " << text("updated") << " ("
      << age << " s ago)\n";
  out << "  followed: " << count("followed") << " file(s), " << count("behind_bytes")
      << " byte(s) not read yet, " << count("unreadable") << " unreadable; woken by "
      << text("wake") << "\n";
  out << "  events: " << count("events") << " this run, the last at " << text("last_event")
      << "; last diagnosis at " << text("last_diagnosis") << ", " << count("findings")
      << " finding(s)" << (st.value("diagnosis_pending", false) ? ", another due" : "") << "\n";
  if (state != "following") {
    out << "unhealthy: the run has stopped\n";
    return TailHealth::kUnhealthy;
  }
  if (age * 1000 > max_age_ms) {
    out << "unhealthy: not updated for " << age << " s (more than "
        << static_cast<double>(max_age_ms) / 1000 << " s): the run is stuck or was killed\n";
    return TailHealth::kUnhealthy;
  }
  out << "healthy\n";
  return TailHealth::kHealthy;
}

TailEnd RunTail(const TailOptions& options, std::ostream& out, std::ostream& err) {
  Tail tail(options, out, err);
  return tail.Run();
}

}  // namespace etiolog::analyzer
