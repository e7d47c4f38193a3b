// Frame codec: 4-byte big-endian length, then one serialized v1::Frame.
//
// The decoder takes any split of the input (one byte at a time works) and
// never buffers more than one partial frame (max_frame_size + 4 bytes).
// After an error it is poisoned: every later receive() returns that error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/core/result.h"
#include "common/wire/fifo.h"
#include "helpline/v1/tunnel.pb.h"

namespace helpline::wire {

inline constexpr std::uint32_t kDefaultMaxFrameSize = 1u << 20;  // 1 MiB
inline constexpr std::uint32_t kMinMaxFrameSize = 1u << 10;      // negotiation floor
inline constexpr std::size_t kLengthPrefixSize = 4;

// Appends the length-prefixed encoding of `frame` to `out` (nothing on error).
// Errors: frame_too_large if the serialized frame exceeds max_frame_size,
// malformed_frame if its body is unset (the peer would refuse it).
[[nodiscard]] Result<void> encode_frame(const v1::Frame& frame, std::uint32_t max_frame_size,
                                        std::string& out);

class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint32_t max_frame_size = kDefaultMaxFrameSize);

  // Consumes all of `bytes`; each complete frame is parsed and queued for
  // next(). Errors: frame_too_large (checked as soon as the prefix is read,
  // before the body arrives), malformed_frame (zero length, does not parse,
  // or no body). Frames completed before the error stay available to next().
  [[nodiscard]] Result<void> receive(std::span<const std::uint8_t> bytes);

  // The oldest decoded frame not yet taken.
  [[nodiscard]] std::optional<v1::Frame> next();

  // Applies to frames whose prefix has not been read yet.
  void set_max_frame_size(std::uint32_t max_frame_size);
  [[nodiscard]] std::uint32_t max_frame_size() const { return max_frame_size_; }

  // Bytes held for a partial frame.
  [[nodiscard]] std::size_t buffered() const { return partial_.size(); }

 private:
  std::uint32_t max_frame_size_;
  std::string partial_;
  Fifo<v1::Frame> ready_;
  std::optional<Error> error_;
};

}  // namespace helpline::wire
