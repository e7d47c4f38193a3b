// Fuzzes FrameDecoder with arbitrary bytes fed in arbitrary splits. The
// first byte picks the split size so that the fuzzer explores partial
// prefixes and bodies, not only whole inputs.
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/wire/frame_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = std::size_t{data[0]} + 1;
  std::span<const std::uint8_t> input(data + 1, size - 1);

  // A small maximum keeps the too-large path reachable.
  helpline::wire::FrameDecoder decoder(helpline::wire::kMinMaxFrameSize * 4);
  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t n = std::min(step, input.size() - pos);
    auto ok = decoder.receive(input.subspan(pos, n));
    pos += n;
    while (auto frame = decoder.next()) {
      // Every decoded frame has a body and re-encodes within the limit.
      if (frame->body_case() == helpline::v1::Frame::BODY_NOT_SET) __builtin_trap();
      std::string out;
      if (!helpline::wire::encode_frame(*frame, decoder.max_frame_size() * 2, out)) {
        __builtin_trap();
      }
    }
    if (!ok) {
      // Poisoned: the same error again, and nothing buffered.
      auto again = decoder.receive(input.first(0));
      if (again || again.error().code != ok.error().code) __builtin_trap();
      if (decoder.buffered() != 0) __builtin_trap();
      break;
    }
    if (decoder.buffered() > decoder.max_frame_size() + helpline::wire::kLengthPrefixSize) {
      __builtin_trap();
    }
  }
  return 0;
}
