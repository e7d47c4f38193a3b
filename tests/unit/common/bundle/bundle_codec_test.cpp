// common/bundle: encode_bundle / decode_bundle / bundle_id. A deterministic
// round trip, and clear refusals of truncated, corrupted and oversized input.
#include <gtest/gtest.h>
#include <zstd.h>

#include <string>

#include "common/bundle/bundle.h"

namespace helpline::bundle {
namespace {

constexpr std::size_t kHeader = 12;  // "HLB1" + 8-byte size

// A bundle with a little of everything, plus a redaction summary (a map,
// whose order must not change the bytes).
[[nodiscard]] v1::DiagnosticBundle sample_bundle() {
  v1::DiagnosticBundle b;
  b.set_format_version(kBundleFormatVersion);
  b.set_device_id("dev_0123");
  b.set_hostname("ws-042");
  b.set_agent_version("1.2.3");
  b.set_platform("linux-x86_64");
  b.set_collected_at_ms(1'700'010'000'000);
  b.add_sections("system");
  b.add_sections("logs");
  auto* status = b.add_collectors();
  status->set_name("system.os");
  status->set_section("system");
  status->set_state(v1::CollectorStatus::STATE_OK);
  b.mutable_system()->set_os_pretty_name("Debian GNU/Linux 12 (bookworm)");
  for (const char* name : {"bash", "coreutils", "openssl"}) {
    auto* p = b.mutable_software()->add_packages();
    p->set_name(name);
    p->set_version("1.0");
  }
  for (int i = 0; i < 200; ++i) {
    auto* e = b.mutable_logs()->add_entries();
    e->set_time_ms(1'700'000'000'000 + i);
    e->set_message("sshd[" + std::to_string(i) + "]: Accepted publickey for alice");
  }
  auto& counts = *b.mutable_redaction()->mutable_counts();
  for (const char* rule : {"secret_key_value", "bearer_token", "aws_access_key_id", "jwt"}) {
    counts[rule] = 3;
  }
  b.mutable_redaction()->set_total(12);
  b.mutable_redaction()->set_applied(true);
  return b;
}

[[nodiscard]] std::string encoded_sample() {
  auto encoded = encode_bundle(sample_bundle());
  EXPECT_TRUE(encoded);
  return encoded ? *encoded : std::string();
}

// A well-formed container around arbitrary payload bytes.
[[nodiscard]] std::string wrap(std::string_view raw, std::uint64_t declared) {
  std::string out = "HLB1";
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(declared >> shift));
  std::string frame(ZSTD_compressBound(raw.size()), '\0');
  std::size_t n = ZSTD_compress(frame.data(), frame.size(), raw.data(), raw.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.append(frame.data(), n);
  return out;
}

TEST(BundleCodec, RoundTripReencodesByteIdentical) {
  v1::DiagnosticBundle original = sample_bundle();
  auto first = encode_bundle(original);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->substr(0, 4), "HLB1");
  auto decoded = decode_bundle(*first);
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(decoded->hostname(), "ws-042");
  EXPECT_EQ(decoded->software().packages_size(), 3);
  EXPECT_EQ(decoded->redaction().counts().at("jwt"), 3u);
  auto second = encode_bundle(*decoded);
  ASSERT_TRUE(second);
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(bundle_id(*first), bundle_id(*second));
}

TEST(BundleCodec, CompressesAndDeclaresTheSerializedSize) {
  v1::DiagnosticBundle bundle = sample_bundle();
  auto encoded = encode_bundle(bundle);
  ASSERT_TRUE(encoded);
  EXPECT_LT(encoded->size(), bundle.ByteSizeLong());
  EXPECT_EQ(declared_size(*encoded), bundle.ByteSizeLong());
  EXPECT_EQ(declared_size("HLB1"), 0u);
  EXPECT_EQ(declared_size("not a bundle at all"), 0u);
}

TEST(BundleCodec, EveryTruncationIsReportedAsTruncated) {
  std::string encoded = encoded_sample();
  ASSERT_GT(encoded.size(), kHeader);
  for (std::size_t n = 1; n < encoded.size(); ++n) {
    auto decoded = decode_bundle(std::string_view(encoded).substr(0, n));
    ASSERT_FALSE(decoded) << "prefix " << n;
    ASSERT_EQ(decoded.error().code, "truncated")
        << "prefix " << n << ": " << decoded.error().message;
  }
}

TEST(BundleCodec, DamagedDataOrChecksumIsCorrupted) {
  std::string encoded = encoded_sample();
  std::string middle = encoded;
  middle[kHeader + (encoded.size() - kHeader) / 2] ^= 0x5a;
  std::string checksum = encoded;
  checksum.back() ^= 0x01;
  for (const std::string& damaged : {middle, checksum}) {
    auto decoded = decode_bundle(damaged);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, "corrupted") << decoded.error().message;
  }
}

