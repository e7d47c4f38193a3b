// Turns an EnrollRequest (token + CSR) into a device certificate. No I/O of
// its own beyond the store; the agent session calls it on a connection that
// came without a client certificate.
#pragma once

#include <string_view>

#include "common/core/time_format.h"
#include "helpline/v1/tunnel.pb.h"
#include "server/audit/audit_log.h"
#include "server/ca/relay_ca.h"
#include "server/store/store.h"

namespace helpline::relay {

class Enrollment {
 public:
  // Both must outlive this object.
  Enrollment(Store& store, RelayCa& ca) : store_(store), ca_(ca) {}

  // Each enrollment is then written to `audit` ("device.enroll"), which
  // must outlive this object.
  void set_audit(audit::AuditLog* audit) { audit_ = audit; }

  // Validates every field, consumes one use of the token and issues the
  // certificate. A refusal is an EnrollResponse whose error says why
  // (bad_request, bad_token, token_expired, token_used_up, token_revoked,
  // bad_csr); nothing is stored then.
  [[nodiscard]] v1::EnrollResponse enroll(const v1::EnrollRequest& request,
                                          std::string_view remote, UnixMillis now);

 private:
  Store& store_;
  RelayCa& ca_;
  audit::AuditLog* audit_ = nullptr;
};

// Checks a short printable field from a peer: at most `max` bytes, no
// control characters. Returns the reason it is bad, or "" when fine.
[[nodiscard]] std::string check_text_field(std::string_view name, std::string_view value,
                                           std::size_t max, bool required);

}  // namespace helpline::relay
