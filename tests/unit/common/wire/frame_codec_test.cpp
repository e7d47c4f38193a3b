#include "common/wire/frame_codec.h"

#include <gtest/gtest.h>

#include "tests/unit/common/wire/wire_test_support.h"

namespace helpline::wire {
namespace {

using test::bytes_of;
using test::encode;

std::vector<v1::Frame> sample_frames() {
  std::vector<v1::Frame> frames;
  v1::Frame hello;
  hello.mutable_hello()->set_device_id("dev-123");
  hello.mutable_hello()->add_capabilities("shell");
  hello.mutable_hello()->set_max_frame_size(65536);
  frames.push_back(hello);
  frames.push_back(test::heartbeat_frame(7));
  frames.push_back(test::open_frame(3, "bundle", 4096));
  frames.push_back(test::data_frame(3, std::string(300, 'x')));  // length varint of 2 bytes
  frames.push_back(test::window_frame(3, 1024));
  frames.push_back(test::close_frame(3));
  frames.push_back(test::reset_frame(5, "cancelled"));
  v1::Frame goodbye;
  goodbye.mutable_goodbye()->set_reason("shutting down");
  frames.push_back(goodbye);
  return frames;
}

void expect_same(const std::vector<v1::Frame>& got, const std::vector<v1::Frame>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].SerializeAsString(), want[i].SerializeAsString()) << "frame " << i;
  }
}

std::string prefix(std::uint32_t length) {
  std::string p(4, '\0');
  p[0] = static_cast<char>(length >> 24);
  p[1] = static_cast<char>((length >> 16) & 0xff);
  p[2] = static_cast<char>((length >> 8) & 0xff);
  p[3] = static_cast<char>(length & 0xff);
  return p;
}

TEST(FrameCodec, EncodesBigEndianLengthThenFrame) {
  v1::Frame frame = test::heartbeat_frame(1);
  std::string out = "keep";
  ASSERT_TRUE(encode_frame(frame, kDefaultMaxFrameSize, out).has_value());
  const std::string body = frame.SerializeAsString();
  EXPECT_EQ(out, "keep" + prefix(static_cast<std::uint32_t>(body.size())) + body);
}

TEST(FrameCodec, DecodesEverySequenceSplitAtEveryByte) {
  const auto frames = sample_frames();
  const std::string bytes = encode(frames);
  for (std::size_t split = 0; split <= bytes.size(); ++split) {
    FrameDecoder decoder;
    const auto all = bytes_of(bytes);
    ASSERT_TRUE(decoder.receive(all.first(split)).has_value()) << split;
    ASSERT_TRUE(decoder.receive(all.subspan(split)).has_value()) << split;
    std::vector<v1::Frame> got;
    while (auto frame = decoder.next()) got.push_back(std::move(*frame));
    expect_same(got, frames);
    EXPECT_EQ(decoder.buffered(), 0u);
  }
}

TEST(FrameCodec, DecodesOneByteAtATime) {
  const auto frames = sample_frames();
  const std::string bytes = encode(frames);
  FrameDecoder decoder;
  std::vector<v1::Frame> got;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    ASSERT_TRUE(decoder.receive(bytes_of(bytes).subspan(i, 1)).has_value()) << i;
    while (auto frame = decoder.next()) got.push_back(std::move(*frame));
  }
  expect_same(got, frames);
}

TEST(FrameCodec, RejectsOversizedPrefixBeforeTheBodyArrives) {
  FrameDecoder decoder(2048);
  const std::string p = prefix(2049);
  // Three bytes are not enough to judge; the fourth is.
  ASSERT_TRUE(decoder.receive(bytes_of(p).first(3)).has_value());
  auto r = decoder.receive(bytes_of(p).subspan(3));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "frame_too_large");
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameCodec, AcceptsFrameOfExactlyMaxSize) {
  v1::Frame frame = test::data_frame(1, std::string(100, 'a'));
  const auto size = static_cast<std::uint32_t>(frame.ByteSizeLong());
  const std::string bytes = encode({frame}, size);
  FrameDecoder decoder(size);
  ASSERT_TRUE(decoder.receive(bytes_of(bytes)).has_value());
  EXPECT_TRUE(decoder.next().has_value());

  FrameDecoder smaller(size - 1);
  auto r = smaller.receive(bytes_of(bytes));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "frame_too_large");
}

TEST(FrameCodec, EncodeRefusesFrameAboveMaxSize) {
  std::string out;
  auto r = encode_frame(test::data_frame(1, std::string(2000, 'a')), 1024, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "frame_too_large");
  EXPECT_TRUE(out.empty());
}

TEST(FrameCodec, EncodeRefusesFrameWithoutBody) {
  v1::Frame frame;
  frame.set_channel(3);
  std::string out;
  auto r = encode_frame(frame, kDefaultMaxFrameSize, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "malformed_frame");
}

TEST(FrameCodec, RejectsZeroLengthFrame) {
  FrameDecoder decoder;
  auto r = decoder.receive(bytes_of(prefix(0)));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "malformed_frame");
}

TEST(FrameCodec, RejectsBytesThatDoNotParse) {
  FrameDecoder decoder;
  const std::string bytes = prefix(3) + "\xff\xff\xff";
  auto r = decoder.receive(bytes_of(bytes));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "malformed_frame");
}

TEST(FrameCodec, RejectsFrameWhoseBodyIsUnset) {
  v1::Frame frame;
  frame.set_channel(5);
  const std::string body = frame.SerializeAsString();
  FrameDecoder decoder;
  auto r = decoder.receive(bytes_of(prefix(static_cast<std::uint32_t>(body.size())) + body));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "malformed_frame");
}

TEST(FrameCodec, StaysPoisonedAfterAnError) {
  FrameDecoder decoder;
  ASSERT_FALSE(decoder.receive(bytes_of(prefix(0))).has_value());
  const std::string good = encode({test::heartbeat_frame(1)});
  auto r = decoder.receive(bytes_of(good));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "malformed_frame");
  EXPECT_FALSE(decoder.next().has_value());
}

TEST(FrameCodec, KeepsFramesDecodedBeforeAnError) {
  FrameDecoder decoder;
  const std::string bytes = encode({test::heartbeat_frame(1)}) + prefix(0);
  ASSERT_FALSE(decoder.receive(bytes_of(bytes)).has_value());
  auto frame = decoder.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->heartbeat().seq(), 1u);
}

TEST(FrameCodec, NewMaxSizeAppliesToTheNextPrefix) {
  FrameDecoder decoder(4096);
  const std::string big = encode({test::data_frame(1, std::string(3000, 'b'))});
  ASSERT_TRUE(decoder.receive(bytes_of(big)).has_value());
  decoder.set_max_frame_size(1024);
  EXPECT_EQ(decoder.max_frame_size(), 1024u);
  auto r = decoder.receive(bytes_of(big));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "frame_too_large");
}

TEST(FrameCodec, BuffersOnlyThePartialFrame) {
  const std::string bytes = encode({test::data_frame(1, std::string(500, 'c'))});
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.receive(bytes_of(bytes).first(100)).has_value());
  EXPECT_EQ(decoder.buffered(), 100u);
  ASSERT_TRUE(decoder.receive(bytes_of(bytes).subspan(100)).has_value());
  EXPECT_EQ(decoder.buffered(), 0u);
}

}  // namespace
}  // namespace helpline::wire
