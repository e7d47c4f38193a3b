#include "tests/bench/bench_pki.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace helpline::bench {

namespace {

// Long enough for any run, short enough that a leaked key is worthless.
constexpr std::chrono::hours kValidity{24};

// A fresh P-256 key and a leaf signed by the CA; the chain is leaf then CA,
// as the relay and an enrolled agent present it.
Result<tls::Identity> issue(const X509* ca_cert, EVP_PKEY* ca_key, std::string common_name,
                            std::vector<std::string> names, tls::CertUsage usage) {
  auto key = tls::generate_key();
  if (!key) return fail(key.error());
  tls::CertRequest request;
  request.common_name = std::move(common_name);
  request.subject_alt_names = std::move(names);
  request.usage = usage;
  request.validity = kValidity;
  auto cert = tls::sign_certificate(ca_cert, ca_key, key->get(), request);
  if (!cert) return fail(cert.error());
  auto leaf_pem = tls::certificate_to_pem(cert->get());
  if (!leaf_pem) return fail(leaf_pem.error());
  auto ca_pem = tls::certificate_to_pem(ca_cert);
  if (!ca_pem) return fail(ca_pem.error());
  auto key_pem = tls::private_key_to_pem(key->get());
  if (!key_pem) return fail(key_pem.error());
  return tls::Identity{*leaf_pem + *ca_pem, std::move(*key_pem)};
}

}  // namespace

Result<BenchContexts> make_bench_contexts() {
  auto ca_key = tls::generate_key();
  if (!ca_key) return fail(ca_key.error());
  auto ca_cert = tls::make_ca_certificate(ca_key->get(), "Helpline Bench CA", kValidity);
  if (!ca_cert) return fail(ca_cert.error());
  auto ca_pem = tls::certificate_to_pem(ca_cert->get());
  if (!ca_pem) return fail(ca_pem.error());

  auto relay = issue(ca_cert->get(), ca_key->get(), "relay", {std::string(kRelayHost)},
                     tls::CertUsage::kServer);
  if (!relay) return fail(relay.error());
  auto device =
      issue(ca_cert->get(), ca_key->get(), std::string(kDeviceId), {}, tls::CertUsage::kClient);
  if (!device) return fail(device.error());

  auto relay_ctx =
      tls::make_server_context(tls::ServerConfig{*relay, *ca_pem, tls::ClientCertMode::kRequired});
  if (!relay_ctx) return fail(relay_ctx.error());
  tls::ClientConfig client;
  client.ca_pem = *ca_pem;
  client.identity = &*device;  // only read while the context is built
  auto agent_ctx = tls::make_client_context(client);
  if (!agent_ctx) return fail(agent_ctx.error());
  return BenchContexts{std::move(*relay_ctx), std::move(*agent_ctx)};
}

}  // namespace helpline::bench
