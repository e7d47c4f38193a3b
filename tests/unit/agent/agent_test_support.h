// Shared by the agent tests: a temporary directory and a small PKI (relay
// CA, a relay server certificate for 127.0.0.1/localhost, a device
// certificate) from common/tls, so state files cross-check like real ones.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "agent/state/agent_state.h"
#include "common/tls/tls.h"

namespace helpline::agent::testing {

// A fresh directory removed again at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct TestPki {
  tls::PKeyPtr ca_key;
  tls::X509Ptr ca_cert;
  std::string ca_pem;
  std::string ca_pin;
  tls::Identity server;   // CN "relay", SANs 127.0.0.1 and localhost; chain leaf + CA
  std::string device_id;  // "dev_0123abcd"
  tls::Identity device;   // CN device_id, leaf only
};

// Built on first use, never changed afterwards.
[[nodiscard]] const TestPki& pki();

// A complete, consistent state for pki().device in `dir`.
[[nodiscard]] AgentState make_state(const std::filesystem::path& dir,
                                    std::uint16_t relay_port = 8443);

template <class T>
T ok(Result<T> result) {
  if (!result) throw std::runtime_error(result.error().to_string());
  return std::move(*result);
}

}  // namespace helpline::agent::testing
