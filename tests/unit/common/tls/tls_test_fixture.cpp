#include "tests/unit/common/tls/tls_test_fixture.h"

#include <algorithm>
#include <span>
#include <stdexcept>
#include <vector>

namespace helpline::tls::testing {

namespace {

Pki build_pki() {
  Pki p;
  p.ca_key = ok(generate_key());
  p.ca_cert = ok(make_ca_certificate(p.ca_key.get(), "Helpline Test CA", std::chrono::hours(48)));
  p.ca_pem = ok(certificate_to_pem(p.ca_cert.get()));
  p.server = issue(p.ca_cert.get(), p.ca_key.get(),
                   request("relay", {"127.0.0.1", "::1", "localhost"}, CertUsage::kServer));
  p.client = issue(p.ca_cert.get(), p.ca_key.get(), request("device-1"));

  const PKeyPtr other_key = ok(generate_key());
  const X509Ptr other_ca =
      ok(make_ca_certificate(other_key.get(), "Other CA", std::chrono::hours(48)));
  p.other_ca_pem = ok(certificate_to_pem(other_ca.get()));
  p.foreign_client = issue(other_ca.get(), other_key.get(), request("intruder"));
  return p;
}

// Delivers `from`'s pending ciphertext to `to`; false when there was none.
bool transfer(TlsSession& from, TlsSession& to, std::optional<Error>& to_error) {
  const auto pending = from.pending_output();
  if (pending.empty()) return false;
  const std::vector<std::uint8_t> bytes(pending.begin(), pending.end());
  from.consume_output(bytes.size());
  if (auto received = to.receive(bytes); !received && !to_error) to_error = received.error();
  return true;
}

}  // namespace

const Pki& pki() {
  static const Pki instance = build_pki();
  return instance;
}

CertRequest request(std::string common_name, std::vector<std::string> sans, CertUsage usage,
                    std::chrono::hours validity, std::uint64_t serial) {
  CertRequest r;
  r.common_name = std::move(common_name);
  r.subject_alt_names = std::move(sans);
  r.usage = usage;
  r.validity = validity;
  r.serial = serial;
  return r;
}

Identity issue(const X509* ca_cert, EVP_PKEY* ca_key, const CertRequest& request) {
  const PKeyPtr key = ok(generate_key());
  const X509Ptr cert = ok(sign_certificate(ca_cert, ca_key, key.get(), request));
  return Identity{ok(certificate_to_pem(cert.get())) + ok(certificate_to_pem(ca_cert)),
                  ok(private_key_to_pem(key.get()))};
}

void pump(TlsSession& client, TlsSession& server, PumpResult& result) {
  for (int round = 0; round < 64; ++round) {
    const bool to_server = transfer(client, server, result.server_error);
    const bool to_client = transfer(server, client, result.client_error);
    if (!to_server && !to_client) return;
  }
  throw std::runtime_error("pump: sessions still talking after 64 rounds");
}

PumpResult handshake(TlsSession& client, TlsSession& server) {
  PumpResult result;
  if (auto started = client.advance(); !started) result.client_error = started.error();
  pump(client, server, result);
  return result;
}

SslCtxPtr server_context(ClientCertMode mode) {
  return ok(make_server_context(ServerConfig{pki().server, pki().ca_pem, mode}));
}

SslCtxPtr client_context(bool anchor, bool pin, const Identity* identity) {
  ClientConfig config;
  if (anchor) config.ca_pem = pki().ca_pem;
  if (pin) config.ca_pin = fingerprint(pki().ca_cert.get());
  config.identity = identity;
  return ok(make_client_context(config));
}

std::string distinct_bytes(std::size_t n, std::uint64_t seed) {
  std::string out(n, '\0');
  std::uint64_t state = seed;
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(z >> (8 * j));
  }
  return out;
}

::testing::AssertionResult same_bytes(const std::string& got, const std::string& want) {
  if (got == want) return ::testing::AssertionSuccess();
  const auto diff = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
  return ::testing::AssertionFailure()
         << "got " << got.size() << " bytes, want " << want.size()
         << "; first difference at offset " << (diff.first - got.begin());
}

std::string suite_test_name(const ::testing::TestParamInfo<SuiteCase>& param) {
  std::string name = std::string(param.param.name).substr(4);  // without "TLS_"
  name.erase(std::remove(name.begin(), name.end(), '_'), name.end());
  return name;
}

}  // namespace helpline::tls::testing
