#include "server/ca/relay_ca.h"

#include "common/core/files.h"

namespace helpline::relay {
namespace {

constexpr std::chrono::hours kCaValidity{24 * 365 * 20};
constexpr std::chrono::hours kServerValidity{24 * 365 * 5};

[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path) {
  return files::read(path, 1u << 20);
}

}  // namespace

Result<void> RelayCa::create(const std::filesystem::path& data_dir,
                             const std::vector<std::string>& names) {
  auto ca_key = tls::generate_key();
  if (!ca_key) return fail(ca_key.error());
  auto ca_cert = tls::make_ca_certificate(ca_key->get(), "Helpline relay CA", kCaValidity);
  if (!ca_cert) return fail(ca_cert.error());
  auto server_key = tls::generate_key();
  if (!server_key) return fail(server_key.error());
  tls::CertRequest request;
  request.common_name = names.empty() ? "helpline-relay" : names.front();
  request.subject_alt_names = names;
  request.usage = tls::CertUsage::kServer;
  request.validity = kServerValidity;
  auto server_cert = tls::sign_certificate(ca_cert->get(), ca_key->get(), server_key->get(), request);
  if (!server_cert) return fail(server_cert.error());

  auto ca_key_pem = tls::private_key_to_pem(ca_key->get());
  auto ca_pem = tls::certificate_to_pem(ca_cert->get());
  auto server_key_pem = tls::private_key_to_pem(server_key->get());
  auto server_pem = tls::certificate_to_pem(server_cert->get());
  for (const auto* r : {&ca_key_pem, &ca_pem, &server_key_pem, &server_pem}) {
    if (!*r) return fail(r->error());
  }
  if (auto r = files::write_atomic(data_dir / "ca.key", *ca_key_pem, 0600); !r) return r;
  if (auto r = files::write_atomic(data_dir / "ca.pem", *ca_pem, 0644); !r) return r;
  if (auto r = files::write_atomic(data_dir / "server.key", *server_key_pem, 0600); !r) return r;
  return files::write_atomic(data_dir / "server.pem", *server_pem, 0644);
}

Result<RelayCa> RelayCa::load(const std::filesystem::path& data_dir) {
  RelayCa ca;
  auto ca_key_pem = read_file(data_dir / "ca.key");
  if (!ca_key_pem) return fail(ca_key_pem.error());
  auto ca_pem = read_file(data_dir / "ca.pem");
  if (!ca_pem) return fail(ca_pem.error());
  auto server_key_pem = read_file(data_dir / "server.key");
  if (!server_key_pem) return fail(server_key_pem.error());
  auto server_pem = read_file(data_dir / "server.pem");
  if (!server_pem) return fail(server_pem.error());

  auto key = tls::private_key_from_pem(*ca_key_pem);
  if (!key) return fail(key.error().code, "ca.key: " + key.error().message);
  auto cert = tls::certificate_from_pem(*ca_pem);
  if (!cert) return fail(cert.error().code, "ca.pem: " + cert.error().message);
  ca.ca_key_ = std::move(*key);
  ca.ca_cert_ = std::move(*cert);
  ca.ca_pem_ = std::move(*ca_pem);
  ca.pin_ = tls::fingerprint(ca.ca_cert_.get());
  ca.server_identity_.certificate_chain_pem = *server_pem + ca.ca_pem_;
  ca.server_identity_.private_key_pem = std::move(*server_key_pem);
  return ca;
}

Result<IssuedCertificate> RelayCa::issue_device_certificate(const std::string& csr_pem,
                                                            const std::string& device_id) {
  auto csr = tls::parse_csr(csr_pem);
  if (!csr) return fail(csr.error());
  tls::CertRequest request;
  request.common_name = device_id;
  request.usage = tls::CertUsage::kClient;
  request.validity = kDeviceCertValidity;
  auto cert = tls::sign_certificate(ca_cert_.get(), ca_key_.get(), csr->public_key.get(), request);
  if (!cert) return fail(cert.error());
  auto pem = tls::certificate_to_pem(cert->get());
  if (!pem) return fail(pem.error());
  return IssuedCertificate{std::move(*pem), tls::serial_hex(cert->get())};
}

}  // namespace helpline::relay
