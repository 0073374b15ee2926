// SPDX-License-Identifier: Apache-2.0
#include "analyzer/diagnosis/cause_examples.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "analyzer/pipeline/pipeline.h"
#include "db/store.h"
#include "ingest/source.h"

namespace etiolog::analyzer {

namespace {

std::string Conf(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", std::round(v * 100.0) / 100.0);
  return buf;
}

// "cause/surface 0.75, ...; risks: cause/surface" or "nothing".
std::string Gave(const Verdict& v) {
  std::string out;
  for (const Finding& f : v.findings) {
    out += (out.empty() ? "" : ", ") + f.cause + "/" + (f.surface.empty() ? "-" : f.surface) + " " +
           Conf(f.confidence);
  }
  std::string risks;
  for (const Finding& r : v.risks) {
    risks += (risks.empty() ? "" : ", ") + r.cause + "/" + (r.surface.empty() ? "-" : r.surface);
  }
  if (!risks.empty()) out += (out.empty() ? "" : "; ") + std::string("risks: ") + risks;
  return out.empty() ? "nothing" : out;
}

// What an example expects, in words: "a per_process_key finding on ui at
// 0.60 or more".
std::string Expected(const std::string& cause, bool risk, const rules::CauseExample& ex) {
  std::string s = "a " + cause + (risk ? " risk" : " finding");
  if (!ex.surface.empty()) s += " on " + ex.surface;
  if (!risk && ex.min_confidence > 0) s += " at " + Conf(ex.min_confidence) + " or more";
  return s;
}

}  // namespace

Result<Verdict> DiagnoseFiles(const rules::Matcher& matcher,
                              const std::vector<rules::Cause>& causes,
                              const rules::KeyValues& files) {
  Result<std::unique_ptr<db::Store>> store = db::Store::Open(":memory:");
  if (!store.ok()) return store.status();
  IngestOptions options;
  options.jobs = 1;
  Pipeline pipeline(&matcher, store->get(), options);
  IngestStats stats;
  for (const auto& [name, text] : files) {
    std::unique_ptr<ingest::Source> src = ingest::NewMemorySource(name, text);
    ETIOLOG_RETURN_IF_ERROR(pipeline.Ingest(src.get(), &stats));
  }
  DiagnoseOptions diagnose;
  diagnose.query_step_limit = kExampleStepLimit;
  return DiagnoseStore(store->get(), causes, diagnose);
}

Result<CauseTestSummary> RunCauseExamples(const rules::Matcher& matcher,
                                          const std::vector<rules::Cause>& causes,
                                          const std::vector<std::string>& files) {
  CauseTestSummary summary;
  auto is_risk = [&](const std::string& id) {
    for (const rules::Cause& c : causes) {
      if (c.id == id) return c.risk;
    }
    return false;
  };
  for (const rules::Cause& cause : causes) {
    if (!files.empty() && std::find(files.begin(), files.end(), cause.where.file) == files.end()) {
      continue;
    }
    CauseTestResult result;
    result.cause = cause.id;
    result.where = cause.where.ToString();
    result.risk = cause.risk;
    for (const auto* list : {&cause.examples, &cause.counter_examples}) {
      const bool counter = list == &cause.counter_examples;
      int n = 0;
      for (const rules::CauseExample& ex : *list) {
        ++n;
        (counter ? result.counter_examples : result.examples)++;
        const std::string label = std::string(counter ? "counter-example " : "example ") +
                                  (ex.name.empty() ? "#" + std::to_string(n) : "'" + ex.name + "'");
        auto fail = [&](const std::string& message) {
          result.failures.push_back({cause.id, ex.where.ToString(), label + ": " + message});
        };
        const std::string expected_cause = ex.cause.empty() ? cause.id : ex.cause;
        const bool risk = is_risk(expected_cause);
        Result<Verdict> verdict = DiagnoseFiles(matcher, causes, ex.files);
        if (!verdict.ok()) {
          if (verdict.status().code() != Status::Code::kInvalidArgument) {
            return verdict.status();  // The store itself failed.
          }
          fail("the diagnosis failed: " + std::string(verdict.status().message()));
          continue;
        }
        // A cause skipped for failing SQL changes what the others give
        // (suppression): the example proves nothing then.
        if (!verdict->cause_errors.empty()) {
          fail("the diagnosis failed: " + verdict->cause_errors.front().message);
          continue;
        }
        const std::vector<Finding>& pool = risk ? verdict->risks : verdict->findings;
        const bool produced = std::any_of(pool.begin(), pool.end(), [&](const Finding& f) {
          return f.cause == expected_cause && (ex.surface.empty() || f.surface == ex.surface) &&
                 (risk || f.confidence + 1e-9 >= ex.min_confidence);
        });
        if (!counter && !produced) {
          fail("expected " + Expected(expected_cause, risk, ex) + "; the diagnosis gave " +
               Gave(*verdict));
        } else if (counter && produced) {
          fail("must not produce " + Expected(expected_cause, risk, ex) +
               ", but the diagnosis gave " + Gave(*verdict));
        }
      }
    }
    summary.logs += result.examples + result.counter_examples;
    summary.failures.insert(summary.failures.end(), result.failures.begin(), result.failures.end());
    summary.causes.push_back(std::move(result));
  }
  return summary;
}

}  // namespace etiolog::analyzer
