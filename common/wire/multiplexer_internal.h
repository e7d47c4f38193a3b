// Helpers shared by the multiplexer's .cpp files. Not part of the module's
// public face: include common/wire/wire.h instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "helpline/v1/tunnel.pb.h"

namespace helpline::wire::internal {

// How many released channel ids are remembered, so that frames still in
// flight for them are dropped quietly instead of answered with a reset.
inline constexpr std::size_t kRecentlyClosedLimit = 512;

// Longest reason/code/message we put in a Goodbye or ChannelReset, so that
// these frames always fit the smallest negotiable frame size.
inline constexpr std::size_t kMaxReasonLength = 256;

// Upper bound of a data frame's bytes besides its payload: channel field,
// body tag and length, ChannelData's tag and length.
inline constexpr std::size_t kDataFrameOverhead = 32;

inline std::string clip(std::string text) {
  // A copy of the prefix rather than resize(): GCC 12 reports resize() here
  // as an overflow (-Wstringop-overflow) when it inlines it, falsely.
  if (text.size() > kMaxReasonLength) return std::string(text, 0, kMaxReasonLength);
  return text;
}

inline bool is_control_body(v1::Frame::BodyCase body) {
  switch (body) {
    case v1::Frame::kHello:
    case v1::Frame::kHelloAck:
    case v1::Frame::kHeartbeat:
    case v1::Frame::kHeartbeatAck:
    case v1::Frame::kEnrollRequest:
    case v1::Frame::kEnrollResponse:
    case v1::Frame::kRequest:
    case v1::Frame::kResponse:
    case v1::Frame::kGoodbye:
      return true;
    default:
      return false;
  }
}

inline v1::Frame make_reset(std::uint32_t id, std::string reason) {
  v1::Frame frame;
  frame.set_channel(id);
  frame.mutable_reset()->set_reason(std::move(reason));
  return frame;
}

}  // namespace helpline::wire::internal
