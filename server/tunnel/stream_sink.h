// What receives a stream an agent opens in answer to a relay request (e.g.
// the "bundle" stream answering a CollectRequest; docs/protocol.md). The
// API passes a sink to Tunnel::request; the agent's link routes the stream
// whose ChannelOpen.request_id names that request to it. A stream that
// answers no pending request, or has another kind, is reset.
//
// Thread: every call comes from the relay's io_context thread. Lifetime:
// shared; the session keeps the sink while its stream is open, the caller
// keeps it to read the outcome.
#pragma once

#include <string_view>

#include "common/core/result.h"

namespace helpline::relay {

// The stream kind that carries a DeliverRequest's payload (agent -> relay).
inline constexpr std::string_view kUploadStreamKind = "upload";

class StreamSink {
 public:
  virtual ~StreamSink() = default;

  // The stream kind this sink accepts ("bundle").
  [[nodiscard]] virtual std::string_view kind() const = 0;

  // The agent opened the stream with `metadata`. An error refuses it: the
  // channel is reset with the error as reason and on_abort() follows.
  [[nodiscard]] virtual Result<void> on_open(std::string_view metadata) = 0;
  // Bytes arrived; the agent gets that much credit back once this returns.
  // An error resets the channel with the error as reason (e.g. "too_large")
  // and on_abort() follows.
  [[nodiscard]] virtual Result<void> on_data(std::string_view data) = 0;
  // The agent sent everything (its ChannelClose).
  virtual void on_end() = 0;
  // The stream ended early: refused, reset by the agent, or the link ended.
  // No other call follows.
  virtual void on_abort(const Error& why) = 0;
};

}  // namespace helpline::relay
