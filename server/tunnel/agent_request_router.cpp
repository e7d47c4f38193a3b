#include "server/tunnel/agent_request_router.h"

namespace helpline::relay {

boost::asio::awaitable<v1::Response> AgentRequestRouter::handle(
    std::shared_ptr<AgentSession> session, v1::Request request) {
  auto it = routes_.find(request.kind_case());
  AgentRequests* handler = it != routes_.end() ? it->second : fallback_;
  if (handler == nullptr) {
    v1::Response response;
    response.set_id(request.id());
    response.mutable_error()->set_code("unsupported");
    response.mutable_error()->set_message("this relay does not take this kind of request");
    co_return response;
  }
  co_return co_await handler->handle(std::move(session), std::move(request));
}

}  // namespace helpline::relay
