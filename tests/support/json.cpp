#include "tests/support/json.h"

#include <google/protobuf/util/json_util.h>

namespace helpline::testing {
namespace {

namespace pb = google::protobuf;

constexpr std::size_t kQuoteLimit = 200;

[[nodiscard]] tl::unexpected<Error> bad_json(std::string_view why, std::string_view text) {
  return fail("bad_json", std::string(why) + " in: " + std::string(text.substr(0, kQuoteLimit)));
}

[[nodiscard]] const pb::Value* field(const pb::Struct& object, std::string_view name) {
  auto it = object.fields().find(std::string(name));
  return it == object.fields().end() ? nullptr : &it->second;
}

}  // namespace

Result<pb::Value> parse_json_value(std::string_view text) {
  pb::Value value;
  auto status = pb::util::JsonStringToMessage(pb::StringPiece(text.data(), text.size()), &value);
  if (!status.ok()) return bad_json(std::string(status.message()), text);
  return value;
}

Result<pb::Struct> parse_json_object(std::string_view text) {
  auto value = parse_json_value(text);
  if (!value) return fail(value.error());
  if (!value->has_struct_value()) return bad_json("not a JSON object", text);
  return value->struct_value();
}

Result<std::vector<pb::Struct>> parse_json_array(std::string_view text) {
  auto value = parse_json_value(text);
  if (!value) return fail(value.error());
  if (!value->has_list_value()) return bad_json("not a JSON array", text);
  std::vector<pb::Struct> out;
  for (const auto& item : value->list_value().values()) {
    if (!item.has_struct_value()) return bad_json("an array element is not an object", text);
    out.push_back(item.struct_value());
  }
  return out;
}

std::string json_field_string(const pb::Struct& object, std::string_view name) {
  const pb::Value* value = field(object, name);
  return value != nullptr && value->has_string_value() ? value->string_value() : std::string();
}

std::optional<bool> json_field_bool(const pb::Struct& object, std::string_view name) {
  const pb::Value* value = field(object, name);
  if (value == nullptr || !value->has_bool_value()) return std::nullopt;
  return value->bool_value();
}

std::optional<double> json_field_number(const pb::Struct& object, std::string_view name) {
  const pb::Value* value = field(object, name);
  if (value == nullptr || !value->has_number_value()) return std::nullopt;
  return value->number_value();
}

std::optional<pb::Struct> json_field_object(const pb::Struct& object, std::string_view name) {
  const pb::Value* value = field(object, name);
  if (value == nullptr || !value->has_struct_value()) return std::nullopt;
  return value->struct_value();
}

bool json_has_field(const pb::Struct& object, std::string_view name) {
  return field(object, name) != nullptr;
}

std::vector<pb::Struct> json_field_objects(const pb::Struct& object, std::string_view name) {
  std::vector<pb::Struct> out;
  const pb::Value* value = field(object, name);
  if (value == nullptr || !value->has_list_value()) return out;
  for (const pb::Value& item : value->list_value().values()) {
    if (item.has_struct_value()) out.push_back(item.struct_value());
  }
  return out;
}

}  // namespace helpline::testing
