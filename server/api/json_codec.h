// JSON through protobuf's JSON mapping, with the proto field names
// (snake_case) on output and every field printed, so scripts can rely on
// `online: false` being there. Unknown fields in a request body are refused
// by name.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline::relay::api {

// Errors: "bad_request" with `message` naming the field when one is to blame
// (the field name is also in Error::message after "field '...'"); see
// field_of() to extract it.
[[nodiscard]] Result<void> parse_json(std::string_view json, google::protobuf::Message& message);

struct JsonError {
  std::string message;
  std::string field;
};
// Like parse_json but keeps the offending field apart.
[[nodiscard]] tl::expected<void, JsonError> parse_json_detailed(std::string_view json,
                                                                google::protobuf::Message& message);

[[nodiscard]] std::string to_json(const google::protobuf::Message& message);

}  // namespace helpline::relay::api
