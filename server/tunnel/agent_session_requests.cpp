// AgentSession: requests the agent sends to the relay (agent_requests.h).
// Each runs as its own coroutine so a slow delivery does not hold up
// heartbeats; at most kMaxAgentRequests run per link, which bounds what one
// agent can make the relay hold.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include "server/tunnel/agent_requests.h"
#include "server/tunnel/agent_session.h"
#include "server/tunnel/tunnel.h"

namespace helpline::relay {

namespace asio = boost::asio;

namespace {

// The agent's spool sends one item at a time; a few more leave room for
// `helpline-agent tickets` while a delivery runs.
constexpr std::size_t kMaxAgentRequests = 4;

[[nodiscard]] v1::Response refusal(std::uint64_t id, std::string code, std::string message) {
  v1::Response response;
  response.set_id(id);
  response.mutable_error()->set_code(std::move(code));
  response.mutable_error()->set_message(std::move(message));
  return response;
}

}  // namespace

void AgentSession::on_agent_request(const v1::Request& request) {
  AgentRequests* handler = context_.agent_requests();
  if (handler == nullptr) {
    send_response(refusal(request.id(), "unsupported", "this relay does not take agent requests"));
    return;
  }
  if (request.kind_case() == v1::Request::KIND_NOT_SET) {
    send_response(refusal(request.id(), "unsupported", "the request names no kind"));
    return;
  }
  if (agent_requests_running_ >= kMaxAgentRequests) {
    send_response(refusal(request.id(), "busy",
                          "at most " + std::to_string(kMaxAgentRequests) +
                              " requests from one device run at once; retry when one finished"));
    return;
  }
  ++agent_requests_running_;
  asio::co_spawn(socket_.get_executor(), serve_agent_request(request), asio::detached);
}

asio::awaitable<void> AgentSession::serve_agent_request(v1::Request request) {
  auto self = shared_from_this();
  std::uint64_t id = request.id();
  v1::Response response;
  try {
    response = co_await context_.agent_requests()->handle(self, std::move(request));
  } catch (const std::exception& e) {
    // Handlers report failures as errors; this is a bug, kept to this request.
    spdlog::error("agent {}: request {} failed: {}", device_id_, id, e.what());
    response = refusal(id, "internal", "the relay failed to handle the request");
  }
  --agent_requests_running_;
  forget_upload(id);
  response.set_id(id);
  bool retired = response.has_retire();
  send_response(std::move(response));
  // A retired device's certificate is revoked: its link ends here.
  if (retired) close("retired", "this device was retired; its agent is being uninstalled");
}

void AgentSession::send_response(v1::Response response) {
  if (phase_ != Phase::kOnline) return;
  v1::Frame frame;
  *frame.mutable_response() = std::move(response);
  if (auto sent = mux_.send_control(std::move(frame)); !sent) {
    spdlog::warn("agent {}: cannot answer request: {}", device_id_, sent.error().to_string());
    return;
  }
  wake_writer();
}

void AgentSession::expect_upload(std::uint64_t request_id, std::shared_ptr<StreamSink> sink) {
  expected_uploads_[request_id] = std::move(sink);
}

}  // namespace helpline::relay
