#include "server/tunnel/enrollment.h"
#include "server/tunnel/group_policy.h"

#include <spdlog/spdlog.h>

#include "common/tls/tls.h"
#include "server/auth/auth.h"

namespace helpline::relay {
namespace {

[[nodiscard]] v1::EnrollResponse refuse(std::string code, std::string message) {
  v1::EnrollResponse response;
  response.mutable_error()->set_code(std::move(code));
  response.mutable_error()->set_message(std::move(message));
  return response;
}

}  // namespace

std::string check_text_field(std::string_view name, std::string_view value, std::size_t max,
                             bool required) {
  if (required && value.empty()) return std::string(name) + " is required";
  if (value.size() > max) {
    return std::string(name) + " is longer than " + std::to_string(max) + " bytes";
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return std::string(name) + " contains a control character";
    }
  }
  return {};
}

v1::EnrollResponse Enrollment::enroll(const v1::EnrollRequest& request, std::string_view remote,
                                      UnixMillis now) {
  for (auto why : {check_text_field("token", request.token(), 256, true),
                   check_text_field("hostname", request.hostname(), 253, true),
                   check_text_field("platform", request.platform(), 64, false),
                   check_text_field("agent_version", request.agent_version(), 64, false),
                   check_text_field("os_release", request.os_release(), 256, false)}) {
    if (!why.empty()) return refuse("bad_request", why);
  }
  if (request.csr_pem().empty() || request.csr_pem().size() > 16 * 1024) {
    return refuse("bad_csr", "csr_pem must be a PEM certificate request of at most 16 KiB");
  }

  Device device;
  device.id = "dev_" + tls::sha256_hex(tls::random_token(16)).substr(0, 20);
  device.hostname = request.hostname();
  device.platform = request.platform();
  device.agent_version = request.agent_version();
  device.os_release = request.os_release();
  device.enrolled_at = now;

  // Sign first: a refused token then costs one discarded certificate, never
  // a consumed token without a certificate.
  auto issued = ca_.issue_device_certificate(request.csr_pem(), device.id);
  if (!issued) return refuse("bad_csr", issued.error().message);
  device.cert_serial = issued->serial_hex;

  auto stored = store_.enroll_device(auth::token_hash(request.token()), device, now);
  if (!stored) {
    spdlog::warn("enrollment from {} refused: {}", remote, stored.error().to_string());
    if (stored.error().code == "store_error") {
      return refuse("internal", "the relay could not record the enrollment; try again later");
    }
    return refuse(stored.error().code, stored.error().message);
  }
  spdlog::info("enrolled device {} ({}) in group '{}' from {}", stored->id, stored->hostname,
               stored->group, remote);
  if (audit_ != nullptr) {
    audit_->record({"device.enroll", "agent", stored->id, "", 0,
                    stored->hostname + " in group " + stored->group + " with token " +
                        stored->enroll_token_id + " from " + std::string(remote) +
                        ", certificate " + stored->cert_serial});
  }
  v1::EnrollResponse response;
  response.set_device_id(stored->id);
  response.set_group(stored->group);
  response.set_certificate_pem(issued->certificate_pem);
  response.set_ca_certificate_pem(ca_.ca_pem());
  auto policy = consent_policy_of(store_, stored->group);
  response.set_consent_policy(session::to_string(policy ? *policy : session::Policy::kPrompt));
  return response;
}

}  // namespace helpline::relay
