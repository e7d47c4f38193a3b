#include "common/tls/crypto.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <set>

#include "tests/unit/common/tls/tls_test_fixture.h"

namespace helpline::tls {
namespace {

using testing::ok;
using testing::pki;

std::string der_of(const X509* cert) {
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

// Re-encodes DER as PEM under `label`, so a test can tamper with the bytes.
std::string pem_of(const std::string& der, const char* label) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio(bio, label, "", reinterpret_cast<const unsigned char*>(der.data()),
                static_cast<long>(der.size()));
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

std::string csr_der(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509_REQ* req = PEM_read_bio_X509_REQ(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  unsigned char* der = nullptr;
  const int size = i2d_X509_REQ(req, &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  X509_REQ_free(req);
  return out;
}

X509Ptr leaf_of(const Identity& identity) {
  return ok(certificate_from_pem(identity.certificate_chain_pem));
}

TEST(Crypto, PrivateKeyPemRoundTripsForBothKeyTypes) {
  for (const KeyType type : {KeyType::kEcdsaP256, KeyType::kEd25519}) {
    const PKeyPtr key = ok(generate_key(type));
    const std::string pem = ok(private_key_to_pem(key.get()));
    EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
    const PKeyPtr back = ok(private_key_from_pem(pem));
    EXPECT_EQ(EVP_PKEY_eq(key.get(), back.get()), 1);
    EXPECT_EQ(ok(private_key_to_pem(back.get())), pem);
  }
}

TEST(Crypto, PublicKeyPemRoundTrips) {
  const PKeyPtr key = ok(generate_key());
  const std::string pem = ok(public_key_to_pem(key.get()));
  EXPECT_NE(pem.find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
  const PKeyPtr back = ok(public_key_from_pem(pem));
  EXPECT_EQ(EVP_PKEY_eq(key.get(), back.get()), 1);
}

TEST(Crypto, KeyLoadersRefuseGarbageWithBadKey) {
  auto priv = private_key_from_pem("not a key");
  ASSERT_FALSE(priv);
  EXPECT_EQ(priv.error().code, "bad_key");
  auto pub = public_key_from_pem("");
  ASSERT_FALSE(pub);
  EXPECT_EQ(pub.error().code, "bad_key");
  // A public key is not a private key.
  const PKeyPtr key = ok(generate_key());
  EXPECT_FALSE(private_key_from_pem(ok(public_key_to_pem(key.get()))));
  EXPECT_EQ(openssl_errors(), "");
}

TEST(Crypto, CsrRoundTripsCommonNameAndKey) {
  for (const KeyType type : {KeyType::kEcdsaP256, KeyType::kEd25519}) {
    const PKeyPtr key = ok(generate_key(type));
    const std::string pem = ok(make_csr_pem(key.get(), "device-42"));
    const CsrInfo info = ok(parse_csr(pem));
    EXPECT_EQ(info.common_name, "device-42");
    EXPECT_EQ(EVP_PKEY_eq(key.get(), info.public_key.get()), 1);
  }
}

TEST(Crypto, ParseCsrRefusesTamperedRequest) {
  const PKeyPtr key = ok(generate_key());
  std::string der = csr_der(ok(make_csr_pem(key.get(), "device-1")));
  const auto at = der.find("device-1");
  ASSERT_NE(at, std::string::npos);
  der[at + 7] = '2';  // the signed subject now says device-2
  auto parsed = parse_csr(pem_of(der, "CERTIFICATE REQUEST"));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "bad_csr");
  EXPECT_NE(parsed.error().message.find("signature"), std::string::npos);
}

TEST(Crypto, ParseCsrRefusesGarbageOversizeAndOtherKeyTypes) {
  EXPECT_EQ(parse_csr("garbage").error().code, "bad_csr");
  EXPECT_EQ(parse_csr(std::string(16 * 1024 + 1, 'A')).error().code, "bad_csr");

  PKeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  ASSERT_TRUE(p384);
  auto parsed = parse_csr(ok(make_csr_pem(p384.get(), "device-1")));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "bad_csr");
  EXPECT_NE(parsed.error().message.find("P-256 or Ed25519"), std::string::npos);
}

TEST(Crypto, MakeCsrRefusesEmptyOrLongCommonName) {
  const PKeyPtr key = ok(generate_key());
  EXPECT_FALSE(make_csr_pem(key.get(), ""));
  EXPECT_FALSE(make_csr_pem(key.get(), std::string(65, 'a')));
  EXPECT_TRUE(make_csr_pem(key.get(), std::string(64, 'a')));
  EXPECT_FALSE(make_csr_pem(key.get(), "bad\nname"));
}

TEST(Crypto, CaCertificateIsASelfSignedCa) {
  const X509* ca = pki().ca_cert.get();
  EXPECT_EQ(X509_check_ca(const_cast<X509*>(ca)), 1);
  EXPECT_NE(X509_get_key_usage(const_cast<X509*>(ca)) & KU_KEY_CERT_SIGN, 0U);
  EXPECT_NE(X509_get_key_usage(const_cast<X509*>(ca)) & KU_CRL_SIGN, 0U);
  EXPECT_NE(X509_get0_subject_key_id(const_cast<X509*>(ca)), nullptr);
  EXPECT_EQ(X509_get_ext_by_critical(ca, 1, -1) >= 0, true);
  EXPECT_EQ(X509_verify(const_cast<X509*>(ca), pki().ca_key.get()), 1);
  EXPECT_EQ(common_name(ca), "Helpline Test CA");
}

TEST(Crypto, ServerCertificateCarriesSansAndServerUsage) {
  const X509Ptr cert = leaf_of(pki().server);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_NE(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_NE(X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE, 0U);
  EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
  EXPECT_EQ(X509_check_issued(pki().ca_cert.get(), cert.get()), X509_V_OK);
  EXPECT_EQ(common_name(cert.get()), "relay");
}

TEST(Crypto, ClientCertificateCarriesClientUsage) {
  const X509Ptr cert = leaf_of(pki().client);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
  EXPECT_NE(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(common_name(cert.get()), "device-1");
}

TEST(Crypto, CertificateValidityAllowsClockSkew) {
  const PKeyPtr key = ok(generate_key());
  const X509Ptr cert =
      ok(sign_certificate(pki().ca_cert.get(), pki().ca_key.get(), key.get(),
                          testing::request("d", {}, CertUsage::kClient, std::chrono::hours(10))));
  const std::time_t now = std::time(nullptr);
  ASN1_TIME* reference = ASN1_TIME_set(nullptr, now);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, reference, X509_get0_notBefore(cert.get())), 1);
  EXPECT_EQ(days, 0);
  EXPECT_NEAR(seconds, -3600, 120);
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, reference, X509_get0_notAfter(cert.get())), 1);
  EXPECT_EQ(days, 0);
  EXPECT_NEAR(seconds, 10 * 3600, 120);
  ASN1_TIME_free(reference);
}

TEST(Crypto, SignCertificateUsesGivenSerialOrARandomOne) {
  const PKeyPtr key = ok(generate_key());
  const X509Ptr fixed = ok(sign_certificate(
      pki().ca_cert.get(), pki().ca_key.get(), key.get(),
      testing::request("d", {}, CertUsage::kClient, std::chrono::hours(1), 0x1234abcd)));
  EXPECT_EQ(serial_hex(fixed.get()), "1234abcd");
  const X509Ptr a = ok(
      sign_certificate(pki().ca_cert.get(), pki().ca_key.get(), key.get(), testing::request("d")));
  const X509Ptr b = ok(
      sign_certificate(pki().ca_cert.get(), pki().ca_key.get(), key.get(), testing::request("d")));
  EXPECT_NE(serial_hex(a.get()), serial_hex(b.get()));
  EXPECT_FALSE(serial_hex(a.get()).empty());
}

TEST(Crypto, SignCertificateRefusesBadSanAndForeignCaKey) {
  const PKeyPtr key = ok(generate_key());
  auto bad_san =
      sign_certificate(pki().ca_cert.get(), pki().ca_key.get(), key.get(),
                       testing::request("relay", {"a.example,IP:10.0.0.1"}, CertUsage::kServer));
  ASSERT_FALSE(bad_san);
  EXPECT_NE(bad_san.error().message.find("neither a DNS name nor an IP address"),
            std::string::npos);
  auto wrong_key =
      sign_certificate(pki().ca_cert.get(), key.get(), key.get(), testing::request("d"));
  ASSERT_FALSE(wrong_key);
  EXPECT_EQ(wrong_key.error().code, "crypto_error");
  EXPECT_EQ(openssl_errors(), "");
}

TEST(Crypto, Ed25519CaSignsCertificates) {
  const PKeyPtr ca_key = ok(generate_key(KeyType::kEd25519));
  const X509Ptr ca = ok(make_ca_certificate(ca_key.get(), "Ed CA", std::chrono::hours(1)));
  const PKeyPtr key = ok(generate_key(KeyType::kEd25519));
  const X509Ptr cert =
      ok(sign_certificate(ca.get(), ca_key.get(), key.get(), testing::request("ed-device")));
  EXPECT_EQ(X509_verify(cert.get(), ca_key.get()), 1);
}

TEST(Crypto, CertificatesFromPemReadsABundleInOrder) {
  const auto chain = ok(certificates_from_pem(pki().server.certificate_chain_pem));
  ASSERT_EQ(chain.size(), 2U);
  EXPECT_EQ(common_name(chain[0].get()), "relay");
  EXPECT_EQ(common_name(chain[1].get()), "Helpline Test CA");
  EXPECT_EQ(certificates_from_pem("").error().code, "bad_certificate");
  EXPECT_EQ(certificate_from_pem("junk").error().code, "bad_certificate");

  std::string damaged = pki().server.certificate_chain_pem;
  const auto second = damaged.find("-----BEGIN", 1);
  ASSERT_NE(second, std::string::npos);
  damaged[damaged.find("MII", second) + 10] = '*';  // inside the second block's base64
  EXPECT_EQ(certificates_from_pem(damaged).error().code, "bad_certificate");
  EXPECT_EQ(openssl_errors(), "");
}

TEST(Crypto, FingerprintIsSha256OfDerInPinFormat) {
  const std::string fp = fingerprint(pki().ca_cert.get());
  ASSERT_EQ(fp.size(), 7U + 64U);
  EXPECT_EQ(fp.substr(0, 7), "SHA256:");
  EXPECT_EQ(fp.substr(7), sha256_hex(der_of(pki().ca_cert.get())));
  EXPECT_EQ(ok(normalize_pin(fp)), fp);
}

TEST(Crypto, NormalizePinAcceptsCommonSpellings) {
  const std::string hex(64, 'a');
  const std::string canonical = "SHA256:" + hex;
  EXPECT_EQ(ok(normalize_pin(canonical)), canonical);
  EXPECT_EQ(ok(normalize_pin("sha256:" + std::string(64, 'A'))), canonical);
  EXPECT_EQ(ok(normalize_pin("  Sha256:" + hex + "\n")), canonical);
  std::string colons = "SHA256:";
  for (int i = 0; i < 32; ++i) colons += (i == 0 ? "" : ":") + std::string("AA");
  EXPECT_EQ(ok(normalize_pin(colons)), canonical);
}

TEST(Crypto, NormalizePinRefusesMalformedPins) {
  const std::string hex(64, 'a');
  for (const std::string& bad :
       {std::string(), hex, "SHA1:" + hex, "SHA256:" + hex.substr(1), "SHA256:" + hex + "a",
        "SHA256:" + hex.substr(1) + "g", "SHA256:a:" + hex.substr(2), "SHA256 " + hex}) {
    auto result = normalize_pin(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code, "bad_pin");
    EXPECT_NE(result.error().message.find("SHA256:<64 hex digits>"), std::string::npos);
  }
}

TEST(Crypto, Ed25519SignaturesVerifyAndTamperingIsRefused) {
  const PKeyPtr key = ok(generate_key(KeyType::kEd25519));
  const PKeyPtr public_key = ok(public_key_from_pem(ok(public_key_to_pem(key.get()))));
  const std::string signature = ok(sign_ed25519(key.get(), "catalog v7"));
  EXPECT_EQ(signature.size(), 64U);
  EXPECT_TRUE(verify_ed25519(public_key.get(), "catalog v7", signature));

  auto tampered = verify_ed25519(public_key.get(), "catalog v8", signature);
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().code, "bad_signature");
  std::string bad_signature = signature;
  bad_signature[10] = static_cast<char>(bad_signature[10] ^ 1);
  EXPECT_EQ(verify_ed25519(public_key.get(), "catalog v7", bad_signature).error().code,
            "bad_signature");
  EXPECT_EQ(verify_ed25519(public_key.get(), "catalog v7", signature.substr(1)).error().code,
            "bad_signature");

