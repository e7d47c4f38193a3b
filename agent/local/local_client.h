// The command side of the local socket: one request, one response, over a
// blocking connection with a deadline. Used by `helpline-agent report`,
// `tickets`, `ticket`, `reply`, `rate` and `spool`.
#pragma once

#include <chrono>
#include <filesystem>

#include "common/core/result.h"
#include "helpline/v1/local.pb.h"

namespace helpline::agent::local {

// Sends `request` to the daemon at `socket` and waits at most `timeout` for
// the answer. The daemon's own refusals come back inside the response
// (LocalResponse.error). Errors: "agent_not_running" (no socket, or nobody
// listening: is the service started?), "permission_denied", "timeout",
// "local_io" (the connection broke), "bad_response".
[[nodiscard]] Result<v1::LocalResponse> ask_agent(const std::filesystem::path& socket,
                                                  const v1::LocalRequest& request,
                                                  std::chrono::milliseconds timeout);

}  // namespace helpline::agent::local
