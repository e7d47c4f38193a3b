// What answers the requests an agent sends to the relay (docs/protocol.md,
// "Requests from the agent"): deliveries from its spool and its own
// tickets. The tunnel authenticates the device (certificate + hello) and
// bounds how many of its requests run at once; the handler validates the
// request's content and decides.
//
// Implemented by server/intake (DeliveryService); the relay passes it to
// Tunnel::set_agent_requests. Thread: the relay's io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>

#include "helpline/v1/tunnel.pb.h"

namespace helpline::relay {

class AgentSession;

class AgentRequests {
 public:
  virtual ~AgentRequests() = default;

  // Answers one request `session` received (its id is copied into the
  // Response by the caller). A request that streams a payload (deliver)
  // registers the stream's sink with session->expect_upload(request.id(),
  // sink) before its first co_await, and session->forget_upload(id) when it
  // stops waiting. The session may go offline meanwhile; the answer is then
  // dropped.
  [[nodiscard]] virtual boost::asio::awaitable<v1::Response> handle(
      std::shared_ptr<AgentSession> session, v1::Request request) = 0;
};

}  // namespace helpline::relay
