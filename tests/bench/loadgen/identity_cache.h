// The load generator's enrolled identities, cached in a directory so that
// only the first run against a relay enrolls: later runs load the keys and
// certificates the relay issued and connect at once.
//
// Directory layout (0700): `ca.pem` (the relay CA from the first
// EnrollResponse), `identities` (0600, appended to as enrollments finish):
// per agent a line "device <id>", its private key PEM, its certificate PEM.
// A cache belongs to one relay: open() refuses a directory whose CA does not
// match the pin.
//
// Thread: append() may be called from several threads; the rest from one.
#pragma once

#include <cstddef>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <deque>
#include <memory>

#include "common/core/result.h"
#include "common/tls/tls.h"

namespace helpline::loadgen {

struct AgentIdentity {
  std::string device_id;
  tls::X509Ptr certificate;
  tls::PKeyPtr key;
};

class IdentityCache {
 public:
  // Creates `dir` if needed and loads up to `max_load` identities. Errors:
  // "cache_mismatch" when the cached CA is not the pinned one, "bad_cache"
  // when a record does not parse (naming it), file errors.
  [[nodiscard]] static Result<IdentityCache> open(const std::filesystem::path& dir,
                                                  const std::string& ca_pin, std::size_t max_load);

  IdentityCache(IdentityCache&&) noexcept;
  IdentityCache& operator=(IdentityCache&&) noexcept;

  [[nodiscard]] std::deque<AgentIdentity>& identities() { return identities_; }
  // The relay CA PEM ("" before the first enrollment).
  [[nodiscard]] const std::string& ca_pem() const { return ca_pem_; }

  // Records a new enrollment (appends to the file, flushed). Errors: "io_error".
  [[nodiscard]] Result<void> append(AgentIdentity identity, std::string_view key_pem,
                                    std::string_view cert_pem, std::string_view ca_pem);

 private:
  IdentityCache() = default;

  std::filesystem::path dir_;
  std::string ca_pin_;
  std::string ca_pem_;
  std::deque<AgentIdentity> identities_;  // stable references: agents hold them
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
};

}  // namespace helpline::loadgen
