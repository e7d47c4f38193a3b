// The "forward" stream: one TCP connection to an allowlisted port on the
// endpoint's loopback (a VNC or RDP server), bytes both ways. Credit flows
// back to the relay only after the bytes were written to the socket, and
// the socket is read only while the channel has room, so neither side can
// fill the agent's memory.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>

#include "agent/session/session_internal.h"

namespace helpline::agent::session {

namespace {

// The TCP side: owned by a shared_ptr so it outlives its channel while
// libuv closes its handle.
struct Connection {
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  uv_shutdown_t shutdown{};
  class ForwardChannel* channel = nullptr;  // null once the channel is gone
  bool connected = false;
  bool reading = false;
  bool closing = false;
  bool shut_down = false;  // our half toward the local server
  char buffer[32 * 1024];
};

struct WriteRequest {
  uv_write_t req{};
  std::string data;
  std::weak_ptr<Connection> connection;
};

class ForwardChannel final : public SessionChannel {
 public:
  ForwardChannel(SessionManager& manager, std::string session_id, ChannelStream stream)
      : SessionChannel(manager, std::move(session_id), std::move(stream), "forward") {}

  ~ForwardChannel() override { release(); }

  bool start(std::uint32_t port) {
    const auto& ports = manager_.config().forward_ports;
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) {
      std::string list;
      for (auto p : ports) list += (list.empty() ? "" : ", ") + std::to_string(p);
      refuse("port_not_allowed", "port " + std::to_string(port) +
                                     " is not in this machine's forward allowlist (" +
                                     (list.empty() ? "none" : list) + ")");
      return false;
    }
    port_ = port;
    conn_ = std::make_shared<Connection>();
    conn_->channel = this;
    uv_tcp_init(manager_.loop(), &conn_->tcp);
    conn_->tcp.data = conn_.get();
    conn_->connect.data = conn_.get();
    struct sockaddr_in addr {};
    uv_ip4_addr("127.0.0.1", static_cast<int>(port), &addr);
    int rc = uv_tcp_connect(&conn_->connect, &conn_->tcp,
                            reinterpret_cast<const struct sockaddr*>(&addr), &on_connect);
    if (rc != 0) {
      refuse("connect_failed", "127.0.0.1:" + std::to_string(port) + ": " + uv_strerror(rc));
      release();
      return false;
    }
    manager_.record("forward.open", session_id_, "to 127.0.0.1:" + std::to_string(port));
    return true;
  }

  void on_data(std::string_view data) override {
    if (done_ || !conn_) {
      stream_.consume(data.size());
      return;
    }
    touch();
    bytes_in_ += data.size();
    if (!conn_->connected) {
      // Queued until the connection is up; still counted against credit.
      early_.append(data);
      return;
    }
    write_tcp(std::string(data));
  }

  void on_writable() override {
    if (done_) return;
    if (flush() && conn_ && conn_->connected && !conn_->reading && !conn_->closing) {
      start_reading();
    }
  }

  void on_peer_closed() override {
    // The technician's client shut its side: pass that on, once the
    // connection is up (a short request and its end can both arrive while
    // it is still connecting).
    peer_closed_ = true;
    if (conn_ && conn_->connected) shutdown_tcp();
  }

  void on_reset(std::string_view) override {
    done_ = true;
    release();
  }

  void terminate(const std::string& reason) override {
    SessionChannel::terminate(reason);
    release();
  }

  void connected(int status) {
    if (status != 0) {
      refuse("connect_failed", "127.0.0.1:" + std::to_string(port_) + ": " + uv_strerror(status));
      release();
      return;
    }
    conn_->connected = true;
    if (!early_.empty()) write_tcp(std::exchange(early_, std::string()));
    if (peer_closed_) shutdown_tcp();
    start_reading();
  }

