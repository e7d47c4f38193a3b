// Fuzzes a relay-role Multiplexer with arbitrary peer bytes, driven the way
// the relay drives it: after each read, poll every event, consume delivered
// data, answer opened channels, and flush output in small budgets. Small
// limits make the channel, window and queue limits reachable. Oracle: no
// crash or sanitizer report, and everything it sends decodes as frames.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/wire/wire.h"

namespace {

using helpline::wire::FrameDecoder;
using helpline::wire::Multiplexer;
using helpline::wire::MuxEvent;

void drain_output(Multiplexer& mux, FrameDecoder& check, std::size_t budget) {
  for (int i = 0; i < 64 && mux.wants_write(); ++i) {
    auto out = mux.pending_output(budget);
    if (out.empty()) break;
    if (!check.receive(out)) __builtin_trap();  // we must only ever send valid frames
    while (check.next()) {
    }
    mux.consume_output(out.size());
  }
}

void answer_events(Multiplexer& mux) {
  static const std::uint8_t kReply[] = {'o', 'k'};
  for (int i = 0; i < 100000; ++i) {
    auto event = mux.poll_event();
    if (!event) return;
    switch (event->kind) {
      case MuxEvent::Kind::kChannelOpened:
        (void)mux.write(event->channel, kReply);
        if (event->channel % 4 == 0) (void)mux.close_channel(event->channel);
        break;
      case MuxEvent::Kind::kChannelData:
        mux.consume(event->channel, event->data.size());
        if (event->data.size() % 7 == 3) mux.reset_channel(event->channel, "fuzz");
        break;
      case MuxEvent::Kind::kChannelClosed:
        (void)mux.close_channel(event->channel);
        break;
      default:
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t step = std::size_t{data[0]} * 4 + 1;
  const std::size_t budget = std::size_t{data[1]} * 16 + 1;
  std::span<const std::uint8_t> input(data + 2, size - 2);

  helpline::wire::MuxConfig config;
  config.role = helpline::wire::Role::kRelay;
  config.max_frame_size = helpline::wire::kMinMaxFrameSize * 4;
  config.initial_window = 2048;
  config.max_data_chunk = 512;
  config.max_channels = 8;
  config.max_send_buffer = 4096;
  config.max_control_queue = 32;
  Multiplexer mux(config);
  FrameDecoder check(config.max_frame_size);

  // The relay opens one stream of its own so that even ids are in play.
  if (auto id = mux.open_channel("fuzz")) {
    const std::string bulk(3000, 'b');
    (void)mux.write(*id,
                    std::span(reinterpret_cast<const std::uint8_t*>(bulk.data()), bulk.size()));
  }
  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t n = std::min(step, input.size() - pos);
    auto ok = mux.receive(input.subspan(pos, n));
    pos += n;
    answer_events(mux);
    drain_output(mux, check, budget);
    if (!ok) {
      if (mux.receive(input.first(0))) __builtin_trap();  // input stays refused
      break;
    }
  }
  return 0;
}
