// Enrolls simulated agents as the real agent does (agent/enroll): a fresh
// P-256 key, a CSR, an EnrollRequest with the token over TLS without a
// client certificate (the relay CA pinned), and the EnrollResponse's
// certificate kept in the IdentityCache.
//
// Thread: enroll() blocks the calling thread while the work runs on the
// given io_contexts (which other threads run).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "tests/bench/loadgen/identity_cache.h"

namespace helpline::loadgen {

struct EnrollPlan {
  boost::asio::ip::tcp::endpoint relay;
  std::vector<boost::asio::ip::address> sources;
  SSL_CTX* tls_context = nullptr;  // pin only, no client identity
  std::string token;
  std::string ca_pin;
  std::size_t count = 0;           // new enrollments wanted
  std::size_t concurrency = 32;    // exchanges in flight per io_context
};

struct EnrollReport {
  std::size_t enrolled = 0;
  double seconds = 0;
};

// Errors: the first enrollment failure (e.g. "bad_token", "token_exhausted",
// a connection error), after the exchanges in flight finished; what was
// enrolled until then stays in the cache.
[[nodiscard]] Result<EnrollReport> enroll(std::vector<boost::asio::io_context*> contexts,
                                          const EnrollPlan& plan, IdentityCache& cache);

}  // namespace helpline::loadgen
