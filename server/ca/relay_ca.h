// The relay's certificate authority and TLS identity, kept in its data dir:
//   ca.key (0600) / ca.pem        the CA that signs device certificates
//   server.key (0600) / server.pem the relay's certificate (agent and API ports)
// The CA's SHA-256 fingerprint is the pin agents and technicians are given.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/tls/tls.h"

namespace helpline::relay {

struct IssuedCertificate {
  std::string certificate_pem;
  std::string serial_hex;
};

class RelayCa {
 public:
  // Creates the CA and the server certificate for `names` (DNS names or IP
  // literals the relay is reached by). Errors: "crypto_error", "write_failed".
  [[nodiscard]] static Result<void> create(const std::filesystem::path& data_dir,
                                           const std::vector<std::string>& names);
  // Errors: "read_failed", "bad_key", "bad_certificate" naming the file.
  [[nodiscard]] static Result<RelayCa> load(const std::filesystem::path& data_dir);

  // Checks the CSR and signs a client certificate whose CN is `device_id`.
  // Errors: "bad_csr" with the reason.
  [[nodiscard]] Result<IssuedCertificate> issue_device_certificate(const std::string& csr_pem,
                                                                   const std::string& device_id);

  [[nodiscard]] const std::string& ca_pem() const { return ca_pem_; }
  [[nodiscard]] const std::string& pin() const { return pin_; }
  // Server certificate chain (leaf then CA) and key, for both listeners.
  [[nodiscard]] const tls::Identity& server_identity() const { return server_identity_; }

 private:
  tls::PKeyPtr ca_key_;
  tls::X509Ptr ca_cert_;
  std::string ca_pem_;
  std::string pin_;
  tls::Identity server_identity_;
};

// The device certificate lifetime; revocation, not expiry, ends a device.
inline constexpr std::chrono::hours kDeviceCertValidity{24 * 365 * 5};

}  // namespace helpline::relay
