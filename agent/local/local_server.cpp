#include "agent/local/local_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace helpline::agent::local {

v1::LocalResponse refusal(std::string code, std::string message) {
  v1::LocalResponse response;
  response.mutable_error()->set_code(std::move(code));
  response.mutable_error()->set_message(std::move(message));
  return response;
}

namespace {

[[nodiscard]] Error socket_error(const std::filesystem::path& path, const std::string& why) {
  return Error{"local_socket", "local socket " + path.string() + ": " + why};
}

// True when a daemon accepts connections on `path` right now.
[[nodiscard]] bool someone_listens(const std::filesystem::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  bool answered =
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return answered;
}

}  // namespace

struct LocalServer::Connection {
  LocalServer* server = nullptr;
  std::uint64_t id = 0;
  uv_pipe_t pipe{};
  uv_timer_t timer{};
  uv_write_t write{};
  std::array<char, 16 * 1024> chunk{};
  std::string buffer;  // what arrived so far
  std::string out;     // the framed response being written
  Peer peer;
  bool request_taken = false;
  bool closing = false;
  int closes_pending = 0;
};

LocalServer::LocalServer(uv_loop_t* loop, std::filesystem::path path, Handler handler)
    : loop_(loop), path_(std::move(path)), handler_(std::move(handler)) {}

LocalServer::~LocalServer() = default;

Result<std::unique_ptr<LocalServer>> LocalServer::listen(uv_loop_t* loop,
                                                         std::filesystem::path path,
                                                         Handler handler) {
  if (path.native().size() >= sizeof(sockaddr_un{}.sun_path)) {
    return fail(socket_error(path, "the path is longer than a Unix socket allows (107 bytes)"));
  }
  std::error_code ec;
  auto dir = path.parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(socket_error(path, "cannot create its directory: " + ec.message()));
    // Others must reach the socket; the directory is not secret.
    ::chmod(dir.c_str(), 0755);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return fail(socket_error(path, "exists and is not a socket; not replacing it"));
    }
    if (someone_listens(path)) {
      return fail(socket_error(path, "another helpline-agent is running on it"));
    }
    ::unlink(path.c_str());  // stale, from an agent that did not stop cleanly
  }
  std::unique_ptr<LocalServer> server(new LocalServer(loop, std::move(path), std::move(handler)));
  uv_pipe_init(loop, &server->listener_, 0);
  server->listener_.data = server.get();
  server->listening_ = true;
  int rc = uv_pipe_bind(&server->listener_, server->path_.c_str());
  // Every local user may ask (the peer's uid decides what they get).
  if (rc == 0 && ::chmod(server->path_.c_str(), 0666) != 0) rc = -errno;
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server->listener_), 16, on_connection);
  }
  if (rc != 0) {
    Error error = socket_error(server->path_, uv_strerror(rc));
    // The handle must be closed on the loop; the server lives until then.
    auto* raw = server.release();
    raw->close([raw] { delete raw; });
    return fail(error);
  }
  return server;
}

void LocalServer::on_connection(uv_stream_t* stream, int status) {
  auto* self = static_cast<LocalServer*>(stream->data);
  if (status < 0) {
    spdlog::warn("local socket: accept failed: {}", uv_strerror(status));
    return;
  }
  self->accept();
}

