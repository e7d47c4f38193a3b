// Certificate requests and certificates: the enrollment half of crypto.h.
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <array>
#include <climits>

#include "common/core/encoding.h"
#include "common/tls/crypto.h"
#include "common/tls/openssl_util.h"

namespace helpline::tls {

using detail::fail_openssl;

namespace {

struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* p) const { sk_GENERAL_NAME_pop_free(p, GENERAL_NAME_free); }
};
struct X509ExtensionDeleter {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};

constexpr std::size_t kMaxCsrBytes = 16 * 1024;
constexpr std::size_t kMaxCommonNameChars = 64;
// A PEM bundle (chain or trust anchors) longer than this is a mistake.
constexpr std::size_t kMaxCertificatesInBundle = 32;

// Ed25519 signs the message itself; every other key type signs SHA-256.
const EVP_MD* signing_digest(const EVP_PKEY* key) {
  return EVP_PKEY_is_a(key, "ED25519") == 1 ? nullptr : EVP_sha256();
}

Result<void> check_common_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxCommonNameChars) {
    return fail("bad_csr",
                "common name must be 1 to 64 characters, got " + std::to_string(name.size()));
  }
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return fail("bad_csr", "common name contains a control character");
    }
  }
  return {};
}

Result<void> set_common_name(X509_NAME* name, std::string_view common_name) {
  const std::string text(common_name);
  if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(text.c_str()), -1, -1,
                                 0) != 1) {
    return fail_openssl("crypto_error", "could not set the certificate's common name");
  }
  return {};
}

std::string common_name_of(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int size = ASN1_STRING_to_UTF8(&utf8, data);
  if (size < 0 || utf8 == nullptr) {
    ERR_clear_error();
    return {};
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(size));
  OPENSSL_free(utf8);
  return out;
}

// Adds a fixed-text extension ("critical,CA:TRUE", "keyid:always", ...);
// the value never comes from a caller, so no escaping is needed.
Result<void> add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  std::unique_ptr<X509_EXTENSION, X509ExtensionDeleter> ext(
      X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return fail_openssl("crypto_error",
                        std::string("could not add certificate extension ") + OBJ_nid2sn(nid));
  }
  return {};
}

// SANs are built as objects rather than config text, so a name holding ','
// or "IP:" cannot smuggle in another entry.
Result<void> add_subject_alt_names(X509* cert, const std::vector<std::string>& names) {
  if (names.empty()) return {};
  std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter> list(sk_GENERAL_NAME_new_null());
  if (!list) return fail_openssl("crypto_error", "out of memory");
  for (const std::string& name : names) {
    GENERAL_NAME* entry = GENERAL_NAME_new();
    if (entry == nullptr || sk_GENERAL_NAME_push(list.get(), entry) <= 0) {
      GENERAL_NAME_free(entry);
      return fail_openssl("crypto_error", "out of memory");
    }
    ASN1_STRING* value = nullptr;
    int type = 0;
    if (const auto ip = detail::parse_ip_literal(name)) {
      value = ASN1_OCTET_STRING_new();
      type = GEN_IPADD;
      if (value != nullptr &&
          ASN1_OCTET_STRING_set(value, ip->bytes.data(), static_cast<int>(ip->size)) != 1) {
        ASN1_OCTET_STRING_free(value);
        value = nullptr;
      }
    } else if (detail::is_dns_name(name)) {
      value = ASN1_IA5STRING_new();
      type = GEN_DNS;
      if (value != nullptr &&
          ASN1_STRING_set(value, name.data(), static_cast<int>(name.size())) != 1) {
        ASN1_IA5STRING_free(value);
        value = nullptr;
      }
    } else {
      return fail("crypto_error", "subject alternative name \"" + name.substr(0, 80) +
                                      "\" is neither a DNS name nor an IP address");
    }
    if (value == nullptr) return fail_openssl("crypto_error", "out of memory");
    GENERAL_NAME_set0_value(entry, type, value);
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, list.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return fail_openssl("crypto_error", "could not add the subject alternative names");
  }
  return {};
}

std::uint64_t fresh_serial(std::uint64_t requested) {
  if (requested != 0) return requested;
  // 63 bits keep the DER INTEGER positive; zero is not a valid serial.
  const std::uint64_t serial = random_u64() & 0x7fffffffffffffffULL;
  return serial == 0 ? 1 : serial;
}

