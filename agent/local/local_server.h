// The daemon's end of the local socket (local_socket.h) on the agent's
// libuv loop. Each connection: the peer's credentials, one request read
// within kReadTimeout, handed to the handler, whose one response is written
// before the connection closes. At most kMaxConnections at once; more are
// closed at accept.
//
// Thread: the loop's thread. Lifetime: close() before the loop ends; destroy
// after its callback.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "agent/local/local_socket.h"
#include "common/core/result.h"
#include "helpline/v1/local.pb.h"

namespace helpline::agent::local {

inline constexpr std::chrono::milliseconds kReadTimeout{10'000};
inline constexpr std::size_t kMaxConnections = 32;

// Sends the one response; later calls, and calls after the peer left, do
// nothing.
using Respond = std::function<void(v1::LocalResponse response)>;
using Handler = std::function<void(const Peer& peer, v1::LocalRequest request, Respond respond)>;

// A response carrying only LocalResponse.error{code, message}.
[[nodiscard]] v1::LocalResponse refusal(std::string code, std::string message);

class LocalServer {
 public:
  // Creates the socket's directory (0755) if missing, replaces a stale
  // socket file (refusing to replace anything that is not a socket, or a
  // socket another daemon still answers on), binds, makes it 0666 and
  // listens. Errors: "local_socket" naming the path and the reason.
  [[nodiscard]] static Result<std::unique_ptr<LocalServer>> listen(uv_loop_t* loop,
                                                                  std::filesystem::path path,
                                                                  Handler handler);
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;
  ~LocalServer();

  // Stops listening, drops open connections, removes the socket file;
  // `on_closed` runs once every handle is closed.
  void close(std::function<void()> on_closed);

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  struct Connection;

  LocalServer(uv_loop_t* loop, std::filesystem::path path, Handler handler);
  static void on_connection(uv_stream_t* server, int status);
  void accept();
  void on_request(Connection& connection);
  void respond(std::uint64_t id, v1::LocalResponse response);
  void drop(Connection& connection);
  void handle_closed();

  uv_loop_t* loop_;
  std::filesystem::path path_;
  Handler handler_;
  uv_pipe_t listener_{};
  bool listening_ = false;
  bool closing_ = false;
  int closes_pending_ = 0;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::function<void()> on_closed_;
};

}  // namespace helpline::agent::local
