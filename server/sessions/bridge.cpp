#include "server/sessions/bridge.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <spdlog/spdlog.h>

#include <vector>

#include "helpline/v1/session.pb.h"
#include "server/api/json_codec.h"
#include "server/store/ticket_store.h"

namespace helpline::relay::sessions {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

constexpr std::size_t kMaxWsMessage = 1u << 20;
// Payload per WebSocket frame toward the technician. With its 4-byte header
// a frame is exactly one full TLS record (16 KiB, what Beast's flat_stream
// still coalesces into one write); Beast's default of 4 KiB made four
// records, four SSL_writes and four send(2)s of every 16 KiB.
constexpr std::size_t kWsFramePayload = 16 * 1024 - 4;
// One message toward the technician carries at most this many frames.
constexpr std::size_t kFramesPerMessage = 4;

// "code: message", once: an agent's reason already starts with its code.
[[nodiscard]] std::string reset_reason(const Error& why) {
  if (why.message.empty()) return why.code;
  if (why.message.rfind(why.code + ": ", 0) == 0) return why.message;
  return why.code + ": " + why.message;
}

}  // namespace

Bridge::Bridge(SessionService& service, net::WebSocket& ws, std::shared_ptr<AgentSession> agent,
               v1::api::RemoteSession info, StreamRequest request)
    : service_(service),
      ws_(ws),
      agent_(std::move(agent)),
      info_(std::move(info)),
      request_(std::move(request)),
      to_ws_(kWsFramePayload, kWsFramePayload * kFramesPerMessage),
      wake_writer_(ws.get_executor()),
      wake_reader_(ws.get_executor()),
      reader_gone_(ws.get_executor()) {}

Bridge::~Bridge() = default;

asio::awaitable<void> Bridge::run() {
  ws_.binary(true);
  ws_.read_message_max(kMaxWsMessage);
  ws_.write_buffer_bytes(kWsFramePayload);
  if (request_.kind == "shell") {
    auto started = Recording::start(service_.blobs(), kMaxRecordingBytes, request_.cols,
                                    request_.rows, request_.term,
                                    "Helpline " + info_.id() + " " + info_.technician() + " on " +
                                        info_.device_id() + " (HL-" +
                                        std::to_string(info_.ticket()) + ")",
                                    unix_now_ms() / 1000);
    if (started) {
      recording_.emplace(std::move(*started));
    } else {
      spdlog::error("session {}: the shell cannot be recorded: {}", info_.id(),
                    started.error().to_string());
    }
  }
  auto opened = agent_->open_stream(request_.kind, request_.metadata, shared_from_this());
  service_.audit().record({request_.kind + ".open", info_.technician(), info_.device_id(),
                           info_.id(), info_.ticket(),
                           request_.describe + (opened ? "" : " (failed: " +
                                                                  opened.error().message + ")")});
  if (!opened) {
    finish(opened.error(), false);
  } else {
    channel_ = *opened;
    channel_open_ = true;
    reader_started_ = true;
    auto self = shared_from_this();
    asio::co_spawn(ws_.get_executor(), [self]() { return self->read_ws(); }, asio::detached);
  }
  co_await write_ws();

  // Tell the technician how it ended, then close.
  boost::system::error_code ec;
  v1::api::StreamEnd end;
  end.set_ok(ok_);
  end.set_code(finished_ ? finished_->code : "closed");
  end.set_message(finished_ ? finished_->message : "");
  ws_.text(true);
  co_await ws_.async_write(asio::buffer(api::to_json(end)),
                           asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await ws_.async_close(websocket::close_code::normal,
                                    asio::redirect_error(asio::use_awaitable, ec));
  // The reader holds a reference to the WebSocket: wait until it is out.
  while (reader_started_ && !reader_done_) {
    reader_gone_.expires_after(std::chrono::seconds(30));
    co_await reader_gone_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !reader_done_) {
      // The technician never answered the close: drop the connection.
      beast::get_lowest_layer(ws_).close();
    }
  }
  audit_close();
  finish_recording();
}

