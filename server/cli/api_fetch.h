// Helpers the command files share: one API call whose JSON answer is parsed
// into a message, and printing a repeated field as a JSON array.
#pragma once

#include <chrono>
#include <iostream>
#include <string>
#include <string_view>

#include "server/api/json_codec.h"
#include "server/cli/commands.h"

namespace helpline::cli {

// `method` `path` as the logged-in user, the answer parsed into `message`.
// Returns 0, or the exit code after reporting the failure.
template <class Message>
int fetch(std::string_view method, const std::string& path, Message& message,
          std::string_view body = {}, std::chrono::seconds timeout = kCallTimeout) {
  auto client = logged_in_client();
  if (!client) return report_failure(client.error());
  auto reply = call_api(*client, method, path, body, timeout);
  if (!reply) return report_failure(reply.error());
  if (auto parsed = relay::api::parse_json(*reply, message); !parsed) {
    return report_failure("unexpected answer from the relay: " + parsed.error().message);
  }
  return 0;
}

// A repeated field as a JSON array of its elements: what scripts expect from
// `helpline devices --json` and friends.
template <class Items>
void print_json_array(const Items& items) {
  std::cout << "[";
  bool first = true;
  for (const auto& item : items) {
    std::cout << (first ? "" : ",") << relay::api::to_json(item);
    first = false;
  }
  std::cout << "]\n";
}

}  // namespace helpline::cli
