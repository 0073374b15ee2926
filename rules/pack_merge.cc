// SPDX-License-Identifier: Apache-2.0
//
// Merging packs in load order (MergePacks): kinds and surfaces must be
// declared by the pack or one loaded before it, a rule id may be
// overridden by a later pack, and disable lists remove rules.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "rules/pack.h"

namespace etiolog::rules {

namespace {

// Checks that the kind and surfaces of rule r are declared (kinds/surfaces
// map each declared name to where it was declared).
Status CheckDeclared(const Rule& r, const std::map<std::string, Location>& kinds,
                     const std::map<std::string, Location>& surfaces) {
  if (kinds.count(r.kind) == 0) {
    return Status::InvalidArgument(
        r.kind_where.ToString() + ": unknown kind '" + r.kind +
        "': neither this pack nor one loaded before it declares it under 'kinds:'");
  }
  auto check_surface = [&](const std::string& surface, const Location& at) {
    if (surfaces.count(surface) > 0) return Status::OK();
    std::string declared;
    for (const auto& [name, where] : surfaces) declared += (declared.empty() ? "" : ", ") + name;
    return Status::InvalidArgument(at.ToString() + ": unknown surface '" + surface + "' (" +
                                   (declared.empty()
                                        ? std::string("no loaded pack declares 'surfaces:'")
                                        : "declared: " + declared) +
                                   ")");
  };
  if (!r.surface.empty()) ETIOLOG_RETURN_IF_ERROR(check_surface(r.surface, r.surface_where));
  for (size_t i = 0; i < r.sets.size(); ++i) {
    if (r.sets[i].first != "surface") continue;
    ETIOLOG_RETURN_IF_ERROR(
        check_surface(r.sets[i].second, i < r.sets_where.size() ? r.sets_where[i] : r.where));
  }
  return Status::OK();
}

}  // namespace

Result<PackSet> MergePacks(std::vector<Pack> packs) {
  PackSet set;
  std::map<std::string, size_t> rule_index;  // id -> index in set.rules
  std::vector<bool> removed;                 // by index in set.rules
  std::map<std::string, Location> cause_ids;
  std::map<std::string, Location> kinds, surfaces;  // Declared so far.
  for (Pack& p : packs) {
    set.files.push_back(p.file);
    for (KindInfo& k : p.kinds) {
      auto [it, inserted] = kinds.emplace(k.name, k.where);
      if (!inserted) {
        return Status::InvalidArgument(k.where.ToString() + ": kind '" + k.name +
                                       "' is already declared at " + it->second.ToString());
      }
      set.kinds.push_back(std::move(k));
    }
    for (SurfaceInfo& s : p.surfaces) {
      auto [it, inserted] = surfaces.emplace(s.name, s.where);
      if (!inserted) {
        return Status::InvalidArgument(s.where.ToString() + ": surface '" + s.name +
                                       "' is already declared at " + it->second.ToString());
      }
      set.surfaces.push_back(std::move(s));
    }
    for (size_t i = 0; i < p.disable.size(); ++i) {
      auto it = rule_index.find(p.disable[i]);
      const Location& at = i < p.disable_where.size() ? p.disable_where[i] : Location{p.file};
      if (it == rule_index.end()) {
        set.warnings.push_back(at.ToString() + ": disable: no rule '" + p.disable[i] +
                               "' was loaded before this pack");
        continue;
      }
      removed[it->second] = true;
      rule_index.erase(it);
    }
    for (Rule& r : p.rules) {
      ETIOLOG_RETURN_IF_ERROR(CheckDeclared(r, kinds, surfaces));
      auto it = rule_index.find(r.id);
      if (it != rule_index.end()) {
        if (!r.override) {
          return Status::InvalidArgument(
              r.where.ToString() + ": duplicate rule id '" + r.id + "' (first defined at " +
              set.rules[it->second].where.ToString() +
              "); add 'override: true' to replace it, or list it under 'disable:'");
        }
        set.rules[it->second] = std::move(r);
        continue;
      }
      if (r.override) {
        set.warnings.push_back(r.where.ToString() + ": override: no rule '" + r.id +
                               "' was loaded before this pack; the rule is added");
      }
      rule_index[r.id] = set.rules.size();
      set.rules.push_back(std::move(r));
      removed.push_back(false);
    }
    for (Cause& c : p.causes) {
      auto [it, inserted] = cause_ids.emplace(c.id, c.where);
      if (!inserted) {
        return Status::InvalidArgument(c.where.ToString() + ": duplicate cause id '" + c.id +
                                       "' (first defined at " + it->second.ToString() + ")");
      }
      set.causes.push_back(std::move(c));
    }
    for (Redaction& r : p.redactions) set.redactions.push_back(std::move(r));
  }
  std::vector<Rule> kept;
  kept.reserve(set.rules.size());
  for (size_t i = 0; i < set.rules.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(set.rules[i]));
  }
  set.rules = std::move(kept);
  return set;
}

}  // namespace etiolog::rules
