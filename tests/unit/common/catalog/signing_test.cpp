// Signing and verification: a signed catalog verifies with its key and with
// no other; any changed byte, a missing signature and a version step back
// are refused with their own codes.
#include <gtest/gtest.h>

#include "common/catalog/catalog.h"

namespace helpline::catalog {
namespace {

v1::Catalog small_catalog(std::uint64_t version) {
  v1::Catalog c;
  c.set_version(version);
  c.set_issuer("Example IT");
  auto* a = c.add_actions();
  a->set_id("dns.flush_cache");
  a->set_version(1);
  a->set_title("Flush DNS");
  a->add_platforms("linux");
  a->set_risk(v1::RISK_LOW);
  a->add_argv("/usr/bin/resolvectl");
  a->add_argv("flush-caches");
  a->mutable_run_as()->set_root(true);
  a->set_timeout_ms(30000);
  a->set_max_output_bytes(4096);
  return c;
}

tls::PKeyPtr new_key() {
  auto key = tls::generate_key(tls::KeyType::kEd25519);
  EXPECT_TRUE(key);
  return std::move(*key);
}

tls::PKeyPtr public_half(EVP_PKEY* key) {
  auto pem = tls::public_key_to_pem(key);
  EXPECT_TRUE(pem);
  auto pub = load_public_key(*pem);
  EXPECT_TRUE(pub) << pub.error().to_string();
  return std::move(*pub);
}

TEST(CatalogSigning, VerifiesWithTheSigningKey) {
  auto key = new_key();
  auto signed_catalog = sign_catalog(small_catalog(5), key.get());
  ASSERT_TRUE(signed_catalog) << signed_catalog.error().to_string();
  auto decoded = decode_signed_catalog(encode_signed_catalog(*signed_catalog));
  ASSERT_TRUE(decoded);
  auto verified = verify_signed_catalog(*decoded, public_half(key.get()).get());
  ASSERT_TRUE(verified) << verified.error().to_string();
  EXPECT_EQ(verified->version(), 5u);
  EXPECT_EQ(verified->actions(0).id(), "dns.flush_cache");
}

TEST(CatalogSigning, RefusesEveryTamperedByte) {
  auto key = new_key();
  auto pub = public_half(key.get());
  auto signed_catalog = sign_catalog(small_catalog(5), key.get());
  ASSERT_TRUE(signed_catalog);
  const std::string original = signed_catalog->catalog();
  for (std::size_t i = 0; i < original.size(); ++i) {
    v1::SignedCatalog tampered = *signed_catalog;
    std::string bytes = original;
    bytes[i] = static_cast<char>(bytes[i] ^ 0x01);
    tampered.set_catalog(bytes);
    auto r = verify_signed_catalog(tampered, pub.get());
    ASSERT_FALSE(r) << "byte " << i;
    EXPECT_EQ(r.error().code, "bad_signature");
  }
  v1::SignedCatalog bad_sig = *signed_catalog;
  std::string sig = bad_sig.signature();
  sig[0] = static_cast<char>(sig[0] ^ 0x80);
  bad_sig.set_signature(sig);
  EXPECT_EQ(verify_signed_catalog(bad_sig, pub.get()).error().code, "bad_signature");
}

TEST(CatalogSigning, RefusesAnotherKey) {
  auto key = new_key();
  auto other = new_key();
  auto signed_catalog = sign_catalog(small_catalog(5), key.get());
  ASSERT_TRUE(signed_catalog);
  auto r = verify_signed_catalog(*signed_catalog, public_half(other.get()).get());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "wrong_key");
  // Claiming the other key's id does not help: the signature does not match.
  v1::SignedCatalog relabelled = *signed_catalog;
  relabelled.set_key_id(*key_id(other.get()));
  EXPECT_EQ(verify_signed_catalog(relabelled, public_half(other.get()).get()).error().code,
            "bad_signature");
}

TEST(CatalogSigning, RefusesUnsignedCatalog) {
  v1::SignedCatalog unsigned_catalog;
  unsigned_catalog.set_catalog(small_catalog(1).SerializeAsString());
  auto decoded = decode_signed_catalog(encode_signed_catalog(unsigned_catalog));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, "bad_catalog");
  EXPECT_FALSE(decode_signed_catalog("not protobuf \xff\xff\xff"));
}

TEST(CatalogSigning, RefusesSignedButInvalidCatalog) {
  // A catalog signed by the right key is still validated: signing vouches
  // for origin, not for shape.
  auto key = new_key();
  v1::Catalog bad = small_catalog(2);
  bad.mutable_actions(0)->set_argv(0, "resolvectl");
  v1::SignedCatalog forged;
  forged.set_catalog(bad.SerializeAsString());
  forged.set_signature(*tls::sign_ed25519(key.get(), forged.catalog()));
  forged.set_key_id(*key_id(key.get()));
  auto r = verify_signed_catalog(forged, public_half(key.get()).get());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_catalog");
  EXPECT_NE(r.error().message.find("argv[0]"), std::string::npos);
  EXPECT_FALSE(sign_catalog(bad, key.get()));
}

TEST(CatalogSigning, KeyIdIsSha256OfRawPublicKey) {
  // RFC 8032 test 1: seed 9d61b1..., public key d75a98...
  constexpr std::string_view kPem =
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
      "-----END PRIVATE KEY-----\n";
  auto key = load_private_key(kPem);
  ASSERT_TRUE(key) << key.error().to_string();
  std::string raw;
  for (std::size_t i = 0; i < 64; i += 2) {
    raw.push_back(static_cast<char>(
        std::stoi(std::string("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
                      .substr(i, 2),
                  nullptr, 16)));
  }
  EXPECT_EQ(*key_id(key->get()), "SHA256:" + tls::sha256_hex(raw));
  EXPECT_EQ(*key_id(public_half(key->get()).get()), *key_id(key->get()));
}

TEST(CatalogSigning, RefusesNonEd25519Keys) {
  auto ec = tls::generate_key(tls::KeyType::kEcdsaP256);
  ASSERT_TRUE(ec);
  EXPECT_EQ(key_id(ec->get()).error().code, "bad_key");
  EXPECT_EQ(load_private_key(*tls::private_key_to_pem(ec->get())).error().code, "bad_key");
  EXPECT_EQ(sign_catalog(small_catalog(1), ec->get()).error().code, "bad_key");
}

TEST(CatalogVersion, AcceptsOnlyNewerOrIdentical) {
  EXPECT_EQ(*check_version_step(3, "a", 4, "b"), VersionStep::kNewer);
  EXPECT_EQ(*check_version_step(3, "a", 3, "a"), VersionStep::kSame);
  EXPECT_EQ(check_version_step(3, "a", 2, "c").error().code, "older_version");
  EXPECT_EQ(check_version_step(3, "a", 3, "b").error().code, "version_reused");
}

}  // namespace
}  // namespace helpline::catalog
