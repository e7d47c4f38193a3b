// Streams one encoded bundle to the relay on a stream the agent opened,
// honouring flow control: write() may accept only part, the rest goes out
// on the next on_writable(). After the last byte it closes the stream and
// answers the request with CollectResult; if the relay resets the stream
// first, it answers with the error instead (on a lost link the answer is
// dropped by the link). `on_done` runs once, when the handler is finished
// or destroyed.
//
// Thread: the loop's thread (a ChannelHandler owned by ChannelRegistry).
#pragma once

#include <functional>
#include <string>

#include "agent/link/dispatch.h"

namespace helpline::agent::diag {

class BundleSender final : public ChannelHandler {
 public:
  BundleSender(ChannelStream stream, std::string encoded, std::string id, Reply reply,
               std::function<void()> on_done);
  BundleSender(const BundleSender&) = delete;
  BundleSender& operator=(const BundleSender&) = delete;
  ~BundleSender() override;

  void on_data(std::string_view data) override;
  void on_writable() override;
  void on_reset(std::string_view reason) override;

 private:
  void finish(v1::Response response);

  ChannelStream stream_;
  std::string encoded_;
  std::string id_;
  std::size_t size_;
  std::size_t offset_ = 0;
  Reply reply_;
  std::function<void()> on_done_;
  bool finished_ = false;
};

}  // namespace helpline::agent::diag
