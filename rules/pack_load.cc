// SPDX-License-Identifier: Apache-2.0
//
// Loading packs: a file, a directory of them (in file-name order), the
// built-in packs, and the default rule directories, merged in load order.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "rules/builtin_packs.h"
#include "rules/pack.h"

namespace etiolog::rules {

namespace {

bool IsPackFileName(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

}  // namespace

Result<Pack> LoadPackFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open rule pack");
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxPackBytes) {
      return Status::InvalidArgument(path + ":1:1: rule pack is larger than " +
                                     std::to_string(kMaxPackBytes >> 20) + " MiB");
    }
  }
  if (in.bad()) return Status::IoError(path + ": read failed");
  return ParsePack(text, path);
}

Result<std::vector<Pack>> LoadPackPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return Status::NotFound(path + ": no such rule pack or directory");
  std::vector<Pack> packs;
  if (!fs::is_directory(st)) {
    Result<Pack> p = LoadPackFile(path);
    if (!p.ok()) return p.status();
    packs.push_back(std::move(p).value());
    return packs;
  }
  std::vector<std::string> files;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (IsPackFileName(it->path()) && it->is_regular_file(fec)) {
      files.push_back(it->path().string());
    }
  }
  if (ec) return Status::IoError(path + ": cannot list rule directory: " + ec.message());
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    Result<Pack> p = LoadPackFile(f);
    if (!p.ok()) return p.status();
    packs.push_back(std::move(p).value());
  }
  return packs;
}

Result<std::vector<Pack>> BuiltinPacks() {
  std::vector<Pack> packs;
  for (const BuiltinPackText& b : BuiltinPackTexts()) {
    Result<Pack> p = ParsePack(b.yaml, "builtin:" + std::string(b.name));
    if (!p.ok()) return p.status();
    packs.push_back(std::move(p).value());
  }
  return packs;
}

std::vector<std::string> DefaultRuleDirs() {
  std::vector<std::string> dirs = {"/etc/etiolog/rules.d"};
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
  if (xdg != nullptr && xdg[0] == '/') {
    dirs.push_back(std::string(xdg) + "/etiolog/rules.d");
  } else if (home != nullptr && home[0] != '\0') {
    dirs.push_back(std::string(home) + "/.config/etiolog/rules.d");
  }
  return dirs;
}

Result<PackSet> LoadPacks(const LoadOptions& options) {
  std::vector<Pack> packs;
  if (options.builtin) {
    Result<std::vector<Pack>> b = BuiltinPacks();
    if (!b.ok()) return b.status();
    packs = std::move(b).value();
    if (options.builtin_vocabulary_only) {
      for (Pack& p : packs) {
        p.rules.clear();
        p.causes.clear();
        p.redactions.clear();
        p.disable.clear();
        p.disable_where.clear();
      }
    }
  }
  std::vector<std::string> paths;
  if (options.default_dirs) {
    for (const std::string& d : DefaultRuleDirs()) {
      std::error_code ec;
      if (std::filesystem::is_directory(d, ec)) paths.push_back(d);
    }
  }
  paths.insert(paths.end(), options.paths.begin(), options.paths.end());
  for (const std::string& path : paths) {
    Result<std::vector<Pack>> p = LoadPackPath(path);
    if (!p.ok()) return p.status();
    for (Pack& pack : *p) packs.push_back(std::move(pack));
  }
  return MergePacks(std::move(packs));
}

}  // namespace etiolog::rules
