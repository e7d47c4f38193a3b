// A large, valid diagnostic bundle for the relay throughput measurement: a
// simulated agent streams it as its answer to a collect request, the relay
// checks, stores and serves it like any bundle. Its logs hold lines of
// random base64 text, so zstd shrinks it only as far as real text allows
// (about 3/4).
#pragma once

#include <cstddef>
#include <string>

#include "common/core/result.h"

namespace helpline::loadgen {

struct BulkBundle {
  std::string encoded;    // common/bundle's encoded form
  std::string id;         // "sha256:<hex>"
  std::size_t raw_size = 0;
};

// About `serialized_bytes` of bundle (at most bundle::kMaxBundleBytes),
// naming `device_id`. Errors: common/bundle's.
[[nodiscard]] Result<BulkBundle> make_bulk_bundle(const std::string& device_id,
                                                  std::size_t serialized_bytes);

}  // namespace helpline::loadgen
