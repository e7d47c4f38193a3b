#include "server/auth/auth.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace helpline::relay::auth {
namespace {

// The minimum the verifier accepts, to keep the tests fast.
constexpr unsigned kFast = 1000;

[[nodiscard]] std::string hashed(std::string_view password) {
  auto hash = hash_password(password, kFast);
  EXPECT_TRUE(hash.has_value()) << hash.error().to_string();
  return hash.value_or("");
}

TEST(Auth, HashedPasswordVerifies) {
  std::string hash = hashed("correct horse");
  EXPECT_TRUE(hash.starts_with("pbkdf2-sha256$1000$")) << hash;
  EXPECT_TRUE(verify_password("correct horse", hash));
}

TEST(Auth, VerifiesHashFromAnIndependentImplementation) {
  // Python: hashlib.pbkdf2_hmac("sha256", b"hunter2", bytes(range(16)), 1000, 32),
  // unpadded urlsafe base64.
  const std::string stored =
      "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw$9VUOiRGfWTzTZixtfaW9P3qQ4lzS3CIfWKYWbHcnU9M";
  EXPECT_TRUE(verify_password("hunter2", stored));
  EXPECT_FALSE(verify_password("hunter3", stored));
}

TEST(Auth, WrongPasswordDoesNotVerify) {
  std::string hash = hashed("correct horse");
  EXPECT_FALSE(verify_password("correct horsE", hash));
  EXPECT_FALSE(verify_password("", hash));
}

TEST(Auth, EmptyPasswordHashesAndVerifies) {
  std::string hash = hashed("");
  EXPECT_TRUE(verify_password("", hash));
  EXPECT_FALSE(verify_password("x", hash));
}

TEST(Auth, SamePasswordHashesDifferently) {
  std::string a = hashed("secret");
  std::string b = hashed("secret");
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password("secret", a));
  EXPECT_TRUE(verify_password("secret", b));
}

TEST(Auth, MalformedStoredHashDoesNotVerify) {
  std::string good = hashed("pw");
  auto field = [&](int n) {
    std::size_t start = 0;
    for (int i = 0; i < n; ++i) start = good.find('$', start) + 1;
    std::size_t end = good.find('$', start);
    return good.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  const std::string salt = field(2);
  const std::string hash = field(3);
  for (const std::string& stored : {
           std::string(""), std::string("pw"), std::string("$$$"),
           "pbkdf2-sha1$1000$" + salt + "$" + hash,        // other scheme
           "pbkdf2-sha256$999$" + salt + "$" + hash,       // too few iterations
           "pbkdf2-sha256$10000001$" + salt + "$" + hash,  // too many
           "pbkdf2-sha256$-1000$" + salt + "$" + hash, "pbkdf2-sha256$1e3$" + salt + "$" + hash,
           "pbkdf2-sha256$$" + salt + "$" + hash,
           "pbkdf2-sha256$1000$" + salt,                            // missing field
           "pbkdf2-sha256$1000$" + salt + "$" + hash + "$",         // extra field
           "pbkdf2-sha256$1000$" + salt + "=$" + hash,              // padding
           "pbkdf2-sha256$1000$" + salt + "$" + hash + "!",         // not base64url
           "pbkdf2-sha256$1000$$" + hash,                           // empty salt
           "pbkdf2-sha256$1000$" + salt + "$",                      // empty hash
           "pbkdf2-sha256$1000$" + salt + "$" + hash.substr(0, 8),  // hash too short
       }) {
    EXPECT_FALSE(verify_password("pw", stored)) << stored;
  }
  EXPECT_TRUE(verify_password("pw", good));
}

TEST(Auth, HashRefusesIterationsOutOfRange) {
  auto low = hash_password("pw", 999);
  ASSERT_FALSE(low.has_value());
  EXPECT_EQ(low.error().code, "bad_iterations");
  EXPECT_FALSE(hash_password("pw", 10'000'001).has_value());
}

TEST(Auth, TokenHashIsSha256Hex) {
  EXPECT_EQ(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(token_hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Auth, NewTokensArePrefixedUniqueAndHashed) {
  std::set<std::string> secrets;
  for (int i = 0; i < 50; ++i) {
    NewToken token = new_token("hlt_");
    ASSERT_TRUE(token.secret.starts_with("hlt_")) << token.secret;
    EXPECT_EQ(token.secret.size(), 4u + 43u);  // 32 random bytes in unpadded base64url
    EXPECT_EQ(token.secret.find_first_not_of(
                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", 4),
              std::string::npos)
        << token.secret;
    EXPECT_EQ(token.hash, token_hash(token.secret));
    secrets.insert(token.secret);
  }
  EXPECT_EQ(secrets.size(), 50u);
}

TEST(Auth, RandomPasswordUsesUnambiguousAlphabet) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string password = random_password();
    ASSERT_EQ(password.size(), 20u);
    EXPECT_EQ(
        password.find_first_not_of("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"),
        std::string::npos)
        << password;
    EXPECT_EQ(password.find_first_of("0O1lI"), std::string::npos) << password;
    seen.insert(password);
  }
  EXPECT_EQ(seen.size(), 50u);
}

}  // namespace
}  // namespace helpline::relay::auth
