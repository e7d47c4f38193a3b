// agent/enroll: turns a one-time or group token into a device identity.
//
// Generates a P-256 key and a CSR (CN = host name), connects to the relay
// without a client certificate, trusting only the CA pin, sends one
// EnrollRequest and waits (bounded) for the EnrollResponse. The returned CA
// must match the pin and the certificate must carry our key and the device
// id the relay assigned; only then are key.pem, cert.pem, ca.pem and
// agent.toml written. Nothing in the state directory changes on failure.
//
// Thread: runs a libuv loop on the calling thread; returns when done.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "agent/link/link.h"
#include "agent/state/agent_state.h"
#include "common/core/result.h"

namespace helpline::agent {

struct EnrollOptions {
  std::string relay;  // host:port
  std::string token;
  std::string ca_pin;  // SHA256:<hex>; other case/spacing normalized
  std::filesystem::path state_dir;
  bool force = false;  // replace an existing enrollment
  std::chrono::milliseconds timeout{30'000};
  ProxyEnv proxy_env;  // usually ProxyEnv::from_environment()
  HostInfo host;       // usually read_host_info()
};

struct Enrollment {
  std::string device_id;
  std::string group;
  Endpoint relay;
};

// Errors: "bad_endpoint", "bad_pin", "bad_token", "already_enrolled" (no
// --force), "enroll_refused" (the relay's message), "enroll_timeout",
// "enroll_failed" (a response that does not check out), the transport's
// codes (e.g. "tls_handshake" whose message says the fingerprint does not
// match the pin), "write_failed".
[[nodiscard]] Result<Enrollment> enroll(const EnrollOptions& options);

// The same on an existing loop, which may carry other handles (a test's
// relay): runs it until this exchange is over, then returns.
[[nodiscard]] Result<Enrollment> enroll(const EnrollOptions& options, uv_loop_t* loop);

}  // namespace helpline::agent
