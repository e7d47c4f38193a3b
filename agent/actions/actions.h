// agent/actions: the signed catalog on the endpoint and the executor that
// runs its actions. Public face of the module; include this header only.
//
//   CatalogStore      the pinned organisation key and the current verified
//                     catalog in <state>/catalog (catalog_store.h)
//   IdempotencyStore  the record of requests by idempotency key in
//                     <state>/actions (idempotency_store.h)
//   Executor          request -> checks -> consent -> process -> result
//                     (executor.h), spawning through Process (process.h)
//
// The relay's requests and the results travel as v1::ActionRequest and
// v1::ActionResult (proto/helpline/v1/catalog.proto). docs/catalog.md says
// what is refused and why.
#pragma once

#include <filesystem>

#include "agent/actions/catalog_store.h"
#include "agent/actions/executor.h"
#include "agent/actions/idempotency_store.h"
#include "agent/actions/session_user.h"

namespace helpline::agent::actions {

// <state_dir>/catalog and <state_dir>/actions.
[[nodiscard]] inline std::filesystem::path catalog_dir(const std::filesystem::path& state_dir) {
  return state_dir / kCatalogDirName;
}
[[nodiscard]] inline std::filesystem::path records_dir(const std::filesystem::path& state_dir) {
  return state_dir / kRecordsDirName;
}

}  // namespace helpline::agent::actions
