// One HTTP(S) POST with a deadline, private to server/webhooks: resolve,
// connect, (TLS: verify chain and host name against the system store or a
// CA file, TLS 1.2+, SNI), send, read the status line and at most 64 KiB
// of the answer, close. No redirects, no connection reuse.
//
// Thread: a coroutine on the caller's io_context; never blocks it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "server/webhooks/webhook_target.h"

namespace helpline::relay::webhooks {

struct PostResult {
  int status = 0;     // the HTTP status; 0 when there was none
  std::string error;  // why there was no answer ("connect: Connection refused", ...)
  std::string body;   // the start of the answer, for error reports
};

using Headers = std::vector<std::pair<std::string, std::string>>;

[[nodiscard]] boost::asio::awaitable<PostResult> http_post(Url url, Headers headers,
                                                           std::string body,
                                                           std::chrono::milliseconds timeout,
                                                           std::string ca_file);

}  // namespace helpline::relay::webhooks
