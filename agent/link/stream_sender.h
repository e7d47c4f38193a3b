// Sends one byte string on a stream the agent opened, honouring flow
// control: write() may accept only part, the rest goes out on the next
// on_writable(). After the last byte it closes the stream. Used for
// bundles answering a collect request and for spooled deliveries.
//
// `on_done` runs exactly once: success once every byte is queued and the
// stream closed; an error "stream_reset" (naming the relay's reason) when
// the relay reset the stream first or the link was lost, "upload_failed"
// when the multiplexer refused a write. It also runs (with "stream_reset")
// if the handler is destroyed before finishing.
//
// Thread: the loop's thread (a ChannelHandler owned by ChannelRegistry).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "agent/link/dispatch.h"

namespace helpline::agent {

class StreamSender final : public ChannelHandler {
 public:
  using Done = std::function<void(Result<void>)>;

  // `what` names the content in logs and errors ("bundle sha256:...").
  // `bytes` is shared so the caller can keep it (e.g. to spool it if the
  // stream fails); it is not modified.
  StreamSender(ChannelStream stream, std::shared_ptr<const std::string> bytes, std::string what,
               Done on_done);
  StreamSender(const StreamSender&) = delete;
  StreamSender& operator=(const StreamSender&) = delete;
  ~StreamSender() override;

  void on_data(std::string_view data) override;
  void on_writable() override;
  void on_reset(std::string_view reason) override;

 private:
  void finish(Result<void> outcome);

  ChannelStream stream_;
  std::shared_ptr<const std::string> bytes_;
  std::string what_;
  std::size_t offset_ = 0;
  Done on_done_;
};

}  // namespace helpline::agent
