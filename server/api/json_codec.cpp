#include "server/api/json_codec.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

namespace helpline::relay::api {
namespace {

namespace pb = google::protobuf;

// protobuf's parser reports unknown fields without their names; find the
// first key of `object` the message type does not have, recursing into
// nested messages so "ticket.foo" is named too.
[[nodiscard]] std::string unknown_field(const pb::Struct& object, const pb::Descriptor& type,
                                        const std::string& prefix) {
  for (const auto& [key, value] : object.fields()) {
    const pb::FieldDescriptor* field = type.FindFieldByName(key);
    if (field == nullptr) field = type.FindFieldByCamelcaseName(key);
    if (field == nullptr) return prefix + key;
    if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE && !field->is_map() &&
        field->message_type()->file()->package() != "google.protobuf") {
      if (value.has_struct_value()) {
        auto inner = unknown_field(value.struct_value(), *field->message_type(), prefix + key + ".");
        if (!inner.empty()) return inner;
      } else if (value.has_list_value()) {
        for (const auto& item : value.list_value().values()) {
          if (!item.has_struct_value()) continue;
          auto inner =
              unknown_field(item.struct_value(), *field->message_type(), prefix + key + "[].");
          if (!inner.empty()) return inner;
        }
      }
    }
  }
  return {};
}

// protobuf's messages look like `INVALID_ARGUMENT:(impact): invalid value "x" for type TYPE_UINT32`:
// pull out the field between the parentheses when there is one.
[[nodiscard]] std::string field_from_status(const std::string& text) {
  auto open = text.find('(');
  auto close = text.find(')', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos || close <= open + 1) return {};
  return text.substr(open + 1, close - open - 1);
}

}  // namespace

tl::expected<void, JsonError> parse_json_detailed(std::string_view json, pb::Message& message) {
  if (json.empty()) json = "{}";
  pb::Struct object;
  pb::util::JsonParseOptions lenient;
  lenient.ignore_unknown_fields = true;
  if (!pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), &object, lenient)
           .ok()) {
    return tl::unexpected(JsonError{"the request body is not a JSON object", ""});
  }
  if (auto field = unknown_field(object, *message.GetDescriptor(), ""); !field.empty()) {
    return tl::unexpected(JsonError{"unknown field '" + field + "'", field});
  }
  pb::util::JsonParseOptions strict;
  auto status =
      pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), &message, strict);
  if (!status.ok()) {
    std::string text(status.message());
    std::string field = field_from_status(text);
    if (!field.empty()) return tl::unexpected(JsonError{"field '" + field + "': " + text, field});
    return tl::unexpected(JsonError{"invalid request body: " + text, ""});
  }
  return {};
}

Result<void> parse_json(std::string_view json, pb::Message& message) {
  auto parsed = parse_json_detailed(json, message);
  if (!parsed) return fail("bad_request", parsed.error().message);
  return {};
}

std::string to_json(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)pb::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace helpline::relay::api
