#include "common/wire/frame_codec.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "common/wire/wire_error.h"

namespace helpline::wire {

namespace {

// A frame cut across inputs gets this much of its body reserved at once.
constexpr std::size_t kReserveAhead = 64 * 1024;

void put_u32_be(std::uint32_t value, std::string& out) {
  out.push_back(static_cast<char>((value >> 24) & 0xffu));
  out.push_back(static_cast<char>((value >> 16) & 0xffu));
  out.push_back(static_cast<char>((value >> 8) & 0xffu));
  out.push_back(static_cast<char>(value & 0xffu));
}

std::uint32_t get_u32_be(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::uint32_t get_u32_be(const std::string& s) {
  return get_u32_be(reinterpret_cast<const std::uint8_t*>(s.data()));
}

}  // namespace

Result<void> encode_frame(const v1::Frame& frame, std::uint32_t max_frame_size, std::string& out) {
  if (frame.body_case() == v1::Frame::BODY_NOT_SET) {
    return fail(
        make_error(WireError::kMalformedFrame, "refusing to encode a frame without a body"));
  }
  const std::size_t size = frame.ByteSizeLong();
  if (size > max_frame_size) {
    return fail(make_error(WireError::kFrameTooLarge, "frame of " + std::to_string(size) +
                                                          " bytes exceeds the maximum of " +
                                                          std::to_string(max_frame_size)));
  }
  const std::size_t start = out.size();
  put_u32_be(static_cast<std::uint32_t>(size), out);
  if (!frame.AppendToString(&out)) {
    out.resize(start);
    return fail(make_error(WireError::kMalformedFrame, "frame failed to serialize"));
  }
  return {};
}

FrameDecoder::FrameDecoder(std::uint32_t max_frame_size) : max_frame_size_(max_frame_size) {}

void FrameDecoder::set_max_frame_size(std::uint32_t max_frame_size) {
  max_frame_size_ = max_frame_size;
}

std::optional<v1::Frame> FrameDecoder::next() {
  if (ready_.empty()) return std::nullopt;
  v1::Frame frame = std::move(ready_.front());
  ready_.pop_front();
  return frame;
}

Result<void> FrameDecoder::receive(std::span<const std::uint8_t> bytes) {
  if (error_) return fail(*error_);

  // Checked as soon as the prefix is complete, so an oversized length never
  // makes us wait for (or buffer) its body.
  auto check_length = [this](std::uint32_t length) -> Result<void> {
    if (length == 0) {
      return fail(make_error(WireError::kMalformedFrame, "zero-length frame"));
    }
    // ParseFromArray takes an int; a larger maximum is treated as this cap.
    if (length > max_frame_size_ || length > static_cast<std::uint32_t>(INT_MAX)) {
      return fail(make_error(WireError::kFrameTooLarge, "frame length " + std::to_string(length) +
                                                            " exceeds the maximum of " +
                                                            std::to_string(max_frame_size_)));
    }
    return {};
  };
  auto parse = [this](const std::uint8_t* body, std::uint32_t length) -> Result<void> {
    v1::Frame frame;
    if (!frame.ParseFromArray(body, static_cast<int>(length))) {
      return fail(make_error(WireError::kMalformedFrame, "frame body does not parse"));
    }
    if (frame.body_case() == v1::Frame::BODY_NOT_SET) {
      return fail(make_error(WireError::kMalformedFrame, "frame has no body"));
    }
    ready_.push_back(std::move(frame));
    return {};
  };
  auto poison = [this](Error error) {
    std::string().swap(partial_);
    error_ = error;
    return fail(std::move(error));
  };

  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t left = bytes.size() - pos;
    if (partial_.empty() && left >= kLengthPrefixSize) {
      // Fast path: a whole prefix (and maybe body) in the input, no copy.
      const std::uint32_t length = get_u32_be(bytes.data() + pos);
      if (auto ok = check_length(length); !ok) return poison(ok.error());
      if (left - kLengthPrefixSize >= length) {
        if (auto ok = parse(bytes.data() + pos + kLengthPrefixSize, length); !ok) {
          return poison(ok.error());
        }
        pos += kLengthPrefixSize + length;
        continue;
      }
    }
    if (partial_.size() < kLengthPrefixSize) {
      const std::size_t take = std::min(kLengthPrefixSize - partial_.size(), left);
      partial_.append(reinterpret_cast<const char*>(bytes.data() + pos), take);
      pos += take;
      if (partial_.size() < kLengthPrefixSize) break;
      if (auto ok = check_length(get_u32_be(partial_)); !ok) return poison(ok.error());
      // One allocation for a data frame instead of regrowth; a large frame
      // still grows only as its bytes arrive.
      partial_.reserve(kLengthPrefixSize + std::min<std::size_t>(get_u32_be(partial_), kReserveAhead));
      continue;
    }
    const std::uint32_t length = get_u32_be(partial_);
    const std::size_t want = kLengthPrefixSize + length - partial_.size();
    const std::size_t take = std::min(want, left);
    partial_.append(reinterpret_cast<const char*>(bytes.data() + pos), take);
    pos += take;
    if (take < want) break;
    auto ok =
        parse(reinterpret_cast<const std::uint8_t*>(partial_.data()) + kLengthPrefixSize, length);
    if (!ok) return poison(ok.error());
    std::string().swap(partial_);  // an idle link keeps no frame buffer
  }
  return {};
}

}  // namespace helpline::wire
