#include "common/tls/openssl_util.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/tls/crypto.h"

namespace helpline::tls::detail {

BioPtr read_bio(std::string_view text) {
  if (text.size() > kMaxPemBytes) return nullptr;
  // BIO_new_mem_buf reads a NUL-terminated string when given -1; an empty
  // view still needs a valid pointer and an explicit length.
  static constexpr char kEmpty[] = "";
  const char* data = text.empty() ? kEmpty : text.data();
  return BioPtr(BIO_new_mem_buf(data, static_cast<int>(text.size())));
}

BioPtr write_bio() { return BioPtr(BIO_new(BIO_s_mem())); }

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(size));
}

int no_password(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

void die(const char* what) { OPENSSL_die(what, __FILE__, __LINE__); }

const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  if (md == nullptr) die("SHA-256 is not available");
  return md;
}

tl::unexpected<Error> fail_openssl(std::string code, std::string message) {
  const std::string reasons = openssl_errors();
  if (!reasons.empty()) message += " (" + reasons + ")";
  return fail(std::move(code), std::move(message));
}

std::optional<IpAddress> parse_ip_literal(std::string_view text) {
  // inet_pton needs a NUL-terminated string; the longest IPv6 literal is 45
  // characters, so anything longer is not one.
  if (text.empty() || text.size() > 45 || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string copy(text);
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.size = 4;
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.size = 16;
    return address;
  }
  return std::nullopt;
}

bool is_dns_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  if (text.starts_with("*.")) text.remove_prefix(2);
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  std::size_t label = 0;
  for (const char c : text) {
    if (c == '.') {
      if (label == 0) return false;  // empty label ("a..b")
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return true;
}

}  // namespace helpline::tls::detail
