// Routes the requests agents send (agent_requests.h) by kind to the
// module that serves them: deliveries and device tickets (server/intake),
// session ends (server/sessions). Kinds without a route go to the
// fallback, or are answered "unsupported".
//
// Thread: the relay's io_context thread. The handlers outlive the router.
#pragma once

#include <map>

#include "server/tunnel/agent_requests.h"

namespace helpline::relay {

class AgentRequestRouter final : public AgentRequests {
 public:
  void route(v1::Request::KindCase kind, AgentRequests* handler) { routes_[kind] = handler; }
  void set_fallback(AgentRequests* handler) { fallback_ = handler; }

  [[nodiscard]] boost::asio::awaitable<v1::Response> handle(std::shared_ptr<AgentSession> session,
                                                            v1::Request request) override;

 private:
  std::map<v1::Request::KindCase, AgentRequests*> routes_;
  AgentRequests* fallback_ = nullptr;
};

}  // namespace helpline::relay
