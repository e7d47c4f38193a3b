// Streams the relay opens to an agent (even channel ids): the remote
// session capabilities ("shell", "file_pull", "file_push", "forward";
// docs/sessions.md). The opener registers a RelayStream with
// AgentSession::open_stream and then talks through the session's
// stream_* calls; the agent's side arrives here.
//
// Flow control: the relay grants the agent credit for a channel only as
// the handler calls AgentSession::stream_consume, so a slow technician
// slows the agent's sender instead of filling the relay's memory.
//
// Thread: every call comes from the relay's io_context thread. Lifetime:
// shared; the session keeps the handler while its stream is open.
#pragma once

#include <string>

#include "common/core/result.h"

namespace helpline::relay {

class RelayStream {
 public:
  virtual ~RelayStream() = default;
  // Bytes from the agent, handed over; give the credit back with
  // stream_consume(n) once they are passed on.
  virtual void on_data(std::string data) = 0;
  // Room again in the channel's send buffer after a short write.
  virtual void on_writable() = 0;
  // The agent sent everything (its ChannelClose).
  virtual void on_peer_closed() = 0;
  // The stream is gone: refused or reset by the agent (why.code is the
  // reason's code, e.g. "path_not_allowed"), or the link ended. No other
  // call follows.
  virtual void on_reset(const Error& why) = 0;
};

}  // namespace helpline::relay
