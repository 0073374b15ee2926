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

#include "analyzer/tail.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <ctime>
#include <map>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "analyzer/diagnoser.h"
#include "analyzer/pipeline.h"
#include "analyzer/report.h"
#include "db/store.h"
#include "ingest/follow.h"
#include <poll.h>

namespace etiolog::analyzer {

namespace {

using Json = nlohmann::ordered_json;

volatile std::sig_atomic_t g_stop = 0;

void OnSignal(int) { g_stop = 1; }

// Installs the handlers for the lifetime of the object, then restores the
// previous ones.
class SignalScope {
 public:
  SignalScope() {
    g_stop = 0;
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // No SA_RESTART: the sleep returns at once.
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// What was last emitted of a finding.
struct Emitted {
  double confidence = 0;
  size_t evidence = 0;
};

size_t EvidenceCount(const Finding& f) { return f.evidence.size() + f.against.size(); }

// Whether f differs materially from what was emitted: confidence moved by
// 0.05 or more, or the number of cited lines changed by half or more.
bool Changed(const Finding& f, const Emitted& e) {
  if (std::fabs(f.confidence - e.confidence) >= 0.05 - 1e-9) return true;
  const size_t n = EvidenceCount(f);
  const size_t diff = n > e.evidence ? n - e.evidence : e.evidence - n;
  return diff > 0 && 2 * diff >= std::max<size_t>(e.evidence, 1);
}

class Tail {
 public:
  Tail(const TailOptions& options, std::ostream& out, std::ostream& err)
      : options_(options), out_(out), err_(err) {}

  int Run();

 private:
  // A generation being read into the store.
  struct Tracked {
    int64_t source_id = 0;
    ingest::FileIdentity saved;  // As last saved in the store.
    std::string saved_path;
    std::unique_ptr<Pipeline::Stream> stream;
  };

  bool Attach(ingest::FollowedFile* f, bool startup);
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
  int Emit(const std::vector<Finding>& all, const std::vector<Finding>& changed,
           const std::vector<std::string>& how);
  int Fail(const Status& st) {
    err_ << "etiolog: " << st.message() << "\n";
    return kExitFatal;
  }

  const TailOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  LoadedRules loaded_;
  std::unique_ptr<db::Store> store_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<ingest::Follower> follower_;
  std::unique_ptr<Diagnoser> diagnoser_;
  RunSummary run_;
  std::map<ingest::FollowedFile*, Tracked> tracked_;
  std::vector<db::FollowedFileRecord> stored_;  // At start.
  std::map<std::string, Emitted> emitted_;      // By fingerprint.
  std::set<std::string> cause_errors_;          // Already printed.
  uint64_t events_ = 0;                         // Events read in this session.
  uint64_t attached_ = 0;                       // Generations read in this session.
  Status failure_;                              // The store failed.
  int delivery_ = kExitOk;
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

int Tail::Emit(const std::vector<Finding>& all, const std::vector<Finding>& changed,
               const std::vector<std::string>& how) {
  OutputOptions output = options_.output;
  output.report.redactor = loaded_.matcher.get();
  if (!output.to_dir.empty() || !output.post.url.empty()) {
    // A ticket directory holds every current finding (unchanged files are
    // not rewritten); an endpoint is sent the new and changed ones.
    const int rc = EmitFindings(output.to_dir.empty() ? changed : all, run_, output, out_, err_);
    out_.flush();
    return rc;
  }
  if (options_.jsonl) {
    output.report.format = ReportFormat::kJson;
    Json doc = Json::parse(RenderReport(changed, run_, output.report), nullptr, false);
    if (doc.is_discarded() || !doc.contains("findings")) {
      err_ << "etiolog: internal error: the JSON report did not parse\n";
      return kExitFatal;
    }
    size_t i = 0;
    for (Json& finding : doc["findings"]) {
      finding["change"] = how[i++];
      out_ << finding.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    }
    out_.flush();
    return kExitOk;
  }
  RunSummary shown = run_;
  shown.stats.errors.clear();  // Already on stderr.
  shown.stats.warnings.clear();
  shown.cause_errors.clear();
  char now[32];
  const std::time_t t = std::time(nullptr);
  struct tm tm {};
  gmtime_r(&t, &tm);
  std::strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
  for (size_t i = 0; i < changed.size(); ++i) {
    out_ << "== " << now << " " << how[i] << " finding: " << changed[i].cause << " ("
         << changed[i].fingerprint << ")\n";
  }
  out_ << RenderReport(changed, shown, output.report);
  out_.flush();
  return kExitOk;
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
    emitted_[f.fingerprint] = Emitted{f.confidence, EvidenceCount(f)};
  }
  // A finding no longer reported is forgotten: if it comes back, it is new.
  for (auto it = emitted_.begin(); it != emitted_.end();) {
    it = current.count(it->first) ? std::next(it) : emitted_.erase(it);
  }
  if (changed.empty()) return true;
  const int rc = Emit(*findings, changed, how);
  if (rc == kExitFatal) {
    failure_ = Status::Internal("report rendering failed");
    return false;
  }
  if (rc != kExitOk) delivery_ = rc;
  return true;
}

int Tail::Run() {
  if (!LoadRulesOrReport({options_.builtin_rules, options_.default_rules, options_.rule_files},
                         err_, &loaded_)) {
    return kExitUsage;
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
      for (const Finding& f : *before) emitted_[f.fingerprint] = {f.confidence, EvidenceCount(f)};
    }
  }
  pipeline_ = std::make_unique<Pipeline>(loaded_.matcher.get(), store_.get(), options_.ingest);

  ingest::Follower::Options fo;
  for (size_t i = 0; i < options_.paths.size(); ++i) {
    fo.patterns.push_back(
        {options_.paths[i], i < options_.labels.size() ? options_.labels[i] : ProcessIdentity()});
  }
  fo.enumerate = options_.enumerate;
  fo.rescan_ms = options_.rescan_ms;
  fo.rotate_wait_ms = options_.rotate_wait_ms;
  fo.settle_ms = options_.partial_line_ms;
  follower_ = std::make_unique<ingest::Follower>(std::move(fo));

  SignalScope signals;
  const int64_t started = ingest::SteadyMillis();
  int64_t last_activity = started;  // Bytes read or a diagnosis.
  int64_t last_event = -1;          // When new events last arrived.
  int64_t first_pending = -1;       // When the first event not diagnosed yet arrived.
  int64_t last_diagnosis = -1;
  bool pending = false;  // Events not diagnosed yet.
  bool startup = true;
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
    if (startup) {
      // Scripts may wait for this line before writing.
      err_ << "etiolog: following " << tracked_.size() << " file(s); checking every "
           << options_.poll_interval_ms << " ms\n";
      err_.flush();
      startup = false;
    }
    const int64_t now = ingest::SteadyMillis();
    if (run_.stats.bytes != bytes_before) last_activity = now;
    if (events_ != events_before) {
      if (!pending) first_pending = now;
      pending = true;
      last_event = now;
    }
    const bool more = [&] {
      for (const auto& [f, t] : tracked_) {
        if (f->offset() < f->size()) return true;
      }
      return false;
    }();
    bool exit = stopping;
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
    }
    if (exit && !more) break;
    if (exit && stopping) break;  // A signal: what is left waits for the next run.
    if (!more && g_stop == 0) ::poll(nullptr, 0, static_cast<int>(options_.poll_interval_ms));
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
  return delivery_;
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

int RunTail(const TailOptions& options, std::ostream& out, std::ostream& err) {
  Tail tail(options, out, err);
  return tail.Run();
}

}  // namespace etiolog::analyzer
