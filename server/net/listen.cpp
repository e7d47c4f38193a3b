#include "server/net/listen.h"

namespace helpline::relay::net {

namespace asio = boost::asio;
using asio::ip::tcp;

Result<HostPort> listen_on(tcp::acceptor& acceptor, const HostPort& where, std::string_view what) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(where.host, ec);
  if (ec) {
    return fail("listen_failed", "cannot listen for " + std::string(what) + ": '" + where.host +
                                     "' is not an IP address to bind (" + ec.message() + ")");
  }
  tcp::endpoint endpoint(address, where.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("listen_failed", "cannot listen for " + std::string(what) + " on " +
                                     where.to_string() + ": " + ec.message());
  }
  return HostPort{where.host, acceptor.local_endpoint().port()};
}

}  // namespace helpline::relay::net
