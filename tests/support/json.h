// Parsing the JSON the CLIs print (`--json`) into google::protobuf::Struct /
// Value, with small accessors that answer "" / std::nullopt for a missing
// field or one of another type, so assertions read plainly:
//   EXPECT_EQ(json_field_string(device, "hostname"), host);
#pragma once

#include <google/protobuf/struct.pb.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"

namespace helpline::testing {

// Any JSON value (object, array, ...). Errors: "bad_json" with protobuf's
// reason and the start of the text.
[[nodiscard]] Result<google::protobuf::Value> parse_json_value(std::string_view text);
// A JSON object. Errors: "bad_json", also when the value is not an object.
[[nodiscard]] Result<google::protobuf::Struct> parse_json_object(std::string_view text);
// A JSON array of objects. Errors: "bad_json", also when it is not an array
// or an element is not an object.
[[nodiscard]] Result<std::vector<google::protobuf::Struct>> parse_json_array(std::string_view text);

[[nodiscard]] std::string json_field_string(const google::protobuf::Struct& object,
                                            std::string_view name);
[[nodiscard]] std::optional<bool> json_field_bool(const google::protobuf::Struct& object,
                                                  std::string_view name);
[[nodiscard]] std::optional<double> json_field_number(const google::protobuf::Struct& object,
                                                      std::string_view name);
[[nodiscard]] std::optional<google::protobuf::Struct> json_field_object(
    const google::protobuf::Struct& object, std::string_view name);
[[nodiscard]] bool json_has_field(const google::protobuf::Struct& object, std::string_view name);
// The objects in the array `object[name]` (non-objects skipped); empty when
// there is no such array.
[[nodiscard]] std::vector<google::protobuf::Struct> json_field_objects(
    const google::protobuf::Struct& object, std::string_view name);

}  // namespace helpline::testing
