// Handing the published catalog to agents: after publish (every online
// device) and after a hello that reports an older catalog. The agent
// verifies it against its own pinned key; a refusal comes back as an Error
// naming the rule and is logged here with the device.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include "server/tunnel/catalog_state.h"
#include "server/tunnel/tunnel.h"

namespace helpline::relay {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::seconds kOfferTimeout{30};

}  // namespace

void Tunnel::offer_catalog(std::shared_ptr<AgentSession> session, std::string signed_bytes,
                           std::string org_key_pem, std::uint64_t version) {
  v1::Request request;
  request.mutable_catalog_offer()->set_signed_catalog(std::move(signed_bytes));
  request.mutable_catalog_offer()->set_org_key_pem(std::move(org_key_pem));
  auto run = [](std::shared_ptr<AgentSession> to, v1::Request ask,
                std::uint64_t offered) -> asio::awaitable<void> {
    auto answer = co_await to->request(std::move(ask), kOfferTimeout);
    if (!answer) {
      spdlog::warn("agent {}: catalog version {} not delivered: {}", to->device_id(), offered,
                   answer.error().to_string());
    } else if (answer->has_error()) {
      spdlog::warn("agent {} refused catalog version {}: {} ({})", to->device_id(), offered,
                   answer->error().message(), answer->error().code());
    } else {
      spdlog::info("agent {} has catalog version {}", to->device_id(),
                   answer->catalog_offer().installed_version());
    }
  };
  asio::co_spawn(io_, run(std::move(session), std::move(request), version), asio::detached);
}

std::size_t Tunnel::offer_catalog_to_online() {
  auto published = load_catalog(store_);
  auto key = load_org_key(store_);
  if (!published || !*published || !key || !*key) {
    if (!published) spdlog::error("cannot load the catalog: {}", published.error().to_string());
    return 0;
  }
  std::size_t offered = 0;
  for (auto& [id, weak] : online_) {
    auto session = weak.lock();
    if (!session || session->phase() != AgentSession::Phase::kOnline) continue;
    offer_catalog(session, (*published)->signed_bytes, **key, (*published)->catalog.version());
    ++offered;
  }
  return offered;
}

void Tunnel::offer_catalog_after_hello(const std::shared_ptr<AgentSession>& session,
                                       std::uint64_t device_version) {
  auto published = load_catalog(store_);
  if (!published) {
    spdlog::error("cannot load the catalog for agent {}: {}", session->device_id(),
                  published.error().to_string());
    return;
  }
  if (!*published || (*published)->catalog.version() <= device_version) return;
  auto key = load_org_key(store_);
  if (!key || !*key) return;
  offer_catalog(session, (*published)->signed_bytes, **key, (*published)->catalog.version());
}

}  // namespace helpline::relay