// Version, serial, validity (an hour back for clock skew), subject CN and
// public key: what every certificate here shares.
Result<X509Ptr> new_certificate(EVP_PKEY* subject_key, std::string_view common_name,
                                std::chrono::hours validity, std::uint64_t serial) {
  if (auto ok = check_common_name(common_name); !ok)
    return fail("crypto_error", ok.error().message);
  if (validity.count() <= 0 || validity.count() > 24L * 365 * 100) {
    return fail("crypto_error", "certificate validity must be between 1 hour and 100 years");
  }
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), fresh_serial(serial)) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(validity.count() / 24),
                       static_cast<long>(validity.count() % 24) * 3600, nullptr) == nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return fail_openssl("crypto_error", "could not build the certificate");
  }
  if (auto ok = set_common_name(X509_get_subject_name(cert.get()), common_name); !ok) {
    return fail(ok.error());
  }
  return cert;
}

Result<void> sign(X509* cert, EVP_PKEY* ca_key) {
  if (X509_sign(cert, ca_key, signing_digest(ca_key)) <= 0) {
    return fail_openssl("crypto_error", "could not sign the certificate");
  }
  return {};
}

}  // namespace

Result<std::string> make_csr_pem(EVP_PKEY* key, std::string_view common_name) {
  if (auto ok = check_common_name(common_name); !ok) return fail(ok.error());
  if (key == nullptr) return fail("crypto_error", "no key to sign the request with");
  X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1) {
    return fail_openssl("crypto_error", "could not build the certificate request");
  }
  if (auto ok = set_common_name(X509_REQ_get_subject_name(req.get()), common_name); !ok) {
    return fail(ok.error());
  }
  if (X509_REQ_set_pubkey(req.get(), key) != 1 ||
      X509_REQ_sign(req.get(), key, signing_digest(key)) <= 0) {
    return fail_openssl("crypto_error", "could not sign the certificate request");
  }
  auto bio = detail::write_bio();
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    return fail_openssl("crypto_error", "could not encode the certificate request");
  }
  return detail::bio_contents(bio.get());
}

Result<CsrInfo> parse_csr(std::string_view pem) {
  if (pem.size() > kMaxCsrBytes) {
    return fail("bad_csr", "certificate request is " + std::to_string(pem.size()) +
                               " bytes; the limit is 16 KiB");
  }
  auto bio = detail::read_bio(pem);
  if (!bio) return fail_openssl("bad_csr", "certificate request is unreadable");
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, detail::no_password, nullptr));
  if (!req) {
    return fail_openssl(
        "bad_csr", "not a PEM certificate request (a \"CERTIFICATE REQUEST\" block is expected)");
  }
  PKeyPtr key(X509_REQ_get_pubkey(req.get()));
  if (!key) return fail_openssl("bad_csr", "certificate request carries no usable public key");
  const bool ed25519 = EVP_PKEY_is_a(key.get(), "ED25519") == 1;
  bool p256 = false;
  if (EVP_PKEY_is_a(key.get(), "EC") == 1) {
    std::array<char, 64> group{};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), &length) == 1) {
      const std::string_view name(group.data(), length);
      p256 = name == "prime256v1" || name == "P-256" || name == "secp256r1";
    }
  }
  if (!ed25519 && !p256) {
    ERR_clear_error();
    return fail("bad_csr", "certificate request key must be ECDSA P-256 or Ed25519");
  }
  if (X509_REQ_verify(req.get(), key.get()) != 1) {
    return fail_openssl("bad_csr", "certificate request signature does not verify");
  }
  CsrInfo info;
  info.common_name = common_name_of(X509_REQ_get_subject_name(req.get()));
  if (auto ok = check_common_name(info.common_name); !ok) {
    return fail("bad_csr", "certificate request subject: " + ok.error().message);
  }
  info.public_key = std::move(key);
  return info;
}

Result<X509Ptr> make_ca_certificate(EVP_PKEY* ca_key, std::string_view common_name,
                                    std::chrono::hours validity) {
  if (ca_key == nullptr) return fail("crypto_error", "no CA key");
  auto cert = new_certificate(ca_key, common_name, validity, 0);
  if (!cert) return cert;
  X509* c = cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(c)) != 1) {
    return fail_openssl("crypto_error", "could not set the CA issuer name");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, c, c, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                                   std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                                   std::pair{NID_subject_key_identifier, "hash"}}) {
    if (auto ok = add_extension(c, &ctx, nid, value); !ok) return fail(ok.error());
  }
  if (auto ok = sign(c, ca_key); !ok) return fail(ok.error());
  return cert;
}

