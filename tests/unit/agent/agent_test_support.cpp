#include "tests/unit/agent/agent_test_support.h"

#include <stdlib.h>

namespace helpline::agent::testing {
namespace {

tls::CertRequest request(std::string cn, std::vector<std::string> sans, tls::CertUsage usage) {
  tls::CertRequest r;
  r.common_name = std::move(cn);
  r.subject_alt_names = std::move(sans);
  r.usage = usage;
  return r;
}

tls::Identity issue(const TestPki& p, const tls::CertRequest& r, bool with_chain) {
  auto key = ok(tls::generate_key());
  auto cert = ok(tls::sign_certificate(p.ca_cert.get(), p.ca_key.get(), key.get(), r));
  std::string chain = ok(tls::certificate_to_pem(cert.get()));
  if (with_chain) chain += p.ca_pem;
  return tls::Identity{chain, ok(tls::private_key_to_pem(key.get()))};
}

TestPki build() {
  TestPki p;
  p.ca_key = ok(tls::generate_key());
  p.ca_cert = ok(tls::make_ca_certificate(p.ca_key.get(), "Agent Test CA", std::chrono::hours(48)));
  p.ca_pem = ok(tls::certificate_to_pem(p.ca_cert.get()));
  p.ca_pin = tls::fingerprint(p.ca_cert.get());
  p.server = issue(p, request("relay", {"127.0.0.1", "localhost"}, tls::CertUsage::kServer), true);
  p.device_id = "dev_0123abcd";
  p.device = issue(p, request(p.device_id, {}, tls::CertUsage::kClient), false);
  return p;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "helpline-agent-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

const TestPki& pki() {
  static const TestPki instance = build();
  return instance;
}

AgentState make_state(const std::filesystem::path& dir, std::uint16_t relay_port) {
  AgentState state;
  state.dir = dir;
  state.config.relay = Endpoint{"127.0.0.1", relay_port};
  state.config.ca_pin = pki().ca_pin;
  state.config.device_id = pki().device_id;
  state.config.group = "lab";
  state.config.enrolled_at = 1'795'000'000'000;
  state.key_pem = pki().device.private_key_pem;
  state.cert_pem = pki().device.certificate_chain_pem;
  state.ca_pem = pki().ca_pem;
  return state;
}

}  // namespace helpline::agent::testing
