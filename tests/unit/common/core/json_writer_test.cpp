#include "common/core/json_writer.h"

#include <gtest/gtest.h>

namespace helpline {
namespace {

TEST(JsonWriter, WritesNestedValuesWithCommas) {
  JsonWriter w;
  w.begin_object()
      .field("name", "a\"b\\c\n")
      .field("online", true)
      .field("count", std::int64_t{3});
  w.key("list").begin_array().value("x").value(std::int64_t{1}).null().end_array();
  w.key("empty").begin_object().end_object();
  w.end_object();
  EXPECT_EQ(w.str(),
            R"({"name":"a\"b\\c\n","online":true,"count":3,"list":["x",1,null],"empty":{}})");
}

TEST(JsonWriter, EscapesControlCharacters) {
  std::string out;
  append_json_string(out, std::string("\x01\x1f", 2));
  EXPECT_EQ(out, "\"\\u0001\\u001f\"");
}

}  // namespace
}  // namespace helpline

namespace helpline {
namespace {

TEST(JsonWriter, PrintsDoublesInTheirShortestForm) {
  JsonWriter w;
  w.begin_array().value(812.3).value(0.5).value(1e300).end_array();
  EXPECT_EQ(w.str(), "[812.3,0.5,1e+300]");
}

}  // namespace
}  // namespace helpline
