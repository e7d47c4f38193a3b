#include "tests/bench/loadgen/enroller.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "helpline/v1/tunnel.pb.h"
#include "tests/bench/loadgen/tunnel_conn.h"

namespace helpline::loadgen {

namespace {

constexpr std::chrono::seconds kExchangeTimeout{30};

struct Shared {
  Shared(const EnrollPlan& p, IdentityCache& c) : plan(p), cache(c) {}
  const EnrollPlan& plan;
  IdentityCache& cache;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex mutex;
  std::condition_variable finished;
  std::size_t workers_left = 0;
  std::optional<Error> first_error;
};

asio::awaitable<Result<void>> enroll_one(asio::any_io_executor executor, Shared& shared,
                                         std::size_t index) {
  const EnrollPlan& plan = shared.plan;
  auto key = tls::generate_key(tls::KeyType::kEcdsaP256);
  if (!key) co_return fail(key.error());
  auto key_pem = tls::private_key_to_pem(key->get());
  if (!key_pem) co_return fail(key_pem.error());
  std::string hostname = "loadgen-" + std::to_string(index);
  auto csr = tls::make_csr_pem(key->get(), hostname);
  if (!csr) co_return fail(csr.error());

  auto conn = std::make_shared<TunnelConn>(executor);
  const auto& source = plan.sources[index % plan.sources.size()];
  if (auto opened = co_await conn->open(plan.relay, source, plan.tls_context, nullptr, nullptr,
                                        kExchangeTimeout);
      !opened) {
    co_return fail(opened.error());
  }
  v1::Frame frame;
  auto* request = frame.mutable_enroll_request();
  request->set_token(plan.token);
  request->set_csr_pem(*csr);
  request->set_hostname(hostname);
  request->set_platform("linux-x86_64");
  request->set_agent_version("loadgen");
  if (auto sent = conn->mux().send_control(std::move(frame)); !sent) co_return fail(sent.error());
  conn->flush();
  conn->set_deadline(kExchangeTimeout);
  std::optional<v1::EnrollResponse> response;
  while (!response) {
    auto received = co_await conn->receive();
    // The relay answers and closes at once: take the answer before the end.
    while (auto event = conn->mux().poll_event()) {
      if (event->kind == wire::MuxEvent::Kind::kControl && event->control.has_enroll_response()) {
        response = event->control.enroll_response();
      }
    }
    if (response) break;
    if (!received) {
      if (conn->timed_out()) co_return fail("timeout", "no EnrollResponse within the timeout");
      co_return fail(received.error());
    }
  }
  conn->close();
  if (response->has_error()) co_return fail(response->error().code(), response->error().message());
  auto cert = tls::certificate_from_pem(response->certificate_pem());
  if (!cert) co_return fail(cert.error());
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    co_return fail("bad_certificate", "the issued certificate is not for our key");
  }
  AgentIdentity identity{response->device_id(), std::move(*cert), std::move(*key)};
  co_return shared.cache.append(std::move(identity), *key_pem, response->certificate_pem(),
                                response->ca_certificate_pem());
}

asio::awaitable<void> worker(asio::any_io_executor executor, Shared& shared) {
  for (;;) {
    {
      std::lock_guard lock(shared.mutex);
      if (shared.first_error) break;
    }
    std::size_t index = shared.next++;
    if (index >= shared.plan.count) break;
    auto enrolled = co_await enroll_one(executor, shared, index);
    if (!enrolled) {
      std::lock_guard lock(shared.mutex);
      if (!shared.first_error) shared.first_error = enrolled.error();
      break;
    }
    ++shared.done;
  }
  std::lock_guard lock(shared.mutex);
  if (--shared.workers_left == 0) shared.finished.notify_all();
}

}  // namespace

Result<EnrollReport> enroll(std::vector<asio::io_context*> contexts, const EnrollPlan& plan,
                            IdentityCache& cache) {
  EnrollReport report;
  if (plan.count == 0) return report;
  auto started = std::chrono::steady_clock::now();
  Shared shared(plan, cache);
  shared.workers_left = contexts.size() * plan.concurrency;
  for (asio::io_context* io : contexts) {
    for (std::size_t i = 0; i < plan.concurrency; ++i) {
      asio::co_spawn(*io, worker(io->get_executor(), shared), asio::detached);
    }
  }
  {
    std::unique_lock lock(shared.mutex);
    shared.finished.wait(lock, [&] { return shared.workers_left == 0; });
  }
  report.enrolled = shared.done.load();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (shared.first_error) {
    return fail(shared.first_error->code, "enrollment " + std::to_string(report.enrolled + 1) +
                                              " failed: " + shared.first_error->message);
  }
  return report;
}

}  // namespace helpline::loadgen