  void tcp_data(ssize_t nread) {
    if (nread < 0) {
      if (nread == UV_EOF) {
        // The local server finished: close our half toward the relay.
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&conn_->tcp));
        conn_->reading = false;
        if (!done_) (void)stream_.close();
        return;
      }
      refuse("connection_lost", std::string("127.0.0.1:") + std::to_string(port_) + ": " +
                                    uv_strerror(static_cast<int>(nread)));
      release();
      return;
    }
    if (nread == 0) return;
    touch();
    bytes_out_ += static_cast<std::uint64_t>(nread);
    if (!send(std::string_view(conn_->buffer, static_cast<std::size_t>(nread)))) {
      // The channel is full: stop reading until it has room again.
      uv_read_stop(reinterpret_cast<uv_stream_t*>(&conn_->tcp));
      conn_->reading = false;
    }
  }

  void written(std::size_t n, int status) {
    stream_.consume(n);
    if (status != 0 && !done_) {
      refuse("connection_lost", "writing to 127.0.0.1:" + std::to_string(port_) + ": " +
                                    uv_strerror(status));
      release();
    }
  }

 private:
  static void on_connect(uv_connect_t* req, int status) {
    auto* conn = static_cast<Connection*>(req->data);
    if (conn->channel != nullptr && !conn->closing) conn->channel->connected(status);
  }

  // Half-closes toward the local server after the queued writes.
  void shutdown_tcp() {
    if (conn_->closing || conn_->shut_down) return;
    conn_->shut_down = true;
    uv_shutdown(&conn_->shutdown, reinterpret_cast<uv_stream_t*>(&conn_->tcp),
                [](uv_shutdown_t*, int) {});
  }

  void start_reading() {
    conn_->reading = true;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&conn_->tcp),
        [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
          auto* c = static_cast<Connection*>(h->data);
          *buf = uv_buf_init(c->buffer, sizeof c->buffer);
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
          auto* c = static_cast<Connection*>(s->data);
          if (c->channel != nullptr && !c->closing) c->channel->tcp_data(nread);
        });
  }

  void write_tcp(std::string data) {
    auto* req = new WriteRequest;
    req->data = std::move(data);
    req->connection = conn_;
    req->req.data = req;
    uv_buf_t buf = uv_buf_init(req->data.data(), static_cast<unsigned>(req->data.size()));
    int rc = uv_write(&req->req, reinterpret_cast<uv_stream_t*>(&conn_->tcp), &buf, 1,
                      [](uv_write_t* w, int status) {
                        auto* r = static_cast<WriteRequest*>(w->data);
                        auto conn = r->connection.lock();
                        if (conn && conn->channel != nullptr && !conn->closing) {
                          conn->channel->written(r->data.size(), status);
                        }
                        delete r;
                      });
    if (rc != 0) {
      std::size_t n = req->data.size();
      delete req;
      written(n, rc);
    }
  }

  void release() {
    if (!conn_) return;
    std::shared_ptr<Connection> conn = std::move(conn_);
    conn_.reset();
    conn->channel = nullptr;
    conn->closing = true;
    manager_.record("forward.close", session_id_,
                    "127.0.0.1:" + std::to_string(port_) + ", " + std::to_string(bytes_in_) +
                        " bytes to it, " + std::to_string(bytes_out_) + " bytes from it");
    Connection* raw = conn.get();
    manager_.retire(std::move(conn), [raw](std::function<void()> done) {
      // The close callback runs after every pending write callback.
      raw->tcp.data = new std::function<void()>(std::move(done));
      uv_close(reinterpret_cast<uv_handle_t*>(&raw->tcp), [](uv_handle_t* h) {
        auto* callback = static_cast<std::function<void()>*>(h->data);
        (*callback)();
        delete callback;
      });
    });
  }

  std::shared_ptr<Connection> conn_;
  std::uint32_t port_ = 0;
  std::string early_;
  bool peer_closed_ = false;  // the technician's side has ended
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
};

}  // namespace

std::unique_ptr<ChannelHandler> make_forward(SessionManager& manager,
                                             const v1::SessionStreamOpen& open,
                                             ChannelStream stream) {
  if (!open.has_forward()) {
    stream.reset("bad_request: a forward stream needs ForwardOpen");
    return nullptr;
  }
  auto channel = std::make_unique<ForwardChannel>(manager, open.session_id(), std::move(stream));
  if (!channel->start(open.forward().port())) return nullptr;
  return channel;
}

}  // namespace helpline::agent::session
