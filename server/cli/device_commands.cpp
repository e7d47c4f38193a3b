#include <iostream>

#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"
#include "server/cli/api_fetch.h"
#include "server/cli/commands.h"
#include "server/cli/table.h"

namespace helpline::cli {

namespace {

using relay::api::to_json;

[[nodiscard]] std::string yes_no(bool value) { return value ? "yes" : "no"; }

void print_device(const v1::api::Device& d) {
  std::cout << "id:              " << d.id() << "\n"
            << "hostname:        " << d.hostname() << "\n"
            << "group:           " << d.group() << "\n"
            << "online:          " << yes_no(d.online())
            << (d.online() ? " since " + d.connected_since() + " from " + d.remote_address() : "")
            << "\n"
            << "last seen:       " << d.last_seen() << "\n"
            << "platform:        " << d.platform() << " (" << d.os_release() << ")\n"
            << "agent version:   " << d.agent_version() << "\n"
            << "enrolled at:     " << d.enrolled_at() << "\n"
            << "revoked:         " << yes_no(d.revoked())
            << (d.retired_at().empty() ? "" : " (retired " + d.retired_at() + ")") << "\n";
}

}  // namespace

int cmd_devices(const Output& out) {
  v1::api::DeviceList list;
  if (int rc = fetch("GET", "/api/v1/devices", list); rc != 0) return rc;
  if (out.json) {
    print_json_array(list.devices());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : list.devices()) {
    std::string state = d.online() ? "online" : "offline";
    if (d.revoked()) state = d.retired_at().empty() ? "revoked" : "retired";
    rows.push_back({d.id(), d.hostname(), d.group(), state, d.last_seen(), d.agent_version()});
  }
  print_table(std::cout, {"ID", "HOSTNAME", "GROUP", "STATE", "LAST SEEN", "VERSION"}, rows);
  return 0;
}

int cmd_device_show(const std::string& id, const Output& out) {
  v1::api::Device device;
  if (int rc = fetch("GET", "/api/v1/devices/" + id, device); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(device) << "\n";
  } else {
    print_device(device);
  }
  return 0;
}

int cmd_device_revoke(const std::string& id, const Output& out) {
  v1::api::Device device;
  if (int rc = fetch("POST", "/api/v1/devices/" + id + "/revoke", device); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(device) << "\n";
  } else {
    std::cout << "Device " << id << " (" << device.hostname()
              << ") revoked: its certificate is refused from now on.\n";
  }
  return 0;
}

int cmd_device_ping(const std::string& id, const Output& out) {
  v1::api::PingResult result;
  if (int rc = fetch("POST", "/api/v1/devices/" + id + "/ping", result); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(result) << "\n";
  } else {
    std::cout << "Device " << id << " answered in " << result.round_trip_ms() << " ms\n";
  }
  return 0;
}

int cmd_token_create(const std::string& group, unsigned uses, const std::string& expires,
                     const Output& out) {
  v1::api::CreateEnrollTokenRequest request;
  request.set_group(group);
  request.set_uses(uses);
  request.set_expires_in(expires);
  v1::api::EnrollToken token;
  if (int rc = fetch("POST", "/api/v1/enroll-tokens", token, to_json(request)); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(token) << "\n";
  } else {
    std::cout << token.token() << "\n"
              << "(enrollment token " << token.id() << " for group '" << token.group() << "', "
              << token.uses() << " use" << (token.uses() == 1 ? "" : "s") << ", expires "
              << token.expires_at() << ")\n";
  }
  return 0;
}

int cmd_token_list(const Output& out) {
  v1::api::EnrollTokenList list;
  if (int rc = fetch("GET", "/api/v1/enroll-tokens", list); rc != 0) return rc;
  if (out.json) {
    print_json_array(list.tokens());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : list.tokens()) {
    rows.push_back({t.id(), t.group(), std::to_string(t.used()) + "/" + std::to_string(t.uses()),
                    t.expires_at(), t.revoked() ? "revoked" : "", t.created_by()});
  }
  print_table(std::cout, {"ID", "GROUP", "USED", "EXPIRES", "STATE", "CREATED BY"}, rows);
  return 0;
}

int cmd_token_revoke(const std::string& id) {
  auto client = logged_in_client();
  if (!client) return report_failure(client.error());
  auto reply = call_api(*client, "POST", "/api/v1/enroll-tokens/" + id + "/revoke");
  if (!reply) return report_failure(reply.error());
  std::cout << "Enrollment token " << id << " revoked.\n";
  return 0;
}

int cmd_user_add(const std::string& name, const std::string& role, const Output& out) {
  v1::api::CreateUserRequest request;
  request.set_name(name);
  request.set_role(role);
  v1::api::CreatedUser created;
  if (int rc = fetch("POST", "/api/v1/users", created, to_json(request)); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(created) << "\n";
  } else {
    std::cout << "User " << created.user().name() << " (" << created.user().role()
              << ") created; password: " << created.password() << " (shown once)\n";
  }
  return 0;
}

int cmd_user_list(const Output& out) {
  v1::api::UserList list;
  if (int rc = fetch("GET", "/api/v1/users", list); rc != 0) return rc;
  if (out.json) {
    print_json_array(list.users());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : list.users()) {
    rows.push_back({u.name(), u.role(), u.created_at(), u.disabled() ? "disabled" : ""});
  }
  print_table(std::cout, {"NAME", "ROLE", "CREATED", "STATE"}, rows);
  return 0;
}

}  // namespace helpline::cli
