#include "server/tunnel/enrollment.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/tls/tls.h"
#include "server/auth/auth.h"

namespace helpline::relay {
namespace {

class EnrollmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("helpline-enroll-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(RelayCa::create(dir_, {"127.0.0.1"}).has_value());
    ca_.emplace(std::move(RelayCa::load(dir_).value()));
    store_ = std::move(open_sqlite_store(dir_ / "relay.db").value());
    enrollment_.emplace(*store_, *ca_);
  }
  void TearDown() override {
    enrollment_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string add_token(std::uint32_t uses, UnixMillis expires_at) {
    auto secret = auth::new_token("hle_");
    EnrollToken token;
    token.id = "et_" + std::to_string(next_id_++);
    token.token_hash = secret.hash;
    token.group = "lab";
    token.uses = uses;
    token.expires_at = expires_at;
    EXPECT_TRUE(store_->add_enroll_token(token).has_value());
    return secret.secret;
  }

  v1::EnrollRequest request(const std::string& token) {
    key_ = std::move(tls::generate_key().value());
    v1::EnrollRequest r;
    r.set_token(token);
    r.set_csr_pem(tls::make_csr_pem(key_.get(), "ws-042").value());
    r.set_hostname("ws-042");
    r.set_platform("linux-x86_64");
    r.set_agent_version("0.1.0");
    return r;
  }

  std::filesystem::path dir_;
  std::optional<RelayCa> ca_;
  std::unique_ptr<Store> store_;
  std::optional<Enrollment> enrollment_;
  tls::PKeyPtr key_;
  int next_id_ = 1;
};

TEST_F(EnrollmentTest, IssuesACertificateForTheDeviceId) {
  auto token = add_token(1, unix_now_ms() + 60000);
  auto response = enrollment_->enroll(request(token), "test", unix_now_ms());
  ASSERT_FALSE(response.has_error()) << response.error().message();
  EXPECT_EQ(response.group(), "lab");
  auto cert = tls::certificate_from_pem(response.certificate_pem()).value();
  EXPECT_EQ(tls::common_name(cert.get()), response.device_id());
  EXPECT_EQ(response.ca_certificate_pem(), ca_->ca_pem());
  auto device = store_->find_device(response.device_id()).value();
  ASSERT_TRUE(device.has_value());
  EXPECT_EQ(device->hostname, "ws-042");
  EXPECT_EQ(device->cert_serial, tls::serial_hex(cert.get()));
}

TEST_F(EnrollmentTest, RefusesAReusedSingleUseToken) {
  auto token = add_token(1, unix_now_ms() + 60000);
  ASSERT_FALSE(enrollment_->enroll(request(token), "test", unix_now_ms()).has_error());
  auto second = enrollment_->enroll(request(token), "test", unix_now_ms());
  ASSERT_TRUE(second.has_error());
  EXPECT_EQ(second.error().code(), "token_used_up");
  EXPECT_EQ(store_->list_devices().value().size(), 1u);
}

TEST_F(EnrollmentTest, RefusesBadFieldsWithoutConsumingTheToken) {
  auto token = add_token(1, unix_now_ms() + 60000);
  auto bad_host = request(token);
  bad_host.set_hostname("evil\nhost");
  EXPECT_EQ(enrollment_->enroll(bad_host, "test", unix_now_ms()).error().code(), "bad_request");
  auto bad_csr = request(token);
  bad_csr.set_csr_pem("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n");
  EXPECT_EQ(enrollment_->enroll(bad_csr, "test", unix_now_ms()).error().code(), "bad_csr");
  auto huge = request(token);
  huge.set_csr_pem(std::string(20000, 'A'));
  EXPECT_EQ(enrollment_->enroll(huge, "test", unix_now_ms()).error().code(), "bad_csr");
  // The token is still good.
  EXPECT_FALSE(enrollment_->enroll(request(token), "test", unix_now_ms()).has_error());
}

TEST_F(EnrollmentTest, RefusesUnknownAndExpiredTokens) {
  EXPECT_EQ(enrollment_->enroll(request("hle_unknown"), "test", unix_now_ms()).error().code(),
            "bad_token");
  auto token = add_token(1, unix_now_ms() - 1000);
  EXPECT_EQ(enrollment_->enroll(request(token), "test", unix_now_ms()).error().code(),
            "token_expired");
}

TEST(CheckTextField, RefusesControlCharactersAndOverlongValues) {
  EXPECT_EQ(check_text_field("name", "ok", 10, true), "");
  EXPECT_NE(check_text_field("name", "", 10, true), "");
  EXPECT_EQ(check_text_field("name", "", 10, false), "");
  EXPECT_NE(check_text_field("name", std::string(11, 'a'), 10, false), "");
  EXPECT_NE(check_text_field("name", "a\x01", 10, false), "");
  EXPECT_NE(check_text_field("name", "a\x7f", 10, false), "");
}

}  // namespace
}  // namespace helpline::relay
