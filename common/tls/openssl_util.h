// Internal to common/tls: small RAII types and helpers the module's .cpp
// files share. Not part of the public face (tls.h); other modules must not
// include it.
#pragma once

#include <openssl/bio.h>
#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"

namespace helpline::tls::detail {

struct BioDeleter {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// The largest PEM text any loader accepts. Certificates and keys are a few
// KiB; a bundle of a handful of certificates stays far below this.
inline constexpr std::size_t kMaxPemBytes = 256 * 1024;

// A read-only memory BIO over `text` (which must outlive it); null when the
// text is larger than kMaxPemBytes or OpenSSL is out of memory.
[[nodiscard]] BioPtr read_bio(std::string_view text);
// An empty, writable memory BIO; null when out of memory.
[[nodiscard]] BioPtr write_bio();
// Everything written into a memory BIO.
[[nodiscard]] std::string bio_contents(BIO* bio);

// A PEM password callback that refuses: encrypted keys fail to load instead
// of OpenSSL prompting on the terminal.
int no_password(char* buf, int size, int rwflag, void* userdata);

// Digests and randomness have no failure a caller could handle: libcrypto
// without SHA-256 or an entropy source is a broken installation, and a
// silently empty digest or token would be a security bug. Aborts.
[[noreturn]] void die(const char* what);

// SHA-256 from the default provider, fetched once for the process rather
// than on every digest (what EVP_sha256() costs each use in OpenSSL 3).
[[nodiscard]] const EVP_MD* sha256();

// An error with OpenSSL's queued reasons (if any) appended to `message`;
// empties the queue.
[[nodiscard]] tl::unexpected<Error> fail_openssl(std::string code, std::string message);

// The binary address of an IPv4 or IPv6 literal (4 or 16 bytes), nullopt
// when `text` is not one. Brackets are not accepted here.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t size = 0;
};
[[nodiscard]] std::optional<IpAddress> parse_ip_literal(std::string_view text);

// A plausible DNS name for a certificate or SNI: 1..253 characters of
// letters, digits, '-', '_', '.' and a leading "*." wildcard label.
[[nodiscard]] bool is_dns_name(std::string_view text);

}  // namespace helpline::tls::detail
