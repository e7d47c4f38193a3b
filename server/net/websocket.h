// The technician API's WebSocket over TLS (Boost.Beast), shared by the API
// listener (server/api, which upgrades a request) and what serves the
// upgraded connection (server/sessions' stream bridges).
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace helpline::relay::net {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using WebSocket = boost::beast::websocket::stream<TlsStream>;

}  // namespace helpline::relay::net