asio::awaitable<void> Bridge::write_ws() {
  boost::system::error_code ec;
  std::vector<asio::const_buffer> message;
  while (true) {
    if (!to_ws_.empty()) {
      message.clear();
      std::size_t size = 0;
      for (std::string_view piece : to_ws_.next()) {
        message.emplace_back(piece.data(), piece.size());
        size += piece.size();
      }
      ws_.binary(true);
      co_await ws_.async_write(message, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        finish(Error{"technician_left", "the technician's connection ended: " + ec.message()},
               false);
        co_return;
      }
      to_ws_.consume(size);
      if (channel_open_) agent_->stream_consume(channel_, size);
      continue;
    }
    if (finished_) co_return;
    wake_writer_.expires_at(asio::steady_timer::time_point::max());
    co_await wake_writer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> Bridge::read_ws() {
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  while (!finished_) {
    co_await ws_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      finish(Error{"technician_left", "the technician closed the connection"}, false);
      break;
    }
    std::string message = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    if (finished_) break;
    if (ws_.got_text()) {
      // {"op":"eof"}: nothing more from the technician.
      if (message.find("\"eof\"") != std::string::npos && !closed_toward_agent_) {
        closed_toward_agent_ = true;
        if (auto closed = agent_->stream_close(channel_); !closed) {
          finish(closed.error(), false);
        }
      }
      continue;
    }
    if (closed_toward_agent_) continue;
    tap_to_agent(message);
    std::string_view rest = message;
    while (!rest.empty() && !finished_) {
      auto written = agent_->stream_write(channel_, rest);
      if (!written) {
        finish(Error{"stream_failed", written.error().message}, false);
        break;
      }
      bytes_to_agent_ += *written;
      rest.remove_prefix(*written);
      if (rest.empty()) break;
      wake_reader_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_reader_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  reader_done_ = true;
  reader_gone_.cancel();
}

void Bridge::finish(Error why, bool ok) {
  if (finished_) return;
  finished_ = std::move(why);
  ok_ = ok;
  if (channel_open_ && !ok) {
    // Whatever is left toward the agent is dropped: a shell is hung up, a
    // partial push discarded, a forwarded connection cut.
    agent_->stream_reset(channel_, reset_reason(*finished_));
  }
  wake_writer_.cancel();
  wake_reader_.cancel();
}

void Bridge::end(std::string code, std::string message) {
  finish(Error{std::move(code), std::move(message)}, false);
}

void Bridge::on_data(std::string data) {
  bytes_from_agent_ += data.size();
  tap_from_agent(data);
  to_ws_.push(std::move(data));
  wake_writer_.cancel();
}

void Bridge::on_writable() { wake_reader_.cancel(); }

void Bridge::on_peer_closed() {
  // The agent sent everything; close our half too (the channel is then
  // released) and let the writer drain what is queued.
  if (!closed_toward_agent_) {
    closed_toward_agent_ = true;
    (void)agent_->stream_close(channel_);
  }
  finish(Error{"closed", "the stream finished"}, true);
}

void Bridge::on_reset(const Error& why) {
  channel_open_ = false;
  finish(why, false);
}

void Bridge::tap_from_agent(std::string_view data) {
  if (tap_failed_ || (request_.kind != "shell" && request_.kind != "file_pull" &&
                      request_.kind != "file_push")) {
    return;
  }
  if (request_.kind == "file_pull" && !file_detail_.empty()) return;  // the header is read
  if (!from_agent_.feed(data)) {
    tap_failed_ = true;
    return;
  }
  while (auto message = from_agent_.next()) {
    if (request_.kind == "shell") {
      v1::ShellFrame frame;
      if (!frame.ParseFromString(*message)) continue;
      if (frame.has_data() && recording_) recording_->output(frame.data());
    } else if (request_.kind == "file_pull") {
      v1::FileInfo info;
      if (info.ParseFromString(*message)) {
        file_detail_ = "file " + info.path() + ", " + std::to_string(info.size()) + " bytes";
      }
      return;
    } else {
      v1::FileWritten written;
      if (written.ParseFromString(*message)) {
        file_detail_ = "wrote " + written.path() + ", " + std::to_string(written.size()) +
                       " bytes, sha256 " + written.sha256();
      }
    }
  }
}

void Bridge::tap_to_agent(std::string_view data) {
  if (request_.kind != "shell" || tap_failed_ || !recording_) return;
  if (!to_agent_.feed(data)) {
    tap_failed_ = true;
    return;
  }
  while (auto message = to_agent_.next()) {
    v1::ShellFrame frame;
    if (frame.ParseFromString(*message) && frame.has_resize() &&
        session::check_window(frame.resize().cols(), frame.resize().rows()).empty()) {
      recording_->resize(frame.resize().cols(), frame.resize().rows());
    }
  }
}

void Bridge::audit_close() {
  std::string outcome = ok_ ? "ok" : (finished_ ? reset_reason(*finished_) : "ended");
  std::string detail = request_.describe + "; " + outcome + "; " +
                       std::to_string(bytes_from_agent_) + " bytes from the device, " +
                       std::to_string(bytes_to_agent_) + " bytes to it";
  if (!file_detail_.empty()) detail += "; " + file_detail_;
  service_.audit().record({request_.kind + ".close", info_.technician(), info_.device_id(),
                           info_.id(), info_.ticket(), detail});
}

void Bridge::finish_recording() {
  if (!recording_) return;
  auto stored = recording_->finish();
  recording_.reset();
  if (!stored) {
    spdlog::error("session {}: cannot store the shell recording: {}", info_.id(),
                  stored.error().to_string());
    return;
  }
  service_.add_recording(info_.id(), *stored);
}

}  // namespace helpline::relay::sessions
