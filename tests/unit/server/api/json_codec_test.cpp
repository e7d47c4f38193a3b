#include "server/api/json_codec.h"

#include <gtest/gtest.h>

#include "helpline/v1/api.pb.h"

namespace helpline::relay::api {
namespace {

TEST(JsonCodec, PrintsSnakeCaseAndEveryField) {
  v1::api::Device device;
  device.set_id("dev_1");
  device.set_last_seen("2026-11-21T10:00:00Z");
  auto json = to_json(device);
  EXPECT_NE(json.find("\"last_seen\":\"2026-11-21T10:00:00Z\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"online\":false"), std::string::npos) << json;
}

TEST(JsonCodec, RefusesAnUnknownFieldByName) {
  v1::api::CreateEnrollTokenRequest request;
  auto parsed = parse_json_detailed(R"({"group":"lab","colour":"red"})", request);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().field, "colour");
  EXPECT_NE(parsed.error().message.find("colour"), std::string::npos);
}

TEST(JsonCodec, NamesAFieldWithAWrongType) {
  v1::api::CreateEnrollTokenRequest request;
  auto parsed = parse_json_detailed(R"({"uses":"many"})", request);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("uses"), std::string::npos) << parsed.error().message;
}

TEST(JsonCodec, RefusesTextThatIsNotAnObject) {
  v1::api::LoginRequest request;
  for (const char* body : {"not json", "[1,2]", "{\"user\":", "\"x\""}) {
    EXPECT_FALSE(parse_json_detailed(body, request).has_value()) << body;
  }
}

TEST(JsonCodec, AcceptsProtoAndCamelCaseNames) {
  v1::api::CreateEnrollTokenRequest request;
  ASSERT_TRUE(parse_json_detailed(R"({"expires_in":"1h","uses":3})", request).has_value());
  EXPECT_EQ(request.expires_in(), "1h");
  EXPECT_EQ(request.uses(), 3u);
  v1::api::CreateEnrollTokenRequest camel;
  ASSERT_TRUE(parse_json_detailed(R"({"expiresIn":"2h"})", camel).has_value());
  EXPECT_EQ(camel.expires_in(), "2h");
}

TEST(JsonCodec, TreatsAnEmptyBodyAsAnEmptyObject) {
  v1::api::LoginRequest request;
  EXPECT_TRUE(parse_json_detailed("", request).has_value());
}

}  // namespace
}  // namespace helpline::relay::api