void LocalServer::accept() {
  auto owned = std::make_unique<Connection>();
  Connection& c = *owned;
  c.server = this;
  c.id = next_id_++;
  uv_pipe_init(loop_, &c.pipe, 0);
  uv_timer_init(loop_, &c.timer);
  c.pipe.data = &c;
  c.timer.data = &c;
  connections_[c.id] = std::move(owned);
  if (int rc = uv_accept(reinterpret_cast<uv_stream_t*>(&listener_),
                         reinterpret_cast<uv_stream_t*>(&c.pipe));
      rc != 0) {
    spdlog::warn("local socket: accept failed: {}", uv_strerror(rc));
    drop(c);
    return;
  }
  if (connections_.size() > kMaxConnections) {
    spdlog::warn("local socket: more than {} connections; closing the newest", kMaxConnections);
    drop(c);
    return;
  }
  uv_os_fd_t fd = -1;
  Result<Peer> peer = fail("peer_unknown", "the connection has no descriptor");
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c.pipe), &fd) == 0) peer = peer_of(fd);
  if (!peer) {
    spdlog::warn("local socket: {}; closing", peer.error().message);
    drop(c);
    return;
  }
  c.peer = std::move(*peer);
  uv_timer_start(
      &c.timer,
      [](uv_timer_t* timer) {
        auto* conn = static_cast<Connection*>(timer->data);
        spdlog::debug("local socket: {} sent no whole request in time", conn->peer.user);
        conn->server->drop(*conn);
      },
      static_cast<std::uint64_t>(kReadTimeout.count()), 0);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c.pipe),
      [](uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
        auto* conn = static_cast<Connection*>(handle->data);
        buf->base = conn->chunk.data();
        buf->len = conn->chunk.size();
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* conn = static_cast<Connection*>(stream->data);
        if (nread < 0) {
          conn->server->drop(*conn);  // the peer left before its request was whole
          return;
        }
        conn->buffer.append(buf->base, static_cast<std::size_t>(nread));
        conn->server->on_request(*conn);
      });
}

void LocalServer::on_request(Connection& c) {
  if (c.request_taken || c.closing) return;
  auto whole = frame_length(c.buffer);
  if (!whole) {
    spdlog::warn("local socket: {} (pid {}): {}", c.peer.user, c.peer.pid, whole.error().message);
    drop(c);
    return;
  }
  if (*whole == 0) return;  // more to come
  c.request_taken = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.pipe));
  uv_timer_stop(&c.timer);
  v1::LocalRequest request;
  if (!request.ParseFromArray(c.buffer.data() + 4, static_cast<int>(*whole - 4))) {
    v1::LocalResponse response;
    response.mutable_error()->set_code("bad_request");
    response.mutable_error()->set_message("the request does not parse (a different agent version?)");
    respond(c.id, std::move(response));
    return;
  }
  std::string().swap(c.buffer);
  std::uint64_t id = c.id;
  handler_(c.peer, std::move(request),
           [this, id](v1::LocalResponse response) { respond(id, std::move(response)); });
}

void LocalServer::respond(std::uint64_t id, v1::LocalResponse response) {
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second->closing || !it->second->out.empty()) return;
  Connection& c = *it->second;
  auto framed = frame_message(response.SerializeAsString());
  if (!framed) {
    v1::LocalResponse too_big;
    too_big.mutable_error()->set_code("too_large");
    too_big.mutable_error()->set_message(framed.error().message);
    framed = frame_message(too_big.SerializeAsString());
  }
  c.out = std::move(*framed);
  c.write.data = &c;
  uv_buf_t buf = uv_buf_init(c.out.data(), static_cast<unsigned>(c.out.size()));
  int rc = uv_write(&c.write, reinterpret_cast<uv_stream_t*>(&c.pipe), &buf, 1,
                    [](uv_write_t* req, int) {
                      auto* conn = static_cast<Connection*>(req->data);
                      conn->server->drop(*conn);
                    });
  if (rc != 0) drop(c);
}

void LocalServer::drop(Connection& c) {
  if (c.closing) return;
  c.closing = true;
  c.closes_pending = 2;
  auto on_close = [](uv_handle_t* handle) {
    auto* conn = static_cast<Connection*>(handle->data);
    if (--conn->closes_pending > 0) return;
    LocalServer* server = conn->server;
    server->connections_.erase(conn->id);  // destroys *conn
    server->handle_closed();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&c.pipe), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&c.timer), on_close);
}

void LocalServer::close(std::function<void()> on_closed) {
  if (closing_) return;
  closing_ = true;
  on_closed_ = std::move(on_closed);
  if (listening_) {
    listening_ = false;
    ++closes_pending_;
    ::unlink(path_.c_str());
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), [](uv_handle_t* handle) {
      auto* self = static_cast<LocalServer*>(handle->data);
      --self->closes_pending_;
      self->handle_closed();
    });
  }
  std::vector<Connection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection.get());
  for (Connection* c : open) drop(*c);
  handle_closed();
}

void LocalServer::handle_closed() {
  if (!closing_ || closes_pending_ > 0 || !connections_.empty() || !on_closed_) return;
  std::exchange(on_closed_, nullptr)();
}

}  // namespace helpline::agent::local
