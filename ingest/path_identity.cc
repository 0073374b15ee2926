// SPDX-License-Identifier: Apache-2.0
#include "ingest/path_identity.h"

#include <cctype>
#include <string>
#include <vector>

namespace etiolog::ingest {

namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t b = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/' || path[i] == ':' || path[i] == '\\') {
      if (i > b) out.push_back(path.substr(b, i - b));
      b = i + 1;
    }
  }
  return out;
}

bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

}  // namespace

std::string_view InferComponent(std::string_view name) {
  std::string lower;
  lower.reserve(name.size());
  for (char c : name) {
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  auto has = [&](std::string_view needle) { return lower.find(needle) != std::string::npos; };
  // Most specific first: "dag-processor" before "processor", "api-server"
  // before "server".
  if (has("dag-processor") || has("dag_processor") || has("dagprocessor") ||
      has("dag_processing")) {
    return "dag-processor";
  }
  if (has("api-server") || has("apiserver") || has("api_server") || has("api_fastapi") ||
      has("webserver") || has("providers.fab.www")) {
    return "api-server";
  }
  if (has("scheduler")) return "scheduler";
  if (has("triggerer")) return "triggerer";
  if (has("worker") || has("celery") || has("airflow.sdk") || has("supervisor")) {
    return "worker";
  }
  return "";
}

ProcessIdentity IdentityFromPath(std::string_view path) {
  ProcessIdentity id;
  std::vector<std::string_view> seg = Segments(path);
  for (size_t i = 0; i < seg.size(); ++i) {
    // .../pods/<ns>_<pod>_<uid>/<container>/<n>.log
    if (seg[i] == "pods" && i + 2 < seg.size()) {
      std::string_view dir = seg[i + 1];
      size_t a = dir.find('_'), b = dir.rfind('_');
      if (a != std::string_view::npos && b > a) {
        id.host.assign(dir.substr(a + 1, b - a - 1));
        std::string_view c = InferComponent(seg[i + 2]);
        if (c.empty()) c = InferComponent(id.host);
        id.component.assign(c);
        return id;
      }
    }
    // Docker: .../containers/<id>/<id>-json.log
    if (seg[i] == "containers" && i + 2 < seg.size() && seg[i + 1].size() >= 12 &&
        StartsWith(seg[i + 2], seg[i + 1])) {
      id.host.assign(seg[i + 1].substr(0, 12));
      return id;
    }
    // .../containers/<pod>_<ns>_<container>-<id>.log
    if (seg[i] == "containers" && i + 1 < seg.size()) {
      std::string_view f = seg[i + 1];
      size_t a = f.find('_');
      size_t b = a == std::string_view::npos ? a : f.find('_', a + 1);
      if (b != std::string_view::npos) {
        id.host.assign(f.substr(0, a));
        std::string_view container = f.substr(b + 1);
        size_t dash = container.rfind('-');
        if (dash != std::string_view::npos) container = container.substr(0, dash);
        std::string_view c = InferComponent(container);
        if (c.empty()) c = InferComponent(id.host);
        id.component.assign(c);
        return id;
      }
    }
    // Task logs are written by the task's process on a worker.
    if (StartsWith(seg[i], "dag_id=")) {
      id.component = "worker";
      return id;
    }
  }
  id.component.assign(InferComponent(path));
  return id;
}

}  // namespace etiolog::ingest
