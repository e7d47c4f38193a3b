#include "common/core/encoding.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace helpline {
namespace {

TEST(Hex, TwoLowercaseDigitsPerByte) {
  const std::array<std::uint8_t, 5> bytes{0x00, 0x0f, 0x10, 0xab, 0xff};
  EXPECT_EQ(to_hex(bytes), "000f10abff");
  EXPECT_EQ(to_hex(std::string_view("\x01" "Az\x7f\x80", 5)), "01417a7f80");
  EXPECT_EQ(to_hex(std::string_view()), "");
}

TEST(Hex, AppendsOneByte) {
  std::string out = "\\x";
  append_hex(out, 0x1b);
  append_hex(out, 0xc3);
  EXPECT_EQ(out, "\\x1bc3");
}

TEST(Hex, EveryByteValueRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string text = to_hex(all);
  ASSERT_EQ(text.size(), 512u);
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(std::stoi(text.substr(2 * static_cast<std::size_t>(b), 2), nullptr, 16), b);
  }
  EXPECT_EQ(text.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Hex, DecodesEitherCaseAndRefusesTheRest) {
  EXPECT_EQ(from_hex("00ff7A41"), std::string("\x00\xffzA", 4));
  EXPECT_EQ(from_hex(""), std::string());
  for (const char* text : {"0", "abc", "0g", "zz", "1 2", "-1"}) {
    EXPECT_FALSE(from_hex(text).has_value()) << text;
  }
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(from_hex(to_hex(all)), all);
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(Base64Url, Rfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base64url_encode(bytes_of("")), "");
  EXPECT_EQ(base64url_encode(bytes_of("f")), "Zg");
  EXPECT_EQ(base64url_encode(bytes_of("fo")), "Zm8");
  EXPECT_EQ(base64url_encode(bytes_of("foo")), "Zm9v");
  EXPECT_EQ(base64url_encode(bytes_of("foob")), "Zm9vYg");
  EXPECT_EQ(base64url_encode(bytes_of("fooba")), "Zm9vYmE");
  EXPECT_EQ(base64url_encode(bytes_of("foobar")), "Zm9vYmFy");
}

TEST(Base64Url, UsesTheUrlAlphabet) {
  const std::array<std::uint8_t, 3> bytes{0xfb, 0xef, 0xff};
  EXPECT_EQ(base64url_encode(bytes), "--__");
  auto back = base64url_decode("--__");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

TEST(Base64Url, EveryLengthRoundTrips) {
  std::vector<std::uint8_t> data;
  for (int n = 0; n < 70; ++n) {
    auto back = base64url_decode(base64url_encode(data));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, data) << n;
    data.push_back(static_cast<std::uint8_t>(n * 37 + 11));
  }
}

TEST(Base64Url, DecodingRefusesAnythingButTheOneEncoding) {
  for (const char* text : {"Z", "Zg==", "Zm9v=", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm 9v", "Zm9v\n"}) {
    EXPECT_FALSE(base64url_decode(text).has_value()) << text;
  }
  EXPECT_TRUE(base64url_decode("Zm8").has_value());
}

}  // namespace
}  // namespace helpline
