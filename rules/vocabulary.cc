// SPDX-License-Identifier: Apache-2.0
#include "rules/vocabulary.h"

namespace etiolog::rules {

const std::vector<KindInfo>& EventKinds() {
  static const std::vector<KindInfo> kKinds = {
      {"auth.signature_failure", "a token's signature did not verify", {"reason"}},
      {"auth.token_expired", "a token had expired", {"reason"}},
      {"auth.token_immature", "nbf/iat in the future, a request sent from the future", {"reason"}},
      {"auth.claim_mismatch", "audience, issuer or other claim mismatch", {"reason", "claim"}},
      {"auth.token_malformed", "the token cannot be decoded", {"reason"}},
      {"auth.token_revoked", "Token has been revoked", {"reason"}},
      {"auth.deserialize_failure",
       "signature fine, payload belongs to another auth manager",
       {"reason"}},
      {"auth.validation_failure",
       "a validation failure whose reason is not on the line",
       {"reason"}},
      {"auth.missing_token", "no token sent", {}},
      {"http.denied",
       "an access-log line with 401/403 on an auth-relevant path",
       {"method", "path", "status", "client"}},
      {"key.generated",
       "a process generated its own key because the setting was empty",
       {"section", "option"}},
      {"key.required_missing", "startup failed because a key must be set", {"section", "option"}},
      {"key.config_error",
       "the key settings cannot be used (both or neither key set, JWKS "
       "unreadable, algorithm cannot be guessed)",
       {"reason"}},
      {"key.configured",
       "evidence that a key was set where Airflow reads it",
       {"variable", "section", "option"}},
      {"config.misplaced_key",
       "a key set where Airflow does not read it",
       {"variable", "section", "option"}},
      {"config.deprecated_option",
       "a moved/renamed option warning",
       {"old_section", "old_option", "new_section", "new_option"}},
      {"auth_manager.simple", "SimpleAuthManager is active", {"user"}},
      {"auth_manager.fab", "FabAuthManager is active", {}},
      {"log_server.fetch_failed",
       "the UI/api-server could not fetch served task logs",
       {"server", "status", "section"}},
      {"process.start", "a process started", {"pid"}},
      {"process.stop", "a process stopped", {"pid"}},
      {"process.start_failed", "a process failed to start", {}},
      {"task.failed", "a task or its supervisor failed as a consequence", {}},
  };
  return kKinds;
}

const KindInfo* FindKind(std::string_view name) {
  for (const KindInfo& k : EventKinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const std::vector<std::string>& Surfaces() {
  static const std::vector<std::string> kSurfaces = {"ui", "execution_api", "log_server"};
  return kSurfaces;
}

const std::vector<std::string>& Severities() {
  static const std::vector<std::string> kSeverities = {"info", "warning", "error", "critical"};
  return kSeverities;
}

const std::vector<std::string>& IdentityCaptures() {
  static const std::vector<std::string> kIdentity = {"component", "host", "pid"};
  return kIdentity;
}

}  // namespace etiolog::rules
