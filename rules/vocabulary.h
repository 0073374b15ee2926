// SPDX-License-Identifier: Apache-2.0
//
// The event vocabulary: the event kinds rules may emit and the capture names
// each kind documents. Causes are SQL over events, so this list is the
// contract between rule authors and cause authors. docs/pack-format.md
// ("Event vocabulary") shows the same table; a test keeps the two equal.
//
// A pack may declare further kinds of its own (`kinds:`), which is how
// etiolog learns systems other than Airflow without a rebuild; see
// Pack::kinds.
//
// Thread safety: immutable static data.

#ifndef ETIOLOG_RULES_VOCABULARY_H_
#define ETIOLOG_RULES_VOCABULARY_H_

#include <string>
#include <string_view>
#include <vector>

namespace etiolog::rules {

struct KindInfo {
  std::string name;                   // e.g. "auth.signature_failure".
  std::string meaning;                // One sentence.
  std::vector<std::string> captures;  // Capture names causes may rely on.
};

// The built-in kinds, in the order the documentation lists them.
const std::vector<KindInfo>& EventKinds();

// Returns the built-in kind with this name, or nullptr.
const KindInfo* FindKind(std::string_view name);

// Surfaces a rule may name: "ui", "execution_api", "log_server".
const std::vector<std::string>& Surfaces();

// Severities a rule may name, least severe first: "info", "warning",
// "error", "critical".
const std::vector<std::string>& Severities();

// Capture names any kind may carry because they set the event's process
// identity: "component", "host", "pid".
const std::vector<std::string>& IdentityCaptures();

}  // namespace etiolog::rules

#endif  // ETIOLOG_RULES_VOCABULARY_H_
