#include "agent/link/dispatch.h"

#include <utility>

namespace helpline::agent {

void RequestDispatcher::add(v1::Request::KindCase kind, RequestHandler handler) {
  handlers_[kind] = std::move(handler);
}

void RequestDispatcher::dispatch(const v1::Request& request, Reply reply) const {
  std::uint64_t id = request.id();
  // Handlers need not set the id; the relay matches responses by it.
  Reply with_id = [id, reply = std::move(reply)](v1::Response response) {
    response.set_id(id);
    reply(std::move(response));
  };
  auto it = handlers_.find(request.kind_case());
  if (request.kind_case() == v1::Request::KIND_NOT_SET || it == handlers_.end() || !it->second) {
    with_id(error_response(id, "unsupported",
                           "this agent (version " HELPLINE_VERSION
                           ") does not handle request kind " +
                               std::to_string(static_cast<int>(request.kind_case()))));
    return;
  }
  it->second(request, std::move(with_id));
}

void add_builtin_handlers(RequestDispatcher& dispatcher) {
  dispatcher.add(v1::Request::kPing, [](const v1::Request& request, Reply reply) {
    v1::Response response;
    response.mutable_pong()->set_payload(request.ping().payload());
    reply(std::move(response));
  });
}

v1::Response error_response(std::uint64_t id, std::string code, std::string message) {
  v1::Response response;
  response.set_id(id);
  response.mutable_error()->set_code(std::move(code));
  response.mutable_error()->set_message(std::move(message));
  return response;
}

Result<std::size_t> ChannelStream::write(std::span<const std::uint8_t> data) {
  auto written = mux_->write(channel_, data);
  if (flush_) flush_();
  return written;
}

Result<void> ChannelStream::close() {
  auto closed = mux_->close_channel(channel_);
  if (flush_) flush_();
  return closed;
}

void ChannelStream::reset(std::string reason) {
  mux_->reset_channel(channel_, std::move(reason));
  if (flush_) flush_();
}

void ChannelStream::consume(std::size_t n) {
  mux_->consume(channel_, n);
  if (flush_) flush_();
}

void ChannelRegistry::add(std::string kind, ChannelFactory factory) {
  factories_[std::move(kind)] = std::move(factory);
}

void ChannelRegistry::route(const wire::MuxEvent& event, wire::Multiplexer& mux) {
  using Kind = wire::MuxEvent::Kind;
  auto handler = handlers_.find(event.channel);
  switch (event.kind) {
    case Kind::kControl:
      return;
    case Kind::kChannelOpened: {
      auto factory = factories_.find(event.open_kind);
      if (factory == factories_.end() || handler != handlers_.end()) {
        mux.reset_channel(event.channel, std::string(kUnsupportedChannelKind));
        break;
      }
      ChannelOpenInfo info{event.channel, event.open_kind, event.metadata, event.request_id};
      auto made = factory->second(info, ChannelStream(mux, event.channel, flush_));
      if (!made) {
        mux.reset_channel(event.channel, "refused");
        break;
      }
      handlers_[event.channel] = std::move(made);
      break;
    }
    case Kind::kChannelData:
      if (handler == handlers_.end()) {
        // A stream we reset may still deliver what was in flight.
        mux.consume(event.channel, event.data.size());
        break;
      }
      handler->second->on_data(event.data);
      break;
    case Kind::kChannelWritable:
      if (handler != handlers_.end()) handler->second->on_writable();
      break;
    case Kind::kChannelClosed:
      if (handler != handlers_.end()) handler->second->on_peer_closed();
      break;
    case Kind::kChannelReset:
      if (handler != handlers_.end()) {
        // Moved out first: on_reset may route more events re-entrantly.
        auto gone = std::move(handler->second);
        handlers_.erase(handler);
        gone->on_reset(event.reason);
      }
      break;
  }
  // A channel the multiplexer released (both sides closed, or the handler
  // reset it) gets no more events: drop its handler.
  if (auto it = handlers_.find(event.channel); it != handlers_.end() && !mux.is_open(event.channel)) {
    handlers_.erase(it);
  }
  if (flush_) flush_();
}

Result<std::uint32_t> ChannelRegistry::open(std::uint64_t epoch, std::string kind,
                                            std::string metadata, std::uint64_t request_id,
                                            const StreamFactory& make) {
  wire::Multiplexer* mux = mux_ ? mux_() : nullptr;
  if (mux == nullptr || epoch != epoch_) {
    return fail("link_lost", "the link to the relay was lost before the stream could open");
  }
  auto id = mux->open_channel(std::move(kind), std::move(metadata), request_id);
  if (!id) return fail(id.error());
  auto handler = make(ChannelStream(*mux, *id, flush_));
  if (!handler) {
    mux->reset_channel(*id, "refused");
    if (flush_) flush_();
    return fail("refused", "no handler for the stream");
  }
  ChannelHandler& started = *handler;
  handlers_[*id] = std::move(handler);
  started.on_writable();
  if (!mux->is_open(*id)) handlers_.erase(*id);  // it reset its own stream
  if (flush_) flush_();
  return *id;
}

void ChannelRegistry::reap() {
  wire::Multiplexer* mux = mux_ ? mux_() : nullptr;
  for (auto it = handlers_.begin(); it != handlers_.end();) {
    if (mux == nullptr || !mux->is_open(it->first)) {
      auto gone = std::move(it->second);
      it = handlers_.erase(it);
      gone.reset();
    } else {
      ++it;
    }
  }
}

void ChannelRegistry::drop_all(std::string_view reason) {
  ++epoch_;
  auto handlers = std::move(handlers_);
  handlers_.clear();
  for (auto& [channel, handler] : handlers) handler->on_reset(reason);
}

}  // namespace helpline::agent