  const PKeyPtr ecdsa = ok(generate_key());
  EXPECT_FALSE(sign_ed25519(ecdsa.get(), "x"));
  EXPECT_FALSE(verify_ed25519(ecdsa.get(), "x", signature));
  EXPECT_EQ(openssl_errors(), "");
}

TEST(Crypto, DigestsMatchKnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231, test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256_hex("", "").size(), 64U);
}

TEST(Crypto, RandomTokensAreUnpaddedBase64Url) {
  const std::string token = random_token();
  EXPECT_EQ(token.size(), 43U);
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_NE(random_token(), token);
  EXPECT_EQ(random_token(0), "");
  EXPECT_EQ(random_token(1).size(), 2U);
  EXPECT_EQ(random_token(2).size(), 3U);
  EXPECT_EQ(random_token(3).size(), 4U);
  std::set<std::uint64_t> values;
  for (int i = 0; i < 8; ++i) values.insert(random_u64());
  EXPECT_GT(values.size(), 1U);
}

TEST(Crypto, ConstantTimeEqualComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("token", "token"));
  EXPECT_FALSE(constant_time_equal("token", "tokem"));
  EXPECT_FALSE(constant_time_equal("token", "token!"));
}

TEST(Crypto, OpenSslErrorsDescribesAndClearsTheQueue) {
  EXPECT_EQ(openssl_errors(), "");
  BIO* bio = BIO_new_mem_buf("junk", 4);
  EXPECT_EQ(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr), nullptr);
  BIO_free(bio);
  EXPECT_NE(openssl_errors().find("no start line"), std::string::npos);
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

}  // namespace
}  // namespace helpline::tls
