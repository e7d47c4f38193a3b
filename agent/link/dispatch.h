// Where the link sends what the relay asks for: control Requests by their
// kind, and streams by the kind in their ChannelOpen. Features (diagnostics,
// actions, sessions) register here; the link itself knows none of them.
//
// Thread: the libuv loop thread only. Nothing here touches sockets, so tests
// drive both tables directly.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "common/wire/wire.h"
#include "helpline/v1/tunnel.pb.h"

namespace helpline::agent {

// Sends the one Response to a Request; its id is filled in. A handler may
// call it at once or later (e.g. after collecting diagnostics), on the loop
// thread. If the link dropped in between, the response is discarded.
using Reply = std::function<void(v1::Response response)>;
using RequestHandler = std::function<void(const v1::Request& request, Reply reply)>;

class RequestDispatcher {
 public:
  // Registers (or replaces) the handler for one Request kind.
  void add(v1::Request::KindCase kind, RequestHandler handler);

  // Calls the handler for request.kind_case(); without one, replies with
  // Error{code "unsupported"} naming the kind.
  void dispatch(const v1::Request& request, Reply reply) const;

 private:
  std::map<v1::Request::KindCase, RequestHandler> handlers_;
};

// Ping -> Pong with the same payload.
void add_builtin_handlers(RequestDispatcher& dispatcher);

// A Response carrying Error{code, message}.
[[nodiscard]] v1::Response error_response(std::uint64_t id, std::string code, std::string message);

// What a channel handler uses to talk back on its stream. Valid while the
// handler lives; the registry drops handlers before the link's multiplexer
// goes away.
class ChannelStream {
 public:
  ChannelStream(wire::Multiplexer& mux, std::uint32_t channel, std::function<void()> flush)
      : mux_(&mux), channel_(channel), flush_(std::move(flush)) {}

  [[nodiscard]] std::uint32_t id() const { return channel_; }
  // As Multiplexer::write: fewer bytes than given when the buffer is full,
  // then on_writable() follows.
  [[nodiscard]] Result<std::size_t> write(std::span<const std::uint8_t> data);
  [[nodiscard]] Result<void> close();
  void reset(std::string reason);
  // Grants the relay credit again for `n` bytes handed to on_data().
  void consume(std::size_t n);

 private:
  wire::Multiplexer* mux_;
  std::uint32_t channel_;
  std::function<void()> flush_;
};

class ChannelHandler {
 public:
  virtual ~ChannelHandler() = default;
  // Data from the relay; call stream.consume(n) once it is used.
  virtual void on_data(std::string_view data) = 0;
  virtual void on_writable() {}
  virtual void on_peer_closed() {}
  // The stream is gone (reset by either side, or the link was lost); the
  // handler is destroyed right after.
  virtual void on_reset(std::string_view /*reason*/) {}
};

struct ChannelOpenInfo {
  std::uint32_t channel = 0;
  std::string kind;
  std::string metadata;
  std::uint64_t request_id = 0;
};

// Makes the handler for a stream the relay opened; nullptr refuses it (the
// stream is reset with "refused").
using ChannelFactory = std::function<std::unique_ptr<ChannelHandler>(const ChannelOpenInfo& info,
                                                                     ChannelStream stream)>;
// Makes the handler for a stream the agent opens (ChannelRegistry::open).
using StreamFactory = std::function<std::unique_ptr<ChannelHandler>(ChannelStream stream)>;

inline constexpr std::string_view kUnsupportedChannelKind = "unsupported channel kind";

class ChannelRegistry {
 public:
  // `flush` is called after a stream queued output, so the link writes it.
  explicit ChannelRegistry(std::function<void()> flush = {}) : flush_(std::move(flush)) {}

  void set_flush(std::function<void()> flush) { flush_ = std::move(flush); }
  // How open() reaches the current link's multiplexer: nullptr while the
  // link is not up.
  void set_mux(std::function<wire::Multiplexer*()> mux) { mux_ = std::move(mux); }
  void add(std::string kind, ChannelFactory factory);

  // Counts lost links (each drop_all). Work started for one link (e.g. a
  // collection for a request) remembers it, so it never answers on another.
  [[nodiscard]] std::uint64_t epoch() const { return epoch_; }

  // Opens a stream to the relay: ChannelOpen{kind, metadata, request_id}
  // on the current link if it is still link `epoch`. The handler `make`
  // returns gets the stream's events, starting with one on_writable() right
  // after the open, so it can start writing. Errors: "link_lost" (no link
  // up, or not the same one), "refused" (make returned nullptr), or the
  // multiplexer's ("channel_limit", "closed").
  [[nodiscard]] Result<std::uint32_t> open(std::uint64_t epoch, std::string kind,
                                           std::string metadata, std::uint64_t request_id,
                                           const StreamFactory& make);

  // Routes one stream event from `mux` (kControl events are not for here
  // and are ignored). Opens of unknown kinds are reset with
  // kUnsupportedChannelKind.
  void route(const wire::MuxEvent& event, wire::Multiplexer& mux);

  // Drops the handlers whose stream is no longer open because they reset
  // it themselves outside an event (e.g. a session that ended). Call it
  // from outside every handler callback.
  void reap();

  // The link is gone: each handler hears on_reset(reason) and is dropped.
  void drop_all(std::string_view reason);

  [[nodiscard]] std::size_t active() const { return handlers_.size(); }

 private:
  std::map<std::string, ChannelFactory, std::less<>> factories_;
  std::map<std::uint32_t, std::unique_ptr<ChannelHandler>> handlers_;
  std::function<void()> flush_;
  std::function<wire::Multiplexer*()> mux_;
  std::uint64_t epoch_ = 0;
};

}  // namespace helpline::agent