TEST(BundleCodec, TrailingBytesOrWrongDeclaredSizeAreCorrupted) {
  std::string encoded = encoded_sample();
  auto trailing = decode_bundle(encoded + "xyz");
  ASSERT_FALSE(trailing);
  EXPECT_EQ(trailing.error().code, "corrupted");
  EXPECT_NE(trailing.error().message.find("3 unexpected bytes"), std::string::npos);

  std::string resized = encoded;
  resized[11] = static_cast<char>(resized[11] + 1);
  auto mismatch = decode_bundle(resized);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, "corrupted");
}

TEST(BundleCodec, PayloadThatIsNotABundleIsCorrupted) {
  std::string garbage = "\xff\xff\xff\xff";
  auto decoded = decode_bundle(wrap(garbage, garbage.size()));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, "corrupted");
  EXPECT_NE(decoded.error().message.find("not a DiagnosticBundle"), std::string::npos);
}

TEST(BundleCodec, OtherFilesAreNotBundles) {
  for (std::string_view input :
       {std::string_view(""), std::string_view("HLB2xxxxxxxxxxxx"),
        std::string_view("{\"json\": true}"), std::string_view("\x28\xb5\x2f\xfd")}) {
    auto decoded = decode_bundle(input);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, "not_a_bundle") << input;
  }
}

TEST(BundleCodec, DeclaredSizeAboveTheCapIsTooLarge) {
  std::string encoded = encoded_sample();
  std::string huge = encoded;
  huge[4] = 0x01;  // 2^56 bytes
  auto decoded = decode_bundle(huge);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, "too_large");
  auto capped = decode_bundle(encoded, 100);
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().code, "too_large");
  EXPECT_NE(capped.error().message.find("the limit is 100"), std::string::npos);
}

TEST(BundleCodec, RefusesToEncodeAboveTheCap) {
  v1::DiagnosticBundle bundle;
  bundle.mutable_logs()->add_entries()->set_message(std::string(kMaxBundleBytes, 'a'));
  auto encoded = encode_bundle(bundle);
  ASSERT_FALSE(encoded);
  EXPECT_EQ(encoded.error().code, "too_large");
}

TEST(BundleCodec, RefusesToEncodeAStringThatWouldNotDecode) {
  v1::DiagnosticBundle bundle;
  bundle.set_hostname("raw \xff byte");
  auto encoded = encode_bundle(bundle);
  ASSERT_FALSE(encoded);
  EXPECT_EQ(encoded.error().code, "encode_failed");
  EXPECT_NE(encoded.error().message.find("UTF-8"), std::string::npos);
}

TEST(BundleCodec, NewerFormatVersionIsUnsupported) {
  v1::DiagnosticBundle bundle;
  bundle.set_format_version(kBundleFormatVersion + 1);
  auto encoded = encode_bundle(bundle);
  ASSERT_TRUE(encoded);
  auto decoded = decode_bundle(*encoded);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, "unsupported_version");
}

TEST(BundleId, IsSha256OfTheEncodedBytes) {
  EXPECT_EQ(bundle_id(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string encoded = encoded_sample();
  std::string id = bundle_id(encoded);
  EXPECT_EQ(id.size(), 7u + 64u);
  EXPECT_NE(id, bundle_id(encoded + " "));
}

}  // namespace
}  // namespace helpline::bundle