Result<X509Ptr> sign_certificate(const X509* ca_cert, EVP_PKEY* ca_key, EVP_PKEY* subject_key,
                                 const CertRequest& request) {
  if (ca_cert == nullptr || ca_key == nullptr || subject_key == nullptr) {
    return fail("crypto_error", "CA certificate, CA key and subject key are all required");
  }
  if (X509_check_private_key(ca_cert, ca_key) != 1) {
    return fail_openssl("crypto_error", "the CA key does not belong to the CA certificate");
  }
  auto cert = new_certificate(subject_key, request.common_name, request.validity, request.serial);
  if (!cert) return cert;
  X509* c = cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(ca_cert)) != 1) {
    return fail_openssl("crypto_error", "could not set the issuer name");
  }
  X509V3_CTX ctx;
  // X509V3_set_ctx only reads the issuer; its signature predates const.
  X509V3_set_ctx(&ctx, const_cast<X509*>(ca_cert), c, nullptr, nullptr, 0);
  const char* eku = request.usage == CertUsage::kServer ? "serverAuth" : "clientAuth";
  for (const auto& [nid, value] :
       {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
        std::pair{NID_key_usage, "critical,digitalSignature"}, std::pair{NID_ext_key_usage, eku},
        std::pair{NID_subject_key_identifier, "hash"},
        std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (auto ok = add_extension(c, &ctx, nid, value); !ok) return fail(ok.error());
  }
  if (auto ok = add_subject_alt_names(c, request.subject_alt_names); !ok) return fail(ok.error());
  if (auto ok = sign(c, ca_key); !ok) return fail(ok.error());
  return cert;
}

Result<std::string> certificate_to_pem(const X509* cert) {
  auto bio = detail::write_bio();
  if (!bio || cert == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return fail_openssl("crypto_error", "could not encode the certificate as PEM");
  }
  return detail::bio_contents(bio.get());
}

Result<X509Ptr> certificate_from_pem(std::string_view pem) {
  auto bio = detail::read_bio(pem);
  if (!bio) return fail_openssl("bad_certificate", "certificate PEM is too large or unreadable");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, detail::no_password, nullptr));
  if (!cert) {
    return fail_openssl("bad_certificate",
                        "not a PEM certificate (a \"CERTIFICATE\" block is expected)");
  }
  return cert;
}

Result<std::vector<X509Ptr>> certificates_from_pem(std::string_view pem) {
  auto bio = detail::read_bio(pem);
  if (!bio) return fail_openssl("bad_certificate", "certificate PEM is too large or unreadable");
  std::vector<X509Ptr> certs;
  for (std::size_t i = 0; i <= kMaxCertificatesInBundle; ++i) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, detail::no_password, nullptr));
    if (!cert) break;
    certs.push_back(std::move(cert));
  }
  if (certs.size() > kMaxCertificatesInBundle) {
    ERR_clear_error();
    return fail("bad_certificate", "PEM bundle holds more than 32 certificates");
  }
  // Running out of PEM blocks ends the loop with "no start line"; anything
  // else is a damaged block.
  const unsigned long last = ERR_peek_last_error();
  const bool clean_end = last == 0 || (ERR_GET_LIB(last) == ERR_LIB_PEM &&
                                       ERR_GET_REASON(last) == PEM_R_NO_START_LINE);
  if (!clean_end)
    return fail_openssl("bad_certificate", "a certificate in the PEM bundle is damaged");
  ERR_clear_error();
  if (certs.empty()) {
    return fail("bad_certificate", "no certificate found (a \"CERTIFICATE\" block is expected)");
  }
  return certs;
}

std::string fingerprint(const X509* cert) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), md.data(), &size) != 1) {
    ERR_clear_error();
    return {};
  }
  return "SHA256:" + to_hex(std::span(md.data(), size));
}

std::string common_name(const X509* cert) {
  if (cert == nullptr) return {};
  return common_name_of(X509_get_subject_name(cert));
}

std::string serial_hex(const X509* cert) {
  if (cert == nullptr) return {};
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = bn == nullptr ? nullptr : BN_bn2hex(bn);
  BN_free(bn);
  if (hex == nullptr) {
    ERR_clear_error();
    return {};
  }
  std::string out(hex);
  OPENSSL_free(hex);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace helpline::tls
