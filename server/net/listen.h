// Binding a listening TCP socket for the relay's listeners (agents, API).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <string_view>

#include "common/core/host_port.h"
#include "common/core/result.h"

namespace helpline::relay::net {

// Opens, binds (SO_REUSEADDR) and listens on `where`, an IP literal and a
// port (0: any free port). Returns the bound address. Errors:
// "listen_failed" naming `what` ("agents", "the API") and the OS reason.
[[nodiscard]] Result<HostPort> listen_on(boost::asio::ip::tcp::acceptor& acceptor,
                                         const HostPort& where, std::string_view what);

}  // namespace helpline::relay::net
